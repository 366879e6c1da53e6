// SPDX-License-Identifier: GPL-2.0
/*
 * pvsched attach layer: finds KVM's events by name, the lttng-modules way,
 * and feeds them to the engine through its entry points (pvsched_engine.h:
 * the current thread's events, KVM's events for a vCPU, the guest's timer);
 * the engine knows nothing of this file, and
 * pvsched_main.c attaches it after the engine and detaches it before.
 * debugfs "tracepoints" (pvsched_debugfs.c) shows its table.
 *
 * - Tracepoints of modules (kvm.ko) are attached when the module comes and
 *   detached when it goes (register_tracepoint_module_notifier()), so load
 *   order does not matter and "rmmod kvm_amd kvm; modprobe kvm_amd" while
 *   pvsched is loaded re-attaches.  Built-in ones (CONFIG_KVM=y) are found
 *   with for_each_kernel_tracepoint().  pvsched does not depend on kvm.ko.
 * - HALT is not visible in kvm_exit's arguments on stock kernels: a kprobe
 *   on kvm_vcpu_halt() (exported, runs in the vCPU thread before KVM's halt
 *   polling) is registered when kvm comes and removed when it goes, with
 *   the other kprobes: the block (kvm_vcpu_block(), where the thread goes
 *   to sleep after the polling), the kick, the posted delivery
 *   (kvm_vcpu_wake_up) and the guest's TSC-deadline write.  Where KVM
 *   delivers an interrupt, and which of these events sees it, per hardware
 *   configuration: docs/design.md.
 * - The paravirt tracepoints of patched kernels (paravirt_vmentry, ...) are
 *   preferred only with known prototypes; none is known to this build, so
 *   if present they are reported and the stock family is used.
 * - Probe prototypes must match the running kernel exactly.  Known: 6.1.y
 *   (kvm_entry gained force_immediate_exit in 6.1.149), 6.12.y and 7.3.y
 *   (below).  On another kernel nothing is attached and one message says
 *   why.
 *
 * Locking: tp_mutex protects the table below (the notifier runs with the
 * tracepoint module list mutex held; nesting: that mutex -> tp_mutex).
 */
#define pr_fmt(fmt) "pvsched: " fmt

#include <linux/module.h>
#include <linux/tracepoint.h>
#include <linux/kprobes.h>
#include <linux/version.h>
#include <linux/utsname.h>
#include <linux/kvm_host.h>
#include "../uapi/linux/pvsched.h"
#include "pvsched_tp.h"
#include "pvsched_engine.h"

/*
 * The kernels whose KVM this file was checked against (their sources:
 * Debian's linux-source-6.1, -6.12 and -7.3).  Per kernel:
 *   PVSCHED_KVM_ENTRY_FORCE_EXIT  kvm_entry(vcpu, force_immediate_exit):
 *       6.1.149 and later 6.1.y, 6.12.y, 7.3.y; kvm_entry(vcpu) before.
 *   PVSCHED_KICK_SYMBOL  where "an event is now pending for this vCPU"
 *       is a real function: kvm_vcpu_kick(vcpu) up to 6.15; from 6.16
 *       kvm_vcpu_kick() is an inline wrapper of __kvm_vcpu_kick(vcpu,
 *       wait), whose first argument is the same vcpu.
 * kvm_exit(vcpu, isa), kvm_inj_virq(vector, soft, reinjected),
 * kvm_vcpu_wakeup(ns, waited, valid), kvm_vcpu_halt(vcpu) and
 * kvm_vcpu_block(vcpu) are the same in all three, and so is the order in
 * kvm_vcpu_halt(): halt polling (kvm_vcpu_check_block() in a loop, the
 * thread running), then kvm_vcpu_block(), an out-of-line call in Debian's
 * builds of all three (kvm.ko's kvm_vcpu_halt calls it; x86's vcpu_block()
 * also calls it directly for a vCPU waiting for INIT/SIPI).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 0) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define PVSCHED_TP_KNOWN 1
#define PVSCHED_KVM_ENTRY_FORCE_EXIT \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 149))
#define PVSCHED_KICK_SYMBOL "kvm_vcpu_kick"
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
#define PVSCHED_TP_KNOWN 1
#define PVSCHED_KVM_ENTRY_FORCE_EXIT 1
#define PVSCHED_KICK_SYMBOL "kvm_vcpu_kick"
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(7, 3, 0) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(7, 4, 0)
#define PVSCHED_TP_KNOWN 1
#define PVSCHED_KVM_ENTRY_FORCE_EXIT 1
#define PVSCHED_KICK_SYMBOL "__kvm_vcpu_kick"
#else
#define PVSCHED_TP_KNOWN 0
#define PVSCHED_KVM_ENTRY_FORCE_EXIT 0
#define PVSCHED_KICK_SYMBOL "kvm_vcpu_kick"
#endif

/* --- probes: prototypes of arch/x86/kvm/trace.h, include/trace/events/kvm.h */

