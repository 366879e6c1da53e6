/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvsched_guest.ko: internal contract between the transports (how the guest
 * reaches the shared region: ivshmem-plain today, the seed's own pvsched
 * PCI device later), the core (negotiation, debugfs, module parameters) and
 * the hooks (tracepoints, NMI, CPU hotplug: the only code that writes the
 * slots' guest areas).
 *
 * A transport maps the region and calls pvsched_guest_attach(); the core
 * negotiates per uapi/linux/pvsched.h and starts the hooks.  On removal the
 * transport calls pvsched_guest_detach() before unmapping.  Only one region
 * is active at a time (a guest has one set of CPUs to publish).
 */
#ifndef _PVSCHED_GUEST_H
#define _PVSCHED_GUEST_H

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/device.h>
#include "../uapi/linux/pvsched.h"

struct pvsched_guest_region;

/* What a transport tells the core; every callback is optional. */
struct pvsched_guest_transport_ops {
	const char *name; /* "ivshmem", shown in debugfs */
	/*
	 * Called after the core wrote guest_state (ACTIVE, REFUSED or
	 * STOPPED) into the region header, e.g. to ring a doorbell or set a
	 * device's CONTROL register.  Process context, may sleep.
	 */
	void (*state_changed)(struct pvsched_guest_region *r, u32 guest_state);
};

/* One mapped region, owned by its transport. */
struct pvsched_guest_region {
	const struct pvsched_guest_transport_ops *ops;
	struct device *dev; /* for messages */
	struct pvsched_region_header *hdr; /* mapped, cacheable (WB) */
	size_t size; /* bytes mapped at hdr */
	/* filled by the core at attach */
	u32 nr_slots;
	u32 slot_size;
	u32 slot_offset;
	u64 features; /* accepted: host_features & supported */
	u32 generation;
};

/*
 * Negotiates and starts publishing.  Returns 0 (region active), -ENODEV
 * if the header does not carry PVSCHED_MAGIC (not ours: nothing printed,
 * nothing written), -EINVAL if the region was refused (one message printed,
 * guest_state = REFUSED written), -EBUSY if another region is active, or
 * another error from starting the hooks.  Process context.
 */
int pvsched_guest_attach(struct pvsched_guest_region *r);
/* Stops publishing, clears the guest areas, writes guest_state = STOPPED. */
void pvsched_guest_detach(struct pvsched_guest_region *r);

static inline struct pvsched_vcpu_slot *
pvsched_guest_slot(const struct pvsched_guest_region *r, unsigned int i)
{
	return (void *)r->hdr + r->slot_offset + (size_t)i * r->slot_size;
}

/* Hook families (module parameters hook_*). */
#define PVG_FAM_SCHED BIT(0)
#define PVG_FAM_IRQ BIT(1)
#define PVG_FAM_SOFTIRQ BIT(2)
#define PVG_FAM_NMI BIT(3)
#define PVG_FAM_PREEMPT BIT(4)

/*
 * Module parameters unboost_exit and boost_state (pvsched_guest_main.c),
 * read by the hooks at each decision.
 */
extern bool pvsched_guest_unboost_exit;
extern bool pvsched_guest_boost_state;
extern unsigned int pvsched_guest_rt_hold_us;

/* pvsched_guest_hooks.c */
int pvsched_hooks_init(void); /* module load: look tracepoints up */
void pvsched_hooks_exit(void);
/* Which families can work on this kernel (tracepoints found). */
u32 pvsched_hooks_available(void);
/*
 * Starts publishing into r's slots for the families in @families (the
 * caller already dropped those whose feature was not accepted).
 */
int pvsched_hooks_start(struct pvsched_guest_region *r, u32 families);
/* Stops; on return no hook touches the region any more. */
void pvsched_hooks_stop(void);
/* debugfs helpers */
struct seq_file;
void pvsched_hooks_show_state(struct seq_file *m);
void pvsched_hooks_show_counters(struct seq_file *m);
/* Zeroes one slot's guest area with the sequence protocol. */
void pvsched_guest_area_clear(struct pvsched_guest_area *g);

/* pvsched_guest_ivshmem.c */
int pvsched_ivshmem_init(void);
void pvsched_ivshmem_exit(void);

#endif /* _PVSCHED_GUEST_H */
