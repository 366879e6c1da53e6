// SPDX-License-Identifier: GPL-2.0
/*
 * pvsched policy engine: carries out the decisions of the policy core
 * (pvsched_policy.c) for the registered vCPU threads.
 *
 * What feeds it (names are stable; lab tests rely on them)
 * =========================================================
 * The probes of pvsched_tp.c, through pvsched_engine_current_event() in
 * the thread of the event, pvsched_engine_kvm_event() in the waker's and
 * pvsched_engine_guest_timer():
 *   kvm:kvm_entry        tracepoint  VMENTER (and learns the kvm_vcpu)
 *   kvm:kvm_exit         tracepoint  VMEXIT (and learns the kvm_vcpu)
 *   kvm:kvm_inj_virq     tracepoint  INJECT
 *   kvm:kvm_vcpu_wakeup  tracepoint  WAKEUP (a halt ended)
 *   kvm:kvm_userspace_exit  tracepoint  USERSPACE (KVM_RUN returns)
 *   kvm_vcpu_halt        kprobe      HALT, before KVM's halt polling
 *   kvm_vcpu_block       kprobe      BLOCK, the thread goes to sleep
 *   kvm_vcpu_kick        kprobe      KICK (the thread preempted: KVM's
 *                        vcpu->preempted) / KICK_RUNNING (it is in guest
 *                        mode: vcpu->mode), for a kick that brings an
 *                        interrupt (KVM_REQ_EVENT, KVM_REQ_UNBLOCK);
 *                        __kvm_vcpu_kick from 6.16
 *   kvm_vcpu_wake_up     kprobe      POSTED: an interrupt posted (APICv,
 *                        AVIC) for a preempted vCPU (kvm-intel/kvm-amd's
 *                        calls only: kvm.ko inlines its own)
 *   kvm_set_lapic_tscdeadline_msr  kprobe  DEADLINE: the guest's timer,
 *                        converted to host time, armed on gtimer
 * and its own hrtimers: timer (TIMER: a throttle begins or ends on time, a
 * lazy demotion is due) and gtimer (TIMER_DUE: the guest's timer is due and
 * its thread preempted).
 *
 * What others can observe
 * =======================
 * Trace events (trace-cmd record -e pvsched; pvsched_trace.h), each from a
 * PVSCHED_TR_* bit of the decision:
 *   pvsched:pvsched_boost       a boost starts, becomes stronger/weaker or
 *                               changes reason (reason = the new one)
 *   pvsched:pvsched_unboost     back to base because the guest stopped
 *                               asking (reason = the boost that ended)
 *   pvsched:pvsched_throttle    boosted for max_boost_ns: back to base for
 *                               throttle_ns (reason = the boost cut off)
 *   pvsched:pvsched_unthrottle  the throttle window ended
 *   pvsched:pvsched_kick        an interrupt made pending for a preempted
 *                               vCPU, and whether it boosted it
 *   pvsched:pvsched_share       the host-wide share of the vCPU's CPU was
 *                               used up: a boost refused or ended until
 *                               the window ends (cpu, until_ns)
 *   pvsched:pvsched_apply       an attribute change made effective, with
 *                               "direct" (vCPU thread, at the event) or
 *                               "deferred" (worker), the delay from the
 *                               decision to the change, sched_setattr's ret
 *   pvsched:pvsched_rebase      someone else changed the thread's
 *                               attributes: the old and the new base
 *                               (follow_thread())
 *   Fields of the first four: vm_id vcpu_id tid reason old_policy old_prio
 *   old_nice new_policy new_prio new_nice; reason is one of crit_section,
 *   task_prio, halt, intr (PVSCHED_REASON_*).
 * Kernel log: the attach layer's lines (pvsched_tp.c); with a session's
 *   debug param, one ratelimited line per traced decision.
 * Views (pvsched_debugfs.c, <debugfs>/pvsched/): "engine" shows
 *   pvsched_engine_get_stats(), the global apply counts and delays; "share"
 *   pvsched_engine_get_share(), each host CPU's share; "vms" and
 *   PVSCHED_IOC_DUMP each vCPU's stats.
 * Stats (PVSCHED_IOC_GET_STATS, struct pvsched_vcpu_stats; its counters are
 * the table of uapi/linux/pvsched_counters.h):
 *   state         PVSCHED_STATE_IDLE / BOOSTED / THROTTLED (policy state)
 *   vcpu_status   last value of the host area's vcpu_status (VMENTERED,
 *                 VMEXITED, HALTED, | INTR_INJECTED until the next exit)
 *   cur_*         attributes the thread has now (after the last apply);
 *                 the host area shows the decided ones, equal except for
 *                 the instant a deferred change is in flight
 *   base_*        saved at VCPU_ADD, restored at VCPU_DEL / close / rmmod;
 *                 someone else's change of the thread replaces it
 *   exits/entries/halts/injections  events seen for this thread
 *   boosts[r]     boosts started with reason r, or whose reason became r
 *                 (an INTR at the same level as a HALT boost counts INTR)
 *   unboosts      returns to base because the guest stopped asking
 *   throttles, boosted_ns, throttled_ns (ns of CLOCK_MONOTONIC)
 *   torn_reads    guest-area snapshots given up (seq odd or moving)
 *   guest_clamped / guest_refused / guest_invalid  per VM exit seen
 *   apply_direct / apply_deferred / apply_errors   attribute changes
 *   kicks / kick_boosts  interrupts made pending while the thread was
 *                 preempted or, from the thread itself, outside guest
 *                 mode, and the boosts they started (kick boost)
 *   idle_holds    VM exits where the guest's idle hint kept a boost
 *   irq_holds     VM exits where an interrupt not yet taken kept a boost
 *   wakes         of the kicks, the posted ones (kvm_vcpu_wake_up)
 *   deadlines / timer_boosts  the guest's TSC-deadline writes, and the
 *                 boosts its timer brought to a preempted thread
 *   lazy_demotes  demotions decided at an exit, left to the next entry
 *   quiet_exits   exits with nothing new, handled without a decision
 *   blocks        the thread went to sleep (halts that ended their polling)
 *   share_throttles  boosts refused or ended by the CPU's host-wide share
 *   boosted_cpu_ns   CPU time the thread ran at an RT boost: its charges
 *                 to the host-wide share
 *   base_changes  the thread's attributes changed by someone else, adopted
 *                 as its base (follow_thread())
 *   guest_unoffered  fresh guest snapshots with input of a feature the
 *                 VMM withheld (params.withheld_features), ignored
 *
 * The host-wide share
 * ===================
 * Per host CPU, the CPU time every registered vCPU thread runs at an RT
 * boost above its base is charged to that CPU's struct pvsched_share
 * (pvsched_share_charge(): cpu_share_pct of each cpu_share_window_us).  A
 * thread's run time is the scheduler's own (se.sum_exec_runtime: the rt
 * class adds to it at every tick and context switch), read at each of its
 * events and at each change of its attributes, and the time since its last
 * charge is charged to the CPU it is on then (vCPUs pinned to a CPU, where
 * the share matters, never move).  The policy refuses boosts on a CPU
 * whose share is used up, and a boosted vCPU's timer rechecks it when it
 * could run out (share_left_ns, at most once a millisecond), so a window's
 * share is overrun by a tick or so (what it runs over is charged to the
 * next window); a vCPU preempted while boosted learns at its next event,
 * its VM entry at the latest.
 *
 * Where priorities change
 * =======================
 * Directly, in the vCPU thread itself, outside interrupt context: its own
 * probes (kvm_entry, kvm_exit, the kvm_vcpu_halt kprobe, kvm_inj_virq,
 * kvm_vcpu_wakeup), where the kernel's sched_setattr_nocheck() takes only
 * raw locks and never sleeps for non-deadline policies (6.1.50+, 6.12,
 * 7.3, PREEMPT_RT included; can_apply_direct() says why interrupts being
 * off does not matter).  A demotion decided at a VM exit waits for the
 * next VM entry (lazy demote: event_locked() says why).  Everywhere else
 * (the hrtimers in hard IRQ, the kick probes in the waker, a vCPU the
 * worker is applying to) the change is handed to the session's worker,
 * "pvsched/<vm id>", at the session's strongest boost, never above it
 * (pvsched_engine_vm_start()): it boosts a thread that is not running, and
 * a throttle that must demote a running thread is carried out at the VM
 * exit the hrtimer's interrupt itself causes, in the thread.  The worker
 * calls the kernel outside the vCPU's lock (apply_work_fn()).  Fair-to-fair
 * nice changes use set_user_nice().
 * Tracepoint probes run with preemption disabled up to 6.12 and under SRCU
 * (preemptible) from 7.x; the engine relies on neither: every path takes
 * rcu_read_lock() and the vCPU's raw spinlock.
 */