#if PVSCHED_KVM_ENTRY_FORCE_EXIT
static void probe_kvm_entry(void *data, struct kvm_vcpu *vcpu,
			    bool force_immediate_exit)
#else
static void probe_kvm_entry(void *data, struct kvm_vcpu *vcpu)
#endif
{
	pvsched_engine_current_event(PVSCHED_POL_VMENTER, vcpu);
}

static void probe_kvm_exit(void *data, struct kvm_vcpu *vcpu, u32 isa)
{
	pvsched_engine_current_event(PVSCHED_POL_VMEXIT, vcpu);
}

/* In the vCPU thread, while it injects (vcpu_enter_guest). */
static void probe_kvm_inj_virq(void *data, unsigned int vector, bool soft,
			       bool reinjected)
{
	pvsched_engine_current_event(PVSCHED_POL_INJECT, NULL);
}

/* In the vCPU thread, KVM_RUN returning to the VMM. */
static void probe_kvm_userspace_exit(void *data, __u32 reason, int errno)
{
	pvsched_engine_current_event(PVSCHED_POL_USERSPACE, NULL);
}

/* In the vCPU thread, after a halt (kvm_vcpu_halt) ended. */
static void probe_kvm_vcpu_wakeup(void *data, u64 ns, bool waited,
				  bool valid)
{
	pvsched_engine_current_event(PVSCHED_POL_WAKEUP, NULL);
}

static int halt_pre_handler(struct kprobe *kp, struct pt_regs *regs)
{
	pvsched_engine_current_event(PVSCHED_POL_HALT, NULL);
	return 0;
}

/* In the vCPU thread, about to sleep: halt polling, if any, is over. */
static int block_pre_handler(struct kprobe *kp, struct pt_regs *regs)
{
	pvsched_engine_current_event(PVSCHED_POL_BLOCK, NULL);
	return 0;
}

/*
 * Requests that come with an interrupt for the vCPU: KVM_REQ_EVENT (an
 * interrupt accepted into the LAPIC, an IPI, an MSI, an irqfd) and
 * KVM_REQ_UNBLOCK (the LAPIC timer expired).  kvm_make_request() sets the
 * bit before the kick.  Other kicks (a clock update, a TLB flush) carry no
 * latency-sensitive work and are not boosted.
 */
#define PVSCHED_INTR_REQUESTS                            \
	(BIT_ULL(KVM_REQ_EVENT & KVM_REQUEST_MASK) |     \
	 BIT_ULL(KVM_REQ_UNBLOCK & KVM_REQUEST_MASK))

/*
 * PVSCHED_KICK_SYMBOL(vcpu, ...): a request is now pending for @vcpu;
 * runs in the waker (hard IRQ for the LAPIC timer, also on PREEMPT_RT;
 * another vCPU thread for an IPI; an irqfd's wakeup).  KVM's
 * vcpu->preempted says whether the thread was preempted while runnable
 * (kvm_sched_out sets it, kvm_sched_in clears it): the engine boosts such
 * a vCPU now.  One in guest mode (vcpu->mode IN_GUEST_MODE, or
 * EXITING_GUEST_MODE after an earlier kick; the kick itself moves IN to
 * EXITING after this probe) is boosted at the VM exit the kick causes.
 * One outside guest mode is boosted now only if the kick runs in its own
 * thread (pvsched_engine_kvm_kick_self(): on its way back in, it may be
 * preempted before it injects).  Any other is left alone: a halted one is
 * woken by this very kick and its HALT boost runs the wake-up at once; a
 * kick pending for them would boost whatever exit came next.  Only for
 * an interrupt request.  The engine
 * finds the vCPU by the kvm_vcpu pointer, never through vcpu->pid (see
 * pvsched_engine.c).
 */
