// SPDX-License-Identifier: GPL-2.0
/*
 * pvsched_guest hooks: the only code that writes the slots' guest areas.
 *
 * Every hook runs on the CPU whose slot it writes and writes only that
 * slot.  Two kinds of writes (uapi/linux/pvsched.h):
 *
 *  - sched_policy/sched_nice/rt_prio, with the sequence counter (seq odd
 *    while writing).  Written from the sched_switch and sched_wakeup
 *    probes, which the scheduler calls with interrupts disabled (rq lock or
 *    p->pi_lock held), and from the local timer tick (hard IRQ, interrupts
 *    off); pvg_publish() disables interrupts anyway, so the only context
 *    that can interrupt a sequence write is an NMI, and NMIs never touch
 *    seq or those fields.
 *
 *  - flags (PVSCHED_CS_*), one 32-bit store outside the sequence protocol,
 *    from any context including NMI.  Each family keeps a per-CPU nesting
 *    depth; the outermost entry sets the family's bit in a per-CPU shadow
 *    with this_cpu_or() (one instruction, so atomic against interrupts and
 *    NMIs on this CPU), the outermost exit clears it, and each change is
 *    followed by storing the whole shadow word into the slot.  An NMI (or
 *    an interrupt) that lands between a shadow update and the store leaves
 *    the shadow as it found it, so the interrupted store is still right.
 *    An exit whose entry was not seen (probe registered in between) is
 *    counted and ignored.
 *
 * Lifetime: per-CPU state points at its slot (pvg_cpu.area) only while the
 * CPU is online and a region is attached; the CPU-hotplug callbacks set and
 * clear that pointer on the CPU itself with interrupts off, so a hook either
 * sees NULL and does nothing or sees a slot that stays mapped until
 * pvsched_hooks_stop() has unregistered every probe and waited for them.
 *
 * Slot identity (uapi/linux/pvsched.h, "Slot identity"): slot i is CPU i's
 * only if its header, once the host has written it, names this CPU's vCPU
 * (pvg_vcpu_id()).  Checked when the CPU takes its slot (online) and again
 * by the sched hooks before each publication (pvg_sched_area()), since the
 * VMM may register the slot's thread after the guest bound; a mismatch
 * drops the pointer (the sched hooks run on the CPU itself with interrupts
 * off, like the hotplug callbacks) and the slot is never written again.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/cpuhotplug.h>
#include <linux/cpu.h>
#include <linux/tracepoint.h>
#include <linux/sched.h>
#include <linux/sched/prio.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/irqflags.h>
#include <linux/interrupt.h>
#include <linux/irq_work.h>
#include <linux/sched/clock.h>
#include <asm/barrier.h>
#ifdef CONFIG_X86
#include <asm/nmi.h>
#include <asm/processor.h>
#endif
#include "pvsched_guest.h"

/* Per-CPU publishing state, touched only by hooks on that CPU. */
struct pvg_cpu {
	struct pvsched_guest_area *area; /* NULL: this CPU does not publish */
	u32 vcpu_id; /* this CPU's vCPU, as slot headers name it */
	bool refused; /* its slot names another vCPU: left alone */
	u32 refused_named, refused_pid; /* what that header said */
	struct irq_work refused_work; /* says so from outside a sched hook */
	/* the unboost exit of a switch, once the run-queue lock is released */
	struct irq_work switch_work;
	bool after_switch; /* switch_work ran: this hard IRQ's end may exit */
	u32 flags; /* shadow of area->flags */
	u32 seq; /* last value written to area->seq (even when idle) */
	u8 hardirq; /* nesting depths per family */
	u8 softirq;
	u8 nmi;
	u8 preempt;
	/* the request of the task running here, as of the last switch/tick */
	u32 run_policy;
	s32 run_nice;
	u32 run_rt_prio;
	/*
	 * RT hold: an RT task preempted here by a less urgent one, whose
	 * request stays published (pvg_publish_switch()).  The pointer is
	 * only compared, never followed: the task may have moved or exited.
	 */
	const struct task_struct *hold_task;
	u64 hold_since; /* local_clock() when the hold began */
	u32 hold_policy;
	s32 hold_nice;
	u32 hold_rt_prio;
	int hold_prio;
	/* the published request (seq-protected fields) */
	int prio; /* kernel prio of the request, DEFAULT_PRIO for none */
	u32 policy;
	s32 nice;
	u32 rt_prio;
};

/* Per-CPU counters, summed or listed by debugfs. */
struct pvg_counters {
	u64 switches; /* sched_switch probes run */
	u64 publishes; /* sequence-protected writes */
	u64 wake_raises; /* wakeups that raised the request */
	u64 tick_updates; /* running task changed its own priority */
	u64 hardirqs; /* outermost hard-IRQ entries */
	u64 softirqs; /* softirq entries */
	u64 nmis; /* NMIs seen */
	u64 preempt_offs; /* outermost preempt_disable */
	u64 user_enters; /* returns to user mode (context tracking) */
	u64 unmatched; /* exits without a seen entry, ignored */
	u64 unboost_exits; /* VM exits made to end a boost (unboost_exit) */
	u64 unboost_deferred; /* switches whose unboost exit waits for the unlock */
	u64 unboost_locked; /* interrupt ends that held a lock: no exit there */
	u64 slot_refused; /* slots refused: their header names another vCPU */
	u64 rt_holds; /* preempted RT tasks whose request stayed published */
	u64 rt_hold_expired; /* holds ended by rt_hold_us, not by the task */
};

static DEFINE_PER_CPU(struct pvg_cpu, pvg_cpu);
static DEFINE_PER_CPU(struct pvg_counters, pvg_counters);

/* Written by start/stop (under the core's mutex), read by the callbacks. */
static struct pvsched_guest_region *pvg_region;
static u32 pvg_families; /* families started */
static bool pvg_idle_hint; /* PVSCHED_F_IDLE_HINT negotiated */
static bool pvg_host_area; /* PVSCHED_F_HOST_AREA negotiated */
static bool pvg_boost_state; /* PVSCHED_F_BOOST_STATE negotiated */
static bool pvg_exit_demote; /* PVSCHED_F_EXIT_DEMOTE negotiated */