#define pr_fmt(fmt) "pvsched: " fmt

#include <linux/module.h>
#include <linux/hashtable.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/version.h>
#include <linux/ktime.h>
#include <linux/ratelimit.h>
#include "pvsched_engine.h"
#include "pvsched_vm.h"
#include "pvsched_caps.h"
#include "pvsched_compat.h"

#define CREATE_TRACE_POINTS
#include "pvsched_trace.h"

/*
 * The probes bail out early while no vCPU is registered (pvsched_nr_vcpus,
 * counted by the control plane around start/stop).  A counter, not a
 * static key: flipping a static key patches kernel text on every CPU at
 * each first register / last unregister, and live patching under the
 * lab's emulated CPU has left a CPU looping on a stale int3 at the patched
 * site (tests/lab/README.md); one load per VM exit costs nothing here.
 */
static bool none_registered(void)
{
	return !atomic_read(&pvsched_nr_vcpus);
}

/* Registered tasks: writers under tasks_mutex, readers under RCU. */
static DEFINE_MUTEX(tasks_mutex);
static DEFINE_HASHTABLE(tasks, 8);

/*
 * Registered vCPUs by KVM's struct kvm_vcpu, for the kick probe: it runs
 * in the waker (often hard IRQ) and has only the kvm_vcpu.  The mapping
 * is learned in the vCPU thread itself, at its VM entries and exits, so
 * the probe never reads vcpu->pid (RCU-protected up to 6.12; from 6.13
 * under vcpu->pid_lock, a sleeping lock on PREEMPT_RT, and freed without
 * an RCU grace period when the thread running the vCPU changes).
 * Writers take kvm_map_lock (raw: learned from probes, any context); a
 * node may move to another bucket under a reader, which then only misses
 * a kick boost.
 */
static DEFINE_RAW_SPINLOCK(kvm_map_lock);
static DEFINE_HASHTABLE(kvm_map, 8);

/*
 * The host-wide share of each host CPU.  lock (raw: taken under a vCPU's
 * e->lock, from any context but NMI) protects share; nesting: e->lock ->
 * lock, nothing under it.  throttles is an atomic count for debugfs.
 */
struct pvsched_cpu_share {
	raw_spinlock_t lock;
	struct pvsched_share share;
	atomic64_t throttles;
};

static DEFINE_PER_CPU(struct pvsched_cpu_share, cpu_shares);

/* PVSCHED_EV_* attached now (pvsched_engine_set_events()). */
static u32 attached_events;

/*
 * How long a demotion decided at a VM exit may wait for the next entry
 * before the timer applies it anyway (a thread back in its VMM).
 */
#define PVSCHED_LAZY_DEMOTE_MAX_NS (1000ULL * 1000)

/* Global apply statistics (pvsched_engine_get_stats()); atomics, any context. */
static atomic64_t g_direct, g_deferred, g_errors;
static atomic64_t g_delay_direct_sum, g_delay_deferred_sum;
static atomic64_t g_delay_direct_max, g_delay_deferred_max;

/*
 * sched_setattr_nocheck() takes the cpuset lock (may sleep) for every
 * policy before 6.1.50; from 6.1.50 (and in 6.12) only for SCHED_DEADLINE.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 50)
#define PVSCHED_SETATTR_ATOMIC_OK 1
#else
#define PVSCHED_SETATTR_ATOMIC_OK 0
#endif

static inline struct pvsched_vcpu *to_vcpu(struct pvsched_engine_vcpu *e)
{
	return container_of(e, struct pvsched_vcpu, engine);
}

static void max_update(atomic64_t *max, u64 v)
{
	s64 old = atomic64_read(max);

	while ((u64)old < v) {
		s64 prev = atomic64_cmpxchg(max, old, v);

		if (prev == old)
			break;
		old = prev;
	}
}

/*
 * Caps and params as they are now: a lowered cap acts at the next event.
 * Lock-free (pvsched_caps_get() is a raw seqcount reader), so any
 * context; called before taking e->lock to keep that section short.
 */