static int kick_pre_handler(struct kprobe *kp, struct pt_regs *regs)
{
	struct kvm_vcpu *vcpu =
		(struct kvm_vcpu *)regs_get_kernel_argument(regs, 0);
	int mode;

	if (!vcpu || in_nmi() ||
	    !(READ_ONCE(vcpu->requests) & PVSCHED_INTR_REQUESTS))
		return 0;
	if (READ_ONCE(vcpu->preempted)) {
		pvsched_engine_kvm_event(vcpu, pvsched_engine_kick_event());
		return 0;
	}
	mode = READ_ONCE(vcpu->mode);
	if (mode == IN_GUEST_MODE || mode == EXITING_GUEST_MODE)
		pvsched_engine_kvm_event(vcpu, PVSCHED_POL_KICK_RUNNING);
	else
		pvsched_engine_kvm_kick_self(vcpu);
	return 0;
}

/*
 * kvm_vcpu_wake_up(vcpu): kvm.ko inlines its own calls (the kick's, the
 * requests'), so what reaches the function itself is kvm-intel's and
 * kvm-amd's posted deliveries: vmx_deliver_interrupt() with APICv,
 * svm_complete_interrupt_delivery() with AVIC (an IPI, an MSI, an irqfd
 * for a vCPU not in guest mode), the VT-d wake-up vector, AMD's GA log.
 * For a runnable thread it wakes nothing: a preempted vCPU would wait for
 * the host scheduler's turn.  Sender's context, hard IRQ included.
 */
static int wake_pre_handler(struct kprobe *kp, struct pt_regs *regs)
{
	struct kvm_vcpu *vcpu =
		(struct kvm_vcpu *)regs_get_kernel_argument(regs, 0);

	if (!vcpu || in_nmi() || !READ_ONCE(vcpu->preempted))
		return 0;
	pvsched_engine_kvm_event(vcpu, PVSCHED_POL_POSTED);
	return 0;
}

/*
 * The host time at which guest TSC value @deadline comes, or 0 if it
 * cannot be told: what KVM's start_sw_tscdeadline() computes, with public
 * fields only (struct kvm_lapic is KVM's own).  Guest TSC = host TSC +
 * l1_tsc_offset when the TSC is not scaled (ratio 1 << 48 on VMX, 1 << 32
 * on SVM, 1 without TSC scaling); a scaled TSC is not handled.
 */
static u64 guest_tsc_to_host_ns(struct kvm_vcpu *vcpu, u64 deadline)
{
	u64 ratio = READ_ONCE(vcpu->arch.l1_tsc_scaling_ratio);
	u32 khz = READ_ONCE(vcpu->arch.virtual_tsc_khz);
	unsigned long flags;
	u64 now, guest_tsc;

	if (!deadline || !khz ||
	    (ratio != 1 && ratio != 1ULL << 32 && ratio != 1ULL << 48))
		return 0;
	local_irq_save(flags);
	now = ktime_get_ns();
	guest_tsc = rdtsc() + READ_ONCE(vcpu->arch.l1_tsc_offset);
	local_irq_restore(flags);
	if (deadline <= guest_tsc)
		return now;
	return now + mul_u64_u32_div(deadline - guest_tsc, NSEC_PER_MSEC, khz);
}

/*
 * kvm_set_lapic_tscdeadline_msr(vcpu, data): the guest wrote its
 * TSC-deadline timer (the write always exits, with APICv and AVIC too), in
 * the vCPU thread.  With the VMX preemption timer nothing else on the host
 * knows when it fires while the thread is preempted: the engine arms a
 * shadow timer for it (timer boost).
 */