static int pvg_cpuhp_state = -1;
static unsigned long pvg_skip_warned;
#ifdef CONFIG_X86
static bool pvg_nmi_registered;
#endif

void pvsched_guest_area_clear(struct pvsched_guest_area *g)
{
	u32 seq = READ_ONCE(g->seq);

	seq += 1 + (seq & 1); /* odd */
	WRITE_ONCE(g->seq, seq);
	virt_wmb(); /* seq odd before the fields change */
	WRITE_ONCE(g->flags, 0);
	WRITE_ONCE(g->sched_policy, SCHED_NORMAL);
	WRITE_ONCE(g->sched_nice, 0);
	WRITE_ONCE(g->rt_prio, 0);
	WRITE_ONCE(g->reserved, 0);
	virt_wmb(); /* fields before seq even */
	WRITE_ONCE(g->seq, seq + 1);
}

/* The per-CPU shadow of the flags word to the slot (no seq needed). */
static __always_inline void pvg_flags_store(struct pvg_cpu *c,
					    struct pvsched_guest_area *g)
{
	WRITE_ONCE(g->flags, READ_ONCE(c->flags));
}

#ifdef CONFIG_X86
/*
 * One CPUID of the hypervisor leaf: it always exits to KVM, which handles
 * it in the kernel.  Written out rather than native_cpuid(), whose header
 * moved in 6.15 (asm/processor.h -> asm/cpuid/api.h).
 */
static inline void pvg_cpuid_exit(void)
{
	unsigned int eax = 0x40000000, ebx, ecx = 0, edx;

	asm volatile("cpuid"
		     : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx)
		     :
		     : "memory");
}
#endif

/*
 * The seed's "the guest requests unboost as soon as it is done": a fair
 * task that runs without VM exits (a busy loop) would otherwise keep the
 * boost its interrupt or RT task brought until the next exit, often the
 * next timer interrupt, and so keep its host thread boosted all along.
 * When the published request says "nothing", no critical section is open,
 * the CPU is not idle (HLT is an exit of its own) and the host boosts this
 * vCPU, move seq (the host's interrupt hold ends when it moves) and execute
 * CPUID, which always exits to KVM and is handled there.  Called from
 * sched_switch, the outermost hard-interrupt exit and softirq exit
 * (interrupts on in ksoftirqd: seq moves with them off).
 *
 * "The host boosts this vCPU" is the host's own word with
 * PVSCHED_F_BOOST_STATE (slot.host_boost, ABI 1.2), unless the boost_state
 * parameter is off.  An older host only shows the attributes it applied,
 * and a thread whose base is RT, a negative nice, BATCH or IDLE looks
 * boosted for ever there: a CPUID exit at every switch to a fair task and
 * every interrupt's end.  boost_state=0 brings that inference back on a
 * 1.2 host, so that the storm it makes can be measured against the host's
 * word.  The exit from sched_switch is taken with this CPU's runqueue lock
 * held: a 0.3 host (lazy demote) lowers the thread's priority only at the
 * next VM entry, so it is not preempted at this exit, holding that lock.
 * With PVSCHED_F_EXIT_DEMOTE (ABI 1.3) the host demotes at the exit, and
 * this driver makes the exit only where it holds no spinlock: a switch's
 * after the unlock (pvg_unboost_defer()), an interrupt's end only over
 * preemptible code (pvg_irq_end_may_exit()).
 */
static bool pvg_unboost_wanted(struct pvg_cpu *c, struct pvsched_guest_area *g)
{
	struct pvsched_vcpu_slot *s =
		container_of(g, struct pvsched_vcpu_slot, guest);
	u32 policy, hb;

	if (!pvsched_guest_unboost_exit || !pvg_host_area ||
	    c->prio < DEFAULT_PRIO ||
	    (READ_ONCE(c->flags) & PVSCHED_CS_ALL) || is_idle_task(current))
		return false;
	if (pvg_boost_state && READ_ONCE(pvsched_guest_boost_state)) {
		hb = READ_ONCE(s->host_boost);
		if (!(hb & PVSCHED_HOST_BOOSTED))
			return false;
		/*
		 * Boosted for this very request (a base below it: a SCHED_IDLE
		 * thread lifted to the nice-0 task now running): the exit
		 * would change nothing, at every switch.
		 */
		if ((hb & PVSCHED_HOST_REASON_MASK) >> PVSCHED_HOST_REASON_SHIFT ==
			    PVSCHED_REASON_TASK_PRIO &&
		    READ_ONCE(s->host.sched_policy) == SCHED_NORMAL &&
		    (s32)READ_ONCE(s->host.sched_nice) == c->nice)
			return false;
		return true;
	}
	policy = READ_ONCE(s->host.sched_policy);
	return policy != SCHED_NORMAL || (s32)READ_ONCE(s->host.sched_nice) < 0;
}

static void pvg_unboost_exit(struct pvg_cpu *c, struct pvsched_guest_area *g)
{
#ifdef CONFIG_X86
	unsigned long irqflags;

	if (!pvg_unboost_wanted(c, g))
		return;
	/* same fields, a new even seq: readers retry or see it moved */
	local_irq_save(irqflags);
	c->after_switch = false;
	c->seq += 2;
	WRITE_ONCE(g->seq, c->seq);
	local_irq_restore(irqflags);
	pvg_cpuid_exit();
	this_cpu_inc(pvg_counters.unboost_exits);
#endif
}

/*
 * The unboost exit of a switch with PVSCHED_F_EXIT_DEMOTE: not here, with
 * the run-queue lock held (the host now demotes at the exit, and the
 * vCPU would often be preempted holding it), but once the lock is
 * released: PVSCHED_CS_SWITCH says "switching" until then, so that an
 * exit in between (the self-IPI of switch_work, which the guest takes as
 * soon as the scheduler enables interrupts with the unlock) sees a
 * request and demotes nothing.  Interrupts are off.
 */
static void pvg_unboost_defer(struct pvg_cpu *c, struct pvsched_guest_area *g)
{
	c->after_switch = false;
	if (!pvg_unboost_wanted(c, g))
		return;
	this_cpu_or(pvg_cpu.flags, PVSCHED_CS_SWITCH);
	pvg_flags_store(c, g);
	irq_work_queue(&c->switch_work);
	this_cpu_inc(pvg_counters.unboost_deferred);
}