static void vm_limits(struct pvsched_vm *vm, struct pvsched_policy_limits *l)
{
	const struct pvsched_params *pp = &vm->params;
	struct pvsched_caps caps;

	pvsched_caps_get(&caps);
	l->max_policy = caps.max_policy;
	l->max_rt_prio = caps.max_rt_prio;
	l->min_nice = caps.min_nice;
	l->max_boost_cap_ns = caps.max_boost_cap_ns;
	l->min_throttle_ns = caps.min_throttle_ns;
	l->cs.policy = READ_ONCE(pp->cs_policy);
	l->cs.rt_prio = READ_ONCE(pp->cs_rt_prio);
	l->cs.nice = READ_ONCE(pp->cs_nice);
	l->intr.policy = READ_ONCE(pp->intr_policy);
	l->intr.rt_prio = READ_ONCE(pp->intr_rt_prio);
	l->intr.nice = READ_ONCE(pp->intr_nice);
	l->max_boost_ns = READ_ONCE(pp->max_boost_ns);
	l->throttle_ns = READ_ONCE(pp->throttle_ns);
	l->flags = READ_ONCE(pp->flags);
	l->withheld = READ_ONCE(pp->withheld_features);
	l->transition_ns = PVSCHED_TRANSITION_COST_NS;
	l->max_duty_pct = caps.max_duty_pct;
	l->block_at_halt = !(READ_ONCE(attached_events) & PVSCHED_EV_BLOCK);
	l->share_window_ns = caps.cpu_share_window_ns;
	l->share_ns = caps.cpu_share_ns;
	/* share_until, share_left_ns: share_charge(), under the vCPU's lock */
	l->share_until = 0;
	l->share_left_ns = 0;
}

static void get_limits(struct pvsched_vcpu *v, struct pvsched_policy_limits *l)
{
	vm_limits(v->vm, l);
}

static bool is_rt(u32 policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR;
}

/*
 * The thread's attributes now, read under its pi_lock, which a concurrent
 * sched_setattr(2) or setpriority(2) holds while it changes them, so they
 * are seen whole: @a as the policy core compares them (rt_prio for FIFO/RR,
 * and the nice whatever the policy: pvsched_policy_seen()), @sa as a
 * sched_setattr() would give them back, with the thread's reset-on-fork
 * flag and its EEVDF slice.  Any context but NMI; nests inside e->lock.
 */
static void read_thread(struct task_struct *p, struct pvsched_attr *a,
			struct sched_attr *sa)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&p->pi_lock, flags);
	a->policy = p->policy;
	a->nice = task_nice(p);
	a->rt_prio = is_rt(p->policy) ? p->rt_priority : 0;
	*sa = (struct sched_attr){
		.size = sizeof(*sa),
		.sched_policy = p->policy,
		.sched_flags = p->sched_reset_on_fork ?
				       SCHED_FLAG_RESET_ON_FORK : 0,
		.sched_runtime = pvsched_fair_slice(p),
	};
	raw_spin_unlock_irqrestore(&p->pi_lock, flags);
}

/* @sa (from read_thread()) made the sched_attr of base @a. */
static void base_sched_attr(struct sched_attr *sa, const struct pvsched_attr *a)
{
	sa->sched_policy = a->policy;
	sa->sched_priority = is_rt(a->policy) ? a->rt_prio : 0;
	sa->sched_nice = is_rt(a->policy) ? 0 : a->nice;
	if (is_rt(a->policy))
		sa->sched_runtime = 0;
}

static void attr_to_sched_attr(struct pvsched_engine_vcpu *e,
			       const struct pvsched_attr *a,
			       struct sched_attr *sa)
{
	*sa = (struct sched_attr){
		.size = sizeof(*sa),
		.sched_policy = a->policy,
		.sched_flags = e->base_attr.sched_flags &
			       SCHED_FLAG_RESET_ON_FORK,
	};
	if (a->policy == SCHED_FIFO || a->policy == SCHED_RR) {
		sa->sched_priority = a->rt_prio;
	} else {
		sa->sched_nice = a->nice;
		/* the thread's own EEVDF slice, if it had one (6.12+) */
		sa->sched_runtime = e->base_attr.sched_runtime;
	}
}

/* The kernel call that gives @e->task @want (currently at @cur). */
static int set_attr(struct pvsched_engine_vcpu *e,
		    const struct pvsched_attr *want,
		    const struct pvsched_attr *cur)
{
	struct sched_attr sa;

	/*
	 * Never: a deadline base is only ever what the thread has already
	 * (follow_thread()), and pvsched sets no deadline policy itself.
	 */
	if (WARN_ON_ONCE(want->policy == SCHED_DEADLINE))
		return -EINVAL;
	if (pvsched_attr_eq(want, &e->pol.base))
		return sched_setattr_nocheck(e->task, &e->base_attr);
	if (want->policy == SCHED_NORMAL && cur->policy == SCHED_NORMAL) {
		set_user_nice(e->task, want->nice);
		return 0;
	}
	attr_to_sched_attr(e, want, &sa);
	return sched_setattr_nocheck(e->task, &sa);
}

/* What the host-wide share accounts: an RT attribute above the base. */
static bool applied_rt_boost(const struct pvsched_engine_vcpu *e)
{
	return (e->applied.policy == SCHED_FIFO ||
		e->applied.policy == SCHED_RR) &&
	       pvsched_attr_cmp(&e->applied, &e->pol.base) > 0;
}

/*
 * Charge the host-wide share of @e->task's CPU with the CPU time it ran
 * since its last charge, if it ran it at an RT boost: the attributes it
 * has (e->applied), so a boost decided but not applied yet is not charged
 * and a demotion left for the next VM entry still is.  Returns the share's
 * verdict at @now (pvsched_share_charge()): the end of the window if it is
 * used up, else 0 and *left.  e->lock held.
 */
static u64 share_charge(struct pvsched_engine_vcpu *e, u64 window_ns,
			u64 share_ns, u64 now, u64 *left)
{
	u64 exec = READ_ONCE(e->task->se.sum_exec_runtime);
	u64 ran = applied_rt_boost(e) ? exec - e->exec_last : 0;
	struct pvsched_cpu_share *cs;
	u64 until;

	lockdep_assert_held(&e->lock);
	e->exec_last = exec;
	e->pol.cnt.boosted_cpu_ns += ran;
	*left = 0;
	if (!share_ns || share_ns >= window_ns)
		return 0;
	cs = per_cpu_ptr(&cpu_shares, task_cpu(e->task));
	raw_spin_lock(&cs->lock);
	until = pvsched_share_charge(&cs->share, window_ns, share_ns, now, ran,
				     left);
	raw_spin_unlock(&cs->lock);
	return until;
}

/* Trace and count one apply of @want; e->lock held. */
static void account_apply(struct pvsched_engine_vcpu *e,
			  const struct pvsched_attr *want, int ret,
			  bool deferred)
{
	struct pvsched_vcpu *v = to_vcpu(e);
	u64 now = ktime_get_ns(), delay = now - e->event_ns, left;
	struct pvsched_caps caps;

	lockdep_assert_held(&e->lock);
	trace_pvsched_apply(v->vm->id, v->vcpu_id, v->tid, deferred, delay,
			    want, ret);
	if (ret) {
		e->pol.cnt.apply_errors++;
		atomic64_inc(&g_errors);
		return;
	}
	/* what it ran at the old attributes is charged at them */
	pvsched_caps_get(&caps);
	share_charge(e, caps.cpu_share_window_ns, caps.cpu_share_ns, now,
		     &left);
	e->applied = *want;
	/* the kernel sets the nice of a fair policy, keeps it under RT */
	if (!is_rt(want->policy))
		e->applied_nice = want->nice;
	e->touched = true;
	if (deferred) {
		e->pol.cnt.apply_deferred++;
		atomic64_inc(&g_deferred);
		atomic64_add(delay, &g_delay_deferred_sum);
		max_update(&g_delay_deferred_max, delay);
	} else {
		e->pol.cnt.apply_direct++;
		atomic64_inc(&g_direct);
		atomic64_add(delay, &g_delay_direct_sum);
		max_update(&g_delay_direct_max, delay);
	}
}