static int tscdeadline_pre_handler(struct kprobe *kp, struct pt_regs *regs)
{
	struct kvm_vcpu *vcpu =
		(struct kvm_vcpu *)regs_get_kernel_argument(regs, 0);
	u64 data = regs_get_kernel_argument(regs, 1);

	if (!vcpu || in_nmi())
		return 0;
	pvsched_engine_guest_timer(guest_tsc_to_host_ns(vcpu, data));
	return 0;
}

/* --- the table ------------------------------------------------------------- */

struct tp_entry {
	const char *name;
	void *probe;
	u32 ev; /* PVSCHED_EV_* */
	struct tracepoint *tp; /* attached to (NULL: not) */
	struct module *mod; /* owner of tp (NULL: built-in) */
};

static struct tp_entry stock[] = {
	{ "kvm_entry", probe_kvm_entry, PVSCHED_EV_VMENTER },
	{ "kvm_exit", probe_kvm_exit, PVSCHED_EV_VMEXIT },
	{ "kvm_inj_virq", probe_kvm_inj_virq, PVSCHED_EV_INJECT },
	{ "kvm_vcpu_wakeup", probe_kvm_vcpu_wakeup, PVSCHED_EV_WAKEUP },
	{ "kvm_userspace_exit", probe_kvm_userspace_exit,
	  PVSCHED_EV_USERSPACE },
};

static const char *const paravirt_names[] = {
	"paravirt_vmentry", "paravirt_vmexit", "paravirt_vcpu_halt",
	"paravirt_vcpu_inject_intr",
};

/*
 * Function-entry probes.  They must be ftrace-based (CONFIG_KPROBES_ON_FTRACE,
 * a probe at the function's fentry site): an int3 kprobe runs its handler
 * from the breakpoint exception, where the engine must not take its locks
 * or start timers.  One that the kernel could only place as int3 is
 * removed again, and the event reported missing.
 */
struct kp_entry {
	const char *name; /* the event, as debugfs and the log name it */
	const char *symbol; /* the function probed for it on this kernel */
	kprobe_pre_handler_t handler;
	u32 ev; /* PVSCHED_EV_* */
	struct kprobe kp;
	bool attached; /* under tp_mutex */
};

static struct kp_entry kps[] = {
	{ "kvm_vcpu_halt", "kvm_vcpu_halt", halt_pre_handler, PVSCHED_EV_HALT },
	{ "kvm_vcpu_kick", PVSCHED_KICK_SYMBOL, kick_pre_handler,
	  PVSCHED_EV_KICK },
	{ "kvm_vcpu_wake_up", "kvm_vcpu_wake_up", wake_pre_handler,
	  PVSCHED_EV_WAKE },
	{ "kvm_set_lapic_tscdeadline_msr", "kvm_set_lapic_tscdeadline_msr",
	  tscdeadline_pre_handler, PVSCHED_EV_TSC_DEADLINE },
	{ "kvm_vcpu_block", "kvm_vcpu_block", block_pre_handler,
	  PVSCHED_EV_BLOCK },
};

static DEFINE_MUTEX(tp_mutex);
static bool paravirt_seen;
static u32 cur_family; /* PVSCHED_TP_*, READ_ONCE outside tp_mutex */
static u32 cur_events; /* PVSCHED_EV_* */
static bool tp_inited;
static bool tp_exiting; /* pvsched unloading: GOING is replayed */

u32 pvsched_tp_family(void)
{
	return READ_ONCE(cur_family);
}

u32 pvsched_tp_events(void)
{
	return READ_ONCE(cur_events);
}

const char *pvsched_tp_family_name(u32 family)
{
	switch (family) {
	case PVSCHED_TP_STOCK:
		return "stock";
	case PVSCHED_TP_PARAVIRT:
		return "paravirt";
	default:
		return "none";
	}
}

