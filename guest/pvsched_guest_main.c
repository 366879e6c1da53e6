// SPDX-License-Identifier: GPL-2.0
/*
 * pvsched_guest.ko: the guest half of pvsched.  Module init/exit, module
 * parameters, negotiation (uapi/linux/pvsched.h) and debugfs:
 *
 *   /sys/kernel/debug/pvsched_guest/state     negotiated region and slots
 *   /sys/kernel/debug/pvsched_guest/counters  per-CPU hook counters
 *
 * The transports (pvsched_guest_ivshmem.c) find and map regions; the hooks
 * (pvsched_guest_hooks.c) write the slots.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <asm/barrier.h>
#include "pvsched_guest.h"

static bool hook_sched = true;
module_param(hook_sched, bool, 0644);
MODULE_PARM_DESC(hook_sched,
		 "Publish task policy/nice/rt_prio from sched_switch and sched_wakeup (PVSCHED_F_TASK_PRIO); read at bind");
static bool hook_irq = true;
module_param(hook_irq, bool, 0644);
MODULE_PARM_DESC(hook_irq, "Set PVSCHED_CS_HARDIRQ in hard interrupts; read at bind");
static bool hook_softirq = true;
module_param(hook_softirq, bool, 0644);
MODULE_PARM_DESC(hook_softirq, "Set PVSCHED_CS_SOFTIRQ in softirqs; read at bind");
static bool hook_nmi = true;
module_param(hook_nmi, bool, 0644);
MODULE_PARM_DESC(hook_nmi, "Set PVSCHED_CS_NMI in NMIs (x86 NMI handler chain); read at bind");
static bool hook_preempt = true;
module_param(hook_preempt, bool, 0644);
MODULE_PARM_DESC(hook_preempt,
		 "Set PVSCHED_CS_PREEMPT_DISABLED (needs CONFIG_PREEMPTIRQ_TRACEPOINTS); read at bind");
bool pvsched_guest_unboost_exit = true;
module_param_named(unboost_exit, pvsched_guest_unboost_exit, bool, 0644);
MODULE_PARM_DESC(unboost_exit,
		 "When this CPU's latency work is done (back to a fair task, out of interrupts) while the host still boosts it, make one VM exit (CPUID) so the host demotes it now, not at the next natural exit");
static bool pvsched_guest_exit_demote = true;
module_param_named(exit_demote, pvsched_guest_exit_demote, bool, 0644);
MODULE_PARM_DESC(exit_demote,
		 "Accept PVSCHED_F_EXIT_DEMOTE when the host offers it (with crit_section): make a switch's unboost exit after the run-queue lock is released and an interrupt's end only over code that holds no spinlock, so the host demotes at the exit instead of at the next entry; 0: the ABI 1.2 behaviour (exit inside the switch, the host's lazy demotion), for comparison; read at bind");
bool pvsched_guest_boost_state = true;
module_param_named(boost_state, pvsched_guest_boost_state, bool, 0644);
MODULE_PARM_DESC(boost_state,
		 "Decide the unboost exit from the host's published boost state (slot.host_boost) when PVSCHED_F_BOOST_STATE is negotiated; 0: infer it from the applied attributes as with a host before ABI 1.2, for comparison (a vCPU whose base is RT, a negative nice, BATCH or IDLE then exits at every switch)");

unsigned int pvsched_guest_rt_hold_us = 4000;
module_param_named(rt_hold_us, pvsched_guest_rt_hold_us, uint, 0644);
MODULE_PARM_DESC(rt_hold_us,
		 "Keep a preempted RT task's request published while less urgent tasks run ahead of it (the fair server, RT throttling), for at most this long (us; read at every switch); 0: publish only the running task's, for comparison");

/* Serializes attach/detach and protects pvg_active. */
static DEFINE_MUTEX(pvg_lock);
static struct pvsched_guest_region *pvg_active;
static u32 pvg_active_families;
static struct dentry *pvg_debugfs;

static u32 pvg_wanted_families(void)
{
	return (hook_sched ? PVG_FAM_SCHED : 0) | (hook_irq ? PVG_FAM_IRQ : 0) |
	       (hook_softirq ? PVG_FAM_SOFTIRQ : 0) |
	       (hook_nmi ? PVG_FAM_NMI : 0) |
	       (hook_preempt ? PVG_FAM_PREEMPT : 0);
}