/*
 * switch_work: the run-queue lock of the switch that queued it is released
 * (interrupts came back on with the unlock).  Clear PVSCHED_CS_SWITCH and
 * make the exit, here if no hard-IRQ flag is up (the IRQ family off), else
 * at the end of this hard IRQ (pvg_hardirq_exit(), after_switch), where
 * the host no longer sees PVSCHED_CS_HARDIRQ.
 */
static void pvg_switch_work(struct irq_work *w)
{
	struct pvg_cpu *c = container_of(w, struct pvg_cpu, switch_work);
	struct pvsched_guest_area *g = READ_ONCE(c->area);
	unsigned long irqflags;

	if (!g)
		return;
	local_irq_save(irqflags);
	this_cpu_and(pvg_cpu.flags, ~PVSCHED_CS_SWITCH);
	pvg_flags_store(c, g);
	/* only pvg_hardirq_exit() reads it, and clears it */
	c->after_switch = READ_ONCE(c->flags) & PVSCHED_CS_HARDIRQ;
	local_irq_restore(irqflags);
	if (!c->after_switch)
		pvg_unboost_exit(c, g);
}

/*
 * May an interrupt's end make the unboost exit?  With PVSCHED_F_EXIT_DEMOTE
 * only if the code it interrupted holds no spinlock (preemptible: no
 * preempt-disable level below this interrupt's own count; the point right
 * after a switch's unlock is pvg_hardirq_exit()'s after_switch).  Without
 * it, as before: the host's lazy demotion keeps the thread until the next
 * entry.
 */
static bool pvg_irq_end_may_exit(struct pvg_cpu *c)
{
	if (!pvg_exit_demote)
		return true;
	if (IS_ENABLED(CONFIG_PREEMPT_COUNT) && !(preempt_count() & PREEMPT_MASK))
		return true;
	this_cpu_inc(pvg_counters.unboost_locked);
	return false;
}

/* --- slot identity ---------------------------------------------------------- */

/*
 * The vcpu_id the VMM registered this guest CPU's vCPU with, as the guest
 * can know it without the VMM's word: on x86 the CPU's ACPI processor UID
 * (QEMU builds its MADT from the possible CPUs in cpu-index order and
 * numbers each entry by its index, and pvschedctl registers vcpu_id =
 * cpu-index), or its initial APIC ID for a guest without ACPI (equal to
 * the cpu-index for QEMU's topologies whose counts are powers of two);
 * elsewhere the CPU number, the ABI's own convention.
 */
static u32 pvg_vcpu_id(unsigned int cpu)
{
#ifdef CONFIG_X86
	u32 acpi_id = per_cpu(x86_cpu_to_acpiid, cpu);

	if (acpi_id != U32_MAX)
		return acpi_id;
	return per_cpu(x86_cpu_to_apicid, cpu);
#else
	return cpu;
#endif
}

/*
 * May this CPU (@vcpu_id) write slot @s?  Yes while the host has not
 * written its header (vcpu_pid 0: no thread registered, nothing reads the
 * slot), or if the header names this vCPU.  *@named: the vCPU it names.
 * The host writes vcpu_id before vcpu_pid.
 */
static bool pvg_slot_ours(const struct pvsched_vcpu_slot *s, u32 vcpu_id,
			  u32 *named, u32 *pid)
{
	*pid = READ_ONCE(s->header.vcpu_pid);
	virt_rmb(); /* vcpu_id is written first */
	*named = READ_ONCE(s->header.vcpu_id);
	return !*pid || *named == vcpu_id;
}

/* The kernel-log line of pvg_sched_area()'s refusal, on the same CPU. */
static void pvg_refused_msg(struct irq_work *w)
{
	struct pvg_cpu *c = container_of(w, struct pvg_cpu, refused_work);

	pr_warn("CPU %u: its slot now names vCPU %u (host thread %u), this CPU is vCPU %u: slot cleared and no longer written\n",
		smp_processor_id(), c->refused_named, c->refused_pid,
		c->vcpu_id);
}

/*
 * The area of this CPU's slot for a sched hook about to publish (interrupts
 * off), NULL if the CPU does not publish, or no longer: its slot's header
 * now names another vCPU (registered after the bind, or registered again).
 * Then the slot is cleared of what this CPU wrote (the pointer dropped
 * first, so no NMI writes after the clear), left alone from now on, and
 * the kernel log says so from an irq_work: a sched hook may hold a
 * runqueue lock, which printk's console wake-ups take (and 6.1 exports no
 * printk_deferred()).
 */
static struct pvsched_guest_area *pvg_sched_area(struct pvg_cpu *c)
{
	struct pvsched_guest_area *g = READ_ONCE(c->area);
	u32 named, pid;

	if (!g)
		return NULL;
	if (likely(pvg_slot_ours(container_of(g, struct pvsched_vcpu_slot,
					      guest),
				 c->vcpu_id, &named, &pid)))
		return g;
	WRITE_ONCE(c->area, NULL);
	pvsched_guest_area_clear(g);
	c->refused = true;
	c->refused_named = named;
	c->refused_pid = pid;
	this_cpu_inc(pvg_counters.slot_refused);
	irq_work_queue(&c->refused_work);
	return NULL;
}

/* --- critical-section flags (any context, NMI included) ------------------ */

static __always_inline void pvg_cs_enter(u8 *depth, u32 bit)
{
	struct pvg_cpu *c = this_cpu_ptr(&pvg_cpu);
	struct pvsched_guest_area *g = READ_ONCE(c->area);

	if (!g)
		return;
	if ((*depth)++ == 0) {
		this_cpu_or(pvg_cpu.flags, bit);
		pvg_flags_store(c, g);
	}
}

/* Returns false if there was no matching entry. */
static __always_inline bool pvg_cs_exit(u8 *depth, u32 bit)
{
	struct pvg_cpu *c = this_cpu_ptr(&pvg_cpu);
	struct pvsched_guest_area *g = READ_ONCE(c->area);

	if (!g)
		return true;
	if (!*depth) {
		this_cpu_inc(pvg_counters.unmatched);
		return false;
	}
	if (--(*depth) == 0) {
		this_cpu_and(pvg_cpu.flags, ~bit);
		pvg_flags_store(c, g);
	}
	return true;
}

