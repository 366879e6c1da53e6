// SPDX-License-Identifier: GPL-2.0
/*
 * pvsched admin views: every file of /sys/kernel/debug/pvsched/, for
 * people.  Tools read the same data typed: GET_INFO and PVSCHED_IOC_DUMP
 * ("pvschedctl status" does).
 *
 * The line formats are stable (lab tests and scripts read them): fields are
 * separated by one space, and new key=value fields are only ever appended
 * to a line.
 *
 * vms (0400): one line per session, in the order they were opened, each
 * followed by one line per vCPU (ascending vcpu_id); the records of
 * PVSCHED_IOC_DUMP as text:
 *   vm <id> name=<name or -> pid=<vmm tgid> vcpus=<n> cs=<policy>:<prio>:<nice> intr=<policy>:<prio>:<nice> max_boost_ns=<n> throttle_ns=<n> kick_boost=<0|1> idle_hold=<0|1> irq_hold=<0|1>
 *   vcpu <vm_id> <vcpu_id> tid=<tid> state=<idle|boosted|throttled> status=<0xNN> policy=<normal|fifo|rr|batch|idle> prio=<n> nice=<n> base=<policy>:<prio>:<nice> exits=<n> entries=<n> halts=<n> injections=<n> boosts_cs=<n> boosts_task=<n> boosts_halt=<n> boosts_intr=<n> unboosts=<n> throttles=<n> boosted_ns=<n> throttled_ns=<n> torn_reads=<n> guest_clamped=<n> guest_refused=<n> guest_invalid=<n> apply_direct=<n> apply_deferred=<n> apply_errors=<n> kicks=<n> kick_boosts=<n> idle_holds=<n> irq_holds=<n>
 *   <name> has spaces and backslashes escaped as \040 and \134 (seq_escape);
 *   <policy> is normal, fifo, rr, batch, idle (deadline/unknown never
 *   applied); <pid> and <tid> are in the init pid namespace; counters are
 *   decimal, named and ordered by uapi/linux/pvsched_counters.h (a new one
 *   comes last); status is the last published PVSCHED_VCPU_STATUS_* in hex.
 *
 * info (0400): key=value lines, in this order:
 *   version=<major>.<minor>.<patch>
 *   abi=<major>.<minor>
 *   tp_family=<none|stock|paravirt>
 *   tp_events=<0xNN, PVSCHED_EV_* bits>
 *   nr_vms=<sessions open>
 *   nr_vcpus=<vCPUs registered>
 *   pinned_pages=<n>
 *
 * pinned_pages (0400): one decimal number, the shared-memory page pins held
 * now: one per registered vCPU (two slots in one page count twice), 0 when
 * no vCPU is registered.  GET_INFO's pinned_pages is the same number.
 *
 * engine (0444): "key value" lines, in this order: family (as tp_family),
 * events (PVSCHED_EV_* bits, %#x), vcpus (registered), apply_direct,
 * apply_deferred, apply_errors (attribute changes of every vCPU so far),
 * delay_direct_ns_avg, delay_direct_ns_max, delay_deferred_ns_avg,
 * delay_deferred_ns_max (from a decision to its change).
 *
 * share (0444): the host-wide RT share of each possible host CPU, one line
 * each: "cpu <n> window_ns=<n> share_ns=<n> window_start_ns=<n>
 * used_ns=<n> throttles=<n>": the admin's window and share (0 share: no
 * bound), the window charged last (CLOCK_MONOTONIC) and the RT-boosted
 * time charged in it, and the boosts refused or ended there so far.
 *
 * tracepoints (0444): one line per event pvsched attaches to, in this order:
 * "<name> attached" or "<name> missing" for kvm_entry, kvm_exit,
 * kvm_inj_virq, kvm_vcpu_wakeup, kvm_userspace_exit (tracepoints),
 * kvm_vcpu_halt, kvm_vcpu_kick, kvm_vcpu_wake_up,
 * kvm_set_lapic_tscdeadline_msr and kvm_vcpu_block (kprobes).
 */

