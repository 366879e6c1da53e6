/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvsched admin caps (pvsched_caps.c): the module parameters that bound
 * what a session may ask for (SET_PARAMS) and what the engine applies, and
 * the defaults of a new session.
 */
#ifndef _PVSCHED_CAPS_H
#define _PVSCHED_CAPS_H

#include <linux/types.h>

struct pvsched_params;

struct pvsched_caps {
	u32 max_policy; /* SCHED_NORMAL < SCHED_RR < SCHED_FIFO */
	u32 max_rt_prio; /* 1..98 */
	s32 min_nice; /* -20..19 */
	u32 max_vcpus_per_vm;
	u32 max_vms;
	u64 max_boost_cap_ns;
	u64 min_throttle_ns;
	/* the host-wide bound (max_rt_prio is its RT ceiling) */
	u32 max_duty_pct; /* 1..100; 100: none */
	u32 cpu_share_pct; /* 1..100; 100: none */
	u64 cpu_share_window_ns;
	u64 cpu_share_ns; /* cpu_share_pct of the window */
};

/* A consistent copy of the current caps; callable from any context. */
void pvsched_caps_get(struct pvsched_caps *caps);
/* Defaults for a new session's params (module parameters default_*). */
void pvsched_params_default(struct pvsched_params *params);
/* SET_PARAMS: 0, -EINVAL (malformed) or -EPERM (beyond the caps). */
int pvsched_params_check(const struct pvsched_params *params);
/* "normal", "fifo", "rr", "batch", "idle", "deadline" or "unknown". */
const char *pvsched_policy_name(u32 policy);

#endif /* _PVSCHED_CAPS_H */