static void pvg_hardirq_enter(void)
{
	struct pvg_cpu *c = this_cpu_ptr(&pvg_cpu);

	if (READ_ONCE(c->area) && !c->hardirq)
		this_cpu_inc(pvg_counters.hardirqs);
	pvg_cs_enter(&c->hardirq, PVSCHED_CS_HARDIRQ);
}

static void pvg_hardirq_exit(void)
{
	struct pvg_cpu *c = this_cpu_ptr(&pvg_cpu);
	struct pvsched_guest_area *g = READ_ONCE(c->area);
	bool after_switch;

	pvg_cs_exit(&c->hardirq, PVSCHED_CS_HARDIRQ);
	/*
	 * A softirq about to run is latency work too: its exit decides.  On
	 * PREEMPT_RT handlers and softirqs run in threads whose switch-in
	 * publishes their priority (and 7.x keeps timer softirqs out of
	 * local_softirq_pending()): leave the decision to sched_switch.
	 */
	if (!g || c->hardirq || in_nmi())
		return;
	after_switch = c->after_switch;
	c->after_switch = false;
	if (after_switch ||
	    (!IS_ENABLED(CONFIG_PREEMPT_RT) && !local_softirq_pending() &&
	     pvg_irq_end_may_exit(c)))
		pvg_unboost_exit(c, g);
}

static void probe_irq_handler_entry(void *data, int irq,
				    struct irqaction *action)
{
	pvg_hardirq_enter();
}

static void probe_irq_handler_exit(void *data, int irq,
				   struct irqaction *action, int ret)
{
	pvg_hardirq_exit();
}

/* x86 system vectors (local APIC timer, IPIs): int vector */
static void probe_vector_entry(void *data, int vector)
{
	pvg_hardirq_enter();
}

static void probe_vector_exit(void *data, int vector)
{
	pvg_hardirq_exit();
}

static void probe_softirq_entry(void *data, unsigned int vec_nr)
{
	struct pvg_cpu *c = this_cpu_ptr(&pvg_cpu);

	if (READ_ONCE(c->area))
		this_cpu_inc(pvg_counters.softirqs);
	pvg_cs_enter(&c->softirq, PVSCHED_CS_SOFTIRQ);
}

static void probe_softirq_exit(void *data, unsigned int vec_nr)
{
	struct pvg_cpu *c = this_cpu_ptr(&pvg_cpu);
	struct pvsched_guest_area *g = READ_ONCE(c->area);

	pvg_cs_exit(&c->softirq, PVSCHED_CS_SOFTIRQ);
	if (g && !c->softirq && !c->hardirq && !in_nmi() &&
	    pvg_irq_end_may_exit(c))
		pvg_unboost_exit(c, g);
}

static void probe_preempt_disable(void *data, unsigned long ip,
				  unsigned long parent_ip)
{
	struct pvg_cpu *c = this_cpu_ptr(&pvg_cpu);

	if (READ_ONCE(c->area) && !c->preempt)
		this_cpu_inc(pvg_counters.preempt_offs);
	pvg_cs_enter(&c->preempt, PVSCHED_CS_PREEMPT_DISABLED);
}

static void probe_preempt_enable(void *data, unsigned long ip,
				 unsigned long parent_ip)
{
	pvg_cs_exit(&this_cpu_ptr(&pvg_cpu)->preempt,
		    PVSCHED_CS_PREEMPT_DISABLED);
}

/*
 * Return to user mode (context_tracking:user_enter; fires only on CPUs
 * where context tracking runs, i.e. nohz_full ones): no kernel critical
 * section can be open here, so drop the preempt-disabled state in case its
 * enable was missed.
 */
static void probe_user_enter(void *data, int dummy)
{
	struct pvg_cpu *c = this_cpu_ptr(&pvg_cpu);
	struct pvsched_guest_area *g = READ_ONCE(c->area);

	if (!g)
		return;
	this_cpu_inc(pvg_counters.user_enters);
	if (c->preempt) {
		c->preempt = 0;
		this_cpu_and(pvg_cpu.flags, ~PVSCHED_CS_PREEMPT_DISABLED);
		pvg_flags_store(c, g);
	}
}

#ifdef CONFIG_X86
/*
 * NMI: Linux 6.1 has no NMI entry/exit tracepoint (nmi:nmi_handler fires
 * after each handler, with no bracket).  The exported NMI handler chain
 * gives one: NMI_LOCAL handlers run for every NMI, in list order, so a
 * handler registered first (NMI_FLAG_FIRST) marks the entry and one added
 * at the tail marks the exit.  Both return NMI_DONE so they never claim an
 * NMI.  NMIs do not nest on a CPU.
 */
static int pvg_nmi_first(unsigned int type, struct pt_regs *regs)
{
	struct pvg_cpu *c = this_cpu_ptr(&pvg_cpu);

	if (READ_ONCE(c->area))
		this_cpu_inc(pvg_counters.nmis);
	pvg_cs_enter(&c->nmi, PVSCHED_CS_NMI);
	return NMI_DONE;
}

static int pvg_nmi_last(unsigned int type, struct pt_regs *regs)
{
	pvg_cs_exit(&this_cpu_ptr(&pvg_cpu)->nmi, PVSCHED_CS_NMI);
	return NMI_DONE;
}
#endif

/* --- task priority (sequence-protected) ----------------------------------- */

/* The request for task p: the effective priority, 1:1 (PI boosts count). */
static void pvg_request(struct task_struct *p, u32 *policy, s32 *nice,
			u32 *rt_prio, int *prio)
{
	*nice = 0;
	*rt_prio = 0;
	*prio = p->prio;
	if (is_idle_task(p)) {
		*policy = SCHED_NORMAL;
		*prio = DEFAULT_PRIO;
	} else if (p->policy == SCHED_DEADLINE) {
		*policy = SCHED_DEADLINE; /* the host refuses it, and counts */
	} else if (p->prio < MAX_RT_PRIO) {
		*policy = p->policy == SCHED_RR ? SCHED_RR : SCHED_FIFO;
		*rt_prio = min(MAX_RT_PRIO - 1 - p->prio, MAX_RT_PRIO - 1);
		*nice = task_nice(p);
	} else {
		*policy = p->policy;
		*nice = task_nice(p);
	}
}