/*
 * Before pvsched changes the thread's attributes, and before it gives them
 * back at stop: has someone else changed them since pvsched last did (chrt,
 * libvirt's vcpusched, the VMM itself)?  Then theirs are the thread's base
 * from now on (pvsched_policy_seen(), pvsched_policy_rebase()): what it
 * returns to at every unboost and keeps at stop, where the base saved at
 * VCPU_ADD would undo that change many times a second.  Counted
 * (base_changes), traced (pvsched_rebase), published.  A thread made
 * SCHED_DEADLINE gets that base, which no boost is above: pvsched never
 * changes it again (and so never reaches the cpuset lock that
 * sched_setattr() takes for a deadline thread, a sleeping lock, from the
 * direct apply under e->lock).  A change that lands between this read and
 * pvsched's own sched_setattr() is overwritten once and not seen: the
 * thread then has what pvsched applied.  e->lock held; true if the base
 * changed.
 */
static bool follow_thread(struct pvsched_vcpu *v,
			  const struct pvsched_policy_limits *lim)
{
	struct pvsched_engine_vcpu *e = &v->engine;
	struct pvsched_attr seen, base, old_base = e->pol.base;
	struct pvsched_decision d;
	struct sched_attr sa;
	u64 now, left;

	lockdep_assert_held(&e->lock);
	read_thread(e->task, &seen, &sa);
	if (!pvsched_policy_seen(&e->pol, &e->applied, e->applied_nice, &seen,
				 &base))
		return false;
	/*
	 * What it ran since its last charge is charged at what pvsched
	 * applied (as at an apply): when the other change came is unknown.
	 */
	now = ktime_get_ns();
	share_charge(e, lim->share_window_ns, lim->share_ns, now, &left);
	e->applied = seen;
	pvsched_attr_normalize(&e->applied);
	e->applied_nice = seen.nice;
	base_sched_attr(&sa, &base);
	e->base_attr = sa;
	pvsched_policy_rebase(&e->pol, lim, &base, now, &d);
	pvsched_host_publish(v->slot, &e->pol);
	trace_pvsched_rebase(v->vm->id, v->vcpu_id, v->tid, 0, &old_base, &base);
	return true;
}

/*
 * Make pol.cur effective on the thread, from the vCPU thread itself at an
 * event (direct, can_apply_direct()), e->lock held.  Only where
 * sched_setattr_nocheck() cannot sleep (6.1.50+).
 */
static void apply_locked(struct pvsched_vcpu *v,
			 const struct pvsched_policy_limits *lim)
{
	struct pvsched_engine_vcpu *e = &v->engine;
	struct pvsched_attr want;

	lockdep_assert_held(&e->lock);
	if (pvsched_attr_eq(&e->applied, &e->pol.cur))
		return;
	if (follow_thread(v, lim) && pvsched_attr_eq(&e->applied, &e->pol.cur))
		return;
	want = e->pol.cur;
	account_apply(e, &want, set_attr(e, &want, &e->applied), false);
}

/*
 * The worker applies to another task, so it calls sched_setattr_nocheck()
 * outside e->lock: on a task blocked on a PI futex the call walks the PI
 * chain, which takes sleeping-lock internals and re-enables interrupts (an
 * "inconsistent lock state" under a raw lock held with IRQs off, and a
 * hard lockup if the vCPU's hrtimer then fires on this CPU).  Under the
 * lock it takes a snapshot of the decision and marks the vCPU busy, so no
 * direct apply in the vCPU thread runs meanwhile (they queue this work
 * instead); back under the lock it records the result and runs again if
 * the decision moved on while it was out.  The same unlocked call covers
 * kernels before 6.1.50, where sched_setattr_nocheck() may sleep.
 */
static void apply_work_fn(struct kthread_work *work)
{
	struct pvsched_engine_vcpu *e =
		container_of(work, struct pvsched_engine_vcpu, work);
	struct pvsched_policy_limits lim;
	struct pvsched_attr want, cur;
	unsigned long flags;
	int ret;

	get_limits(to_vcpu(e), &lim);
	for (;;) {
		raw_spin_lock_irqsave(&e->lock, flags);
		if (!e->stopping &&
		    !pvsched_attr_eq(&e->pol.cur, &e->applied))
			follow_thread(to_vcpu(e), &lim);
		want = e->pol.cur;
		cur = e->applied;
		if (e->stopping || pvsched_attr_eq(&want, &cur)) {
			raw_spin_unlock_irqrestore(&e->lock, flags);
			return;
		}
		e->remote_busy = true;
		raw_spin_unlock_irqrestore(&e->lock, flags);

		ret = set_attr(e, &want, &cur);

		raw_spin_lock_irqsave(&e->lock, flags);
		e->remote_busy = false;
		account_apply(e, &want, ret, true);
		raw_spin_unlock_irqrestore(&e->lock, flags);
		if (ret)
			return;
		cond_resched();
	}
}

/*
 * Safe to call sched_setattr_nocheck() on @e->task from here, under e->lock
 * (a raw spinlock, interrupts off)?  Only in the vCPU thread itself, which
 * is running, so never blocked on a PI lock (no PI-chain walk, which needs
 * interrupts on), and outside interrupt context (the kernel's
 * BUG_ON(pi && in_interrupt()), which counts BH-disabled sections too).
 * For the policies pvsched sets, the call takes only raw locks (p->pi_lock,
 * the rq lock) and never sleeps, also on PREEMPT_RT, from 6.1.50 on; a
 * SCHED_DEADLINE thread (someone else made it one) would take the cpuset
 * mutex: never here (follow_thread() reads the thread under its pi_lock
 * just before, and a deadline thread is never changed; the check below
 * covers the other paths).  The kernel reads the policy again, unlocked,
 * a few instructions later: only a change to SCHED_DEADLINE landing
 * within them could still reach the cpuset lock from here, a window no
 * lock pvsched may take closes.  Whether interrupts were on at the probe does not
 * matter: kvm_exit fires with them on only on 6.1's SVM (6.12 and 7.3 moved
 * it into the interrupts-off VM-run section) and kvm_entry with them off
 * everywhere.
 */
