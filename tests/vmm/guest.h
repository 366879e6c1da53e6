/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between the test VMM (pvsched-vmm.c) and its guest code (guest.S):
 * guest-physical memory layout, the per-vCPU mailbox, ucall numbers and
 * program ids.  Plain #defines only: this header is also preprocessed for
 * the assembler.
 *
 * Guest memory (one MAP_SHARED memfd, GUEST_MEM_SIZE bytes at GPA 0):
 *   GUEST_CODE      guest.bin (linked at this address), 32-bit flat code
 *   GUEST_GDT       null, code (0x08), data (0x10) descriptors (VMM)
 *   GUEST_IDT       256 interrupt gates (filled by the guest)
 *   GUEST_REGION    a pvsched region: header, then one slot per vCPU; the
 *                   VMM registers GUEST_SLOT(i) with PVSCHED_IOC_VCPU_ADD
 *   GUEST_PERCPU(i) one page per vCPU: mailbox at its start, stack below
 *                   its end (the guest finds its mailbox from %esp)
 * The guest runs in 32-bit protected mode without paging; the local APIC
 * (in-kernel irqchip) is at its default address.
 */
#ifndef PVSCHED_VMM_GUEST_H
#define PVSCHED_VMM_GUEST_H

#define GUEST_MEM_SIZE 0x200000
#define GUEST_CODE 0x1000
#define GUEST_CODE_MAX 0x5000
#define GUEST_GDT 0x6000
#define GUEST_IDT 0x6800
#define GUEST_REGION 0x8000
#define GUEST_SLOT(i) (GUEST_REGION + 64 + 64 * (i))
#define GUEST_MAX_VCPUS 32
#define GUEST_PERCPU(i) (0x10000 + 0x1000 * (i))
#define GUEST_STACK_TOP(i) (GUEST_PERCPU(i) + 0x1000)

#define GUEST_SEL_CODE 0x08
#define GUEST_SEL_DATA 0x10

#define LAPIC_BASE 0xfee00000
#define LAPIC_ID 0x20
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_LVTT 0x320
#define LAPIC_TMICT 0x380
#define LAPIC_TDCR 0x3e0

#define VEC_NMI 2
#define VEC_MSI 0x40 /* what the VMM sends with KVM_SIGNAL_MSI */
#define VEC_TIMER 0x41 /* the guest's LAPIC timer */
#define VEC_SPURIOUS 0xff

/* Ports: a ucall (eax = UC_*, ebx = argument) and the bare exit port. */
#define UCALL_PORT 0x500
#define EXIT_PORT 0x501

#define UC_DONE 1
#define UC_ASSERT 2 /* ebx = guest.S line, ecx = detail */
#define UC_SYNC 3 /* ebx = STAGE_* */
#define UC_PRINT 4 /* ebx = value */

/* Stages (phases) a guest program reports with UC_SYNC. */
#define STAGE_NONE 0
#define STAGE_HALT 1
#define STAGE_INJECT 2
#define STAGE_CS 3
#define STAGE_PRIO 4
#define STAGE_AFTER 5
#define STAGE_IDLE 6
#define STAGE_EXITS 7
#define STAGE_EXITS_END 8
#define STAGE_NR 9

/* Programs (MB_PROG). */
#define PROG_IDLE 0
#define PROG_HALT 1
#define PROG_INJECT 2
#define PROG_CS 3
#define PROG_PRIO 4
#define PROG_EXITS 5

/* MB_WAKE for PROG_HALT */
#define WAKE_EXTERNAL 0 /* the VMM sends MSIs */
#define WAKE_TIMER 1 /* the guest's own periodic LAPIC timer */

/* MB_EXIT_KIND for PROG_EXITS */
#define EXIT_KIND_PIO 0 /* out to EXIT_PORT: exit to the VMM */
#define EXIT_KIND_CPUID 1 /* cpuid: exit handled inside KVM */

/* Mailbox: byte offsets of 32-bit fields, written by the VMM before start
 * (go and the counters change while the guest runs). */
#define MB_PROG 0
#define MB_GO 4 /* VMM increments it to end a phase */
#define MB_SLOT 8 /* GPA of this vCPU's pvsched slot */
#define MB_CPU 12
#define MB_POLICY 16 /* PROG_PRIO request */
#define MB_NICE 20
#define MB_RT_PRIO 24
#define MB_ITERS 28 /* exits (PROG_EXITS), wakes (PROG_HALT) */
#define MB_COUNT 32 /* interrupts taken (guest-written) */
#define MB_NMIS 36 /* NMIs taken (guest-written) */
#define MB_IRQ_CS 40 /* flags the interrupt handler sets while it runs */
#define MB_IRQ_SPIN_LO 44 /* TSC cycles the handler spins before EOI */
#define MB_IRQ_SPIN_HI 48
#define MB_TIMER_NS 52 /* WAKE_TIMER period */
#define MB_EXIT_KIND 56
#define MB_WAKE 60
#define MB_CS_FLAGS 64 /* PROG_CS flags */
#define MB_SIZE 128

/* struct pvsched_vcpu_slot offsets (checked against the uapi header). */
#define SLOT_GUEST_SEQ 8
#define SLOT_GUEST_FLAGS 12
#define SLOT_GUEST_POLICY 16
#define SLOT_GUEST_NICE 20
#define SLOT_GUEST_RT_PRIO 24
/* struct pvsched_region_header offsets */
#define REGION_HOST_FEATURES 24
#define REGION_GUEST_FEATURES 32
#define REGION_GUEST_ABI_MAJOR 40
#define REGION_GUEST_ABI_MINOR 44
#define REGION_GUEST_STATE 48
#define REGION_GUEST_GENERATION 52

#endif /* PVSCHED_VMM_GUEST_H */