static void pvg_publish(struct pvg_cpu *c, struct pvsched_guest_area *g,
			u32 policy, s32 nice, u32 rt_prio, int prio)
{
	unsigned long irqflags;

	c->prio = prio;
	if (policy == c->policy && nice == c->nice && rt_prio == c->rt_prio)
		return;
	local_irq_save(irqflags);
	WRITE_ONCE(g->seq, ++c->seq);
	virt_wmb(); /* seq odd before the fields change */
	WRITE_ONCE(g->sched_policy, policy);
	WRITE_ONCE(g->sched_nice, nice);
	WRITE_ONCE(g->rt_prio, rt_prio);
	virt_wmb(); /* fields before seq even */
	WRITE_ONCE(g->seq, ++c->seq);
	local_irq_restore(irqflags);
	c->policy = policy;
	c->nice = nice;
	c->rt_prio = rt_prio;
	this_cpu_inc(pvg_counters.publishes);
}

/* The request of the task running here, as the tick compares it. */
static void pvg_note_running(struct pvg_cpu *c, u32 policy, s32 nice,
			     u32 rt_prio)
{
	c->run_policy = policy;
	c->run_nice = nice;
	c->run_rt_prio = rt_prio;
}

/* Publishes the request of the task now running here (p). */
static void pvg_publish_running(struct pvg_cpu *c,
				struct pvsched_guest_area *g,
				struct task_struct *p)
{
	u32 policy, rt_prio;
	s32 nice;
	int prio;

	pvg_request(p, &policy, &nice, &rt_prio, &prio);
	pvg_note_running(c, policy, nice, rt_prio);
	pvg_publish(c, g, policy, nice, rt_prio, prio);
}

static bool pvg_hold_expired(const struct pvg_cpu *c, u64 now)
{
	return now - c->hold_since >
	       (u64)READ_ONCE(pvsched_guest_rt_hold_us) * NSEC_PER_USEC;
}

/*
 * The request at a switch from @prev to @next, with the RT hold.  A
 * guest RT task that a less urgent task preempts is still queued here and
 * runs again as soon as that task is done: on 6.12 and later the fair
 * server lends fair tasks (ksoftirqd, kworkers) up to 50 ms a second
 * ahead of RT tasks, before that RT throttling does, and on PREEMPT_RT
 * that happens after nearly every tick.  Publishing the fair task's
 * request for those moments made the guest's unboost exit, a demotion,
 * and the RT task's return went unseen until the next exit, a tick later:
 * a guest FIFO 20 task that ran 99 % of its CPU held FIFO 20 on the host
 * a quarter of the time (6.12-rt, guest-rt-hold).  So the preempted RT
 * task's request stays published until it runs again, a task at least as
 * urgent runs, the CPU goes idle (nothing is queued), or rt_hold_us passes
 * (it may have been moved to another CPU, or its priority lowered, which
 * this CPU does not see).  A task that blocks is not held.
 */
static void pvg_publish_switch(struct pvg_cpu *c, struct pvsched_guest_area *g,
			       bool preempt, struct task_struct *prev,
			       struct task_struct *next, unsigned int prev_state)
{
	/* next's kernel prio as pvg_request() gives it */
	int prio = is_idle_task(next) ? DEFAULT_PRIO : next->prio;
	u32 policy, rt_prio;
	s32 nice;

	/* no clock read on a switch without a hold (every switch here) */
	if (c->hold_task) {
		if (next == c->hold_task || prio <= c->hold_prio ||
		    is_idle_task(next)) {
			c->hold_task = NULL;
		} else if (pvg_hold_expired(c, local_clock())) {
			c->hold_task = NULL;
			this_cpu_inc(pvg_counters.rt_hold_expired);
		}
	}
	if (!c->hold_task && READ_ONCE(pvsched_guest_rt_hold_us) &&
	    !is_idle_task(prev) && prev->prio < MAX_RT_PRIO &&
	    prio > prev->prio && (preempt || prev_state == TASK_RUNNING)) {
		c->hold_task = prev;
		c->hold_since = local_clock();
		pvg_request(prev, &c->hold_policy, &c->hold_nice,
			    &c->hold_rt_prio, &c->hold_prio);
		this_cpu_inc(pvg_counters.rt_holds);
	}
	if (!c->hold_task) {
		pvg_publish_running(c, g, next);
		return;
	}
	/* the held task outranks next (prio > hold_prio): noted, not published */
	pvg_request(next, &policy, &nice, &rt_prio, &prio);
	pvg_note_running(c, policy, nice, rt_prio);
	pvg_publish(c, g, c->hold_policy, c->hold_nice, c->hold_rt_prio,
		    c->hold_prio);
}

/*
 * PVSCHED_GUEST_IDLE (PVSCHED_F_IDLE_HINT) says this CPU runs its idle task.
 * It lives in the flags word beside the critical-section bits, through the
 * same per-CPU shadow; the caller has interrupts off.
 */
static void pvg_set_idle(struct pvg_cpu *c, struct pvsched_guest_area *g,
			 bool idle)
{
	if (idle == !!(c->flags & PVSCHED_GUEST_IDLE))
		return;
	if (idle)
		this_cpu_or(pvg_cpu.flags, PVSCHED_GUEST_IDLE);
	else
		this_cpu_and(pvg_cpu.flags, ~PVSCHED_GUEST_IDLE);
	pvg_flags_store(c, g);
}

static void probe_sched_switch(void *data, bool preempt,
			       struct task_struct *prev,
			       struct task_struct *next,
			       unsigned int prev_state)
{
	struct pvg_cpu *c = this_cpu_ptr(&pvg_cpu);
	struct pvsched_guest_area *g = pvg_sched_area(c);
	bool idle = pvg_idle_hint && is_idle_task(next);

	if (!g)
		return;
	this_cpu_inc(pvg_counters.switches);
	/*
	 * Into idle the hint goes first, out of idle last: a host that reads
	 * the slot in between never sees "no request, not idle", which
	 * would end a boost the guest still needs until it halts.
	 */
	if (idle)
		pvg_set_idle(c, g, true);
	pvg_publish_switch(c, g, preempt, prev, next, prev_state);
	if (!idle) {
		pvg_set_idle(c, g, false);
		if (pvg_exit_demote)
			pvg_unboost_defer(c, g);
		else
			pvg_unboost_exit(c, g);
	}
}

