/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * pvsched: the counters of a vCPU, as one table (an X-macro, the
 * kvm-x86-ops.h way): the fields of struct pvsched_vcpu_stats
 * (<linux/pvsched.h>) from exits to the end, in their order.
 *
 * Define PVSCHED_COUNTER(name, member), then include this file; it expands
 * PVSCHED_COUNTER once per counter and undefines it.  name is the key under
 * which debugfs "vms" and "pvschedctl status" show the counter, member its
 * field (a __u64).  pvsched.ko fills GET_STATS and prints debugfs from it,
 * pvschedctl its columns and JSON keys: a counter added to the structure is
 * added here, at the end, and every reader shows it.
 *
 *	#define PVSCHED_COUNTER(name, member) \
 *		{ #name, offsetof(struct pvsched_vcpu_stats, member) },
 *	#include <linux/pvsched_counters.h>
 */
#ifndef PVSCHED_COUNTER
#error "define PVSCHED_COUNTER(name, member) before including pvsched_counters.h"
#endif

PVSCHED_COUNTER(exits, exits)
PVSCHED_COUNTER(entries, entries)
PVSCHED_COUNTER(halts, halts)
PVSCHED_COUNTER(injections, injections)
PVSCHED_COUNTER(boosts_cs, boosts[PVSCHED_REASON_CRIT_SECTION])
PVSCHED_COUNTER(boosts_task, boosts[PVSCHED_REASON_TASK_PRIO])
PVSCHED_COUNTER(boosts_halt, boosts[PVSCHED_REASON_HALT])
PVSCHED_COUNTER(boosts_intr, boosts[PVSCHED_REASON_INTR])
PVSCHED_COUNTER(unboosts, unboosts)
PVSCHED_COUNTER(throttles, throttles)
PVSCHED_COUNTER(boosted_ns, boosted_ns)
PVSCHED_COUNTER(throttled_ns, throttled_ns)
PVSCHED_COUNTER(torn_reads, torn_reads)
PVSCHED_COUNTER(guest_clamped, guest_clamped)
PVSCHED_COUNTER(guest_refused, guest_refused)
PVSCHED_COUNTER(guest_invalid, guest_invalid)
PVSCHED_COUNTER(apply_direct, apply_direct)
PVSCHED_COUNTER(apply_deferred, apply_deferred)
PVSCHED_COUNTER(apply_errors, apply_errors)
PVSCHED_COUNTER(kicks, kicks)
PVSCHED_COUNTER(kick_boosts, kick_boosts)
PVSCHED_COUNTER(idle_holds, idle_holds)
PVSCHED_COUNTER(irq_holds, irq_holds)
PVSCHED_COUNTER(wakes, wakes)
PVSCHED_COUNTER(deadlines, deadlines)
PVSCHED_COUNTER(timer_boosts, timer_boosts)
PVSCHED_COUNTER(lazy_demotes, lazy_demotes)
PVSCHED_COUNTER(quiet_exits, quiet_exits)
PVSCHED_COUNTER(blocks, blocks)
PVSCHED_COUNTER(share_throttles, share_throttles)
PVSCHED_COUNTER(boosted_cpu_ns, boosted_cpu_ns)
PVSCHED_COUNTER(base_changes, base_changes)
PVSCHED_COUNTER(guest_unoffered, guest_unoffered)

#undef PVSCHED_COUNTER