static bool can_apply_direct(struct pvsched_engine_vcpu *e)
{
	return PVSCHED_SETATTR_ATOMIC_OK && current == e->task &&
	       !in_interrupt() && !e->stopping && !e->remote_busy &&
	       READ_ONCE(e->task->policy) != SCHED_DEADLINE;
}

/* The trace events and the debug log line of decision @d. */
static void trace_decision(struct pvsched_vcpu *v,
			   const struct pvsched_decision *d)
{
	u32 vm = v->vm->id, tr = d->trace;

	if (tr & PVSCHED_TR_KICK)
		trace_pvsched_kick(vm, v->vcpu_id, v->tid,
				   tr & PVSCHED_TR_KICK_BOOST);
	if (tr & PVSCHED_TR_SHARE)
		trace_pvsched_share(vm, v->vcpu_id, v->tid, d->reason,
				    task_cpu(v->task), d->deadline);
	/* The pvsched_change events: one for each bit, same arguments. */
#define TRACE_CHANGE(bit, event)                                         \
	do {                                                             \
		if (tr & (bit))                                          \
			trace_##event(vm, v->vcpu_id, v->tid, d->reason, \
				      &d->old_attr, &d->new_attr);       \
	} while (0)
	TRACE_CHANGE(PVSCHED_TR_THROTTLE, pvsched_throttle);
	TRACE_CHANGE(PVSCHED_TR_UNTHROTTLE, pvsched_unthrottle);
	TRACE_CHANGE(PVSCHED_TR_UNBOOST, pvsched_unboost);
	TRACE_CHANGE(PVSCHED_TR_BOOST, pvsched_boost);
#undef TRACE_CHANGE
	if (READ_ONCE(v->vm->params.debug))
		pr_info_ratelimited("vm %u vcpu %u tid %d: %s%s%s%s%s%s reason %u -> %u/%u/%d\n",
				    vm, v->vcpu_id, v->tid,
				    tr & PVSCHED_TR_KICK ? "kick " : "",
				    tr & PVSCHED_TR_SHARE ? "share " : "",
				    tr & PVSCHED_TR_THROTTLE ? "throttle " : "",
				    tr & PVSCHED_TR_UNTHROTTLE ? "unthrottle " : "",
				    tr & PVSCHED_TR_UNBOOST ? "unboost " : "",
				    tr & PVSCHED_TR_BOOST ? "boost " : "",
				    d->reason, d->new_attr.policy,
				    d->new_attr.rt_prio, d->new_attr.nice);
}

/*
 * Wait for the VM entry with this change?  Only a demotion decided at a VM
 * exit, in the vCPU thread, that is not a throttle's (a throttle acts at
 * once), for a guest that did not say it demotes safely at an exit
 * (pvsched_policy_demote_at_exit()).  The next event of the thread that is
 * not an exit applies it: the VM entry, or KVM_RUN returning to the VMM
 * (its device emulation does not run boosted), and the timer at lazy_until.
 */
static bool lazy_demote(struct pvsched_engine_vcpu *e,
			const struct pvsched_policy_limits *lim,
			enum pvsched_policy_event ev,
			const struct pvsched_decision *d)
{
	if (pvsched_policy_demote_at_exit(&e->pol, lim) ||
	    e->pol.state == PVSCHED_STATE_THROTTLED || current != e->task ||
	    pvsched_attr_cmp(&e->pol.cur, &e->applied) >= 0)
		return false;
	/* pending: it waits across further exits only */
	if (e->lazy_until)
		return ev == PVSCHED_POL_VMEXIT && ktime_get_ns() < e->lazy_until;
	return ev == PVSCHED_POL_VMEXIT;
}

/*
 * One policy event for @v at time @now, e->lock held: charge the CPU's
 * host-wide share, decide, publish, trace, apply (here, at the next VM
 * entry, or via the session's worker) and arm the timer.
 */
static void event_locked(struct pvsched_vcpu *v, enum pvsched_policy_event ev,
			 struct pvsched_policy_limits *lim)
{
	struct pvsched_engine_vcpu *e = &v->engine;
	struct pvsched_decision d;
	u64 now = ktime_get_ns();

	lockdep_assert_held(&e->lock);
	lim->share_until = share_charge(e, lim->share_window_ns, lim->share_ns,
					now, &lim->share_left_ns);
	pvsched_policy_event(&e->pol, lim, ev, &v->slot->guest, now, &d);
	if (d.trace & PVSCHED_TR_SHARE)
		atomic64_inc(&per_cpu_ptr(&cpu_shares, task_cpu(e->task))->throttles);
	if (d.publish)
		pvsched_host_publish(v->slot, &e->pol);
	if (d.trace)
		trace_decision(v, &d);
	if (pvsched_attr_eq(&e->applied, &e->pol.cur)) {
		e->lazy_until = 0;
	} else if (lazy_demote(e, lim, ev, &d)) {
		/*
		 * Lazy demote: the vCPU is left where it is until its next VM
		 * entry, which applies the change with the last need_resched
		 * check behind it, so the host preempts the thread at a later
		 * interrupt rather than at this exit.  The exit a guest makes
		 * to end its own boost (its unboost exit) comes from inside
		 * its scheduler with the runqueue lock held: demoted at the
		 * exit itself, the vCPU was often preempted there, holding it.
		 */
		if (!e->lazy_until) {
			e->lazy_until = now + PVSCHED_LAZY_DEMOTE_MAX_NS;
			e->pol.cnt.lazy_demotes++;
		}
	} else {
		e->event_ns = now;
		e->lazy_until = 0;
		if (can_apply_direct(e))
			apply_locked(v, lim);
		else
			kthread_queue_work(v->vm->engine.worker, &e->work);
	}
	if (e->lazy_until && (!d.deadline || e->lazy_until < d.deadline))
		d.deadline = e->lazy_until;
	if (d.deadline)
		hrtimer_start(&e->timer, ns_to_ktime(d.deadline),
			      HRTIMER_MODE_ABS_HARD);
	else
		hrtimer_try_to_cancel(&e->timer);
}

/* A timer's event for @e, unless the vCPU is being stopped.  Hard IRQ. */
static void timer_event(struct pvsched_engine_vcpu *e,
			enum pvsched_policy_event ev)
{
	struct pvsched_policy_limits lim;
	unsigned long flags;

	get_limits(to_vcpu(e), &lim);
	raw_spin_lock_irqsave(&e->lock, flags);
	if (!e->stopping)
		event_locked(to_vcpu(e), ev, &lim);
	raw_spin_unlock_irqrestore(&e->lock, flags);
}

