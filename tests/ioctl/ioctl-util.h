/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the /dev/pvsched test programs pvsched-ioctl-test and
 * pvsched-vmm-sim (built by mk/ctl.mk).
 */
#ifndef PVSCHED_IOCTL_UTIL_H
#define PVSCHED_IOCTL_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/types.h>

/* struct sched_attr of sched_setattr(2) (linux/sched/types.h clashes with glibc) */
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

#endif
