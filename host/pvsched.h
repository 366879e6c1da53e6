/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvsched.ko internal interfaces: what the control plane (pvsched_chardev.c,
 * pvsched_vm.c, pvsched_caps.c) and the policy engine (pvsched_engine.c,
 * pvsched_tp.c, pvsched_policy.c) promise each other.
 *
 * Object lifetime:
 *   struct pvsched_vm    one per open /dev/pvsched file, owned by the chardev.
 *   struct pvsched_vcpu  created by VCPU_ADD (chardev), handed to the engine
 *                        with pvsched_vcpu_start(), taken back with
 *                        pvsched_vcpu_stop() (after which the engine holds no
 *                        reference and no probe, timer or work item can
 *                        touch it), then freed by the chardev.
 */
#ifndef _PVSCHED_H
#define _PVSCHED_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/xarray.h>
#include <linux/sched.h>
#include <linux/debugfs.h>
#include "../uapi/linux/pvsched.h"
#include "pvsched_engine.h"

#define PVSCHED_VERSION_MAJOR 0
#define PVSCHED_VERSION_MINOR 2
#define PVSCHED_VERSION_PATCH 0

/* Admin caps: module parameters, owned by pvsched_caps.c. */
struct pvsched_caps {
	u32 max_policy; /* SCHED_NORMAL < SCHED_RR < SCHED_FIFO */
	u32 max_rt_prio; /* 1..98 */
	s32 min_nice; /* -20..19 */
	u32 max_vcpus_per_vm;
	u32 max_vms;
	u64 max_boost_cap_ns;
	u64 min_throttle_ns;
};

/* A consistent copy of the current caps; callable from any context. */
void pvsched_caps_get(struct pvsched_caps *caps);
/* Defaults for a new session's params (module parameters default_*). */
void pvsched_params_default(struct pvsched_params *params);

struct pvsched_vm {
	struct list_head node; /* in the global VM list (chardev) */
	u32 id;
	char name[PVSCHED_NAME_LEN];
	struct mutex lock; /* serialises ioctls of this session */
	struct xarray vcpus; /* vcpu_id -> struct pvsched_vcpu */
	u32 nr_vcpus;
	/*
	 * Tunables.  Written under lock with WRITE_ONCE per field by
	 * SET_PARAMS; the engine reads them with READ_ONCE from any context.
	 */
	struct pvsched_params params;
};

struct pvsched_vcpu {
	struct pvsched_vm *vm;
	u32 vcpu_id;
	pid_t tid; /* in the init pid namespace */
	struct task_struct *task; /* reference held while registered */
	struct page *page; /* pinned page holding the slot */
	struct pvsched_vcpu_slot *slot; /* kernel address of the slot */
	struct pvsched_engine_vcpu engine; /* owned by the engine */
};

/* Engine (pvsched_engine.c, pvsched_tp.c). */
int pvsched_engine_init(struct dentry *debugfs_dir);
void pvsched_engine_exit(void);
/*
 * Start watching @vcpu: saves the thread's base attributes, publishes the
 * slot header and inserts it in the lookup used by the probes.  Process
 * context, may sleep.  -EBUSY if the task is registered already.
 */
int pvsched_vcpu_start(struct pvsched_vcpu *vcpu);
/*
 * Stop watching @vcpu: removes it from the lookup, waits for probes, cancels
 * timers and pending work, restores the base attributes.  Process context,
 * may sleep.  Safe on a task that has exited.
 */
void pvsched_vcpu_stop(struct pvsched_vcpu *vcpu);
/* Fill the stats of @vcpu (vcpu_id is set by the caller). */
void pvsched_vcpu_get_stats(struct pvsched_vcpu *vcpu,
			    struct pvsched_vcpu_stats *stats);
u32 pvsched_tp_family(void);
u32 pvsched_tp_events(void);
const char *pvsched_tp_family_name(u32 family);

/* Control plane (pvsched_chardev.c). */
int pvsched_chardev_init(struct dentry *debugfs_dir);
void pvsched_chardev_exit(void);
/* vCPUs registered, all sessions (= pages pinned); probes test it first. */
extern atomic_t pvsched_nr_vcpus;

#endif /* _PVSCHED_H */