/*
 * Local timer tick (hard IRQ, after the handler): a running task that
 * changed its own policy or nice (sched_setscheduler(0, ...)) has not been
 * through sched_switch yet; publish its new request within a tick.  Only
 * a change of the running task's own request republishes, so a raise by
 * sched_wakeup is not undone here.  Interrupts are off and no sequence
 * writer can be interrupted by a hard IRQ (they run with interrupts off).
 */
static void probe_tick_sched(void *data, int vector)
{
	struct pvg_cpu *c = this_cpu_ptr(&pvg_cpu);
	struct pvsched_guest_area *g = pvg_sched_area(c);
	u32 policy, rt_prio;
	s32 nice;
	int prio;

	if (!g)
		return;
	if (c->hold_task && pvg_hold_expired(c, local_clock())) {
		c->hold_task = NULL;
		this_cpu_inc(pvg_counters.rt_hold_expired);
		pvg_publish_running(c, g, current);
		return;
	}
	pvg_request(current, &policy, &nice, &rt_prio, &prio);
	if (policy == c->run_policy && nice == c->run_nice &&
	    rt_prio == c->run_rt_prio)
		return;
	this_cpu_inc(pvg_counters.tick_updates);
	if (c->hold_task && prio > c->hold_prio) {
		/* the held RT task still outranks it: noted, not published */
		pvg_note_running(c, policy, nice, rt_prio);
		return;
	}
	c->hold_task = NULL;
	pvg_publish_running(c, g, current);
}

/*
 * sched_wakeup fires once the woken task is queued on its CPU (on that CPU
 * itself for wakeups queued by IPI): a task of higher priority than the
 * published request queued here raises the request now, before the
 * switch.  sched_waking is not used: it fires before the CPU is chosen.
 */
static void probe_sched_wakeup(void *data, struct task_struct *p)
{
	struct pvg_cpu *c = this_cpu_ptr(&pvg_cpu);
	struct pvsched_guest_area *g;
	u32 policy, rt_prio;
	s32 nice;
	int prio;

	if (task_cpu(p) != smp_processor_id() || p->prio >= c->prio)
		return;
	g = pvg_sched_area(c);
	if (!g)
		return;
	this_cpu_inc(pvg_counters.wake_raises);
	pvg_request(p, &policy, &nice, &rt_prio, &prio);
	pvg_publish(c, g, policy, nice, rt_prio, prio);
}

/* --- tracepoint table ------------------------------------------------------ */

struct pvg_tp {
	const char *name;
	void *probe;
	u32 family;
	struct tracepoint *tp; /* found at load */
	bool registered;
};

/*
 * Exits come before entries: registered in table order and unregistered
 * in reverse, so no entry probe runs without its exit probe.
 */
#define PVG_TP(n, p, f) { .name = n, .probe = p, .family = f }
static struct pvg_tp pvg_tps[] = {
	PVG_TP("irq_handler_exit", probe_irq_handler_exit, PVG_FAM_IRQ),
	PVG_TP("local_timer_exit", probe_vector_exit, PVG_FAM_IRQ),
	PVG_TP("reschedule_exit", probe_vector_exit, PVG_FAM_IRQ),
	PVG_TP("call_function_exit", probe_vector_exit, PVG_FAM_IRQ),
	PVG_TP("call_function_single_exit", probe_vector_exit, PVG_FAM_IRQ),
	PVG_TP("irq_work_exit", probe_vector_exit, PVG_FAM_IRQ),
	PVG_TP("x86_platform_ipi_exit", probe_vector_exit, PVG_FAM_IRQ),
	PVG_TP("softirq_exit", probe_softirq_exit, PVG_FAM_SOFTIRQ),
	PVG_TP("preempt_enable", probe_preempt_enable, PVG_FAM_PREEMPT),
	PVG_TP("user_enter", probe_user_enter, PVG_FAM_PREEMPT),
	PVG_TP("irq_handler_entry", probe_irq_handler_entry, PVG_FAM_IRQ),
	PVG_TP("local_timer_entry", probe_vector_entry, PVG_FAM_IRQ),
	PVG_TP("reschedule_entry", probe_vector_entry, PVG_FAM_IRQ),
	PVG_TP("call_function_entry", probe_vector_entry, PVG_FAM_IRQ),
	PVG_TP("call_function_single_entry", probe_vector_entry, PVG_FAM_IRQ),
	PVG_TP("irq_work_entry", probe_vector_entry, PVG_FAM_IRQ),
	PVG_TP("x86_platform_ipi_entry", probe_vector_entry, PVG_FAM_IRQ),
	PVG_TP("softirq_entry", probe_softirq_entry, PVG_FAM_SOFTIRQ),
	PVG_TP("preempt_disable", probe_preempt_disable, PVG_FAM_PREEMPT),
	PVG_TP("sched_switch", probe_sched_switch, PVG_FAM_SCHED),
	PVG_TP("sched_wakeup", probe_sched_wakeup, PVG_FAM_SCHED),
	PVG_TP("sched_wakeup_new", probe_sched_wakeup, PVG_FAM_SCHED),
	PVG_TP("local_timer_exit", probe_tick_sched, PVG_FAM_SCHED),
};

static struct pvg_tp *pvg_tp_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pvg_tps); i++)
		if (!strcmp(pvg_tps[i].name, name))
			return &pvg_tps[i];
	return NULL;
}

static void pvg_tp_lookup(struct tracepoint *tp, void *priv)
{
	unsigned int i;

	/* a tracepoint may appear twice (two families, two probes) */
	for (i = 0; i < ARRAY_SIZE(pvg_tps); i++)
		if (!strcmp(pvg_tps[i].name, tp->name))
			pvg_tps[i].tp = tp;
}

static u32 pvg_available;

u32 pvsched_hooks_available(void)
{
	return pvg_available;
}