static enum hrtimer_restart timer_fn(struct hrtimer *t)
{
	timer_event(container_of(t, struct pvsched_engine_vcpu, timer),
		    PVSCHED_POL_TIMER);
	/* event_locked() re-armed the timer with hrtimer_start() if needed. */
	return HRTIMER_NORESTART;
}

static struct pvsched_vcpu *lookup_rcu(struct task_struct *task)
{
	struct pvsched_engine_vcpu *e;

	hash_for_each_possible_rcu(tasks, e, hnode, (unsigned long)task)
		if (e->task == task)
			return to_vcpu(e);
	return NULL;
}

static struct pvsched_vcpu *lookup_kvm_rcu(const void *kvm_vcpu)
{
	struct pvsched_engine_vcpu *e;

	hash_for_each_possible_rcu(kvm_map, e, knode, (unsigned long)kvm_vcpu)
		if (READ_ONCE(e->kvm_vcpu) == kvm_vcpu)
			return to_vcpu(e);
	return NULL;
}

/*
 * The vCPU thread of @e entered or left the guest with @kvm_vcpu, which
 * is not the one on record: map it (QEMU runs each vCPU on one thread, so
 * this happens once; a VMM that moves vCPUs between threads only moves
 * the mapping along).
 */
static void learn_kvm_vcpu(struct pvsched_engine_vcpu *e,
			   const void *kvm_vcpu)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&kvm_map_lock, flags);
	if (!e->kvm_unmapped) {
		if (e->kvm_vcpu)
			hash_del_rcu(&e->knode);
		WRITE_ONCE(e->kvm_vcpu, kvm_vcpu);
		hash_add_rcu(kvm_map, &e->knode, (unsigned long)kvm_vcpu);
	}
	raw_spin_unlock_irqrestore(&kvm_map_lock, flags);
}

static void unmap_kvm_vcpu(struct pvsched_engine_vcpu *e)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&kvm_map_lock, flags);
	if (e->kvm_vcpu)
		hash_del_rcu(&e->knode);
	e->kvm_unmapped = true;
	raw_spin_unlock_irqrestore(&kvm_map_lock, flags);
}

/*
 * Sched-event mode: a VM exit or entry (or a return to the VMM) of a vCPU
 * with nothing going on (at
 * its base, no boost or hold, no kick pending, nothing waiting to be
 * applied) whose guest has not written its slot since the last decision
 * needs no decision: count it and leave, without the lock, the policy or
 * the host area.  The vCPU's own thread is the only one that counts exits
 * and entries, so the plain increments are safe; a kick or timer racing
 * with the reads below is seen at the next exit.  The host area then shows
 * the status of the last decision, not of every exit and entry.
 * One exception: slot.host_boost still saying "boosted" (or "throttled") at
 * base.  A demotion applied without a VM entry (lazy_demote=0, or by the
 * lazy timer or at a return to the VMM) leaves the last entry's "boosted"
 * published, and a guest that reads it exits to end a boost at every
 * switch (PVSCHED_F_BOOST_STATE): that entry is not quiet, it publishes.
 * A guest that scribbles on host_boost only loses its own quiet exits.
 */
static bool quiet_exit(struct pvsched_vcpu *v, enum pvsched_policy_event ev)
{
	struct pvsched_engine_vcpu *e = &v->engine;
	const struct pvsched_guest_area *g = &v->slot->guest;

	if ((ev != PVSCHED_POL_VMEXIT && ev != PVSCHED_POL_VMENTER &&
	     ev != PVSCHED_POL_USERSPACE) ||
	    READ_ONCE(e->pol.state) != PVSCHED_STATE_IDLE ||
	    READ_ONCE(e->pol.kick_pending) || READ_ONCE(e->pol.irq_hold) ||
	    READ_ONCE(e->lazy_until) || READ_ONCE(e->stopping) ||
	    READ_ONCE(v->slot->host_boost) ||
	    READ_ONCE(g->seq) != READ_ONCE(e->pol.snap.seq) ||
	    READ_ONCE(g->flags) != READ_ONCE(e->pol.snap.flags))
		return false;
	if (ev == PVSCHED_POL_VMEXIT) {
		e->pol.cnt.exits++;
		e->pol.cnt.quiet_exits++;
	} else if (ev == PVSCHED_POL_VMENTER) {
		e->pol.cnt.entries++;
	}
	return true;
}

/*
 * @ev for @v under its lock, unless it is stopping; for a guest timer
 * (@gtimer_ns, deadline events only) its new expiry, 0 for none, armed or
 * cancelled under the same lock so a stop cannot miss it.
 */
static void vcpu_event(struct pvsched_vcpu *v, enum pvsched_policy_event ev,
		       const u64 *gtimer_ns)
{
	struct pvsched_policy_limits lim;
	unsigned long flags;

	get_limits(v, &lim);
	raw_spin_lock_irqsave(&v->engine.lock, flags);
	if (!v->engine.stopping) {
		event_locked(v, ev, &lim);
		if (gtimer_ns && *gtimer_ns)
			hrtimer_start(&v->engine.gtimer,
				      ns_to_ktime(*gtimer_ns),
				      HRTIMER_MODE_ABS_HARD);
		else if (gtimer_ns)
			hrtimer_try_to_cancel(&v->engine.gtimer);
	}
	raw_spin_unlock_irqrestore(&v->engine.lock, flags);
}

/*
 * Called by the probes of pvsched_tp.c, in the current task (a vCPU thread
 * or not): preemptible or not (7.x tracepoints run under SRCU), never in
 * NMI.  O(1) and lock-free until the task is known to be registered, and
 * for a quiet VM exit or entry (quiet_exit()).
 */
void pvsched_engine_current_event(enum pvsched_policy_event ev,
				  const void *kvm_vcpu)
{
	struct pvsched_vcpu *v;

	if (likely(none_registered()))
		return;
	rcu_read_lock();
	v = lookup_rcu(current);
	if (v) {
		if (kvm_vcpu && unlikely(READ_ONCE(v->engine.kvm_vcpu) != kvm_vcpu))
			learn_kvm_vcpu(&v->engine, kvm_vcpu);
		if (!quiet_exit(v, ev))
			vcpu_event(v, ev, NULL);
	}
	rcu_read_unlock();
}

/*
 * An event KVM raised for its vCPU @kvm_vcpu in the waker's context: the
 * LAPIC timer's hrtimer (hard IRQ, also on PREEMPT_RT, often on the vCPU
 * thread's own CPU), another vCPU sending an IPI, an irqfd, a posted
 * delivery.  Never applies here (maybe hard IRQ, maybe another thread): a
 * preempted vCPU is boosted by its session's worker, a running one at its
 * next VM exit, in its own thread.  @kvm_vcpu is only compared.
 */
void pvsched_engine_kvm_event(const void *kvm_vcpu,
			      enum pvsched_policy_event ev)
{
	struct pvsched_vcpu *v;

