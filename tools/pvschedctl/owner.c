// SPDX-License-Identifier: GPL-2.0
/*
 * Whose threads attach registers (owner.h): the VMM as a pidfd, the
 * /proc check of each vCPU thread, and QEMU's vCPU threads by name.
 *
 * Everything read from /proc/PID is trusted only if the pidfd's process
 * was still alive after the read: a pid is not reused while its process
 * (or its zombie) exists, so /proc/PID was then that process.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/pvsched.h>

#include "errmsg.h"
#include "owner.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
/* Linux 6.5; glibc 2.36 does not know it */
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

/*
 * The first len - 1 bytes of a /proc file, NUL-terminated: bytes read or
 * -errno.
 */
static ssize_t proc_read(const char *path, char *buf, size_t len)
{
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)got < len - 1 &&
	       (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	buf[got] = '\0';
	close(fd);
	return got;
}

/* A task's name (/proc/ID/comm), printable, "?" if unreadable. */
static void task_comm(pid_t id, char *buf, size_t len)
{
	char path[64], raw[32];
	size_t i;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)id);
	if (proc_read(path, raw, sizeof(raw)) <= 0)
		snprintf(raw, sizeof(raw), "?");
	raw[strcspn(raw, "\n")] = '\0';
	for (i = 0; raw[i]; i++)
		if ((unsigned char)raw[i] < 0x20 ||
		    (unsigned char)raw[i] > 0x7e)
			raw[i] = '?';
	snprintf(buf, len, "%s", raw);
}

/* A "Key:" line of /proc/ID/status: its first number, or -1. */
static long status_field(const char *status, const char *key)
{
	size_t n = strlen(key);
	const char *p;

	for (p = status; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (!strncmp(p, key, n))
			return strtol(p + n, NULL, 10);
	}
	return -1;
}

/* When process pid started, in clock ticks since boot; -1 if unknown. */
static long long start_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	long long ticks;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (proc_read(path, buf, sizeof(buf)) <= 0)
		return -1;
	/* "pid (comm) state ...": comm may hold spaces and ')' */
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	/* starttime is field 22; ')' ends field 2 */
	for (field = 2; field < 21 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%lld", &ticks) != 1)
		return -1;
	return ticks;
}

static int pidfd_open(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

bool vmm_alive(const struct vmm *v)
{
	return v->pidfd >= 0 &&
	       syscall(SYS_pidfd_send_signal, v->pidfd, 0, NULL, 0) == 0;
}

void vmm_close(struct vmm *v)
{
	if (v->pidfd >= 0)
		close(v->pidfd);
	v->pidfd = -1;
}

int vmm_from_socket(struct vmm *v, int sock, uint64_t connect_ns, char *err,
		    size_t errlen)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	long long start;
	long tick = sysconf(_SC_CLK_TCK);
	int fd, e;

	memset(v, 0, sizeof(*v));
	v->pidfd = -1;
	v->what = "the QMP peer";
	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    cred.pid <= 0) {
		set_err(err, errlen,
			"cannot tell which process serves the QMP socket (SO_PEERCRED)");
		return -ESRCH;
	}
	v->pid = cred.pid;
	len = sizeof(fd);
	if (getsockopt(sock, SOL_SOCKET, SO_PEERPIDFD, &fd, &len) == 0) {
		v->pidfd = fd;
	} else if (errno == ENOPROTOOPT) {
		/*
		 * No SO_PEERPIDFD (before 6.5): the pid may have been
		 * reused since the peer listened.  The process opened must
		 * have started before we connected (a tick earlier: the
		 * start time is in ticks) and be alive after that was read.
		 */
		v->pidfd = pidfd_open(v->pid);
		if (v->pidfd < 0) {
			e = errno;
			set_err(err, errlen,
				"the QMP peer (pid %d) is gone: pidfd_open: %s",
				(int)v->pid, strerror(e));
			return -e;
		}
		start = start_ticks(v->pid);
		if (start < 0 || tick <= 0 || !vmm_alive(v) ||
		    (unsigned long long)start >=
			    connect_ns / (1000000000ull / tick)) {
			set_err(err, errlen,
				"the QMP peer (pid %d) is gone: that pid is now another process, started after the connection",
				(int)v->pid);
			vmm_close(v);
			return -ESRCH;
		}
	} else {
		e = errno;
		set_err(err, errlen,
			"the QMP peer (pid %d): SO_PEERPIDFD: %s%s",
			(int)v->pid, strerror(e),
			e == ESRCH ? " (it has exited)" : "");
		return -e;
	}
	task_comm(v->pid, v->comm, sizeof(v->comm));
	return 0;
}