int pvsched_hooks_init(void)
{
	static const char *const required[][2] = {
		[0] = { "sched_switch", "sched_wakeup" },
		[1] = { "irq_handler_entry", "irq_handler_exit" },
		[2] = { "softirq_entry", "softirq_exit" },
		[4] = { "preempt_disable", "preempt_enable" },
	};
	unsigned int i;

	for_each_possible_cpu(i) {
		struct pvg_cpu *c = per_cpu_ptr(&pvg_cpu, i);

		init_irq_work(&c->refused_work, pvg_refused_msg);
		/* hard IRQ on PREEMPT_RT too: it runs right after the unlock */
		c->switch_work = IRQ_WORK_INIT_HARD(pvg_switch_work);
	}
	for_each_kernel_tracepoint(pvg_tp_lookup, NULL);
	for (i = 0; i < ARRAY_SIZE(required); i++) {
		struct pvg_tp *a, *b;

		if (!required[i][0])
			continue;
		a = pvg_tp_find(required[i][0]);
		b = pvg_tp_find(required[i][1]);
		if (a && a->tp && b && b->tp)
			pvg_available |= 1u << i;
	}
#ifdef CONFIG_X86
	pvg_available |= PVG_FAM_NMI;
#endif
	/*
	 * PREEMPT_RT runs softirqs in preemptible task context (7.x: several
	 * tasks of one CPU at once, only migration disabled), so "this CPU is
	 * in a softirq" is no critical section there and the per-CPU depth
	 * could not be kept; the softirq threads' own priority (ksoftirqd,
	 * ktimers) reaches the host through the task-priority hooks instead.
	 */
	if (IS_ENABLED(CONFIG_PREEMPT_RT) && (pvg_available & PVG_FAM_SOFTIRQ)) {
		pvg_available &= ~PVG_FAM_SOFTIRQ;
		pr_info("PREEMPT_RT: softirqs run in tasks; PVSCHED_CS_SOFTIRQ is never set, their threads' priority is published instead\n");
	}
	if (!(pvg_available & PVG_FAM_PREEMPT))
		pr_info("preempt tracepoints not available (kernel without CONFIG_PREEMPTIRQ_TRACEPOINTS): PVSCHED_CS_PREEMPT_DISABLED is never set\n");
	if (!(pvg_available & PVG_FAM_SCHED))
		pr_warn("sched_switch/sched_wakeup tracepoints not found: task priorities are not published\n");
	return 0;
}

void pvsched_hooks_exit(void)
{
}

/* --- CPU hotplug: runs on the CPU concerned --------------------------------- */

static int pvg_cpu_online(unsigned int cpu)
{
	struct pvsched_guest_region *r = pvg_region;
	struct pvg_cpu *c = this_cpu_ptr(&pvg_cpu);
	struct pvsched_vcpu_slot *s;
	struct pvsched_guest_area *g;
	unsigned long irqflags;
	u32 named, pid;

	c->refused = false;
	if (cpu >= r->nr_slots) {
		if (!test_and_set_bit(0, &pvg_skip_warned))
			dev_info(r->dev,
				 "CPU %u and up have no slot (region has %u): not published\n",
				 cpu, r->nr_slots);
		return 0;
	}
	s = pvsched_guest_slot(r, cpu);
	g = &s->guest;
	c->vcpu_id = pvg_vcpu_id(cpu);
	if (!pvg_slot_ours(s, c->vcpu_id, &named, &pid)) {
		c->refused = true;
		this_cpu_inc(pvg_counters.slot_refused);
		dev_warn(r->dev,
			 "CPU %u: its slot refused: the header names vCPU %u (host thread %u), this CPU is vCPU %u (the VMM numbers its vCPUs otherwise than this guest its CPUs): not published\n",
			 cpu, named, pid, c->vcpu_id);
		return 0;
	}
	local_irq_save(irqflags);
	pvsched_guest_area_clear(g);
	c->seq = READ_ONCE(g->seq);
	c->flags = pvg_exit_demote ? PVSCHED_GUEST_EXIT_DEMOTE : 0;
	pvg_flags_store(c, g);
	c->after_switch = false;
	c->hardirq = 0;
	c->softirq = 0;
	c->nmi = 0;
	c->preempt = 0;
	c->prio = DEFAULT_PRIO;
	c->hold_task = NULL;
	c->run_policy = SCHED_NORMAL;
	c->run_nice = 0;
	c->run_rt_prio = 0;
	c->policy = SCHED_NORMAL;
	c->nice = 0;
	c->rt_prio = 0;
	WRITE_ONCE(c->area, g);
	local_irq_restore(irqflags);
	return 0;
}

static int pvg_cpu_offline(unsigned int cpu)
{
	struct pvg_cpu *c = this_cpu_ptr(&pvg_cpu);
	struct pvsched_guest_area *g;
	unsigned long irqflags;

	local_irq_save(irqflags);
	g = c->area;
	WRITE_ONCE(c->area, NULL);
	if (g)
		pvsched_guest_area_clear(g);
	local_irq_restore(irqflags);
	return 0;
}

/* --- start / stop ------------------------------------------------------------ */

static void pvg_unregister_all(void)
{
	unsigned int cpu;
	int i;

	for (i = ARRAY_SIZE(pvg_tps) - 1; i >= 0; i--) {
		struct pvg_tp *t = &pvg_tps[i];

		if (!t->registered)
			continue;
		WARN_ON_ONCE(tracepoint_probe_unregister(t->tp, t->probe, NULL));
		t->registered = false;
	}
#ifdef CONFIG_X86
	if (pvg_nmi_registered) {
		unregister_nmi_handler(NMI_LOCAL, "pvsched_guest_first");
		unregister_nmi_handler(NMI_LOCAL, "pvsched_guest_last");
		pvg_nmi_registered = false;
	}
#endif
	tracepoint_synchronize_unregister();
	/* no refusal message of a sched hook still to print */
	for_each_possible_cpu(cpu) {
		irq_work_sync(&per_cpu_ptr(&pvg_cpu, cpu)->refused_work);
		irq_work_sync(&per_cpu_ptr(&pvg_cpu, cpu)->switch_work);
	}
}