	if (likely(none_registered()) || !kvm_vcpu)
		return;
	rcu_read_lock();
	v = lookup_kvm_rcu(kvm_vcpu);
	if (v)
		vcpu_event(v, ev, NULL);
	rcu_read_unlock();
}

/*
 * An interrupt became pending for @kvm_vcpu while it was outside guest
 * mode, in the waker's context.  If the waker runs in the vCPU's own
 * thread (the LAPIC timer's hard IRQ interrupting the handling of an exit,
 * or KVM's own kick as it injects), that thread is on its way back in and
 * would inject at the entry, unless it is preempted first: a demotion
 * applied at the last entry (lazy demotion) has set need_resched, and a
 * fair thread then waits a host task's slice with its interrupt pending
 * (the "stranded timer", 31 % of the guest's timer interrupts on a 6.1
 * host in the contended benchmark).  So that is a KICK, as for a
 * preempted vCPU: boosted (by the worker from hard IRQ) and held until
 * the guest takes the interrupt.  A kick from any other thread, e.g. to
 * a halted vCPU, is not.
 */
void pvsched_engine_kvm_kick_self(const void *kvm_vcpu)
{
	struct pvsched_vcpu *v;

	if (likely(none_registered()) || !kvm_vcpu)
		return;
	rcu_read_lock();
	v = lookup_kvm_rcu(kvm_vcpu);
	if (v && v->engine.task == current)
		vcpu_event(v, pvsched_engine_kick_event(), NULL);
	rcu_read_unlock();
}

/*
 * The guest's TSC-deadline timer is due and its thread is runnable but
 * not on a CPU (KVM's vcpu->preempted, read from the task since the vCPU
 * itself may be gone by now): the guest waits for an interrupt that, with
 * the VMX preemption timer, nothing on the host delivers until the thread
 * runs again.  Hard IRQ.
 */
static enum hrtimer_restart gtimer_fn(struct hrtimer *t)
{
	struct pvsched_engine_vcpu *e =
		container_of(t, struct pvsched_engine_vcpu, gtimer);
	struct task_struct *task = e->task;

	if (task_is_running(task) && !READ_ONCE(task->on_cpu))
		timer_event(e, PVSCHED_POL_TIMER_DUE);
	return HRTIMER_NORESTART;
}

void pvsched_engine_guest_timer(u64 expire_ns)
{
	struct pvsched_vcpu *v;

	if (likely(none_registered()))
		return;
	rcu_read_lock();
	v = lookup_rcu(current);
	if (v)
		vcpu_event(v, PVSCHED_POL_DEADLINE, &expire_ns);
	rcu_read_unlock();
}

static bool task_registered(struct task_struct *task)
{
	bool ret;

	rcu_read_lock();
	ret = lookup_rcu(task);
	rcu_read_unlock();
	return ret;
}

/*
 * The thread's attributes now as its base, in *a and e->base_attr; -EINVAL
 * for a SCHED_DEADLINE thread, which pvsched does not take (the one read
 * decides both, so no change slips in between).
 */
static int save_base(struct pvsched_engine_vcpu *e, struct pvsched_attr *a)
{
	struct sched_attr sa;

	read_thread(e->task, a, &sa);
	if (a->policy == SCHED_DEADLINE)
		return -EINVAL;
	e->applied_nice = a->nice;
	pvsched_attr_normalize(a);
	base_sched_attr(&sa, a);
	e->base_attr = sa;
	return 0;
}

/* @e's lock, timers and work, before anything can reach them. */
static void engine_vcpu_init(struct pvsched_engine_vcpu *e,
			     struct task_struct *task)
{
	memset(e, 0, sizeof(*e));
	raw_spin_lock_init(&e->lock);
	/* _HARD: the timer runs in hard IRQ on PREEMPT_RT too (raw lock). */
	pvsched_hrtimer_setup(&e->timer, timer_fn, CLOCK_MONOTONIC,
			      HRTIMER_MODE_ABS_HARD);
	pvsched_hrtimer_setup(&e->gtimer, gtimer_fn, CLOCK_MONOTONIC,
			      HRTIMER_MODE_ABS_HARD);
	kthread_init_work(&e->work, apply_work_fn);
	e->task = task;
}

int pvsched_vcpu_start(struct pvsched_vcpu *v)
{
	struct pvsched_engine_vcpu *e = &v->engine;
	struct pvsched_attr base;
	unsigned long flags;
	int ret;

	might_sleep();
	engine_vcpu_init(e, v->task);

	/* The one check that the thread is not registered in any session. */
	mutex_lock(&tasks_mutex);
	if (task_registered(v->task)) {
		mutex_unlock(&tasks_mutex);
		return -EBUSY;
	}
	ret = save_base(e, &base);
	if (ret) {
		mutex_unlock(&tasks_mutex);
		return ret;
	}
	e->applied = base;
	e->exec_last = READ_ONCE(v->task->se.sum_exec_runtime);
	pvsched_policy_init(&e->pol, &base, ktime_get_ns());

	WRITE_ONCE(v->slot->header.vcpu_id, v->vcpu_id);
	smp_wmb(); /* the guest reads vcpu_pid, then vcpu_id (slot identity) */
	WRITE_ONCE(v->slot->header.vcpu_pid, v->tid);
	raw_spin_lock_irqsave(&e->lock, flags);
	pvsched_host_publish(v->slot, &e->pol);
	raw_spin_unlock_irqrestore(&e->lock, flags);

	hash_add_rcu(tasks, &e->hnode, (unsigned long)v->task);
	mutex_unlock(&tasks_mutex);
	return 0;
}

static void restore_base(struct pvsched_vcpu *v)
{
	struct pvsched_engine_vcpu *e = &v->engine;
	int ret = sched_setattr_nocheck(e->task, &e->base_attr);

	if (ret)
		pr_warn_ratelimited("vm %u vcpu %u tid %d: restoring base attributes failed: %d\n",
				    v->vm->id, v->vcpu_id, v->tid, ret);
	else
		e->applied = e->pol.base;
}