static void update_family(void)
{
	u32 ev = 0;
	unsigned int i;

	lockdep_assert_held(&tp_mutex);
	for (i = 0; i < ARRAY_SIZE(stock); i++)
		if (stock[i].tp)
			ev |= stock[i].ev;
	for (i = 0; i < ARRAY_SIZE(kps); i++)
		if (kps[i].attached)
			ev |= kps[i].ev;
	WRITE_ONCE(cur_events, ev);
	pvsched_engine_set_events(ev);
	WRITE_ONCE(cur_family,
		   (ev & (PVSCHED_EV_VMENTER | PVSCHED_EV_VMEXIT)) ==
				   (PVSCHED_EV_VMENTER | PVSCHED_EV_VMEXIT) ?
			   PVSCHED_TP_STOCK :
			   PVSCHED_TP_NONE);
}

static void log_attached(void)
{
	char buf[256]; /* every name: 156 bytes with kvm_vcpu_block */
	size_t len = 0;
	unsigned int i;

	lockdep_assert_held(&tp_mutex);
	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(stock); i++)
		if (stock[i].tp)
			len += scnprintf(buf + len, sizeof(buf) - len, "%s%s",
					 len ? " " : "", stock[i].name);
	for (i = 0; i < ARRAY_SIZE(kps); i++)
		if (kps[i].attached)
			len += scnprintf(buf + len, sizeof(buf) - len, "%s%s",
					 len ? " " : "", kps[i].name);
	pr_info("attached tracepoint family %s (%s)\n",
		pvsched_tp_family_name(cur_family), buf);
}

/* Attach @tp if it is one of ours and free.  tp_mutex held. */
static bool attach_one(struct tracepoint *tp, struct module *mod)
{
	unsigned int i;
	int ret;

	lockdep_assert_held(&tp_mutex);
	for (i = 0; i < ARRAY_SIZE(paravirt_names); i++)
		if (!strcmp(tp->name, paravirt_names[i]))
			paravirt_seen = true;
	for (i = 0; i < ARRAY_SIZE(stock); i++) {
		if (stock[i].tp || strcmp(tp->name, stock[i].name))
			continue;
		ret = tracepoint_probe_register(tp, stock[i].probe, NULL);
		if (ret) {
			pr_warn("cannot attach to %s: %d\n", tp->name, ret);
			return false;
		}
		stock[i].tp = tp;
		stock[i].mod = mod;
		return true;
	}
	return false;
}

static void attach_kprobes(void)
{
	struct kp_entry *k;
	unsigned int i;
	int ret;

	lockdep_assert_held(&tp_mutex);
	for (i = 0; i < ARRAY_SIZE(kps); i++) {
		k = &kps[i];
		if (k->attached)
			continue;
		memset(&k->kp, 0, sizeof(k->kp));
		k->kp.symbol_name = k->symbol;
		k->kp.pre_handler = k->handler;
		ret = register_kprobe(&k->kp);
		if (ret) {
			pr_warn("cannot kprobe %s: %d (event missing)\n",
				k->symbol, ret);
			continue;
		}
		if (!(k->kp.flags & KPROBE_FLAG_FTRACE)) {
			unregister_kprobe(&k->kp);
			pr_warn("kprobe on %s is not ftrace-based (CONFIG_KPROBES_ON_FTRACE): event missing\n",
				k->symbol);
			continue;
		}
		k->attached = true;
	}
}

static void detach_kprobes(void)
{
	unsigned int i;

	lockdep_assert_held(&tp_mutex);
	for (i = 0; i < ARRAY_SIZE(kps); i++) {
		if (!kps[i].attached)
			continue;
		unregister_kprobe(&kps[i].kp);
		kps[i].attached = false;
	}
}

/* Detach what belongs to @mod (NULL: everything).  tp_mutex held. */
static bool detach_mod(struct module *mod, bool all)
{
	bool any = false;
	unsigned int i;

	lockdep_assert_held(&tp_mutex);
	for (i = 0; i < ARRAY_SIZE(stock); i++) {
		if (!stock[i].tp || (!all && stock[i].mod != mod))
			continue;
		WARN_ON_ONCE(tracepoint_probe_unregister(stock[i].tp,
							 stock[i].probe, NULL));
		stock[i].tp = NULL;
		stock[i].mod = NULL;
		any = true;
	}
	return any;
}

