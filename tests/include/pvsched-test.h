/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the userspace test programs share, so that each is defined once:
 * struct sched_attr with a sched_getattr(2) wrapper, the region header a
 * VMM writes, the /dev/pvsched ioctl wrappers they all need, and
 * read_file(), pidfd_of() and tgid_of() for the VCPU_ADD of another
 * process's thread.  Included (as "../include/pvsched-test.h") by
 * pvsched-ioctl-test and pvsched-vmm-sim (mk/ctl.mk), pvsched-engine-reg
 * (mk/engine.mk), pvsched-hostile (mk/debug.mk) and pvsched-vmm
 * (mk/vmm.mk); it finds the uapi header by its own path, so the programs
 * need no -I for it.
 *
 * Every function that can fail returns 0 or -errno (errno is set too): test
 * programs compare the result with an expected error, tools print
 * strerror(errno).
 */
#ifndef PVSCHED_TEST_H
#define PVSCHED_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include "../../uapi/linux/pvsched.h"

/*
 * struct sched_attr of sched_setattr(2): glibc 2.36 has neither the struct
 * nor the wrappers, and <linux/sched/types.h> clashes with glibc's headers.
 */
struct sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
	uint32_t sched_util_min;
	uint32_t sched_util_max;
};

/* The scheduling attributes of thread tid (any pid namespace's tid). */
static inline int sched_getattr_tid(pid_t tid, struct sched_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	return syscall(SYS_sched_getattr, tid, a, sizeof(*a), 0) ? -errno : 0;
}

/* --- the shared-memory region --------------------------------------------- */

/*
 * The host side's fields of a region header for nr_slots slots, every
 * feature offered (uapi "Ownership").  The caller stores the magic last.
 * pvschedctl's write_region() (attach.c) is the product's own, not shared.
 */
static inline void region_header_init(struct pvsched_region_header *h,
				      uint32_t nr_slots)
{
	h->abi_major = PVSCHED_ABI_MAJOR;
	h->abi_minor = PVSCHED_ABI_MINOR;
	h->nr_slots = nr_slots;
	h->slot_size = PVSCHED_SLOT_SIZE;
	h->slot_offset = PVSCHED_REGION_HDR_SIZE;
	h->host_features = PVSCHED_F_ALL;
}

/* --- /dev/pvsched --------------------------------------------------------- */

/* ioctl(2) returning 0 or -errno */
static inline int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* PVSCHED_IOC_VCPU_ADD with flags and padding zero. */
static inline int vcpu_add(int fd, uint32_t vcpu_id, pid_t tid,
			   const volatile void *slot)
{
	struct pvsched_vcpu_add a = {
		.vcpu_id = vcpu_id,
		.tid = tid,
		.slot_addr = (uintptr_t)slot,
	};

	return xioctl(fd, PVSCHED_IOC_VCPU_ADD, &a);
}

/*
 * PVSCHED_IOC_VCPU_ADD of a thread of the process pidfd refers to
 * (PVSCHED_VCPU_ADD_PIDFD, ABI 1.2): how a VMM's deputy registers the
 * VMM's threads.
 */
static inline int vcpu_add_pidfd(int fd, uint32_t vcpu_id, pid_t tid,
				 const volatile void *slot, int pidfd)
{
	struct pvsched_vcpu_add a = {
		.vcpu_id = vcpu_id,
		.tid = tid,
		.slot_addr = (uintptr_t)slot,
		.flags = PVSCHED_VCPU_ADD_PIDFD,
		.pidfd = pidfd,
	};

	return xioctl(fd, PVSCHED_IOC_VCPU_ADD, &a);
}

/* pidfd_open(2) of process pid (glibc 2.36 has no wrapper): fd or -errno. */
static inline int pidfd_of(pid_t pid)
{
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
	int fd = syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : fd;
}

static inline int vcpu_del(int fd, uint32_t vcpu_id)
{
	struct pvsched_vcpu_del d = { .vcpu_id = vcpu_id };

	return xioctl(fd, PVSCHED_IOC_VCPU_DEL, &d);
}

/* PVSCHED_IOC_GET_STATS of vcpu_id into *st (zeroed first). */
static inline int vcpu_stats(int fd, uint32_t vcpu_id,
			     struct pvsched_vcpu_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->vcpu_id = vcpu_id;
	return xioctl(fd, PVSCHED_IOC_GET_STATS, st);
}

/* --- files ---------------------------------------------------------------- */

/* Reads at most size - 1 bytes of path into buf, NUL-terminated; 0 or -errno. */
static inline int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n, len = 0;

	if (fd < 0)
		return -errno;
	while (len < (ssize_t)size - 1 &&
	       (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	buf[len] = 0;
	close(fd);
	return 0;
}

/* The process (thread group id) of thread tid, from /proc: pid or -errno. */
static inline pid_t tgid_of(pid_t tid)
{
	char path[64], buf[4096], *p;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	ret = read_file(path, buf, sizeof(buf));
	if (ret)
		return ret;
	p = strstr(buf, "\nTgid:");
	return p ? (pid_t)strtol(p + 6, NULL, 10) : -ESRCH;
}

#endif