void pvsched_vcpu_stop(struct pvsched_vcpu *v)
{
	struct pvsched_engine_vcpu *e = &v->engine;
	struct pvsched_policy_limits lim;
	unsigned long flags;
	bool restore;

	mutex_lock(&tasks_mutex); /* may sleep: so does all of the stop */
	hash_del_rcu(&e->hnode);
	mutex_unlock(&tasks_mutex);
	/* A probe that still found @v by its task learns nothing more. */
	unmap_kvm_vcpu(e);
	/* No probe still sees @v after this (probes are RCU readers). */
	synchronize_rcu();

	raw_spin_lock_irqsave(&e->lock, flags);
	e->stopping = true;
	pvsched_policy_stop(&e->pol, ktime_get_ns());
	raw_spin_unlock_irqrestore(&e->lock, flags);
	/* stopping: the timers do not re-arm and queue no work. */
	hrtimer_cancel(&e->timer);
	hrtimer_cancel(&e->gtimer);
	kthread_cancel_work_sync(&e->work);

	/*
	 * Nothing else touches @e now; restore the base in process context,
	 * unless someone else changed the thread meanwhile: then it keeps that.
	 */
	if (e->touched && !(e->task->flags & PF_EXITING)) {
		get_limits(v, &lim);
		raw_spin_lock_irqsave(&e->lock, flags);
		follow_thread(v, &lim);
		restore = !pvsched_attr_eq(&e->applied, &e->pol.base);
		raw_spin_unlock_irqrestore(&e->lock, flags);
		if (restore)
			restore_base(v);
	}
	/* The slot is still pinned: the caller unpins it after this. */
	raw_spin_lock_irqsave(&e->lock, flags);
	pvsched_host_publish_stopped(v->slot, &e->pol);
	raw_spin_unlock_irqrestore(&e->lock, flags);
}

/* The stats' counters and where the policy state keeps each. */
static const struct {
	u16 stats; /* offset in struct pvsched_vcpu_stats */
	u16 pol; /* offset in struct pvsched_policy_counters */
} counters[] = {
#define PVSCHED_COUNTER(name, member)                              \
	{ offsetof(struct pvsched_vcpu_stats, member),             \
	  offsetof(struct pvsched_policy_counters, member) },
#include "../uapi/linux/pvsched_counters.h"
};

void pvsched_vcpu_get_stats(struct pvsched_vcpu *v,
			    struct pvsched_vcpu_stats *s)
{
	struct pvsched_engine_vcpu *e = &v->engine;
	const struct pvsched_policy_counters *c = &e->pol.cnt;
	unsigned long flags;
	unsigned int i;

	raw_spin_lock_irqsave(&e->lock, flags);
	s->tid = v->tid;
	s->state = e->pol.state;
	s->vcpu_status = e->pol.status;
	s->cur_policy = e->applied.policy;
	s->cur_rt_prio = e->applied.rt_prio;
	s->cur_nice = e->applied.nice;
	s->base_policy = e->pol.base.policy;
	s->base_rt_prio = e->pol.base.rt_prio;
	s->base_nice = e->pol.base.nice;
	for (i = 0; i < ARRAY_SIZE(counters); i++)
		*(u64 *)((void *)s + counters[i].stats) =
			*(const u64 *)((const void *)c + counters[i].pol);
	raw_spin_unlock_irqrestore(&e->lock, flags);
}

static u64 avg(atomic64_t *sum, atomic64_t *n)
{
	u64 cnt = atomic64_read(n);

	return cnt ? div64_u64(atomic64_read(sum), cnt) : 0;
}

void pvsched_engine_get_stats(struct pvsched_engine_stats *s)
{
	s->apply_direct = atomic64_read(&g_direct);
	s->apply_deferred = atomic64_read(&g_deferred);
	s->apply_errors = atomic64_read(&g_errors);
	s->delay_direct_ns_avg = avg(&g_delay_direct_sum, &g_direct);
	s->delay_direct_ns_max = atomic64_read(&g_delay_direct_max);
	s->delay_deferred_ns_avg = avg(&g_delay_deferred_sum, &g_deferred);
	s->delay_deferred_ns_max = atomic64_read(&g_delay_deferred_max);
}

/*
 * The session's worker runs at the stronger of its two boosts as the caps
 * allow them now (pvsched_policy_boost_attr()), never above: the worker
 * boosts vCPUs that are not running, and demotes the boosted ones whose
 * own thread cannot (a throttle seen from the timer); both go with that
 * boost's priority.
 */
static int vm_worker_attr(struct pvsched_vm *vm)
{
	struct pvsched_policy_limits lim;
	struct pvsched_attr cs, intr, *a;
	struct sched_attr sa = { .size = sizeof(sa) };

	vm_limits(vm, &lim);
	pvsched_policy_boost_attr(&lim.cs, &lim, &cs);
	pvsched_policy_boost_attr(&lim.intr, &lim, &intr);
	a = pvsched_attr_cmp(&cs, &intr) >= 0 ? &cs : &intr;
	sa.sched_policy = a->policy;
	if (a->policy == SCHED_FIFO || a->policy == SCHED_RR)
		sa.sched_priority = a->rt_prio;
	else
		sa.sched_nice = a->nice;
	return sched_setattr_nocheck(vm->engine.worker->task, &sa);
}

int pvsched_engine_vm_start(struct pvsched_vm *vm)
{
	struct kthread_worker *w;
	int ret;

	lockdep_assert_held(&vm->lock);
	if (vm->engine.worker)
		return 0;
	w = pvsched_kthread_run_worker(0, "pvsched/%u", vm->id);
	if (IS_ERR(w))
		return PTR_ERR(w);
	vm->engine.worker = w;
	ret = vm_worker_attr(vm);
	if (ret)
		pr_warn("vm %u: worker attributes: %d\n", vm->id, ret);
	return 0;
}

void pvsched_engine_vm_params(struct pvsched_vm *vm)
{
	int ret;

	lockdep_assert_held(&vm->lock);
	if (!vm->engine.worker)
		return;
	ret = vm_worker_attr(vm);
	if (ret)
		pr_warn("vm %u: worker attributes: %d\n", vm->id, ret);
}

void pvsched_engine_vm_stop(struct pvsched_vm *vm)
{
	if (vm->engine.worker) {
		kthread_destroy_worker(vm->engine.worker);
		vm->engine.worker = NULL;
	}
}

void pvsched_engine_set_events(u32 events)
{
	WRITE_ONCE(attached_events, events);
}

void pvsched_engine_get_share(int cpu, struct pvsched_engine_share *s)
{
	struct pvsched_cpu_share *cs = per_cpu_ptr(&cpu_shares, cpu);
	unsigned long flags;

	raw_spin_lock_irqsave(&cs->lock, flags);
	s->window_start_ns = cs->share.window_start;
	s->used_ns = cs->share.used_ns;
	raw_spin_unlock_irqrestore(&cs->lock, flags);
	s->throttles = atomic64_read(&cs->throttles);
}

int pvsched_engine_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct pvsched_cpu_share *cs = per_cpu_ptr(&cpu_shares, cpu);

		raw_spin_lock_init(&cs->lock);
		atomic64_set(&cs->throttles, 0);
	}
	return 0;
}

/*
 * Module unload: the control plane has stopped every vCPU and destroyed
 * every session's worker already, and the probes are detached
 * (pvsched_chardev_exit() and pvsched_tp_exit() run first).
 */
void pvsched_engine_exit(void)
{
	WARN_ON_ONCE(!hash_empty(tasks));
}
