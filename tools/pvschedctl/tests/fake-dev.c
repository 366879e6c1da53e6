// SPDX-License-Identifier: GPL-2.0
/*
 * fake-dev.so: a /dev/pvsched for pvschedctl's userspace tests, no module
 * needed (LD_PRELOAD=tests/fake-dev.so, see tests/check-cli.sh).
 *
 * The pvsched ioctls on a file opened at $PVSCHED_DEV (a regular file) are
 * answered from that file, which describes the module's state, one record
 * a line (# starts a comment):
 *
 *   info KEY=N...    GET_INFO: version=M.m.p abi=M.m tp_family= tp_events=
 *                    nr_vcpus= pinned_pages= vm_id= (the caller's own
 *                    session); nr_vms is the number of vm lines
 *   vm KEY=V...      a session: id= pid= cs=POLICY:PRIO:NICE intr=...
 *                    max_boost_ns= throttle_ns= flags= and last, taking
 *                    the rest of the line, name=
 *   vcpu KEY=V...    a vCPU of the session above: id= tid= state= status=
 *                    cur=POLICY:PRIO:NICE base=... and any counter of
 *                    <linux/pvsched_counters.h> by its name
 *   dump_errno N     DUMP fails with errno N (25, ENOTTY: a 1.1 module)
 *
 * Numbers are C literals (0x.. allowed), policies numbers.  DUMP follows
 * the uapi header: records at the caller's sizes, -ENOSPC with the bytes
 * needed and nothing written.
 *
 * What attach does to its session is written, one line per call, to the
 * file $PVSCHED_FAKE_LOG (if set): "set_name NAME", "set_params",
 * "vcpu_add vcpu=N tid=T owner=PID" (owner: the process of the pidfd
 * passed with PVSCHED_VCPU_ADD_PIDFD, from its fdinfo; 0 without) or
 * "vcpu_add ... refused" when, like pvsched.ko, it finds the thread not in
 * the owner's process (EPERM) or the flag missing for another process's
 * thread.  GET_PARAMS answers zeros.  Any other ioctl or file goes to libc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/pvsched.h>

#define MAX_VMS 8
#define MAX_VCPUS 64

static struct pvsched_info info;
static struct pvsched_dump_vm vms[MAX_VMS];
static struct pvsched_dump_vcpu vcpus[MAX_VMS][MAX_VCPUS];
static int nr_vms, dump_errno;

static const struct {
	const char *name;
	size_t offset;
} counters[] = {
#define PVSCHED_COUNTER(name, member) \
	{ #name, offsetof(struct pvsched_vcpu_stats, member) },
#include <linux/pvsched_counters.h>
};

/* The fd is $PVSCHED_DEV, opened. */
static int is_fake(int fd)
{
	char link[64], path[PATH_MAX], dev[PATH_MAX];
	const char *env = getenv("PVSCHED_DEV");
	ssize_t n;

	if (!env || !realpath(env, dev))
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return 0;
	path[n] = 0;
	return !strcmp(path, dev);
}

static uint64_t num(const char *s)
{
	return strtoull(s, NULL, 0);
}

static void attr(const char *s, uint32_t *policy, uint32_t *prio,
		 int32_t *nice)
{
	if (sscanf(s, "%u:%u:%d", policy, prio, nice) != 3)
		fprintf(stderr, "fake-dev: bad attribute '%s'\n", s);
}

static void set_counter(struct pvsched_vcpu_stats *st, const char *key,
			const char *val)
{
	size_t i;

	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		if (!strcmp(key, counters[i].name)) {
			uint64_t v = num(val);

			memcpy((char *)st + counters[i].offset, &v, sizeof(v));
			return;
		}
	}
	fprintf(stderr, "fake-dev: unknown key '%s'\n", key);
}

static void info_key(const char *key, const char *val)
{
	if (!strcmp(key, "version"))
		sscanf(val, "%u.%u.%u", &info.version_major,
		       &info.version_minor, &info.version_patch);
	else if (!strcmp(key, "abi"))
		sscanf(val, "%u.%u", &info.abi_major, &info.abi_minor);
	else if (!strcmp(key, "tp_family"))
		info.tp_family = num(val);
	else if (!strcmp(key, "tp_events"))
		info.tp_events = num(val);
	else if (!strcmp(key, "nr_vcpus"))
		info.nr_vcpus = num(val);
	else if (!strcmp(key, "pinned_pages"))
		info.pinned_pages = num(val);
	else if (!strcmp(key, "vm_id"))
		info.vm_id = num(val);
	else
		fprintf(stderr, "fake-dev: unknown key '%s'\n", key);
}

