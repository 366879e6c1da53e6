/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvsched policy engine (pvsched_engine.c): the per-vCPU state it embeds in
 * struct pvsched_vcpu (pvsched_vm.h), and its three interfaces: to the
 * sessions (start, stop, stats of a vCPU), to the attach layer (the two
 * entry points of pvsched_tp.c's probes) and to debugfs (its apply
 * statistics).
 */
#ifndef _PVSCHED_ENGINE_H
#define _PVSCHED_ENGINE_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <uapi/linux/sched/types.h>
#include "pvsched_policy.h"

struct pvsched_vcpu;
struct pvsched_vcpu_stats;

struct pvsched_engine_vcpu {
	/* In the task hashtable (RCU readers: the probes; writers: tasks_mutex). */
	struct hlist_node hnode;
	struct task_struct *task; /* key; the control plane holds the ref */
	/*
	 * In the kvm_vcpu hashtable, for the kick probe, which runs in the
	 * waker and knows only KVM's struct kvm_vcpu (RCU readers; writers
	 * under kvm_map_lock): the kvm_vcpu this thread last entered the
	 * guest with, learned at its VM entries and exits.  Only compared,
	 * never dereferenced.  kvm_unmapped: taken out for good (stop).
	 */
	struct hlist_node knode;
	const void *kvm_vcpu;
	bool kvm_unmapped;
	/*
	 * lock protects everything below: the policy state, the host area of
	 * the slot, the timer's deadline, applied/touched and the counters.
	 * Taken with irqsave from the probes (any context but NMI), from the
	 * hrtimer callback (hard IRQ), from the worker and from
	 * start/stop/get_stats.  Nesting: lock -> (sched_setattr_nocheck's)
	 * p->pi_lock -> rq->lock; lock -> hrtimer base lock; lock ->
	 * kthread_worker lock.  Never taken under any scheduler lock.
	 */
	raw_spinlock_t lock;
	struct pvsched_policy pol;
	struct sched_attr base_attr; /* the thread's own attributes */
	struct pvsched_attr applied; /* what the thread has now */
	bool touched; /* something was applied: restore at stop */
	bool stopping; /* set by stop: timer and worker do nothing */
	bool remote_busy; /* the worker applies unlocked: no direct apply */
	u64 event_ns; /* time of the decision awaiting the worker */
	struct hrtimer timer; /* throttle / unthrottle deadline */
	struct kthread_work work; /* deferred apply */
};

/* Module init/exit (pvsched_main.c): the "pvsched" worker. */
int pvsched_engine_init(void);
void pvsched_engine_exit(void);

/*
 * Sessions (pvsched_vm.c) -> engine.
 *
 * Start watching @vcpu: saves the thread's base attributes, publishes the
 * slot header and inserts it in the lookup used by the probes.  Process
 * context, may sleep.  -EBUSY if the task is registered already (the one
 * check of that, under the engine's task table lock).
 */
int pvsched_vcpu_start(struct pvsched_vcpu *vcpu);
/*
 * Stop watching @vcpu: removes it from the lookup, waits for probes, cancels
 * timers and pending work, restores the base attributes.  Process context,
 * may sleep.  Safe on a task that has exited.
 */
void pvsched_vcpu_stop(struct pvsched_vcpu *vcpu);
/* Fill the stats of @vcpu but vcpu_id (the caller's). */
void pvsched_vcpu_get_stats(struct pvsched_vcpu *vcpu,
			    struct pvsched_vcpu_stats *stats);

/*
 * Attach layer -> engine: an event of the current task (a vCPU thread?).
 * @kvm_vcpu: KVM's struct kvm_vcpu the event is about, if the probe has
 * it (VM entry and exit do), else NULL.
 */
void pvsched_engine_current_event(enum pvsched_policy_event ev,
				  const void *kvm_vcpu);
/*
 * Attach layer -> engine: an interrupt became pending for KVM's vCPU
 * @kvm_vcpu, whose thread KVM saw @preempted or not.  Any context but NMI.
 */
void pvsched_engine_kick(const void *kvm_vcpu, bool preempted);

/* Engine -> debugfs "engine": attribute changes of every vCPU so far. */
struct pvsched_engine_stats {
	u64 apply_direct, apply_deferred, apply_errors;
	u64 delay_direct_ns_avg, delay_direct_ns_max; /* decision -> change */
	u64 delay_deferred_ns_avg, delay_deferred_ns_max;
};

void pvsched_engine_get_stats(struct pvsched_engine_stats *s);

#endif /* _PVSCHED_ENGINE_H */
