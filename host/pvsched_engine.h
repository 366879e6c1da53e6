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

struct pvsched_vm;
struct pvsched_vcpu;
struct pvsched_vcpu_stats;

/*
 * A session's part of the engine: the worker that applies the changes a
 * vCPU thread cannot make itself (a boost of a preempted vCPU, a throttle
 * seen from a timer), created with the session's first vCPU.  It runs at
 * the session's strongest boost and never above it, so what it does on a
 * guest's behalf competes with the host's own work as that boost would,
 * and its CPU time is the session's, in a thread of its own
 * ("pvsched/<vm id>").
 */
struct pvsched_engine_vm {
	struct kthread_worker *worker; /* NULL until the first vCPU */
};

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
	/*
	 * The thread's nice as of the last apply: its fair nice, or the one
	 * the kernel keeps aside while it is RT (pvsched_policy_seen()).
	 */
	s32 applied_nice;
	bool touched; /* something was applied: restore at stop */
	bool stopping; /* set by stop: timer and worker do nothing */
	bool remote_busy; /* the worker applies unlocked: no direct apply */
	u64 event_ns; /* time of the decision awaiting the worker */
	struct hrtimer timer; /* throttle / unthrottle deadline */
	struct kthread_work work; /* deferred apply */
	/*
	 * A demotion decided at a VM exit waits for the next VM entry (lazy
	 * demote, see event_locked()); if the thread never enters again (back
	 * in its VMM, stopped), the timer applies it at lazy_until.
	 */
	u64 lazy_until;
	/* The guest's TSC-deadline timer, in host time (the timer boost). */
	struct hrtimer gtimer;
	/*
	 * The thread's CPU time (the scheduler's se.sum_exec_runtime) when
	 * it was last charged to the host-wide share of its CPU.
	 */
	u64 exec_last;
};

/* Module init/exit (pvsched_main.c). */
int pvsched_engine_init(void);
void pvsched_engine_exit(void);

/*
 * Sessions (pvsched_vm.c) -> engine, process context, vm->lock held:
 * the session's worker made ready for a first vCPU (0 or -errno), set to
 * new params (after SET_PARAMS), and destroyed once every vCPU is stopped.
 */
int pvsched_engine_vm_start(struct pvsched_vm *vm);
void pvsched_engine_vm_params(struct pvsched_vm *vm);
void pvsched_engine_vm_stop(struct pvsched_vm *vm);

/*
 * Sessions (pvsched_vm.c) -> engine.
 *
 * Start watching @vcpu: saves the thread's base attributes, publishes the
 * slot header and inserts it in the lookup used by the probes.  Process
 * context, may sleep.  -EBUSY if the task is registered already (the one
 * check of that, under the engine's task table lock), -EINVAL if it is
 * SCHED_DEADLINE (read with the base, so no change slips in between).
 */
int pvsched_vcpu_start(struct pvsched_vcpu *vcpu);
/*
 * Stop watching @vcpu: removes it from the lookup, waits for probes, cancels
 * timers and pending work, restores the base attributes (after following
 * a change someone else made, which then stays).  Process context, may
 * sleep.  Safe on a task that has exited.
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
 * Attach layer -> engine: event @ev (KICK or KICK_RUNNING: an interrupt
 * became pending; POSTED: one was posted while the thread was preempted)
 * for KVM's vCPU @kvm_vcpu, from whichever context KVM raised it in (hard
 * IRQ included, never NMI).
 */
/*
 * The policy event of a kick (kvm_vcpu_kick() for an interrupt): in hard
 * IRQ, KVM's LAPIC timer above all, whose interrupt KVM accepts into the
 * IRR only at the vCPU's next entry (KICK); outside it, __apic_accept_irq()
 * has just accepted it (KICK_ACCEPT: counted until injected).
 */
static inline enum pvsched_policy_event pvsched_engine_kick_event(void)
{
	return in_hardirq() ? PVSCHED_POL_KICK : PVSCHED_POL_KICK_ACCEPT;
}

void pvsched_engine_kvm_event(const void *kvm_vcpu,
			      enum pvsched_policy_event ev);
/*
 * Attach layer -> engine: an interrupt became pending for KVM's vCPU
 * @kvm_vcpu outside guest mode; a KICK if the current task is its thread.
 */
void pvsched_engine_kvm_kick_self(const void *kvm_vcpu);
/*
 * Attach layer -> engine: the current thread's guest set its TSC-deadline
 * timer to fire at @expire_ns (CLOCK_MONOTONIC; 0: disarmed or unknown).
 */
void pvsched_engine_guest_timer(u64 expire_ns);
/*
 * Attach layer -> engine: the events attached now (PVSCHED_EV_*), whenever
 * they change; process context.  Without PVSCHED_EV_BLOCK the policy
 * pauses a vCPU's boost clock at HALT.
 */
void pvsched_engine_set_events(u32 events);

/* Engine -> debugfs "engine": attribute changes of every vCPU so far. */
struct pvsched_engine_stats {
	u64 apply_direct, apply_deferred, apply_errors;
	u64 delay_direct_ns_avg, delay_direct_ns_max; /* decision -> change */
	u64 delay_deferred_ns_avg, delay_deferred_ns_max;
};

void pvsched_engine_get_stats(struct pvsched_engine_stats *s);

/* Engine -> debugfs "share": the host-wide share of host CPU @cpu. */
struct pvsched_engine_share {
	u64 window_start_ns, used_ns; /* the window charged last */
	u64 throttles; /* boosts refused or ended there so far */
};

void pvsched_engine_get_share(int cpu, struct pvsched_engine_share *s);

#endif /* _PVSCHED_ENGINE_H */