static void vm_key(struct pvsched_dump_vm *vm, const char *key,
		   const char *val)
{
	struct pvsched_params *p = &vm->params;

	if (!strcmp(key, "id"))
		vm->vm_id = num(val);
	else if (!strcmp(key, "pid"))
		vm->pid = num(val);
	else if (!strcmp(key, "cs"))
		attr(val, &p->cs_policy, &p->cs_rt_prio, &p->cs_nice);
	else if (!strcmp(key, "intr"))
		attr(val, &p->intr_policy, &p->intr_rt_prio, &p->intr_nice);
	else if (!strcmp(key, "max_boost_ns"))
		p->max_boost_ns = num(val);
	else if (!strcmp(key, "throttle_ns"))
		p->throttle_ns = num(val);
	else if (!strcmp(key, "flags"))
		p->flags = num(val);
	else
		fprintf(stderr, "fake-dev: unknown key '%s'\n", key);
}

static void vcpu_key(struct pvsched_dump_vcpu *c, const char *key,
		     const char *val)
{
	struct pvsched_vcpu_stats *st = &c->stats;

	if (!strcmp(key, "id"))
		st->vcpu_id = num(val);
	else if (!strcmp(key, "tid"))
		st->tid = num(val);
	else if (!strcmp(key, "state"))
		st->state = num(val);
	else if (!strcmp(key, "status"))
		st->vcpu_status = num(val);
	else if (!strcmp(key, "cur"))
		attr(val, &st->cur_policy, &st->cur_rt_prio, &st->cur_nice);
	else if (!strcmp(key, "base"))
		attr(val, &st->base_policy, &st->base_rt_prio, &st->base_nice);
	else
		set_counter(st, key, val);
}

/* One line of the description. */
static void parse_line(char *line)
{
	struct pvsched_dump_vm *vm = nr_vms ? &vms[nr_vms - 1] : NULL;
	char *kind, *tok, *save = NULL;

	kind = strtok_r(line, " ", &save);
	if (!kind || kind[0] == '#')
		return;
	if (!strcmp(kind, "dump_errno")) {
		dump_errno = num(strtok_r(NULL, " ", &save));
		return;
	}
	if (!strcmp(kind, "vm")) {
		if (nr_vms == MAX_VMS)
			return;
		vm = &vms[nr_vms++];
	}
	while ((tok = strtok_r(NULL, " ", &save))) {
		char *eq = strchr(tok, '=');

		if (!eq)
			continue;
		*eq = 0;
		if (!strcmp(kind, "info")) {
			info_key(tok, eq + 1);
		} else if (!strcmp(kind, "vm") && !strcmp(tok, "name")) {
			/* the rest of the line, spaces included */
			if (save && *save)
				eq[strlen(eq + 1) + 1] = ' ';
			snprintf(vm->name, sizeof(vm->name), "%s", eq + 1);
			return;
		} else if (!strcmp(kind, "vm")) {
			vm_key(vm, tok, eq + 1);
		} else if (!strcmp(kind, "vcpu") && vm &&
			   vm->nr_vcpus < MAX_VCPUS) {
			struct pvsched_dump_vcpu *c =
				&vcpus[nr_vms - 1][vm->nr_vcpus];

			c->vm_id = vm->vm_id;
			vcpu_key(c, tok, eq + 1);
		}
	}
	if (!strcmp(kind, "vcpu") && vm && vm->nr_vcpus < MAX_VCPUS)
		vm->nr_vcpus++;
}

/* Reads the description from the fake device's file. */
static void load(int fd)
{
	char buf[1 << 16], *line, *save = NULL;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	memset(&info, 0, sizeof(info));
	memset(vms, 0, sizeof(vms));
	memset(vcpus, 0, sizeof(vcpus));
	nr_vms = 0;
	dump_errno = 0;
	buf[n > 0 ? n : 0] = 0;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		parse_line(line);
	info.nr_vms = nr_vms;
}