#define PVG_FAM_CS \
	(PVG_FAM_IRQ | PVG_FAM_SOFTIRQ | PVG_FAM_NMI | PVG_FAM_PREEMPT)

/* Features this driver can honour with the hook families it will run. */
static u64 pvg_supported(u32 families)
{
	u64 f = PVSCHED_F_HOST_AREA; /* shown in debugfs */

	if (families & PVG_FAM_SCHED)
		f |= PVSCHED_F_TASK_PRIO | PVSCHED_F_IDLE_HINT |
		     PVSCHED_F_BOOST_STATE;
	/* the unboost exit is a CPUID: x86 only */
	if ((families & PVG_FAM_SCHED) && IS_ENABLED(CONFIG_X86) &&
	    pvsched_guest_exit_demote)
		f |= PVSCHED_F_EXIT_DEMOTE;
	if (families & PVG_FAM_CS)
		f |= PVSCHED_F_CRIT_SECTION;
	return f;
}

static void pvg_set_state(struct pvsched_guest_region *r, u32 state)
{
	virt_wmb(); /* everything before is visible first */
	WRITE_ONCE(r->hdr->guest_state, state);
	if (r->ops->state_changed)
		r->ops->state_changed(r, state);
}

static int pvg_refuse(struct pvsched_guest_region *r, const char *why)
{
	struct pvsched_region_header *h = r->hdr;

	dev_err(r->dev,
		"pvsched region refused: %s (region ABI %u.%u, %u slots of %u bytes at %u, %zu bytes mapped; driver ABI %u.%u)\n",
		why, READ_ONCE(h->abi_major), READ_ONCE(h->abi_minor),
		READ_ONCE(h->nr_slots), READ_ONCE(h->slot_size),
		READ_ONCE(h->slot_offset), r->size, PVSCHED_ABI_MAJOR,
		PVSCHED_ABI_MINOR);
	WRITE_ONCE(h->guest_abi_major, PVSCHED_ABI_MAJOR);
	WRITE_ONCE(h->guest_abi_minor, PVSCHED_ABI_MINOR);
	WRITE_ONCE(h->guest_features, 0);
	pvg_set_state(r, PVSCHED_GUEST_REFUSED);
	return -EINVAL;
}

int pvsched_guest_attach(struct pvsched_guest_region *r)
{
	struct pvsched_region_header *h = r->hdr;
	u32 nr, size, off, families;
	u64 host_features;
	int ret;

	if (r->size < sizeof(*h) || READ_ONCE(h->magic) != PVSCHED_MAGIC)
		return -ENODEV;
	virt_rmb(); /* magic is written last by the host */

	mutex_lock(&pvg_lock);
	nr = READ_ONCE(h->nr_slots);
	size = READ_ONCE(h->slot_size);
	off = READ_ONCE(h->slot_offset);
	host_features = READ_ONCE(h->host_features);
	if (READ_ONCE(h->abi_major) != PVSCHED_ABI_MAJOR) {
		ret = pvg_refuse(r, "ABI major version mismatch");
		goto out;
	}
	/* slots may grow in a later minor version, never shrink */
	if (size < PVSCHED_SLOT_SIZE || size % PVSCHED_CACHELINE) {
		ret = pvg_refuse(r, "bad slot_size");
		goto out;
	}
	if (off < PVSCHED_REGION_HDR_SIZE || off % PVSCHED_CACHELINE) {
		ret = pvg_refuse(r, "bad slot_offset");
		goto out;
	}
	if (!nr || nr > PVSCHED_MAX_VCPU_ID ||
	    off + (u64)nr * size > r->size) {
		ret = pvg_refuse(r, "slots do not fit the region");
		goto out;
	}
	if (pvg_active) {
		dev_warn(r->dev,
			 "a pvsched region is already active (%s): this one is left alone\n",
			 dev_name(pvg_active->dev));
		ret = -EBUSY;
		goto out;
	}
	r->nr_slots = nr;
	r->slot_size = size;
	r->slot_offset = off;

	families = pvg_wanted_families() & pvsched_hooks_available();
	r->features = host_features & pvg_supported(families);
	if (!(r->features & PVSCHED_F_TASK_PRIO))
		families &= ~PVG_FAM_SCHED;
	if (!(r->features & PVSCHED_F_CRIT_SECTION))
		families &= ~PVG_FAM_CS;
	/* PVSCHED_CS_SWITCH keeps the host from demoting inside a switch */
	if ((r->features & (PVSCHED_F_CRIT_SECTION | PVSCHED_F_TASK_PRIO)) !=
	    (PVSCHED_F_CRIT_SECTION | PVSCHED_F_TASK_PRIO))
		r->features &= ~PVSCHED_F_EXIT_DEMOTE;
	r->generation = READ_ONCE(h->guest_generation) + 1;

	WRITE_ONCE(h->guest_abi_major, PVSCHED_ABI_MAJOR);
	WRITE_ONCE(h->guest_abi_minor, PVSCHED_ABI_MINOR);
	WRITE_ONCE(h->guest_features, r->features);
	WRITE_ONCE(h->guest_generation, r->generation);

	ret = pvsched_hooks_start(r, families);
	if (ret) {
		dev_err(r->dev, "cannot start the hooks: %d\n", ret);
		pvg_set_state(r, PVSCHED_GUEST_STOPPED);
		goto out;
	}
	pvg_set_state(r, PVSCHED_GUEST_ACTIVE);
	pvg_active = r;
	pvg_active_families = families;
	dev_info(r->dev,
		 "pvsched region active via %s: ABI %u.%u, %u slots, features offered 0x%llx accepted 0x%llx, generation %u\n",
		 r->ops->name, READ_ONCE(h->abi_major), READ_ONCE(h->abi_minor),
		 nr, host_features, r->features, r->generation);
out:
	mutex_unlock(&pvg_lock);
	return ret;
}