int vmm_from_pid(struct vmm *v, pid_t pid, char *err, size_t errlen)
{
	int e;

	memset(v, 0, sizeof(*v));
	v->what = "process";
	v->pid = pid;
	v->pidfd = pidfd_open(pid);
	if (v->pidfd < 0) {
		e = errno;
		set_err(err, errlen, "process %d: %s", (int)pid,
			e == ESRCH ? "no such process" : strerror(e));
		return -e;
	}
	task_comm(pid, v->comm, sizeof(v->comm));
	if (!vmm_alive(v)) {
		set_err(err, errlen, "process %d has exited", (int)pid);
		vmm_close(v);
		return -ESRCH;
	}
	return 0;
}

/* "thread T (COMM) belongs to process P (COMM) of user U" or why not. */
static void describe_thread(pid_t tid, char *buf, size_t len)
{
	char path[64], status[4096], comm[32], pcomm[32];
	long tgid, uid;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (proc_read(path, status, sizeof(status)) <= 0) {
		snprintf(buf, len, "there is no thread %d", (int)tid);
		return;
	}
	tgid = status_field(status, "Tgid:");
	uid = status_field(status, "Uid:");
	task_comm(tid, comm, sizeof(comm));
	task_comm(tgid, pcomm, sizeof(pcomm));
	if (tgid == tid)
		snprintf(
			buf, len,
			"thread %d is the main thread of process %d (%s) of user %ld",
			(int)tid, (int)tgid, pcomm, uid);
	else
		snprintf(
			buf, len,
			"thread %d (%s) belongs to process %ld (%s) of user %ld",
			(int)tid, comm, tgid, pcomm, uid);
}

int vmm_check_thread(const struct vmm *v, pid_t tid, char *err, size_t errlen)
{
	char path[64], why[256];
	bool ok;

	snprintf(path, sizeof(path), "/proc/%d/task/%d", (int)v->pid, (int)tid);
	/* /proc/PID/task/TID exists only for a thread of PID's group */
	ok = tid > 0 && access(path, F_OK) == 0;
	if (!vmm_alive(v)) {
		set_err(err, errlen, "%s (pid %d, %s) has exited", v->what,
			(int)v->pid, v->comm);
		return -ESRCH;
	}
	if (ok)
		return 0;
	describe_thread(tid, why, sizeof(why));
	set_err(err, errlen,
		"thread %d is not a thread of %s (pid %d, %s): %s; refusing to register any vCPU",
		(int)tid, v->what, (int)v->pid, v->comm, why);
	return -EPERM;
}

int vmm_check_vcpus(const struct vmm *v, const struct qmp_vcpu *vcpus, int nr,
		    char *err, size_t errlen)
{
	char why[512];
	int i, r;

	for (i = 0; i < nr; i++) {
		r = vmm_check_thread(v, vcpus[i].tid, why, sizeof(why));
		if (r == -ESRCH) {
			set_err(err, errlen, "%s", why);
			return r;
		}
		if (r) {
			set_err(err, errlen, "vCPU %u: %s", vcpus[i].index,
				why);
			return r;
		}
	}
	return 0;
}

/* "CPU N/KVM": 1 and *index, or 0 for any other name. */
static int vcpu_name(const char *comm, unsigned long *index)
{
	const char *p = comm + 4;
	char *end;

	if (strncmp(comm, "CPU ", 4) || *p < '0' || *p > '9' ||
	    (*p == '0' && p[1] != '/'))
		return 0;
	errno = 0;
	*index = strtoul(p, &end, 10);
	return !errno && !strcmp(end, "/KVM");
}

static int cmp_index(const void *x, const void *y)
{
	const struct qmp_vcpu *a = x, *b = y;

	return (a->index > b->index) - (a->index < b->index);
}

