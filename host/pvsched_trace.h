/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvsched's own tracepoints (trace-cmd record -e pvsched):
 *   pvsched_boost, pvsched_unboost, pvsched_throttle, pvsched_unthrottle:
 *     vm_id vcpu_id tid reason old_policy old_prio old_nice
 *     new_policy new_prio new_nice
 *   pvsched_apply: an attribute change made effective, direct (in the vCPU
 *     thread at the event) or deferred (by the pvsched worker), with the
 *     delay from the decision to the change and sched_setattr's result.
 *   pvsched_kick: an interrupt became pending for a registered vCPU whose
 *     thread was preempted (kvm_vcpu_kick with vcpu->preempted), and
 *     whether the kick's own boost raised it (kick boost; not a boost the
 *     same decision made for another cause, such as a throttle's end).
 *   pvsched_share: the host-wide RT share of host CPU cpu is used up: the
 *     vCPU's boost for reason is refused or ended, and it waits at its
 *     base until until_ns (CLOCK_MONOTONIC), the end of the CPU's window.
 *   pvsched_rebase: someone else changed the thread's attributes (chrt,
 *     libvirt); its base, what pvsched returns it to, was old_base and is
 *     new_base from now on (policy/prio/nice each).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM pvsched

#if !defined(_PVSCHED_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _PVSCHED_TRACE_H

#include <linux/tracepoint.h>
#include "pvsched_policy.h"

#define pvsched_show_reason(r)                                   \
	__print_symbolic(r, { PVSCHED_REASON_CRIT_SECTION, "crit_section" }, \
			 { PVSCHED_REASON_TASK_PRIO, "task_prio" },      \
			 { PVSCHED_REASON_HALT, "halt" },                \
			 { PVSCHED_REASON_INTR, "intr" })

/*
 * Every event is about one vCPU: its session, id and thread come first
 * (fields vm_id, vcpu_id, tid), assigned by this.
 */
#define PVSCHED_TP_VCPU_ASSIGN                                   \
	do {                                                     \
		__entry->vm_id = vm_id;                          \
		__entry->vcpu_id = vcpu_id;                      \
		__entry->tid = tid;                              \
	} while (0)

DECLARE_EVENT_CLASS(pvsched_change,
	TP_PROTO(u32 vm_id, u32 vcpu_id, pid_t tid, u32 reason,
		 const struct pvsched_attr *old, const struct pvsched_attr *new),
	TP_ARGS(vm_id, vcpu_id, tid, reason, old, new),
	TP_STRUCT__entry(
		__field(u32, vm_id) __field(u32, vcpu_id) __field(pid_t, tid)
		__field(u32, reason)
		__field(u32, old_policy) __field(u32, old_prio) __field(s32, old_nice)
		__field(u32, new_policy) __field(u32, new_prio) __field(s32, new_nice)
	),
	TP_fast_assign(
		PVSCHED_TP_VCPU_ASSIGN;
		__entry->reason = reason;
		__entry->old_policy = old->policy;
		__entry->old_prio = old->rt_prio;
		__entry->old_nice = old->nice;
		__entry->new_policy = new->policy;
		__entry->new_prio = new->rt_prio;
		__entry->new_nice = new->nice;
	),
	TP_printk("vm=%u vcpu=%u tid=%d reason=%s old=%u/%u/%d new=%u/%u/%d",
		  __entry->vm_id, __entry->vcpu_id, __entry->tid,
		  pvsched_show_reason(__entry->reason), __entry->old_policy,
		  __entry->old_prio, __entry->old_nice, __entry->new_policy,
		  __entry->new_prio, __entry->new_nice)
);

/* The events of the class, one per PVSCHED_TR_* bit but the kick. */
#define PVSCHED_CHANGE_EVENT(name)                                            \
	DEFINE_EVENT(pvsched_change, name,                                    \
		     TP_PROTO(u32 vm_id, u32 vcpu_id, pid_t tid, u32 reason,  \
			      const struct pvsched_attr *old,                 \
			      const struct pvsched_attr *new),                \
		     TP_ARGS(vm_id, vcpu_id, tid, reason, old, new))
PVSCHED_CHANGE_EVENT(pvsched_boost);
PVSCHED_CHANGE_EVENT(pvsched_unboost);
PVSCHED_CHANGE_EVENT(pvsched_throttle);
PVSCHED_CHANGE_EVENT(pvsched_unthrottle);