/* An output record: truncated to the caller's size, or its tail zeroed. */
static void copy_out(char *dst, size_t usize, const void *src, size_t ksize)
{
	memcpy(dst, src, usize < ksize ? usize : ksize);
	if (usize > ksize)
		memset(dst + ksize, 0, usize - ksize);
}

static int fake_dump(struct pvsched_dump *d)
{
	uint64_t need = 0;
	uint32_t nr_vcpus = 0;
	char *p;
	int i, j;

	if (dump_errno) {
		errno = dump_errno;
		return -1;
	}
	if (d->flags || d->pad || d->reserved[0] || d->reserved[1] ||
	    d->vm_size < PVSCHED_DUMP_VM_SIZE_VER0 ||
	    d->vcpu_size < PVSCHED_DUMP_VCPU_SIZE_VER0 || d->vm_size % 8 ||
	    d->vcpu_size % 8) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < nr_vms; i++) {
		need += d->vm_size + (uint64_t)vms[i].nr_vcpus * d->vcpu_size;
		nr_vcpus += vms[i].nr_vcpus;
	}
	d->nr_vms = nr_vms;
	d->nr_vcpus = nr_vcpus;
	if (need > d->len) {
		d->len = need;
		errno = ENOSPC;
		return -1;
	}
	p = (char *)(uintptr_t)d->buf;
	for (i = 0; i < nr_vms; i++) {
		copy_out(p, d->vm_size, &vms[i], sizeof(vms[i]));
		p += d->vm_size;
		for (j = 0; j < (int)vms[i].nr_vcpus; j++, p += d->vcpu_size)
			copy_out(p, d->vcpu_size, &vcpus[i][j],
				 sizeof(vcpus[i][j]));
	}
	d->len = need;
	return 0;
}

static void log_line(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void log_line(const char *fmt, ...)
{
	const char *path = getenv("PVSCHED_FAKE_LOG");
	va_list ap;
	FILE *f;

	if (!path)
		return;
	f = fopen(path, "a");
	if (!f)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

/* The process a pidfd refers to (its fdinfo's "Pid:"), or -1. */
static long pidfd_owner(int pidfd)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	p = strstr(buf, "\nPid:");
	return p ? strtol(p + 5, NULL, 10) : -1;
}

/* VCPU_ADD's ownership rule of pvsched.ko (uapi header), on /proc. */
static int fake_vcpu_add(const struct pvsched_vcpu_add *a)
{
	long owner = 0;
	char path[64];
	int ok;

	if (a->flags & PVSCHED_VCPU_ADD_PIDFD) {
		owner = pidfd_owner(a->pidfd);
		if (owner <= 0) {
			log_line("vcpu_add vcpu=%u tid=%u bad pidfd",
				 a->vcpu_id, a->tid);
			errno = EBADF;
			return -1;
		}
	}
	snprintf(path, sizeof(path), "/proc/%ld/task/%u",
		 owner ? owner : (long)getpid(), a->tid);
	ok = access(path, F_OK) == 0;
	log_line("vcpu_add vcpu=%u tid=%u owner=%ld%s", a->vcpu_id, a->tid,
		 owner, ok ? "" : " refused");
	if (!ok) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

int ioctl(int fd, unsigned long request, ...)
{
	static int (*real_ioctl)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (_IOC_TYPE(request) == PVSCHED_IOCTL_TYPE && is_fake(fd)) {
		load(fd);
		if (request == PVSCHED_IOC_GET_INFO) {
			memcpy(arg, &info, sizeof(info));
			return 0;
		}
		if (request == PVSCHED_IOC_DUMP)
			return fake_dump(arg);
		if (request == PVSCHED_IOC_VCPU_ADD)
			return fake_vcpu_add(arg);
		if (request == PVSCHED_IOC_SET_NAME) {
			log_line("set_name %.*s", PVSCHED_NAME_LEN,
				 ((struct pvsched_vm_name *)arg)->name);
			return 0;
		}
		if (request == PVSCHED_IOC_GET_PARAMS) {
			memset(arg, 0, sizeof(struct pvsched_params));
			return 0;
		}
		if (request == PVSCHED_IOC_SET_PARAMS) {
			log_line("set_params");
			return 0;
		}
		errno = ENOTTY;
		return -1;
	}
	if (!real_ioctl)
		real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT,
								       "ioctl");
	return real_ioctl(fd, request, arg);
}