#include <linux/kernel.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "pvsched.h"
#include "pvsched_debugfs.h"
#include "pvsched_vm.h"
#include "pvsched_caps.h"
#include "pvsched_engine.h"
#include "pvsched_tp.h"

static struct dentry *pvsched_debugfs_dir;

/* --- vms -------------------------------------------------------------------- */

static void print_attr(struct seq_file *m, const char *key, u32 policy,
		       u32 prio, s32 nice)
{
	seq_printf(m, " %s=%s:%u:%d", key, pvsched_policy_name(policy), prio,
		   nice);
}

static const char *state_name(u32 state)
{
	static const char *const names[] = {
		[PVSCHED_STATE_IDLE] = "idle",
		[PVSCHED_STATE_BOOSTED] = "boosted",
		[PVSCHED_STATE_THROTTLED] = "throttled",
	};

	return state < ARRAY_SIZE(names) ? names[state] : "unknown";
}

/* The counters of a vCPU, by name. */
static const struct {
	const char *name;
	size_t offset; /* in struct pvsched_vcpu_stats */
} counters[] = {
#define PVSCHED_COUNTER(name, member) \
	{ #name, offsetof(struct pvsched_vcpu_stats, member) },
#include "../uapi/linux/pvsched_counters.h"
};

static int show_vm(void *priv, const struct pvsched_dump_vm *vm)
{
	const struct pvsched_params *p = &vm->params;
	struct seq_file *m = priv;

	seq_printf(m, "vm %u name=", vm->vm_id);
	if (vm->name[0])
		seq_escape(m, vm->name, " \\");
	else
		seq_putc(m, '-');
	seq_printf(m, " pid=%u vcpus=%u", vm->pid, vm->nr_vcpus);
	print_attr(m, "cs", p->cs_policy, p->cs_rt_prio, p->cs_nice);
	print_attr(m, "intr", p->intr_policy, p->intr_rt_prio, p->intr_nice);
	seq_printf(m, " max_boost_ns=%llu throttle_ns=%llu", p->max_boost_ns,
		   p->throttle_ns);
	/* 0.2's mechanisms: appended, like every field after 0.1's */
	seq_printf(m, " kick_boost=%u idle_hold=%u irq_hold=%u",
		   !(p->flags & PVSCHED_PARAMS_NO_KICK_BOOST),
		   !(p->flags & PVSCHED_PARAMS_NO_IDLE_HOLD),
		   !(p->flags & PVSCHED_PARAMS_NO_IRQ_HOLD));
	seq_printf(m, " withheld_features=0x%llx\n", p->withheld_features);
	return 0;
}

static int show_vcpu(void *priv, const struct pvsched_dump_vcpu *v)
{
	const struct pvsched_vcpu_stats *st = &v->stats;
	struct seq_file *m = priv;
	unsigned int i;

	seq_printf(m, "vcpu %u %u tid=%u state=%s status=0x%02x policy=%s prio=%u nice=%d",
		   v->vm_id, st->vcpu_id, st->tid, state_name(st->state),
		   st->vcpu_status, pvsched_policy_name(st->cur_policy),
		   st->cur_rt_prio, st->cur_nice);
	print_attr(m, "base", st->base_policy, st->base_rt_prio,
		   st->base_nice);
	for (i = 0; i < ARRAY_SIZE(counters); i++)
		seq_printf(m, " %s=%llu", counters[i].name,
			   *(const u64 *)((const void *)st + counters[i].offset));
	seq_putc(m, '\n');
	return 0;
}

static int vms_show(struct seq_file *m, void *v)
{
	return pvsched_vm_walk(show_vm, show_vcpu, m);
}
DEFINE_SHOW_ATTRIBUTE(vms);

/* --- info, pinned_pages ------------------------------------------------------ */

static int info_show(struct seq_file *m, void *v)
{
	seq_printf(m, "version=%u.%u.%u\n", PVSCHED_VERSION_MAJOR,
		   PVSCHED_VERSION_MINOR, PVSCHED_VERSION_PATCH);
	seq_printf(m, "abi=%u.%u\n", PVSCHED_ABI_MAJOR, PVSCHED_ABI_MINOR);
	seq_printf(m, "tp_family=%s\n",
		   pvsched_tp_family_name(pvsched_tp_family()));
	seq_printf(m, "tp_events=0x%02x\n", pvsched_tp_events());
	seq_printf(m, "nr_vms=%u\n", pvsched_nr_vms());
	seq_printf(m, "nr_vcpus=%d\n", atomic_read(&pvsched_nr_vcpus));
	seq_printf(m, "pinned_pages=%d\n", atomic_read(&pvsched_nr_vcpus));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(info);

static int pinned_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%d\n", atomic_read(&pvsched_nr_vcpus));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pinned);

/* --- engine, share, tracepoints ---------------------------------------------- */

static int engine_show(struct seq_file *m, void *v)
{
	struct pvsched_engine_stats s;

	pvsched_engine_get_stats(&s);
	seq_printf(m, "family %s\n", pvsched_tp_family_name(pvsched_tp_family()));
	seq_printf(m, "events %#x\n", pvsched_tp_events());
	seq_printf(m, "vcpus %d\n", atomic_read(&pvsched_nr_vcpus));
	seq_printf(m, "apply_direct %llu\n", s.apply_direct);
	seq_printf(m, "apply_deferred %llu\n", s.apply_deferred);
	seq_printf(m, "apply_errors %llu\n", s.apply_errors);
	seq_printf(m, "delay_direct_ns_avg %llu\n", s.delay_direct_ns_avg);
	seq_printf(m, "delay_direct_ns_max %llu\n", s.delay_direct_ns_max);
	seq_printf(m, "delay_deferred_ns_avg %llu\n", s.delay_deferred_ns_avg);
	seq_printf(m, "delay_deferred_ns_max %llu\n", s.delay_deferred_ns_max);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(engine);

static int share_show(struct seq_file *m, void *v)
{
	struct pvsched_engine_share s;
	struct pvsched_caps caps;
	int cpu;

	pvsched_caps_get(&caps);
	if (caps.cpu_share_ns >= caps.cpu_share_window_ns)
		caps.cpu_share_ns = 0;
	for_each_possible_cpu(cpu) {
		pvsched_engine_get_share(cpu, &s);
		seq_printf(m, "cpu %d window_ns=%llu share_ns=%llu window_start_ns=%llu used_ns=%llu throttles=%llu\n",
			   cpu, caps.cpu_share_window_ns, caps.cpu_share_ns,
			   s.window_start_ns, s.used_ns, s.throttles);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(share);

static void show_event(void *priv, const char *name, bool attached)
{
	seq_printf(priv, "%s %s\n", name, attached ? "attached" : "missing");
}

static int tracepoints_show(struct seq_file *m, void *v)
{
	pvsched_tp_walk_events(show_event, m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tracepoints);

/* --- the directory ------------------------------------------------------------ */

void pvsched_debugfs_init(void)
{
	/* An error pointer (debugfs disabled) is accepted by every call. */
	pvsched_debugfs_dir = debugfs_create_dir("pvsched", NULL);
	debugfs_create_file("vms", 0400, pvsched_debugfs_dir, NULL, &vms_fops);
	debugfs_create_file("info", 0400, pvsched_debugfs_dir, NULL,
			    &info_fops);
	debugfs_create_file("pinned_pages", 0400, pvsched_debugfs_dir, NULL,
			    &pinned_fops);
	debugfs_create_file("engine", 0444, pvsched_debugfs_dir, NULL,
			    &engine_fops);
	debugfs_create_file("share", 0444, pvsched_debugfs_dir, NULL,
			    &share_fops);
	debugfs_create_file("tracepoints", 0444, pvsched_debugfs_dir, NULL,
			    &tracepoints_fops);
}

void pvsched_debugfs_exit(void)
{
	/* Waits for the readers of every file. */
	debugfs_remove_recursive(pvsched_debugfs_dir);
}
