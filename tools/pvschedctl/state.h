/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What "pvschedctl attach" publishes for "pvschedctl status": one state
 * file per attached VM, RUN_DIR/<vm_id>.state (default /run/pvsched),
 * key=value lines:
 *
 *   vm_id=3              session id (pvsched_info.vm_id)
 *   name=web1            --name, QMP query-name, or empty
 *   attach_pid=1234      the pvschedctl attach process
 *   qemu_pid=1200        QEMU (the QMP socket's peer, or --pid)
 *   via=qmp              how the vCPU threads were found: qmp (--qmp,
 *                        query-cpus-fast) or pid (--pid, thread names)
 *   qmp=/run/vm.qmp      the QMP socket; empty with via=pid
 *   shm=/dev/shm/pvsched the shared-memory file
 *   nr_slots=4           slots in the region
 *   host_features=0x7    offered in the region header
 *   guest_state=active   last guest state attach saw (none|active|...)
 *   guest_abi=1.0
 *   guest_generation=1
 *   guest_features=0x3   accepted by the guest, as written by it
 *   refused_features=0x4 offered, not accepted
 *   ignored_features=0x0 accepted but never offered (ignored by the host)
 *
 * Status prefers reading the region header live (shm, read-only) and
 * falls back to the saved guest_* values.
 */
#ifndef PVSCHEDCTL_STATE_H
#define PVSCHEDCTL_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/pvsched.h>

struct guest_view {
	uint32_t state; /* PVSCHED_GUEST_* */
	uint32_t abi_major, abi_minor;
	uint32_t generation;
	uint64_t offered; /* host_features */
	uint64_t accepted; /* guest_features & offered */
	uint64_t refused; /* offered & ~guest_features */
	uint64_t ignored; /* guest_features & ~offered */
	uint64_t raw; /* guest_features as written */
};

struct attach_state {
	uint32_t vm_id;
	char name[PVSCHED_NAME_LEN];
	pid_t attach_pid;
	pid_t qemu_pid;
	char via[8]; /* "qmp" or "pid"; a file without it: qmp */
	char qmp[256];
	char shm[256];
	uint32_t nr_slots;
	struct guest_view guest;
	bool live; /* guest view read from the region just now */
};

/* One consistent-enough snapshot of the header's guest fields. */
void guest_view_read(const volatile struct pvsched_region_header *h,
		     struct guest_view *g);
bool guest_view_equal(const struct guest_view *a, const struct guest_view *b);

int state_path(char *buf, size_t len, uint32_t vm_id);
/* Written atomically (temporary file + rename); returns 0 or -errno. */
int state_write(const struct attach_state *st);
void state_remove(uint32_t vm_id);
/* 0, or -errno (-ENOENT: no file; -ESRCH: its attach process is gone). */
int state_read(uint32_t vm_id, struct attach_state *st);
/* Refreshes st->guest from the region file if readable (sets st->live). */
void state_read_live(struct attach_state *st);

/* print_* of a guest view inside the current JSON object / plain line. */
void guest_view_print(const struct guest_view *g);

#endif
