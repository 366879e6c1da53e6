/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest code of the pvsched test VMM: 32-bit protected mode, flat segments,
 * no paging, linked at GUEST_CODE.  The VMM starts every vCPU at _start with
 * %esp at the top of its per-CPU page (mailbox at the page's start) and
 * %esi = CPU index.  Everything the guest reports goes through ucalls (an
 * out to UCALL_PORT, decoded by the VMM from the registers).
 *
 * Register use in the programs: %ebp = mailbox, %edi = pvsched slot.
 * UCALL clobbers %eax, %ebx, %edx.
 */
#include "guest.h"

#define UCALL(cmd, arg)                   \
	movl arg, %ebx;                   \
	movl $cmd, %eax;                  \
	movw $UCALL_PORT, %dx;            \
	outl %eax, (%dx)

/* A guest assert failure: reports this file's line to the VMM, forever. */
#define GUEST_FAIL(detail)                \
	movl detail, %ecx;                \
	movl $__LINE__, %ebx;             \
	movl $UC_ASSERT, %eax;            \
	movw $UCALL_PORT, %dx;            \
	outl %eax, (%dx);                 \
	hlt

/* Guest-area write with the sequence protocol (x86 keeps stores ordered). */
#define GA_BEGIN incl SLOT_GUEST_SEQ(%edi)
#define GA_END incl SLOT_GUEST_SEQ(%edi)

	.code32
	.text
	.globl _start
_start:
	movl %esp, %ebp
	subl $1, %ebp
	andl $~0xfff, %ebp
	movl MB_SLOT(%ebp), %edi
	call setup_idt
	lidt idt_desc

	/* CPU 0 acts as the guest driver: accept the region's features. */
	testl %esi, %esi
	jnz 1f
	movl $GUEST_REGION, %eax
	movl REGION_HOST_FEATURES(%eax), %ecx
	movl %ecx, REGION_GUEST_FEATURES(%eax)
	movl $0, REGION_GUEST_FEATURES+4(%eax)
	movl $1, REGION_GUEST_ABI_MAJOR(%eax)
	movl $0, REGION_GUEST_ABI_MINOR(%eax)
	incl REGION_GUEST_GENERATION(%eax)
	movl $1, REGION_GUEST_STATE(%eax)
1:
	movl MB_PROG(%ebp), %eax
	cmpl $PROG_IDLE, %eax
	je prog_idle
	cmpl $PROG_HALT, %eax
	je prog_halt
	cmpl $PROG_INJECT, %eax
	je prog_inject
	cmpl $PROG_CS, %eax
	je prog_cs
	cmpl $PROG_PRIO, %eax
	je prog_prio
	cmpl $PROG_EXITS, %eax
	je prog_exits
	GUEST_FAIL(%eax)

/* idle: ask for nothing, make VM exits until go >= 1. */
prog_idle:
	UCALL(UC_SYNC, $STAGE_IDLE)
	movl $1, %ecx
	call wait_go_exits
	UCALL(UC_DONE, $0)
	jmp park

/*
 * halt: HLT with interrupts enabled until MB_ITERS interrupts (VMM MSIs or
 * the guest's LAPIC timer) were taken; then exits until go >= 1.
 */
prog_halt:
	call lapic_enable
	cmpl $WAKE_TIMER, MB_WAKE(%ebp)
	jne 1f
	call lapic_timer_start
1:
	UCALL(UC_SYNC, $STAGE_HALT)
2:
	sti
	hlt
	cli
	movl MB_ITERS(%ebp), %eax
	cmpl %eax, MB_COUNT(%ebp)
	jb 2b
	call lapic_timer_stop
	UCALL(UC_SYNC, $STAGE_AFTER)
	movl $1, %ecx
	call wait_go_exits
	UCALL(UC_DONE, $0)
	jmp park

/*
 * inject: spin with interrupts enabled and no exits of our own while the VMM
 * sends interrupts, until go >= 1; then exits until go >= 2.
 */
prog_inject:
	call lapic_enable
	UCALL(UC_SYNC, $STAGE_INJECT)
	sti
	movl $1, %ecx
	call wait_go_quiet
	cli
	UCALL(UC_SYNC, $STAGE_AFTER)
	movl $2, %ecx
	call wait_go_exits
	UCALL(UC_DONE, $0)
	jmp park

/*
 * cs: set MB_CS_FLAGS in the guest area (seq protocol), report, spin with
 * no exits of our own until go >= 1, clear the flags (the guest-driven
 * unboost), report, then exits until go >= 2.
 */
prog_cs:
	GA_BEGIN
	movl MB_CS_FLAGS(%ebp), %eax
	movl %eax, SLOT_GUEST_FLAGS(%edi)
	GA_END
	UCALL(UC_SYNC, $STAGE_CS)
	movl $1, %ecx
	call wait_go_quiet
	GA_BEGIN
	movl $0, SLOT_GUEST_FLAGS(%edi)
	GA_END
	UCALL(UC_SYNC, $STAGE_AFTER)
	movl $2, %ecx
	call wait_go_exits
	UCALL(UC_DONE, $0)
	jmp park

/*
 * prio: request MB_POLICY/MB_NICE/MB_RT_PRIO (seq protocol), exits until
 * go >= 1, request nothing again, exits until go >= 2.
 */
prog_prio:
	GA_BEGIN
	movl MB_POLICY(%ebp), %eax
	movl %eax, SLOT_GUEST_POLICY(%edi)
	movl MB_NICE(%ebp), %eax
	movl %eax, SLOT_GUEST_NICE(%edi)
	movl MB_RT_PRIO(%ebp), %eax
	movl %eax, SLOT_GUEST_RT_PRIO(%edi)
	GA_END
	UCALL(UC_SYNC, $STAGE_PRIO)
	movl $1, %ecx
	call wait_go_exits
	GA_BEGIN
	movl $0, SLOT_GUEST_POLICY(%edi)
	movl $0, SLOT_GUEST_NICE(%edi)
	movl $0, SLOT_GUEST_RT_PRIO(%edi)
	GA_END
	UCALL(UC_SYNC, $STAGE_AFTER)
	movl $2, %ecx
	call wait_go_exits
	UCALL(UC_DONE, $0)
	jmp park

/* exits: MB_ITERS VM exits as fast as possible, between two reports. */
prog_exits:
	UCALL(UC_SYNC, $STAGE_EXITS)
	movl MB_ITERS(%ebp), %esi
	cmpl $EXIT_KIND_CPUID, MB_EXIT_KIND(%ebp)
	je 2f
	movw $EXIT_PORT, %dx
1:
	outb %al, (%dx)
	decl %esi
	jnz 1b
	jmp 3f
2:
	xorl %eax, %eax
	xorl %ecx, %ecx
	cpuid
	decl %esi
	jnz 2b
3:
	UCALL(UC_SYNC, $STAGE_EXITS_END)
	UCALL(UC_DONE, $0)
	jmp park

park:
	cli
	hlt
	jmp park

/* wait_go_quiet: spin until MB_GO >= %ecx without VM exits of our own. */
wait_go_quiet:
	cmpl %ecx, MB_GO(%ebp)
	jb wait_go_quiet
	ret

/* wait_go_exits: one exit to the VMM per iteration until MB_GO >= %ecx. */
wait_go_exits:
	movw $EXIT_PORT, %dx
1:
	outb %al, (%dx)
	cmpl %ecx, MB_GO(%ebp)
	jb 1b
	ret

lapic_enable:
	movl $(0x100 | VEC_SPURIOUS), LAPIC_BASE + LAPIC_SVR
	ret

/* Periodic LAPIC timer, divide by 1: KVM counts the bus clock in ns. */
lapic_timer_start:
	movl $0xb, LAPIC_BASE + LAPIC_TDCR
	movl $(0x20000 | VEC_TIMER), LAPIC_BASE + LAPIC_LVTT
	movl MB_TIMER_NS(%ebp), %eax
	movl %eax, LAPIC_BASE + LAPIC_TMICT
	ret

lapic_timer_stop:
	cmpl $WAKE_TIMER, MB_WAKE(%ebp)
	jne 1f
	movl $0x10000, LAPIC_BASE + LAPIC_LVTT
	movl $0, LAPIC_BASE + LAPIC_TMICT
1:
	ret

/* setup_idt: every vector to unexpected_intr, then the few we handle. */
setup_idt:
	movl $GUEST_IDT, %ebx
	movl $0, %ecx
1:
	movl $unexpected_intr, %eax
	call set_gate
	incl %ecx
	cmpl $256, %ecx
	jb 1b
	movl $VEC_NMI, %ecx
	movl $nmi_handler, %eax
	call set_gate
	movl $VEC_MSI, %ecx
	movl $irq_handler, %eax
	call set_gate
	movl $VEC_TIMER, %ecx
	movl $irq_handler, %eax
	call set_gate
	movl $VEC_SPURIOUS, %ecx
	movl $spurious_handler, %eax
	call set_gate
	ret

/* set_gate: IDT entry %ecx := 32-bit interrupt gate to %eax. */
set_gate:
	pushl %edx
	movl %eax, %edx
	andl $0xffff, %edx
	orl $(GUEST_SEL_CODE << 16), %edx
	movl %edx, (%ebx, %ecx, 8)
	movl %eax, %edx
	andl $0xffff0000, %edx
	orl $0x8e00, %edx
	movl %edx, 4(%ebx, %ecx, 8)
	popl %edx
	ret

/*
 * Interrupt handler (VMM MSI and LAPIC timer): count it, set MB_IRQ_CS in
 * the guest area flags while it runs (a guest driver's hardirq section),
 * spin MB_IRQ_SPIN TSC cycles, then EOI (an exit).
 */
irq_handler:
	pushl %eax
	pushl %ebx
	pushl %ecx
	pushl %edx
	pushl %ebp
	pushl %edi
	movl %esp, %ebp
	andl $~0xfff, %ebp
	movl MB_SLOT(%ebp), %edi
	incl MB_COUNT(%ebp)
	movl MB_IRQ_CS(%ebp), %eax
	orl %eax, SLOT_GUEST_FLAGS(%edi)
	rdtsc
	addl MB_IRQ_SPIN_LO(%ebp), %eax
	adcl MB_IRQ_SPIN_HI(%ebp), %edx
	movl %eax, %ecx
	movl %edx, %ebx
1:
	rdtsc
	subl %ecx, %eax
	sbbl %ebx, %edx
	js 1b
	movl MB_IRQ_CS(%ebp), %eax
	notl %eax
	andl %eax, SLOT_GUEST_FLAGS(%edi)
	movl $0, LAPIC_BASE + LAPIC_EOI
	popl %edi
	popl %ebp
	popl %edx
	popl %ecx
	popl %ebx
	popl %eax
	iret

nmi_handler:
	pushl %ebp
	movl %esp, %ebp
	andl $~0xfff, %ebp
	incl MB_NMIS(%ebp)
	incl MB_COUNT(%ebp)
	popl %ebp
	iret

spurious_handler:
	iret

unexpected_intr:
	movl (%esp), %esi
	GUEST_FAIL(%esi)

	.align 8
idt_desc:
	.word 256 * 8 - 1
	.long GUEST_IDT