static bool is_kvm(struct module *mod)
{
	return mod && !strcmp(mod->name, "kvm");
}

static int tp_module_notify(struct notifier_block *nb, unsigned long val,
			    void *data)
{
	struct tp_module *tp_mod = data;
	struct module *mod = tp_mod->mod;
	bool any = false;
	unsigned int i;

	mutex_lock(&tp_mutex);
	if (val == MODULE_STATE_COMING) {
		for (i = 0; i < mod->num_tracepoints; i++)
			any |= attach_one(tracepoint_ptr_deref(&mod->tracepoints_ptrs[i]),
					  mod);
		if (is_kvm(mod))
			attach_kprobes();
		if (any || is_kvm(mod)) {
			update_family();
			if (paravirt_seen)
				pr_info("paravirt tracepoints present, prototypes unknown to this build: using the stock family\n");
			log_attached();
		}
	} else if (val == MODULE_STATE_GOING) {
		any = detach_mod(mod, false);
		if (is_kvm(mod)) {
			detach_kprobes();
			any = true;
		}
		if (any) {
			update_family();
			pr_info("detached tracepoint family stock (%s going)\n",
				tp_exiting ? "pvsched" : mod->name);
		}
	}
	mutex_unlock(&tp_mutex);
	return NOTIFY_OK;
}

static struct notifier_block tp_module_nb = {
	.notifier_call = tp_module_notify,
};

static void builtin_tp(struct tracepoint *tp, void *priv)
{
	bool *any = priv;

	*any |= attach_one(tp, NULL);
}

void pvsched_tp_walk_events(pvsched_tp_event_fn fn, void *priv)
{
	unsigned int i;

	mutex_lock(&tp_mutex);
	for (i = 0; i < ARRAY_SIZE(stock); i++)
		fn(priv, stock[i].name, !!stock[i].tp);
	for (i = 0; i < ARRAY_SIZE(kps); i++)
		fn(priv, kps[i].name, kps[i].attached);
	mutex_unlock(&tp_mutex);
}

int pvsched_tp_init(void)
{
	bool any = false;
	int ret;

	if (!PVSCHED_TP_KNOWN) {
		pr_err("kernel %s: KVM tracepoint prototypes unknown to this build (known: 6.1.y, 6.12.y, 7.3.y); not attaching\n",
		       init_utsname()->release);
		return 0;
	}
	/* Built-in KVM (CONFIG_KVM=y): its tracepoints are the kernel's. */
	mutex_lock(&tp_mutex);
	for_each_kernel_tracepoint(builtin_tp, &any);
	if (any) {
		attach_kprobes();
		update_family();
		log_attached();
	}
	mutex_unlock(&tp_mutex);
	/* Calls tp_module_notify(COMING) for modules already loaded. */
	ret = register_tracepoint_module_notifier(&tp_module_nb);
	if (ret) {
		mutex_lock(&tp_mutex);
		detach_mod(NULL, true);
		detach_kprobes();
		update_family();
		mutex_unlock(&tp_mutex);
		tracepoint_synchronize_unregister();
		return ret;
	}
	tp_inited = true;
	mutex_lock(&tp_mutex);
	if (!cur_events)
		pr_info("kvm not loaded: waiting for it to attach\n");
	mutex_unlock(&tp_mutex);
	return 0;
}

void pvsched_tp_exit(void)
{
	if (tp_inited) {
		WRITE_ONCE(tp_exiting, true);
		/* Calls tp_module_notify(GOING) for every loaded module. */
		unregister_tracepoint_module_notifier(&tp_module_nb);
		tp_inited = false;
		WRITE_ONCE(tp_exiting, false);
	}
	mutex_lock(&tp_mutex);
	detach_mod(NULL, true); /* built-in ones */
	detach_kprobes();
	update_family();
	mutex_unlock(&tp_mutex);
	/* No probe of ours runs after this. */
	tracepoint_synchronize_unregister();
}
