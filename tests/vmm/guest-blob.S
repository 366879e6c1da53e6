/* SPDX-License-Identifier: GPL-2.0 */
/* The guest code (guest.bin, see guest.S), embedded in the VMM. */
	.section .rodata
	.globl guest_blob
	.globl guest_blob_end
	.balign 16
guest_blob:
	.incbin "guest.bin"
guest_blob_end:
	.section .note.GNU-stack, "", @progbits
