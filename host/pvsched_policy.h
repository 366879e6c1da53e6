/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvsched policy core: the pure decision logic of the host engine.
 *
 * No kernel headers beyond the tiny shim below: time is passed in (ns of a
 * monotonic clock), the state lives in storage supplied by the caller, and
 * every call returns a decision the caller carries out (apply an attribute,
 * publish the host area, arm a timer, emit trace events).  The very same
 * pvsched_policy.c is linked into pvsched.ko (PVSCHED_KERNEL defined) and
 * into the userspace unit tests (tests/unit/, ASan/UBSan, gcov).
 *
 * The caller serialises all calls on one struct pvsched_policy (the engine
 * holds the vCPU's raw spinlock).  Nothing here sleeps, allocates or locks.
 *
 * Policy summary (details at each function in pvsched_policy.c):
 *   VMEXIT   read the guest area; target = max(translated task request,
 *            CS boost if a PVSCHED_CS_* flag is set), capped by the admin
 *            caps; the vCPU never goes below its base.  This is also where
 *            a HALT or INTR boost ends: the guest's own request decides.
 *   VMENTER  account time; publish the host area (VMENTERED).
 *   HALT     boost to the VM's intr attribute (reason HALT); status HALTED.
 *            KVM may poll before it blocks (halt polling): the thread
 *            still runs, so the continuous-boost clock keeps running.
 *   BLOCK    the vCPU thread is about to sleep (kvm_vcpu_block(): after
 *            the halt polling, or for a vCPU waiting for a SIPI): the
 *            clock is paused until it runs again.  Without a BLOCK event
 *            (limits.block_at_halt), HALT pauses it.
 *   INJECT   boost to the VM's intr attribute (reason INTR); status gets
 *            PVSCHED_VCPU_STATUS_INTR_INJECTED until the next VMEXIT.
 *   WAKEUP   the halt ended: the continuous-boost clock runs again.
 *   KICK     an interrupt became pending while the vCPU thread was
 *            preempted (runnable, not running): boost to the VM's intr
 *            attribute (reason INTR) unless PVSCHED_PARAMS_NO_KICK_BOOST.
 *   KICK_RUNNING  the same while the vCPU is in guest mode (the caller
 *            checked KVM's vcpu->mode): the VMEXIT that follows boosts it
 *            instead of demoting it before it could inject.  Pending only
 *            until that exit: the next VMENTER or INJECT drops it (a kick
 *            that raced with the exit is then handled by the injection).
 *   POSTED   an interrupt was posted (APICv, AVIC) for a vCPU whose thread
 *            is preempted: KVM called kvm_vcpu_wake_up(), which wakes
 *            nothing for a runnable thread; boosted like KICK (the same
 *            flag turns both off), counted in wakes too.
 *   DEADLINE the guest programmed its TSC-deadline timer: counted; the
 *            engine arms a shadow timer for its host time.
 *   TIMER_DUE  that shadow timer expired while the thread was preempted:
 *            the guest's timer interrupt is due and, with the VMX
 *            preemption timer, nothing else on the host knows (it counts
 *            only in guest mode); the interrupt boost, held like a kick's
 *            (unless PVSCHED_PARAMS_NO_TIMER_BOOST).
 *   USERSPACE  KVM_RUN returns to the VMM: nothing to decide (the engine
 *            applies a demotion it left for the next VM entry).
 *   TIMER    the deadline armed by a previous decision expired.
 *   Idle hold: at VMEXIT, if the guest says PVSCHED_GUEST_IDLE (its idle
 *   task runs: it is on its way to HLT), a boost in force is not lowered
 *   (unless PVSCHED_PARAMS_NO_IDLE_HOLD); a stronger request still raises.
 *   Interrupt hold: an INTR boost (INJECT, KICK) is not lowered at VMEXIT
 *   until the guest shows it took the interrupt (a CS flag, or its seq
 *   moved) or PVSCHED_IRQ_HOLD_MAX_NS passed (unless
 *   PVSCHED_PARAMS_NO_IRQ_HOLD).  After a KICK or KICK_RUNNING the guest
 *   shows nothing until KVM has injected the interrupt (INJECT, which
 *   anchors the hold's seq again; its end stays): a seq it moved before,
 *   e.g. in a switch made with interrupts off while the interrupt waited,
 *   is not the interrupt taken.  A guest without the driver (seq still
 *   zero) shows nothing: its hold ends at HALT or after
 *   PVSCHED_IRQ_HOLD_MAX_NS.  Not once the vCPU has had a POSTED
 *   event: KVM then delivers through the posted path, where no INJECT
 *   comes.
 *   Halted time pays the boost budget back like time at base: a vCPU that
 *   halts gives its CPU back.
 *   Transitions cost: each boost start and each return to base charges
 *   limits.transition_ns to the budget, so a guest that flips its request
 *   at a high rate (each flip a sched_setattr() on the host) meets the
 *   throttle however short its boosts are.
 *   Throttle: boosted (and running) for max_boost_ns in a row -> back to
 *   base for throttle_ns, boost requests ignored meanwhile; then the last
 *   guest request is evaluated again.  "In a row" tolerates short gaps:
 *   time at base pays back boost time one for one (a leaky budget), so a
 *   guest cannot dodge the throttle by dropping its request now and then.
 *   A throttle pays back in proportion to its length, at the VM's rate
 *   max_boost_ns/throttle_ns: a whole window repays a whole budget, a
 *   shorter one (the host share's, below) proportionally less.  The admin's
 *   max_duty_pct lengthens the window at run time so that
 *   max_boost/(max_boost + throttle) stays within it.
 *   Host share: the engine accounts the CPU time every RT-boosted vCPU
 *   thread runs on a host CPU, per window (pvsched_share_charge()); once
 *   the CPU's share is used up (limits.share_until), a boost that would
 *   start or goes on is refused: the vCPU is throttled until the window
 *   rolls (PVSCHED_TR_SHARE, counted in share_throttles).  What a window
 *   ran over its share is charged to the next one.
 *   Feature envelope: guest input is read only for the features the VMM
 *   offered (limits.withheld: the ones it did not); the rest of the guest
 *   area reads as "nothing asked", counted in guest_unoffered.
 *   Base: the thread's own attributes, which someone else may change while
 *   it is registered (chrt, libvirt): pvsched_policy_seen() says whether
 *   what the engine reads from the thread is still what it applied, and
 *   what the new base is if not; pvsched_policy_rebase() adopts it.
 */
#ifndef _PVSCHED_POLICY_H
#define _PVSCHED_POLICY_H

#ifdef PVSCHED_KERNEL
#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/math64.h>
#include <asm/barrier.h>
#define pvsched_div64(a, b) div64_u64(a, b)
/* Barriers of the seq protocol (uapi header): pair guest wmb/host rmb. */
#define pvsched_rmb() smp_rmb()
/* Host-area writer: pairs with the guest's read barriers. */
#define pvsched_wmb() smp_wmb()
#define PVSCHED_READ(x) READ_ONCE(x)
#define PVSCHED_WRITE(x, v) WRITE_ONCE(x, v)
#else
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
typedef uint32_t u32;
typedef int32_t s32;
typedef uint64_t u64;
typedef int64_t s64;
#define PVSCHED_READ(x) (*(const volatile __typeof__(x) *)&(x))
#define PVSCHED_WRITE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#define pvsched_div64(a, b) ((a) / (b))
/* the kernel's spelling (compiler_attributes.h), for GCC and clang */
#define fallthrough __attribute__((__fallthrough__))
#ifdef PVSCHED_TEST_HOOKS
/* The unit tests interpose on the read barrier to tear snapshots. */
void pvsched_test_rmb(void);
#define pvsched_rmb() pvsched_test_rmb()
#else
#define pvsched_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#endif
#define pvsched_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#endif

#include "../uapi/linux/pvsched.h"

/* Scheduling policies, values of include/uapi/linux/sched.h. */
#define PVSCHED_SCHED_NORMAL 0
#define PVSCHED_SCHED_FIFO 1
#define PVSCHED_SCHED_RR 2
#define PVSCHED_SCHED_BATCH 3
#define PVSCHED_SCHED_IDLE 5
#define PVSCHED_SCHED_DEADLINE 6

/*
 * Bounds of the scheduling attributes (sched(7)): nice -20..19, SCHED_FIFO
 * and SCHED_RR priority 1..99.  An admin cap on the priority stops at 98,
 * below the engine's worker at 99 (pvsched_engine.c), which must preempt a
 * boosted vCPU to demote it.  Plain numbers: pvsched_caps.c prints them in
 * its parameters' descriptions.
 */
#define PVSCHED_NICE_MIN -20
#define PVSCHED_NICE_MAX 19
#define PVSCHED_RT_PRIO_MIN 1
#define PVSCHED_RT_PRIO_MAX 99
#define PVSCHED_CAP_RT_PRIO_MAX 98

/*
 * Defaults of a new session (pvsched_caps.c's default_* parameters start
 * here; see the README section "The host policy"):
 *   boost SCHED_RR 1 for critical sections and for interrupts/HLT: above
 *   every fair task, and below every RT task of the host but the kernel's
 *   own FIFO 1 threads of PREEMPT_RT kernels (rcuc, ktimers), which it
 *   shares a priority with and never preempts.  An RT task of the host at
 *   the boost's priority would share round-robin slices with the vCPU (the
 *   seed's RR 8 met the host's RR 8 cyclictest that way: its worst case
 *   went from 12.6 ms to 97.9 ms); above the admin's max_rt_prio (the RT
 *   ceiling, default PVSCHED_DEFAULT_RT_CEILING) it always preempts.
 *   max_boost 20 ms: far longer than any legitimate guest critical section
 *   or interrupt handler (microseconds to a few hundred microseconds) and
 *   than a guest tick (1-4 ms), so well-behaved guests are never throttled,
 *   yet 50 times shorter than 6.1's RT throttling (950 ms per 1 s).  From
 *   6.12 Debian's kernels (no RT_GROUP_SCHED) have no RT throttling but the
 *   fair deadline server (50 ms per 1 s for fair tasks): pvsched's own
 *   throttle is the brake on a runaway RT vCPU there.
 *   throttle 10 ms: a hostile vCPU that stays boosted gets at most
 *   20/(20+10) = 2/3 of its CPU at RT priority, other host tasks at least
 *   1/3 (a nice-0 hog beside it: ~1/6), and the guest's own worst-case
 *   extra latency is bounded by one 10 ms window (a few guest ticks).
 */
#define PVSCHED_DEFAULT_BOOST_POLICY PVSCHED_SCHED_RR
#define PVSCHED_DEFAULT_BOOST_RT_PRIO 1
#define PVSCHED_DEFAULT_MAX_BOOST_NS 20000000ULL
#define PVSCHED_DEFAULT_THROTTLE_NS 10000000ULL

/*
 * The admin's host-wide bounds (pvsched_caps.c; README "The host-wide
 * bound"):
 *   RT ceiling 4 (max_rt_prio): the highest RT priority any vCPU gets,
 *   boosted or translated from a guest's RT task.  Host RT tasks above it
 *   (threaded IRQ handlers at FIFO 50, audio and PTP daemons, cyclictest,
 *   watchdogs) always preempt a boosted vCPU; priorities 1..4 stay usable
 *   for the guests' own ordering.
 *   max duty 70 %: max_boost/(max_boost + throttle) of a session; the
 *   defaults above (20 ms / 10 ms, 67 %) fit, 1 s / 1 ms (99.9 %) does not.
 *   host share 50 % of each CPU per 100 ms window: every registered
 *   vCPU's RT-boosted run time on one host CPU together; the other half is
 *   scheduled by the fair class among the host's tasks and the vCPUs at
 *   their base.  A 100 ms window keeps the longest run of boosted time a
 *   host task may wait behind at 50 ms (a 1 s window would allow 500 ms).
 */
#define PVSCHED_DEFAULT_RT_CEILING 4
#define PVSCHED_DEFAULT_MAX_DUTY_PCT 70
#define PVSCHED_DEFAULT_CPU_SHARE_PCT 50
#define PVSCHED_DEFAULT_CPU_SHARE_WINDOW_NS 100000000ULL
/*
 * A boosted vCPU's timer rechecks its CPU's share at most this often: the
 * CPU time it is charged with comes from the scheduler, which updates it
 * at its ticks (4 ms at HZ 250), so checking more often learns nothing.
 */
#define PVSCHED_SHARE_RECHECK_MIN_NS 1000000ULL

/*
 * What one transition (boost start or return to base) costs the budget:
 * 10 us, a sched_setattr() and the preemption it brings on a real host, a
 * few times over.  A guest taking 10,000 interrupts a second, each a boost
 * and an unboost, is charged 200 ms a second, which its time at base pays
 * back; one that flips its request at every VM exit (hundreds of thousands
 * a second) is charged seconds a second and meets the throttle within a
 * few milliseconds whatever its boosts last.
 */
#define PVSCHED_TRANSITION_COST_NS 10000ULL

/* Guest-area snapshot retries before giving up (torn read). */
#define PVSCHED_GUEST_READ_RETRIES 4

/* A scheduling attribute: policy and the parameter that matters for it. */
struct pvsched_attr {
	u32 policy; /* PVSCHED_SCHED_* */
	s32 nice; /* fair policies */
	u32 rt_prio; /* FIFO/RR: 1..99; 0 otherwise */
};

/* What bounds one decision: admin caps and the VM's params, raw. */
struct pvsched_policy_limits {
	u32 max_policy; /* admin: NORMAL < RR < FIFO */
	u32 max_rt_prio; /* admin: 1..98 */
	s32 min_nice; /* admin: -20..19 */
	u64 max_boost_cap_ns; /* admin: largest max_boost_ns (0: none) */
	u64 min_throttle_ns; /* admin: smallest throttle_ns */
	struct pvsched_attr cs; /* VM: critical-section boost */
	struct pvsched_attr intr; /* VM: interrupt/HLT boost */
	u64 max_boost_ns; /* VM: continuous boost before throttling */
	u64 throttle_ns; /* VM: throttle window */
	u32 flags; /* VM: PVSCHED_PARAMS_NO_* (mechanisms turned off) */
	u64 withheld; /* VM: PVSCHED_F_* not offered, their guest input ignored */
	u64 transition_ns; /* engine: budget charged per boost start or end */
	u32 max_duty_pct; /* admin: max_boost/(max_boost+throttle), 1..99 (else none) */
	bool block_at_halt; /* engine: no BLOCK event: HALT pauses the clock */
	/*
	 * engine: the host-wide RT share of the vCPU's CPU
	 * (pvsched_share_charge()): used up until share_until (0: it is not),
	 * else share_left_ns of it left in the window (0: unbounded).
	 */
	u64 share_until;
	u64 share_left_ns;
	/* admin: that share (engine: pvsched_share_charge()'s bounds) */
	u64 share_window_ns;
	u64 share_ns;
};

/* A consistent copy of the guest area's request (raw, untrusted). */
struct pvsched_guest_snap {
	u32 flags;
	u32 policy;
	s32 nice;
	u32 rt_prio;
	u32 seq; /* even: the value both reads saw */
};

/*
 * Interrupts counted as accepted and not injected (pvsched_policy.irq_pending)
 * at most: a kick that is no new interrupt holds a boost no longer than
 * PVSCHED_IRQ_HOLD_MAX_NS anyway, and a count this deep is never needed.
 */
#define PVSCHED_IRQ_PENDING_MAX 3

enum pvsched_policy_event {
	PVSCHED_POL_VMEXIT,
	PVSCHED_POL_VMENTER,
	PVSCHED_POL_HALT,
	PVSCHED_POL_INJECT,
	PVSCHED_POL_WAKEUP,
	PVSCHED_POL_KICK,
	PVSCHED_POL_KICK_RUNNING,
	PVSCHED_POL_TIMER,
	PVSCHED_POL_POSTED,
	PVSCHED_POL_DEADLINE,
	PVSCHED_POL_TIMER_DUE,
	PVSCHED_POL_USERSPACE,
	PVSCHED_POL_BLOCK,
	/*
	 * A KICK in the vCPU's own thread, outside hard IRQ: KVM accepting an
	 * interrupt into its LAPIC's IRR as the thread handles an exit (its
	 * own timer's, a self-IPI, one it sends itself), injected at a later
	 * entry in priority order.
	 */
	PVSCHED_POL_KICK_ACCEPT,
	PVSCHED_POL_NR
};

/*
 * A vCPU's counters.  The core counts all but apply_*, which the engine
 * counts when it carries a decision out: every counter of GET_STATS in one
 * place, copied by the table of uapi/linux/pvsched_counters.h.
 */
struct pvsched_policy_counters {
	u64 exits, entries, halts, injections, wakeups;
	u64 kicks; /* KICK events: interrupts pending while preempted */
	u64 kick_boosts; /* kicks (either kind) that started a boost */
	u64 idle_holds; /* VMEXITs where the idle hint kept a boost */
	u64 irq_holds; /* VMEXITs where an untaken interrupt kept a boost */
	u64 wakes; /* POSTED events: posted interrupts while preempted */
	u64 deadlines; /* DEADLINE events: guest TSC-deadline writes */
	u64 timer_boosts; /* TIMER_DUE events that started a boost */
	u64 lazy_demotes; /* engine: demotions postponed to the VM entry */
	u64 quiet_exits; /* engine: exits with nothing new, no work done */
	u64 blocks; /* BLOCK events: the thread slept (after any halt polling) */
	u64 share_throttles; /* boosts refused or ended by the CPU's share */
	u64 boosted_cpu_ns; /* engine: CPU time run RT-boosted (the share's) */
	u64 base_changes; /* the thread changed by someone else: new base */
	u64 guest_unoffered; /* fresh snapshots using a withheld feature */
	u64 boosts[PVSCHED_REASON_NR]; /* boosts started or re-reasoned */
	u64 unboosts; /* returns to base because the request ended */
	u64 throttles;
	u64 boosted_ns; /* time spent boosted (halted or not) */
	u64 throttled_ns;
	u64 torn_reads;
	u64 guest_clamped, guest_refused, guest_invalid;
	u64 clock_backwards; /* events whose time went backwards */
	u64 apply_direct; /* engine: changes applied in the vCPU thread */
	u64 apply_deferred; /* engine: changes applied by its worker */
	u64 apply_errors; /* engine: sched_setattr() failures */
};

struct pvsched_policy {
	struct pvsched_attr base; /* saved at registration, or rebased */
	struct pvsched_attr cur; /* decided (and handed out to apply) */
	u32 state; /* PVSCHED_STATE_* */
	u32 reason; /* PVSCHED_REASON_* of the boost, if BOOSTED */
	u32 status; /* host-area vcpu_status */
	bool halted; /* asleep: BLOCK (or HALT) to WAKEUP/INJECT/VMENTER/VMEXIT */
	struct pvsched_guest_snap snap; /* last consistent guest snapshot */
	u64 now_last; /* latest time seen, for the monotonic clamp */
	u64 acct_last; /* boosted/throttled time accounted up to here */
	u64 boost_run_ns; /* continuous boost used before run_since */
	u64 run_since; /* boosted and running since (valid !halted) */
	u64 unboost_at; /* last return to base (unboost or throttle) */
	u64 halt_since; /* halted since (valid while halted) */
	bool irq_hold; /* an INTR boost waits for the guest to take it */
	bool kick_pending; /* KICK_RUNNING seen, the next VMEXIT boosts */
	bool irq_undelivered; /* the held kick's interrupt not accepted yet */
	u32 irq_pending; /* interrupts accepted (KICK_ACCEPT), not injected yet */
	bool posted_delivery; /* a POSTED event seen: KVM may deliver unseen */
	u32 irq_hold_seq; /* guest seq when it began, or at the injection */
	u64 irq_hold_until; /* ... and when it ends at the latest */
	u64 throttle_until;
	u64 throttle_since; /* when the throttle began (it pays back from there) */
	struct pvsched_policy_counters cnt;
};

/* pvsched_decision.trace bits: events the caller should trace. */
#define PVSCHED_TR_BOOST (1u << 0)
#define PVSCHED_TR_UNBOOST (1u << 1)
#define PVSCHED_TR_THROTTLE (1u << 2)
#define PVSCHED_TR_UNTHROTTLE (1u << 3)
#define PVSCHED_TR_KICK (1u << 4) /* a KICK event, boost or not */
#define PVSCHED_TR_SHARE (1u << 5) /* the CPU's share refused or ended a boost */
/*
 * The KICK's own boost started or raised one (pvsched_kick's boosted): not
 * a boost the same decision made for another cause (a throttle's end).
 */
#define PVSCHED_TR_KICK_BOOST (1u << 6)

struct pvsched_decision {
	bool apply; /* cur changed: make it effective */
	bool to_base; /* new equals base: restore the saved base attrs */
	bool publish; /* write the host area */
	u32 trace; /* PVSCHED_TR_* */
	u32 reason; /* reason of the boost/unboost/throttle */
	struct pvsched_attr old_attr, new_attr;
	u64 deadline; /* timer to arm (absolute ns); 0: cancel it */
};

/* pvsched_policy_translate() result bits */
#define PVSCHED_XLATE_CLAMPED (1u << 0)
#define PVSCHED_XLATE_REFUSED (1u << 1)
#define PVSCHED_XLATE_INVALID (1u << 2)

/*
 * An attribute in the form the core compares: rt_prio only for FIFO/RR
 * (nice 0 there), nice for every other policy (rt_prio 0).
 */
void pvsched_attr_normalize(struct pvsched_attr *a);
/* SCHED_NORMAL 0 < SCHED_RR 1 < SCHED_FIFO 2; -1 for any other policy. */
int pvsched_policy_rank(u32 policy);
/*
 * A boost attribute as a session may set it (SET_PARAMS): policy NORMAL,
 * RR or FIFO, rt_prio within the bounds for RR/FIFO and 0 for NORMAL, nice
 * within the bounds.  Whether the admin caps allow it is not checked here.
 */
bool pvsched_attr_valid(const struct pvsched_attr *a);
int pvsched_attr_cmp(const struct pvsched_attr *a, const struct pvsched_attr *b);
bool pvsched_attr_eq(const struct pvsched_attr *a, const struct pvsched_attr *b);
u32 pvsched_policy_cap(struct pvsched_attr *attr,
		       const struct pvsched_policy_limits *lim);
u32 pvsched_policy_translate(const struct pvsched_guest_snap *snap,
			     const struct pvsched_policy_limits *lim,
			     struct pvsched_attr *out);
void pvsched_policy_boost_attr(const struct pvsched_attr *param,
			       const struct pvsched_policy_limits *lim,
			       struct pvsched_attr *out);
u64 pvsched_policy_max_boost_ns(const struct pvsched_policy_limits *lim);
u64 pvsched_policy_throttle_ns(const struct pvsched_policy_limits *lim);
/*
 * The shortest throttle window that keeps max_boost/(max_boost + throttle)
 * within @max_duty_pct percent (0 if @max_duty_pct is 0 or >= 100: no cap).
 * SET_PARAMS refuses a shorter one; at run time the window is lengthened.
 */
u64 pvsched_duty_min_throttle_ns(u64 max_boost_ns, u32 max_duty_pct);

/*
 * The host-wide RT share of one host CPU: the RT-boosted run time of every
 * registered vCPU thread on it, per window.  The engine keeps one per CPU
 * under a lock of its own and charges it with what each thread ran since
 * its last charge.
 */
struct pvsched_share {
	u64 window_start;
	u64 used_ns;
};

/*
 * Charge @ns of boosted run time at @now to @s, whose window lasts
 * @window_ns and allows @share_ns of it (@share_ns 0 or >= @window_ns: no
 * bound).  A window that ended is rolled first, the next one starting with
 * what the old one ran over its share (at most a whole share).  Returns the
 * end of the window if the share is used up (boosts refused until then),
 * else 0 with *left the time left in it (0: unbounded).
 */
u64 pvsched_share_charge(struct pvsched_share *s, u64 window_ns, u64 share_ns,
			 u64 now, u64 ns, u64 *left);

bool pvsched_guest_read(const struct pvsched_guest_area *ga,
			struct pvsched_guest_snap *out, unsigned int retries);
void pvsched_host_publish(struct pvsched_vcpu_slot *slot,
			  const struct pvsched_policy *p);
void pvsched_host_publish_stopped(struct pvsched_vcpu_slot *slot,
				  const struct pvsched_policy *p);

void pvsched_policy_init(struct pvsched_policy *p,
			 const struct pvsched_attr *base, u64 now);
void pvsched_policy_event(struct pvsched_policy *p,
			  const struct pvsched_policy_limits *lim,
			  enum pvsched_policy_event ev,
			  const struct pvsched_guest_area *ga, u64 now,
			  struct pvsched_decision *d);
/*
 * Someone else changed the thread?  @seen: its attributes as read now, with
 * nice = its nice whatever the policy (the kernel keeps a thread's nice
 * aside while it is RT or DEADLINE, and sets it only for a fair policy);
 * @applied: what pvsched gave it last (normalized), @aside_nice the nice it
 * kept then.  False if @seen is just that.  Otherwise true, and *base is
 * the thread's new base: @seen (normalized), or, when only the nice set
 * aside under an RT attribute moved (a renice while boosted), the old base
 * with that nice if the base is not RT.
 */
bool pvsched_policy_seen(const struct pvsched_policy *p,
			 const struct pvsched_attr *applied, s32 aside_nice,
			 const struct pvsched_attr *seen,
			 struct pvsched_attr *base);
/*
 * Adopt @base (from pvsched_policy_seen()) as the thread's base at @now.  A
 * boost still above it goes on; one at or below it ends (at base now,
 * without an unboost: the guest did not ask); a throttle stays.  *d as for
 * an event: apply if cur moved, publish, the timer's deadline.
 */
void pvsched_policy_rebase(struct pvsched_policy *p,
			   const struct pvsched_policy_limits *lim,
			   const struct pvsched_attr *base, u64 now,
			   struct pvsched_decision *d);
/*
 * Whether a demotion decided at a VM exit is applied at that exit (true) or
 * left to the next VM entry (the engine's lazy demotion): the session's
 * PVSCHED_PARAMS_NO_LAZY_DEMOTE, or the guest's PVSCHED_GUEST_EXIT_DEMOTE in
 * its last snapshot when PVSCHED_F_EXIT_DEMOTE was offered.
 */
bool pvsched_policy_demote_at_exit(const struct pvsched_policy *p,
				   const struct pvsched_policy_limits *lim);
/* Final accounting at unregistration; true if cur differs from base. */
bool pvsched_policy_stop(struct pvsched_policy *p, u64 now);

#endif /* _PVSCHED_POLICY_H */
