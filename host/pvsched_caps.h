/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the admin caps (pvsched_caps.c) used by the control plane;
 * struct pvsched_caps, pvsched_caps_get() and pvsched_params_default() are
 * part of the module's internal contract in pvsched.h.
 */
#ifndef _PVSCHED_CAPS_H
#define _PVSCHED_CAPS_H

#include <linux/types.h>

struct pvsched_params;

/* "normal", "fifo", "rr", "batch", "idle", "deadline" or "unknown". */
const char *pvsched_policy_name(u32 policy);
/* 0, -EINVAL (malformed) or -EPERM (beyond the caps). */
int pvsched_params_check(const struct pvsched_params *params);

#endif /* _PVSCHED_CAPS_H */