int vmm_find_vcpus(const struct vmm *v, struct qmp_vcpu **vcpus, int *nr,
		   char *err, size_t errlen)
{
	struct qmp_vcpu *list = NULL;
	char path[64], comm[64];
	struct dirent *d;
	int n = 0, cap = 0, i, ret = 0;
	DIR *dir;

	*vcpus = NULL;
	*nr = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)v->pid);
	dir = opendir(path);
	if (!dir) {
		ret = -errno;
		set_err(err, errlen, "process %d: %s: %s", (int)v->pid, path,
			strerror(-ret));
		return ret;
	}
	while ((d = readdir(dir))) {
		unsigned long index;
		char *end;
		long tid = strtol(d->d_name, &end, 10);

		if (*end || tid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%ld/comm",
			 (int)v->pid, tid);
		/* a thread that exited since readdir() is no vCPU of ours */
		if (proc_read(path, comm, sizeof(comm)) <= 0)
			continue;
		comm[strcspn(comm, "\n")] = '\0';
		if (!vcpu_name(comm, &index))
			continue;
		if (index >= PVSCHED_MAX_VCPU_ID) {
			set_err(err, errlen,
				"process %d: thread %ld is named \"%s\": vCPU index beyond %d",
				(int)v->pid, tid, comm,
				PVSCHED_MAX_VCPU_ID - 1);
			ret = -EPROTO;
			break;
		}
		if (n == cap) {
			struct qmp_vcpu *nl;

			cap = cap ? cap * 2 : 16;
			nl = realloc(list, cap * sizeof(*list));
			if (!nl) {
				set_err(err, errlen, "out of memory");
				ret = -ENOMEM;
				break;
			}
			list = nl;
		}
		list[n].index = index;
		list[n].tid = tid;
		n++;
	}
	closedir(dir);
	if (!ret && !vmm_alive(v)) {
		set_err(err, errlen, "process %d (%s) has exited", (int)v->pid,
			v->comm);
		ret = -ESRCH;
	}
	if (!ret && !n) {
		set_err(err, errlen,
			"process %d (%s) has no thread named \"CPU N/KVM\": not a QEMU running a VM under KVM, or QEMU without -name ...,debug-threads=on",
			(int)v->pid, v->comm);
		ret = -ENOENT;
	}
	if (!ret) {
		qsort(list, n, sizeof(*list), cmp_index);
		for (i = 1; i < n; i++) {
			if (list[i].index != list[i - 1].index)
				continue;
			set_err(err, errlen,
				"process %d: threads %u and %u are both named \"CPU %u/KVM\"",
				(int)v->pid, list[i - 1].tid, list[i].tid,
				list[i].index);
			ret = -EPROTO;
			break;
		}
	}
	if (ret) {
		free(list);
		return ret;
	}
	*vcpus = list;
	*nr = n;
	return 0;
}

/*
 * The name in the value of QEMU's -name: NAME[,KEY=VALUE...] or
 * guest=NAME[,...] (QemuOpts: the first element without '=' is the
 * implied key "guest"; ",," is a ',' inside an element).
 */
static void parse_name_opt(const char *val, char *name, size_t len)
{
	const char *p = val;
	bool first = true;
	char elem[256];

	name[0] = '\0';
	for (;;) {
		size_t k = 0;

		while (*p && (*p != ',' || p[1] == ',')) {
			if (*p == ',')
				p++;
			if (k + 1 < sizeof(elem))
				elem[k++] = *p;
			p++;
		}
		elem[k] = '\0';
		if (!strncmp(elem, "guest=", 6)) {
			snprintf(name, len, "%s", elem + 6);
			return;
		}
		if (first && !strchr(elem, '='))
			snprintf(name, len, "%s", elem);
		first = false;
		if (!*p)
			return;
		p++;
	}
}

void vmm_qemu_name(const struct vmm *v, char *name, size_t len)
{
	char path[64], *buf, *arg, *end;
	ssize_t n;

	name[0] = '\0';
	buf = malloc(65536);
	if (!buf)
		return;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)v->pid);
	n = proc_read(path, buf, 65536);
	end = buf + (n > 0 ? n : 0);
	for (arg = buf; arg < end; arg += strlen(arg) + 1) {
		if (strcmp(arg, "-name") && strcmp(arg, "--name"))
			continue;
		arg += strlen(arg) + 1;
		if (arg < end)
			parse_name_opt(arg, name, len);
		break;
	}
	free(buf);
}