void pvsched_guest_detach(struct pvsched_guest_region *r)
{
	mutex_lock(&pvg_lock);
	if (pvg_active == r) {
		pvsched_hooks_stop();
		pvg_set_state(r, PVSCHED_GUEST_STOPPED);
		pvg_active = NULL;
		pvg_active_families = 0;
		dev_info(r->dev, "pvsched region stopped\n");
	}
	mutex_unlock(&pvg_lock);
}

static int pvg_state_show(struct seq_file *m, void *v)
{
	struct pvsched_guest_region *r;
	struct pvsched_region_header *h;

	mutex_lock(&pvg_lock);
	r = pvg_active;
	seq_printf(m, "driver_abi: %u.%u\n", PVSCHED_ABI_MAJOR,
		   PVSCHED_ABI_MINOR);
	seq_printf(m, "families_available: 0x%x\n",
		   pvsched_hooks_available());
	if (!r) {
		seq_puts(m, "bound: none\n");
		goto out;
	}
	h = r->hdr;
	seq_printf(m, "bound: %s\ntransport: %s\n", dev_name(r->dev),
		   r->ops->name);
	seq_printf(m, "region_abi: %u.%u\n", READ_ONCE(h->abi_major),
		   READ_ONCE(h->abi_minor));
	seq_printf(m, "nr_slots: %u\nslot_size: %u\nslot_offset: %u\n",
		   r->nr_slots, r->slot_size, r->slot_offset);
	seq_printf(m, "host_features: 0x%llx\nguest_features: 0x%llx\n",
		   READ_ONCE(h->host_features), READ_ONCE(h->guest_features));
	seq_printf(m, "guest_state: %u\nguest_generation: %u\n",
		   READ_ONCE(h->guest_state), READ_ONCE(h->guest_generation));
	seq_printf(m, "families: 0x%x\n", pvg_active_families);
out:
	pvsched_hooks_show_state(m);
	mutex_unlock(&pvg_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvg_state);

static int pvg_counters_show(struct seq_file *m, void *v)
{
	pvsched_hooks_show_counters(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvg_counters);

static int __init pvsched_guest_init(void)
{
	int ret;

	ret = pvsched_hooks_init();
	if (ret)
		return ret;
	pvg_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("state", 0444, pvg_debugfs, NULL, &pvg_state_fops);
	debugfs_create_file("counters", 0444, pvg_debugfs, NULL,
			    &pvg_counters_fops);
	ret = pvsched_ivshmem_init();
	if (ret)
		goto err;
	return 0;
err:
	debugfs_remove_recursive(pvg_debugfs);
	pvsched_hooks_exit();
	return ret;
}

static void __exit pvsched_guest_exit(void)
{
	pvsched_ivshmem_exit();
	debugfs_remove_recursive(pvg_debugfs);
	pvsched_hooks_exit();
}

module_init(pvsched_guest_init);
module_exit(pvsched_guest_exit);
MODULE_DESCRIPTION("pvsched guest driver: publishes per-vCPU scheduling hints to the host");
MODULE_LICENSE("GPL");