int pvsched_hooks_start(struct pvsched_guest_region *r, u32 families)
{
	unsigned int i;
	int ret;

	pvg_region = r;
	pvg_families = families & pvg_available;
	pvg_idle_hint = (r->features & PVSCHED_F_IDLE_HINT) &&
			(pvg_families & PVG_FAM_SCHED);
	pvg_host_area = r->features & PVSCHED_F_HOST_AREA;
	pvg_boost_state = r->features & PVSCHED_F_BOOST_STATE;
	pvg_exit_demote = r->features & PVSCHED_F_EXIT_DEMOTE;
	pvg_skip_warned = 0;
	/* online CPUs decide again below; offline ones at their online */
	for_each_possible_cpu(i)
		per_cpu_ptr(&pvg_cpu, i)->refused = false;
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "pvsched_guest:online",
				pvg_cpu_online, pvg_cpu_offline);
	if (ret < 0)
		goto err;
	pvg_cpuhp_state = ret;

#ifdef CONFIG_X86
	if (pvg_families & PVG_FAM_NMI) {
		/* the exit first, so no entry is left without its exit */
		ret = register_nmi_handler(NMI_LOCAL, pvg_nmi_last, 0,
					   "pvsched_guest_last");
		if (ret)
			goto err_cpuhp;
		ret = register_nmi_handler(NMI_LOCAL, pvg_nmi_first,
					   NMI_FLAG_FIRST, "pvsched_guest_first");
		if (ret) {
			unregister_nmi_handler(NMI_LOCAL, "pvsched_guest_last");
			goto err_cpuhp;
		}
		pvg_nmi_registered = true;
	}
#endif
	for (i = 0; i < ARRAY_SIZE(pvg_tps); i++) {
		struct pvg_tp *t = &pvg_tps[i];

		if (!t->tp || !(t->family & pvg_families))
			continue;
		ret = tracepoint_probe_register(t->tp, t->probe, NULL);
		if (ret) {
			pr_err("cannot attach to tracepoint %s: %d\n", t->name,
			       ret);
			goto err_tps;
		}
		t->registered = true;
	}
	return 0;

err_tps:
	pvg_unregister_all();
err_cpuhp:
	cpuhp_remove_state(pvg_cpuhp_state);
	pvg_cpuhp_state = -1;
err:
	pvg_region = NULL;
	pvg_families = 0;
	return ret;
}

void pvsched_hooks_stop(void)
{
	struct pvsched_guest_region *r = pvg_region;
	unsigned int i;

	if (!r)
		return;
	/* each online CPU drops its slot pointer and clears its slot */
	cpuhp_remove_state(pvg_cpuhp_state);
	pvg_cpuhp_state = -1;
	pvg_unregister_all();
	/*
	 * CPUs that were offline cleared their slot when they went down; a
	 * refused slot, another vCPU's, was never written and is left alone.
	 */
	for (i = 0; i < r->nr_slots; i++) {
		if (i < nr_cpu_ids && cpu_possible(i) &&
		    per_cpu_ptr(&pvg_cpu, i)->refused)
			continue;
		pvsched_guest_area_clear(&pvsched_guest_slot(r, i)->guest);
	}
	pvg_families = 0;
	pvg_region = NULL;
}

/* --- debugfs ------------------------------------------------------------------ */

void pvsched_hooks_show_state(struct seq_file *m)
{
	struct pvsched_guest_region *r = pvg_region;
	unsigned int i, cpu;
	const char *rule;

	seq_puts(m, "hooks:");
	for (i = 0; i < ARRAY_SIZE(pvg_tps); i++)
		if (pvg_tps[i].registered)
			seq_printf(m, " %s", pvg_tps[i].name);
#ifdef CONFIG_X86
	if (pvg_nmi_registered)
		seq_puts(m, " nmi_handler(first,last)");
#endif
	seq_puts(m, "\n");
	if (!r)
		return;
	/* which rule pvg_unboost_exit() follows */
	if (!pvg_boost_state)
		rule = "not negotiated";
	else if (READ_ONCE(pvsched_guest_boost_state))
		rule = "used";
	else
		rule = "ignored (boost_state=0)";
	seq_printf(m, "boost_state: %s\n", rule);
	seq_puts(m, "cpu slot seq flags policy nice rt_prio host_status host_policy host_nice host_rt_prio throttled host_boost\n");
	for_each_possible_cpu(cpu) {
		struct pvsched_vcpu_slot *s;

		if (cpu >= r->nr_slots) {
			seq_printf(m, "%u - (no slot)\n", cpu);
			continue;
		}
		s = pvsched_guest_slot(r, cpu);
		seq_printf(m, "%u %s %u 0x%x %u %d %u 0x%x %u %d %u %u 0x%x\n", cpu,
			   READ_ONCE(per_cpu_ptr(&pvg_cpu, cpu)->area) ?
				   "active" :
			   READ_ONCE(per_cpu_ptr(&pvg_cpu, cpu)->refused) ?
				   "refused" :
				   "quiet",
			   READ_ONCE(s->guest.seq), READ_ONCE(s->guest.flags),
			   READ_ONCE(s->guest.sched_policy),
			   READ_ONCE(s->guest.sched_nice),
			   READ_ONCE(s->guest.rt_prio),
			   READ_ONCE(s->host.vcpu_status),
			   READ_ONCE(s->host.sched_policy),
			   READ_ONCE(s->host.sched_nice),
			   READ_ONCE(s->host.rt_prio),
			   READ_ONCE(s->host.throttled),
			   READ_ONCE(s->host_boost));
	}
}

void pvsched_hooks_show_counters(struct seq_file *m)
{
	unsigned int cpu;

	seq_puts(m, "cpu switches publishes wake_raises tick_updates hardirqs softirqs nmis preempt_offs user_enters unmatched unboost_exits slot_refused rt_holds rt_hold_expired unboost_deferred unboost_locked\n");
	for_each_possible_cpu(cpu) {
		struct pvg_counters *k = per_cpu_ptr(&pvg_counters, cpu);

		seq_printf(m, "%u %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu\n",
			   cpu, k->switches, k->publishes, k->wake_raises,
			   k->tick_updates,
			   k->hardirqs, k->softirqs, k->nmis, k->preempt_offs,
			   k->user_enters, k->unmatched, k->unboost_exits,
			   k->slot_refused, k->rt_holds, k->rt_hold_expired,
			   k->unboost_deferred, k->unboost_locked);
	}
}