TRACE_EVENT(pvsched_apply,
	TP_PROTO(u32 vm_id, u32 vcpu_id, pid_t tid, bool deferred,
		 u64 delay_ns, const struct pvsched_attr *attr, int ret),
	TP_ARGS(vm_id, vcpu_id, tid, deferred, delay_ns, attr, ret),
	TP_STRUCT__entry(
		__field(u32, vm_id) __field(u32, vcpu_id) __field(pid_t, tid)
		__field(bool, deferred)
		__field(u64, delay_ns)
		__field(u32, policy) __field(u32, prio) __field(s32, nice)
		__field(int, ret)
	),
	TP_fast_assign(
		PVSCHED_TP_VCPU_ASSIGN;
		__entry->deferred = deferred;
		__entry->delay_ns = delay_ns;
		__entry->policy = attr->policy;
		__entry->prio = attr->rt_prio;
		__entry->nice = attr->nice;
		__entry->ret = ret;
	),
	TP_printk("vm=%u vcpu=%u tid=%d %s delay_ns=%llu attr=%u/%u/%d ret=%d",
		  __entry->vm_id, __entry->vcpu_id, __entry->tid,
		  __entry->deferred ? "deferred" : "direct",
		  (unsigned long long)__entry->delay_ns, __entry->policy,
		  __entry->prio, __entry->nice, __entry->ret)
);

/*
 * The class's record with the bases as old and new; reason is not used
 * (0): a rebase is nobody's boost.
 */
DEFINE_EVENT_PRINT(pvsched_change, pvsched_rebase,
	TP_PROTO(u32 vm_id, u32 vcpu_id, pid_t tid, u32 reason,
		 const struct pvsched_attr *old, const struct pvsched_attr *new),
	TP_ARGS(vm_id, vcpu_id, tid, reason, old, new),
	TP_printk("vm=%u vcpu=%u tid=%d old_base=%u/%u/%d new_base=%u/%u/%d",
		  __entry->vm_id, __entry->vcpu_id, __entry->tid,
		  __entry->old_policy, __entry->old_prio, __entry->old_nice,
		  __entry->new_policy, __entry->new_prio, __entry->new_nice)
);

/*
 * An interrupt made pending for a preempted vCPU, or (0.3) for one in the
 * host from its own thread: then the event's task is the vCPU thread.
 * "preempted" stays in the text for the parsers of 0.2's traces.
 */
TRACE_EVENT(pvsched_kick,
	TP_PROTO(u32 vm_id, u32 vcpu_id, pid_t tid, bool boosted),
	TP_ARGS(vm_id, vcpu_id, tid, boosted),
	TP_STRUCT__entry(
		__field(u32, vm_id) __field(u32, vcpu_id) __field(pid_t, tid)
		__field(bool, boosted)
	),
	TP_fast_assign(
		PVSCHED_TP_VCPU_ASSIGN;
		__entry->boosted = boosted;
	),
	TP_printk("vm=%u vcpu=%u tid=%d preempted boosted=%d",
		  __entry->vm_id, __entry->vcpu_id, __entry->tid,
		  __entry->boosted)
);

TRACE_EVENT(pvsched_share,
	TP_PROTO(u32 vm_id, u32 vcpu_id, pid_t tid, u32 reason, int cpu,
		 u64 until_ns),
	TP_ARGS(vm_id, vcpu_id, tid, reason, cpu, until_ns),
	TP_STRUCT__entry(
		__field(u32, vm_id) __field(u32, vcpu_id) __field(pid_t, tid)
		__field(u32, reason)
		__field(int, cpu)
		__field(u64, until_ns)
	),
	TP_fast_assign(
		PVSCHED_TP_VCPU_ASSIGN;
		__entry->reason = reason;
		__entry->cpu = cpu;
		__entry->until_ns = until_ns;
	),
	TP_printk("vm=%u vcpu=%u tid=%d reason=%s cpu=%d until_ns=%llu",
		  __entry->vm_id, __entry->vcpu_id, __entry->tid,
		  pvsched_show_reason(__entry->reason), __entry->cpu,
		  (unsigned long long)__entry->until_ns)
);

#endif /* _PVSCHED_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE pvsched_trace
#include <trace/define_trace.h>
