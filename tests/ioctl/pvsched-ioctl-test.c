// SPDX-License-Identifier: GPL-2.0
/*
 * pvsched-ioctl-test: every /dev/pvsched ioctl's success path and each error
 * documented in uapi/linux/pvsched.h.  Runs as root with pvsched.ko loaded
 * (in the lab: tests/lab/tests/ctl-ioctl.sh).  "vCPU" threads are threads of
 * this program: no KVM needed.  TAP output; exits 1 on any failure, 77 if
 * /dev/pvsched is missing.
 *
 *   pvsched-ioctl-test [-v]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/sched.h>

#include <linux/pvsched.h>

#include "../include/pvsched-test.h"

#define DEV "/dev/pvsched"
#define PARAMS "/sys/module/pvsched/parameters/"
#define DEBUGFS "/sys/kernel/debug/pvsched/"

static int ntest, nfail, verbose;

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	ntest++;
	if (!ok)
		nfail++;
	printf("%sok %d - ", ok ? "" : "not ", ntest);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static const char *errname(int e)
{
	static char buf[32];

	switch (-e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EINTR: return "EINTR";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	case ENOSPC: return "ENOSPC";
	case E2BIG: return "E2BIG";
	case EBADF: return "EBADF";
	}
	snprintf(buf, sizeof(buf), "%d", e);
	return buf;
}

#define EXPECT(call, want, what, ...)                                     \
	do {                                                               \
		int r_ = (call);                                           \
		check(r_ == (want), what " -> %s (got %s)", ##__VA_ARGS__, \
		      errname(want), errname(r_));                         \
	} while (0)

static int open_dev(void)
{
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		printf("Bail out! open %s: %s\n", DEV, strerror(errno));
		exit(1);
	}
	return fd;
}

/* --- module parameters and debugfs -------------------------------------- */

static int write_param(const char *name, const char *val)
{
	char path[256];
	int fd, ret = 0;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static char *read_param(const char *name)
{
	static char buf[64];
	char path[256];

	snprintf(path, sizeof(path), PARAMS "%s", name);
	if (read_file(path, buf, sizeof(buf)))
		return "?";
	buf[strcspn(buf, "\n")] = 0;
	return buf;
}

static long long debugfs_pinned(void)
{
	char buf[64];

	if (read_file(DEBUGFS "pinned_pages", buf, sizeof(buf)))
		return -1;
	return atoll(buf);
}

static char vms_buf[1 << 16];

static const char *debugfs_vms(void)
{
	if (read_file(DEBUGFS "vms", vms_buf, sizeof(vms_buf)))
		return "";
	return vms_buf;
}

static uint64_t info_pinned(int fd)
{
	struct pvsched_info info;

	if (xioctl(fd, PVSCHED_IOC_GET_INFO, &info))
		return ~0ull;
	return info.pinned_pages;
}

/* --- vCPU threads -------------------------------------------------------- */

struct vthread {
	pthread_t th;
	pid_t tid;
	volatile int stop;
	int ready;
};

static void *vthread_fn(void *arg)
{
	struct vthread *t = arg;

	t->tid = gettid();
	__atomic_store_n(&t->ready, 1, __ATOMIC_RELEASE);
	while (!t->stop)
		usleep(1000);
	return NULL;
}

static void vthread_start(struct vthread *t)
{
	memset(t, 0, sizeof(*t));
	if (pthread_create(&t->th, NULL, vthread_fn, t)) {
		printf("Bail out! pthread_create\n");
		exit(1);
	}
	while (!__atomic_load_n(&t->ready, __ATOMIC_ACQUIRE))
		usleep(100);
}

static void vthread_stop(struct vthread *t)
{
	t->stop = 1;
	pthread_join(t->th, NULL);
}

static int set_attr(pid_t tid, uint32_t policy, uint32_t prio, int nice)
{
	struct sched_attr a = { .size = sizeof(a) };

	a.sched_policy = policy;
	a.sched_priority = prio;
	a.sched_nice = nice;
	return syscall(SYS_sched_setattr, tid, &a, 0) ? -errno : 0;
}

static bool attr_is(pid_t tid, uint32_t policy, uint32_t prio, int nice)
{
	struct sched_attr a;

	if (sched_getattr_tid(tid, &a))
		return false;
	if (verbose)
		printf("# tid %d: policy %u prio %u nice %d\n", tid,
		       a.sched_policy, a.sched_priority, a.sched_nice);
	return a.sched_policy == policy && a.sched_priority == prio &&
	       a.sched_nice == nice;
}

/* --- helpers ------------------------------------------------------------- */

static void *map_shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		printf("Bail out! mmap: %s\n", strerror(errno));
		exit(1);
	}
	memset(p, 0, len);
	return p;
}

static struct pvsched_vcpu_slot *slot_at(void *region, int i)
{
	return (void *)((char *)region + PVSCHED_REGION_HDR_SIZE +
			i * PVSCHED_SLOT_SIZE);
}

/* A valid params struct within the default caps. */
static void good_params(struct pvsched_params *p)
{
	memset(p, 0, sizeof(*p));
	p->cs_policy = SCHED_FIFO;
	p->cs_rt_prio = 3; /* below the RT ceiling (max_rt_prio 4) */
	p->cs_nice = 0;
	p->intr_policy = SCHED_NORMAL;
	p->intr_rt_prio = 0;
	p->intr_nice = -5;
	p->max_boost_ns = 5000000;
	p->throttle_ns = 3000000; /* duty 62.5 %: within max_duty_pct 70 */
	p->debug = 1;
}

/* --- tests --------------------------------------------------------------- */

static void test_info(int fd)
{
	struct pvsched_info info;
	unsigned char buf[sizeof(info) + 32];
	unsigned int i;
	bool ok;

	memset(&info, 0xa5, sizeof(info));
	EXPECT(xioctl(fd, PVSCHED_IOC_GET_INFO, &info), 0, "GET_INFO");
	check(info.abi_major == PVSCHED_ABI_MAJOR &&
		      info.abi_minor == PVSCHED_ABI_MINOR,
	      "GET_INFO abi %u.%u", info.abi_major, info.abi_minor);
	check(info.vm_id > 0, "GET_INFO vm_id %u", info.vm_id);
	check(info.features == PVSCHED_F_ALL, "GET_INFO features 0x%llx",
	      (unsigned long long)info.features);
	check(info.tp_family <= PVSCHED_TP_PARAVIRT, "GET_INFO tp_family %u",
	      info.tp_family);
	check(info.max_policy == SCHED_FIFO && info.max_rt_prio == 4 &&
		      info.min_nice == -10 && info.max_vcpus_per_vm == 256 &&
		      info.max_vms == 64 &&
		      info.max_boost_cap_ns == 1000000000ull &&
		      info.min_throttle_ns == 1000000ull,
	      "GET_INFO default caps");
	check(info.max_duty_pct == 70 && info.cpu_share_pct == 50 &&
		      info.cpu_share_window_ns == 100000000ull,
	      "GET_INFO host-wide bound: RT ceiling 4, max duty 70 %%, share 50 %% of 100 ms (%u %u %llu)",
	      info.max_duty_pct, info.cpu_share_pct,
	      (unsigned long long)info.cpu_share_window_ns);
	check(!strcmp(read_param("max_duty_pct"), "70") &&
		      !strcmp(read_param("cpu_share_pct"), "50") &&
		      !strcmp(read_param("cpu_share_window_us"), "100000"),
	      "host-wide bound: the module parameters say the same");
	check(info.nr_vms >= 1 && info.pad == 0 && !info.reserved[0] &&
		      !info.reserved[3],
	      "GET_INFO nr_vms %u, pad and reserved zero", info.nr_vms);

	/* Output truncated to a smaller size. */
	memset(buf, 0x5a, sizeof(buf));
	EXPECT(xioctl(fd, _IOC(_IOC_READ, PVSCHED_IOCTL_TYPE, 0, 8), buf), 0,
	       "GET_INFO with size 8");
	ok = ((struct pvsched_info *)buf)->version_major == info.version_major;
	for (i = 8; i < sizeof(buf); i++)
		ok &= buf[i] == 0x5a;
	check(ok, "GET_INFO size 8 writes 8 bytes only");

	/* A larger caller's struct gets its tail zeroed. */
	memset(buf, 0x5a, sizeof(buf));
	EXPECT(xioctl(fd, _IOC(_IOC_READ, PVSCHED_IOCTL_TYPE, 0, sizeof(buf)),
		      buf),
	       0, "GET_INFO with size %zu", sizeof(buf));
	ok = true;
	for (i = sizeof(info); i < sizeof(buf); i++)
		ok &= buf[i] == 0;
	check(ok, "GET_INFO larger size: tail zeroed");

	EXPECT(xioctl(fd, PVSCHED_IOC_GET_INFO, NULL), -EFAULT,
	       "GET_INFO NULL argument");
	EXPECT(xioctl(fd, PVSCHED_IOC_GET_INFO, (void *)0xffffffff81000000ul),
	       -EFAULT, "GET_INFO kernel address argument");
}

static void test_dispatch(int fd)
{
	struct pvsched_info info;
	char big[64] = { 0 };

	EXPECT(xioctl(fd, _IO(PVSCHED_IOCTL_TYPE, 0x20), NULL), -ENOTTY,
	       "unknown nr 0x20");
	EXPECT(xioctl(fd, _IOR(PVSCHED_IOCTL_TYPE, 0x09, struct pvsched_info),
		      &info),
	       -ENOTTY, "unknown nr 0x09");
	EXPECT(xioctl(fd, _IOR(PVSCHED_IOCTL_TYPE, 0x08, struct pvsched_dump),
		      big),
	       -ENOTTY, "DUMP with _IOR direction");
	EXPECT(xioctl(fd, _IOR('x', 0x00, struct pvsched_info), &info),
	       -ENOTTY, "other ioctl type");
	EXPECT(xioctl(fd, _IOW(PVSCHED_IOCTL_TYPE, 0x00, struct pvsched_info),
		      &info),
	       -ENOTTY, "GET_INFO with _IOW direction");
	EXPECT(xioctl(fd, _IOWR(PVSCHED_IOCTL_TYPE, 0x00, struct pvsched_info),
		      &info),
	       -ENOTTY, "GET_INFO with _IOWR direction");
	EXPECT(xioctl(fd, _IOR(PVSCHED_IOCTL_TYPE, 0x01,
			       struct pvsched_vcpu_add),
		      big),
	       -ENOTTY, "VCPU_ADD with _IOR direction");
	EXPECT(xioctl(fd, _IO(PVSCHED_IOCTL_TYPE, 0x02), NULL), -ENOTTY,
	       "VCPU_DEL with _IO direction");
	EXPECT(xioctl(fd, _IOW(PVSCHED_IOCTL_TYPE, 0x05,
			       struct pvsched_vcpu_stats),
		      big),
	       -ENOTTY, "GET_STATS with _IOW direction");
	EXPECT(xioctl(fd, TCGETS, big), -ENOTTY, "TCGETS");
}

static void test_add_del(void)
{
	struct vthread a, b, c, dead;
	struct pvsched_vcpu_add add;
	struct pvsched_vcpu_del del;
	struct pvsched_vcpu_slot *s0;
	char big[sizeof(add) + 16];
	char path[] = "/dev/shm/pvsched-ioctl-XXXXXX"; /* tmpfs */
	void *region, *ro, *priv, *unmapped, *filemap, *privfile;
	uint64_t pinned0;
	int fd, fd2, ffd;

	fd = open_dev();
	vthread_start(&a);
	vthread_start(&b);
	vthread_start(&c);
	set_attr(a.tid, SCHED_BATCH, 0, 3);
	region = map_shared(4096);
	pinned0 = info_pinned(fd);

	/* Argument validation: one field off at a time, each its own TAP line. */
	add = (struct pvsched_vcpu_add){ .vcpu_id = 0, .tid = a.tid,
					 .slot_addr = (uintptr_t)slot_at(region, 0) };
	add.flags = ~PVSCHED_VCPU_ADD_FLAGS_ALL;
	EXPECT(xioctl(fd, PVSCHED_IOC_VCPU_ADD, &add), -EINVAL,
	       "VCPU_ADD unknown flags");
	add.flags = 0;
	add.pad = 1;
	EXPECT(xioctl(fd, PVSCHED_IOC_VCPU_ADD, &add), -EINVAL,
	       "VCPU_ADD pad 1");
	add.pad = 0;
	add.reserved = 1;
	EXPECT(xioctl(fd, PVSCHED_IOC_VCPU_ADD, &add), -EINVAL,
	       "VCPU_ADD reserved 1");
	add.reserved = 0;
	add.pidfd = 3;
	EXPECT(xioctl(fd, PVSCHED_IOC_VCPU_ADD, &add), -EINVAL,
	       "VCPU_ADD pidfd without PVSCHED_VCPU_ADD_PIDFD");
	add.pidfd = 0;
	add.vcpu_id = PVSCHED_MAX_VCPU_ID;
	EXPECT(xioctl(fd, PVSCHED_IOC_VCPU_ADD, &add), -EINVAL,
	       "VCPU_ADD vcpu_id PVSCHED_MAX_VCPU_ID");
	add.vcpu_id = 0;
	add.slot_addr += 8;
	EXPECT(xioctl(fd, PVSCHED_IOC_VCPU_ADD, &add), -EINVAL,
	       "VCPU_ADD slot_addr misaligned by 8");
	add.slot_addr += 24;
	EXPECT(xioctl(fd, PVSCHED_IOC_VCPU_ADD, &add), -EINVAL,
	       "VCPU_ADD slot_addr misaligned by 32");
	add.slot_addr -= 32;
	EXPECT(xioctl(fd, _IOC(_IOC_WRITE, PVSCHED_IOCTL_TYPE, 1, 8), &add),
	       -EINVAL, "VCPU_ADD size 8 (smaller than the first version)");
	memset(big, 0, sizeof(big));
	memcpy(big, &add, sizeof(add));
	big[sizeof(add) + 3] = 1;
	EXPECT(xioctl(fd, _IOC(_IOC_WRITE, PVSCHED_IOCTL_TYPE, 1, sizeof(big)),
		      big),
	       -E2BIG, "VCPU_ADD larger size, nonzero tail");
	EXPECT(xioctl(fd, PVSCHED_IOC_VCPU_ADD, NULL), -EFAULT,
	       "VCPU_ADD NULL argument");

	/* Threads. */
	EXPECT(vcpu_add(fd, 0, 0, slot_at(region, 0)), -ESRCH, "VCPU_ADD tid 0");
	EXPECT(vcpu_add(fd, 0, 0x3fffffff, slot_at(region, 0)), -ESRCH,
	       "VCPU_ADD tid 0x3fffffff");
	vthread_start(&dead);
	vthread_stop(&dead);
	EXPECT(vcpu_add(fd, 0, dead.tid, slot_at(region, 0)), -ESRCH,
	       "VCPU_ADD tid of an exited thread");
	EXPECT(vcpu_add(fd, 0, 2, slot_at(region, 0)), -EPERM,
	       "VCPU_ADD kthreadd (tid 2)");

	/* Slot addresses. */
	EXPECT(vcpu_add(fd, 0, a.tid, NULL), -EFAULT, "VCPU_ADD slot NULL");
	EXPECT(vcpu_add(fd, 0, a.tid, (void *)0xffffffff81000000ul), -EFAULT,
	       "VCPU_ADD slot kernel address");
	EXPECT(vcpu_add(fd, 0, a.tid, (void *)0xffff888000000000ul), -EFAULT,
	       "VCPU_ADD slot direct-map address");
	unmapped = map_shared(4096);
	munmap(unmapped, 4096);
	EXPECT(vcpu_add(fd, 0, a.tid, unmapped), -EFAULT,
	       "VCPU_ADD slot unmapped");
	ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	EXPECT(vcpu_add(fd, 0, a.tid, ro), -EFAULT,
	       "VCPU_ADD slot read-only shared");
	priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(priv, 0, 4096);
	EXPECT(vcpu_add(fd, 0, a.tid, priv), -EFAULT,
	       "VCPU_ADD slot private anonymous");
	ffd = mkstemp(path);
	if (ffd < 0 || ftruncate(ffd, 8192)) {
		printf("Bail out! temp file %s: %s\n", path, strerror(errno));
		exit(1);
	}
	unlink(path);
	privfile = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, ffd, 0);
	EXPECT(vcpu_add(fd, 0, a.tid, privfile), -EFAULT,
	       "VCPU_ADD slot private file mapping");
	check(info_pinned(fd) == pinned0, "no page pinned by failed VCPU_ADDs");

	/* Success: anonymous shared, the 24 bytes of ABI 1.1 (no pidfd). */
	s0 = slot_at(region, 0);
	add = (struct pvsched_vcpu_add){ .vcpu_id = 0, .tid = a.tid,
					 .slot_addr = (uintptr_t)s0 };
	EXPECT(xioctl(fd, _IOC(_IOC_WRITE, PVSCHED_IOCTL_TYPE, 1,
			       PVSCHED_VCPU_ADD_SIZE_VER0),
		      &add),
	       0, "VCPU_ADD vcpu 0 (anon shared, ABI 1.1 size, own thread)");
	check(s0->header.vcpu_id == 0 && s0->header.vcpu_pid == (uint32_t)a.tid,
	      "slot header written (vcpu_id %u, vcpu_pid %u, tid %d)",
	      s0->header.vcpu_id, s0->header.vcpu_pid, a.tid);
	check(info_pinned(fd) == pinned0 + 1, "pinned_pages +1");
	check(debugfs_pinned() == (long long)pinned0 + 1,
	      "debugfs pinned_pages +1");
	EXPECT(vcpu_add(fd, 0, b.tid, slot_at(region, 1)), -EEXIST,
	       "VCPU_ADD vcpu 0 again");
	EXPECT(vcpu_add(fd, 1, a.tid, slot_at(region, 1)), -EBUSY,
	       "VCPU_ADD same thread as vcpu 1");
	fd2 = open_dev();
	EXPECT(vcpu_add(fd2, 0, a.tid, slot_at(region, 1)), -EBUSY,
	       "VCPU_ADD same thread in another session");
	close(fd2);

	/* Success: file-backed shared; larger struct with zero tail. */
	filemap = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, ffd, 0);
	add = (struct pvsched_vcpu_add){ .vcpu_id = 7, .tid = b.tid,
		.slot_addr = (uintptr_t)filemap + 4096 + 64 * 63 };
	memset(big, 0, sizeof(big));
	memcpy(big, &add, sizeof(add));
	EXPECT(xioctl(fd, _IOC(_IOC_WRITE, PVSCHED_IOCTL_TYPE, 1, sizeof(big)),
		      big),
	       0, "VCPU_ADD vcpu 7 (tmpfs file shared, last slot of a page, larger struct)");
	EXPECT(vcpu_add(fd, 4095, c.tid, slot_at(region, 2)), 0,
	       "VCPU_ADD vcpu 4095");
	check(info_pinned(fd) == pinned0 + 3, "pinned_pages +3");

	/* DEL */
	del = (struct pvsched_vcpu_del){ .vcpu_id = 0, .flags = 1 };
	EXPECT(xioctl(fd, PVSCHED_IOC_VCPU_DEL, &del), -EINVAL,
	       "VCPU_DEL flags 1");
	EXPECT(xioctl(fd, _IOC(_IOC_WRITE, PVSCHED_IOCTL_TYPE, 2, 4), &del),
	       -EINVAL, "VCPU_DEL size 4");
	EXPECT(vcpu_del(fd, 1), -ENOENT, "VCPU_DEL vcpu 1 (not registered)");
	EXPECT(vcpu_del(fd, 100000), -ENOENT, "VCPU_DEL vcpu 100000");
	/*
	 * The host's last word for a vCPU that leaves is "at base": a slot
	 * that still said "boosted" (here scribbled, as a guest could; in a
	 * VM, a boost in force at the DEL) made the guest driver exit at
	 * every switch to a fair task until it was rebound.
	 */
	s0->host_boost = PVSCHED_HOST_BOOSTED;
	s0->host.throttled = 1;
	s0->host.sched_policy = SCHED_FIFO;
	s0->host.seq = 41;
	EXPECT(vcpu_del(fd, 0), 0, "VCPU_DEL vcpu 0");
	check(s0->host_boost == 0 && s0->host.throttled == 0 &&
		      s0->host.sched_policy == SCHED_BATCH &&
		      s0->host.sched_nice == 3 && s0->host.seq % 2 == 0 &&
		      s0->host.seq > 41,
	      "VCPU_DEL leaves the slot's host area at base, not boosted (host_boost %#x throttled %u policy %u nice %d seq %u)",
	      s0->host_boost, s0->host.throttled, s0->host.sched_policy,
	      s0->host.sched_nice, s0->host.seq);
	check(info_pinned(fd) == pinned0 + 2, "pinned_pages back to +2");
	check(attr_is(a.tid, SCHED_BATCH, 0, 3),
	      "thread of vcpu 0 back to its base (batch, nice 3)");
	EXPECT(vcpu_del(fd, 0), -ENOENT, "VCPU_DEL vcpu 0 twice");
	EXPECT(vcpu_add(fd, 0, a.tid, s0), 0, "VCPU_ADD vcpu 0 again after DEL");

	/* munmap after registration: the pin keeps the page. */
	munmap(filemap, 8192);
	EXPECT(vcpu_del(fd, 7), 0, "VCPU_DEL vcpu 7 after munmap");

	/* Close unregisters everything. */
	close(fd);
	fd = open_dev();
	check(info_pinned(fd) == pinned0, "close: pinned_pages back to %llu",
	      (unsigned long long)pinned0);
	check(attr_is(a.tid, SCHED_BATCH, 0, 3) &&
		      attr_is(c.tid, SCHED_OTHER, 0, 0),
	      "close: threads back to their base attributes");
	EXPECT(vcpu_add(fd, 0, a.tid, s0), 0,
	       "VCPU_ADD after close: thread free again");
	close(fd);

	/* A registered thread that exits, then DEL and close. */
	fd = open_dev();
	vthread_start(&dead);
	EXPECT(vcpu_add(fd, 3, dead.tid, slot_at(region, 3)), 0,
	       "VCPU_ADD a thread that will exit");
	vthread_stop(&dead);
	EXPECT(vcpu_del(fd, 3), 0, "VCPU_DEL of an exited thread");
	vthread_start(&dead);
	EXPECT(vcpu_add(fd, 3, dead.tid, slot_at(region, 3)), 0,
	       "VCPU_ADD another thread that will exit");
	vthread_stop(&dead);
	close(fd);
	fd = open_dev();
	check(info_pinned(fd) == pinned0, "exited threads: pinned_pages %llu",
	      (unsigned long long)pinned0);
	close(fd);

	close(ffd);
	munmap(region, 4096);
	munmap(ro, 4096);
	munmap(priv, 4096);
	munmap(privfile, 4096);
	vthread_stop(&a);
	vthread_stop(&b);
	vthread_stop(&c);
}

static void test_stats_list_name(void)
{
	struct vthread t[3];
	struct pvsched_vcpu_stats st, *big;
	struct pvsched_vcpu_list list;
	struct pvsched_vm_name name;
	struct pvsched_info info;
	uint32_t ids[8];
	void *region;
	char line[128];
	int fd, i;

	fd = open_dev();
	region = map_shared(4096);
	xioctl(fd, PVSCHED_IOC_GET_INFO, &info);
	for (i = 0; i < 3; i++) {
		vthread_start(&t[i]);
		vcpu_add(fd, 10 - 3 * i, t[i].tid, slot_at(region, i));
	}
	set_attr(t[0].tid, SCHED_OTHER, 0, 2);

	/* GET_STATS */
	memset(&st, 0xff, sizeof(st));
	st.vcpu_id = 10;
	EXPECT(xioctl(fd, PVSCHED_IOC_GET_STATS, &st), 0, "GET_STATS vcpu 10");
	check(st.vcpu_id == 10 && st.tid == (uint32_t)t[0].tid &&
		      st.state <= PVSCHED_STATE_THROTTLED &&
		      st.base_policy == SCHED_OTHER && st.base_nice == 0 &&
		      !st.kicks && !st.irq_holds,
	      "GET_STATS vcpu 10: tid %u state %u base %u/%d", st.tid,
	      st.state, st.base_policy, st.base_nice);
	st.vcpu_id = 11;
	EXPECT(xioctl(fd, PVSCHED_IOC_GET_STATS, &st), -ENOENT,
	       "GET_STATS vcpu 11 (not registered)");
	st.vcpu_id = 7;
	EXPECT(xioctl(fd, _IOC(_IOC_READ | _IOC_WRITE, PVSCHED_IOCTL_TYPE, 5,
			       16),
		      &st),
	       0, "GET_STATS truncated to 16 bytes");
	check(st.tid == (uint32_t)t[1].tid, "GET_STATS truncated: tid");
	EXPECT(xioctl(fd, _IOC(_IOC_READ | _IOC_WRITE, PVSCHED_IOCTL_TYPE, 5,
			       2),
		      &st),
	       -EINVAL, "GET_STATS size 2");
	big = calloc(1, sizeof(*big) + 64);
	memset(big, 0xff, sizeof(*big) + 64);
	big->vcpu_id = 4;
	EXPECT(xioctl(fd, _IOC(_IOC_READ | _IOC_WRITE, PVSCHED_IOCTL_TYPE, 5,
			       sizeof(*big) + 64),
		      big),
	       0, "GET_STATS larger struct");
	check(((unsigned char *)(big + 1))[63] == 0 && big->tid == (uint32_t)t[2].tid,
	      "GET_STATS larger struct: tail zeroed");
	free(big);
	EXPECT(xioctl(fd, PVSCHED_IOC_GET_STATS, NULL), -EFAULT,
	       "GET_STATS NULL argument");

	/* GET_VCPUS */
	memset(&list, 0, sizeof(list));
	EXPECT(xioctl(fd, PVSCHED_IOC_GET_VCPUS, &list), 0, "GET_VCPUS nr 0");
	check(list.nr == 3, "GET_VCPUS nr 0 reports 3 (got %u)", list.nr);
	memset(ids, 0xff, sizeof(ids));
	list.nr = 8;
	list.ids = (uintptr_t)ids;
	EXPECT(xioctl(fd, PVSCHED_IOC_GET_VCPUS, &list), 0, "GET_VCPUS nr 8");
	check(list.nr == 3 && ids[0] == 4 && ids[1] == 7 && ids[2] == 10 &&
		      ids[3] == 0xffffffff,
	      "GET_VCPUS ids 4 7 10 (got %u: %u %u %u)", list.nr, ids[0],
	      ids[1], ids[2]);
	memset(ids, 0xff, sizeof(ids));
	list.nr = 2;
	EXPECT(xioctl(fd, PVSCHED_IOC_GET_VCPUS, &list), 0, "GET_VCPUS nr 2");
	check(list.nr == 3 && ids[0] == 4 && ids[1] == 7 &&
		      ids[2] == 0xffffffff,
	      "GET_VCPUS nr 2 writes 2 ids, reports 3");
	list.nr = 8;
	list.pad = 1;
	EXPECT(xioctl(fd, PVSCHED_IOC_GET_VCPUS, &list), -EINVAL,
	       "GET_VCPUS pad 1");
	list.pad = 0;
	list.ids = 0xffffffff81000000ull;
	EXPECT(xioctl(fd, PVSCHED_IOC_GET_VCPUS, &list), -EFAULT,
	       "GET_VCPUS kernel address ids");
	list.ids = 0;
	EXPECT(xioctl(fd, PVSCHED_IOC_GET_VCPUS, &list), -EFAULT,
	       "GET_VCPUS NULL ids with nr 8");

	/* SET_NAME */
	memset(&name, 0, sizeof(name));
	strcpy(name.name, "test vm\\1");
	EXPECT(xioctl(fd, PVSCHED_IOC_SET_NAME, &name), 0, "SET_NAME");
	snprintf(line, sizeof(line), "vm %u name=test\\040vm\\1341 pid=%d vcpus=3 ",
		 info.vm_id, getpid());
	check(strstr(debugfs_vms(), line) != NULL,
	      "debugfs vms shows '%s'", line);
	snprintf(line, sizeof(line), "vcpu %u 10 tid=%d state=", info.vm_id,
		 t[0].tid);
	check(strstr(debugfs_vms(), line) != NULL,
	      "debugfs vms shows '%s'", line);
	/* Fields, not their order: only appended ones follow (DUMP: typed). */
	check(strstr(debugfs_vms(), " apply_errors=") != NULL &&
		      strstr(debugfs_vms(), " cs=rr:1:-10 intr=rr:1:-10 max_boost_ns=20000000 throttle_ns=10000000") &&
		      strstr(debugfs_vms(), " kick_boost=1 idle_hold=1 irq_hold=1"),
	      "debugfs vms: default params and counters");
	memset(name.name, 'a', sizeof(name.name));
	EXPECT(xioctl(fd, PVSCHED_IOC_SET_NAME, &name), -EINVAL,
	       "SET_NAME not NUL-terminated");
	strcpy(name.name, "bad\001");
	EXPECT(xioctl(fd, PVSCHED_IOC_SET_NAME, &name), -EINVAL,
	       "SET_NAME not printable");
	strcpy(name.name, "tab\there");
	EXPECT(xioctl(fd, PVSCHED_IOC_SET_NAME, &name), -EINVAL,
	       "SET_NAME with a tab");
	EXPECT(xioctl(fd, _IOC(_IOC_WRITE, PVSCHED_IOCTL_TYPE, 6, 16), &name),
	       -EINVAL, "SET_NAME size 16");
	memset(&name, 0, sizeof(name));
	EXPECT(xioctl(fd, PVSCHED_IOC_SET_NAME, &name), 0, "SET_NAME empty");
	snprintf(line, sizeof(line), "vm %u name=- pid=", info.vm_id);
	check(strstr(debugfs_vms(), line) != NULL, "debugfs vms shows '%s'",
	      line);

	close(fd);
	snprintf(line, sizeof(line), "vm %u ", info.vm_id);
	check(strstr(debugfs_vms(), line) == NULL,
	      "debugfs vms: session gone after close");
	for (i = 0; i < 3; i++)
		vthread_stop(&t[i]);
	munmap(region, 4096);
}

static void test_params(void)
{
	struct pvsched_params p, q;
	unsigned char big[sizeof(p) + 8];
	int fd = open_dev();

	memset(&q, 0xff, sizeof(q));
	EXPECT(xioctl(fd, PVSCHED_IOC_GET_PARAMS, &q), 0, "GET_PARAMS");
	check(q.cs_policy == SCHED_RR && q.cs_rt_prio == 1 &&
		      q.intr_policy == SCHED_RR && q.intr_rt_prio == 1 &&
		      q.max_boost_ns == 20000000 && q.throttle_ns == 10000000 &&
		      q.debug == 0 && q.flags == 0 && !q.withheld_features &&
		      !q.reserved[0],
	      "GET_PARAMS defaults (rr 1, 20 ms, 10 ms)");
	EXPECT(xioctl(fd, PVSCHED_IOC_SET_PARAMS, &q), 0,
	       "SET_PARAMS with the defaults");

	good_params(&p);
	EXPECT(xioctl(fd, PVSCHED_IOC_SET_PARAMS, &p), 0, "SET_PARAMS valid");
	memset(&q, 0, sizeof(q));
	xioctl(fd, PVSCHED_IOC_GET_PARAMS, &q);
	check(!memcmp(&p, &q, sizeof(p)), "GET_PARAMS reads back SET_PARAMS");
	p.withheld_features = PVSCHED_F_IDLE_HINT | PVSCHED_F_TASK_PRIO;
	EXPECT(xioctl(fd, PVSCHED_IOC_SET_PARAMS, &p), 0,
	       "SET_PARAMS withheld_features idle_hint|task_prio");
	memset(&q, 0, sizeof(q));
	xioctl(fd, PVSCHED_IOC_GET_PARAMS, &q);
	check(q.withheld_features == (PVSCHED_F_IDLE_HINT | PVSCHED_F_TASK_PRIO) &&
		      strstr(debugfs_vms(), " withheld_features=0xa\n"),
	      "withheld_features read back, and in debugfs vms");
	/* 1 s boost at most 70 %: a throttle of 1 s * 30 / 70 = 428.57 ms */
	p.cs_rt_prio = 4;
	p.intr_nice = -10;
	p.max_boost_ns = 1000000000;
	p.throttle_ns = 428571429;
	EXPECT(xioctl(fd, PVSCHED_IOC_SET_PARAMS, &p), 0,
	       "SET_PARAMS exactly at the caps");
	/* the 1 s boost, 1 ms throttle: 99.9 % */
	p.throttle_ns = 1000000;
	EXPECT(xioctl(fd, PVSCHED_IOC_SET_PARAMS, &p), -EPERM,
	       "SET_PARAMS duty 99.9 %% beyond max_duty_pct");
	p.throttle_ns = 428571428;
	EXPECT(xioctl(fd, PVSCHED_IOC_SET_PARAMS, &p), -EPERM,
	       "SET_PARAMS duty a hair beyond max_duty_pct");
	memset(&q, 0, sizeof(q));
	xioctl(fd, PVSCHED_IOC_GET_PARAMS, &q);
	check(q.throttle_ns == 428571429,
	      "a refused SET_PARAMS leaves the params (throttle %llu)",
	      (unsigned long long)q.throttle_ns);
	/* max_duty_pct=100: no cap; 20 %: the defaults' throttle grows */
	check(write_param("max_duty_pct", "100") == 0, "max_duty_pct=100");
	p.throttle_ns = 1000000;
	EXPECT(xioctl(fd, PVSCHED_IOC_SET_PARAMS, &p), 0,
	       "SET_PARAMS 99.9 %% with max_duty_pct=100");
	check(write_param("max_duty_pct", "20") == 0, "max_duty_pct=20");
	{
		int fd2 = open_dev();

		memset(&q, 0, sizeof(q));
		xioctl(fd2, PVSCHED_IOC_GET_PARAMS, &q);
		check(q.max_boost_ns == 20000000 && q.throttle_ns == 80000000,
		      "defaults of a new session within max_duty_pct=20 (throttle %llu)",
		      (unsigned long long)q.throttle_ns);
		EXPECT(xioctl(fd2, PVSCHED_IOC_SET_PARAMS, &q), 0,
		       "SET_PARAMS with those defaults");
		close(fd2);
	}
	check(write_param("max_duty_pct", "70") == 0, "max_duty_pct=70");

#define BAD(field, value, err)                                              \
	do {                                                                \
		good_params(&p);                                            \
		p.field = value;                                            \
		EXPECT(xioctl(fd, PVSCHED_IOC_SET_PARAMS, &p), err,         \
		       "SET_PARAMS " #field " = " #value);                  \
	} while (0)

	BAD(cs_policy, 7, -EINVAL);
	BAD(cs_policy, SCHED_DEADLINE, -EINVAL);
	BAD(cs_policy, SCHED_BATCH, -EINVAL);
	BAD(intr_policy, SCHED_IDLE, -EINVAL);
	BAD(cs_rt_prio, 0, -EINVAL);
	BAD(cs_rt_prio, 100, -EINVAL);
	BAD(intr_rt_prio, 3, -EINVAL); /* NORMAL with a priority */
	BAD(cs_nice, -21, -EINVAL);
	BAD(intr_nice, 20, -EINVAL);
	BAD(max_boost_ns, 0, -EINVAL);
	BAD(throttle_ns, 0, -EINVAL);
	BAD(debug, 2, -EINVAL);
	BAD(flags, PVSCHED_PARAMS_FLAGS_ALL, 0); /* every mechanism off */
	/* the lowest flag no module of this ABI knows */
	BAD(flags, (PVSCHED_PARAMS_FLAGS_ALL + 1) & ~PVSCHED_PARAMS_FLAGS_ALL,
	    -EINVAL);
	BAD(reserved[0], 1, -EINVAL);
	BAD(reserved[0], 1ull << 63, -EINVAL);
	BAD(withheld_features, PVSCHED_F_CRIT_SECTION, 0);
	BAD(withheld_features, ~0ull, 0); /* unknown bits: nothing to honour */
	BAD(cs_rt_prio, 5, -EPERM); /* above the RT ceiling */
	BAD(cs_rt_prio, 99, -EPERM);
	BAD(throttle_ns, 2142857, -EPERM); /* 5 ms / 7.14 ms: 70.0001 % */
	BAD(throttle_ns, 2142858, 0);
	BAD(intr_nice, -11, -EPERM);
	BAD(intr_nice, -20, -EPERM);
	BAD(max_boost_ns, 1000000001, -EPERM);
	BAD(throttle_ns, 999999, -EPERM);

	check(write_param("max_policy", "rr") == 0 &&
		      !strcmp(read_param("max_policy"), "rr"),
	      "max_policy=rr accepted (reads '%s')", read_param("max_policy"));
	BAD(cs_policy, SCHED_FIFO, -EPERM);
	BAD(cs_policy, SCHED_RR, 0);
	check(write_param("max_policy", "0") == 0 &&
		      !strcmp(read_param("max_policy"), "normal"),
	      "max_policy=0 accepted (reads '%s')", read_param("max_policy"));
	BAD(cs_policy, SCHED_RR, -EPERM);
	memset(&q, 0, sizeof(q));
	{
		int fd2 = open_dev();

		xioctl(fd2, PVSCHED_IOC_GET_PARAMS, &q);
		check(q.cs_policy == SCHED_NORMAL && q.cs_rt_prio == 0 &&
			      q.cs_nice == -10,
		      "defaults of a new session within max_policy=normal");
		EXPECT(xioctl(fd2, PVSCHED_IOC_SET_PARAMS, &q), 0,
		       "SET_PARAMS with those defaults");
		close(fd2);
	}
	check(write_param("max_policy", "fifo") == 0, "max_policy=fifo");

	good_params(&p);
	EXPECT(xioctl(fd, _IOC(_IOC_WRITE, PVSCHED_IOCTL_TYPE, 3, 16), &p),
	       -EINVAL, "SET_PARAMS size 16");
	memset(big, 0, sizeof(big));
	memcpy(big, &p, sizeof(p));
	EXPECT(xioctl(fd, _IOC(_IOC_WRITE, PVSCHED_IOCTL_TYPE, 3, sizeof(big)),
		      big),
	       0, "SET_PARAMS larger struct, zero tail");
	big[sizeof(p) + 7] = 1;
	EXPECT(xioctl(fd, _IOC(_IOC_WRITE, PVSCHED_IOCTL_TYPE, 3, sizeof(big)),
		      big),
	       -E2BIG, "SET_PARAMS larger struct, nonzero tail");
	EXPECT(xioctl(fd, PVSCHED_IOC_SET_PARAMS, NULL), -EFAULT,
	       "SET_PARAMS NULL argument");
	EXPECT(xioctl(fd, _IOC(_IOC_READ, PVSCHED_IOCTL_TYPE, 4, 8), &q), 0,
	       "GET_PARAMS truncated to 8 bytes");
	close(fd);
}

static void test_caps_params(void)
{
	static const struct {
		const char *name, *value;
	} bad[] = {
		{ "max_policy", "deadline" }, { "max_policy", "3" },
		{ "max_rt_prio", "0" },
		{ "max_rt_prio", "99" },      { "min_nice", "-21" },
		{ "min_nice", "20" },	      { "max_vcpus_per_vm", "0" },
		{ "max_vcpus_per_vm", "1025" }, { "max_vms", "0" },
		{ "max_vms", "4097" },	      { "max_boost_cap_us", "0" },
		{ "min_throttle_us", "0" },   { "default_boost_policy", "batch" },
		{ "default_boost_prio", "99" }, { "default_max_boost_us", "0" },
		{ "default_throttle_us", "-1" }, { "max_rt_prio", "abc" },
		{ "max_duty_pct", "0" },      { "max_duty_pct", "101" },
		{ "cpu_share_pct", "0" },     { "cpu_share_pct", "101" },
		{ "cpu_share_window_us", "999" },
		{ "cpu_share_window_us", "10000001" },
	};
	unsigned int i;
	char old[64];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(old, sizeof(old), "%s", read_param(bad[i].name));
		EXPECT(write_param(bad[i].name, bad[i].value), -EINVAL,
		       "param %s=%s refused", bad[i].name, bad[i].value);
		check(!strcmp(read_param(bad[i].name), old),
		      "param %s unchanged (%s)", bad[i].name, old);
	}
	check(write_param("max_rt_prio", "98") == 0 &&
		      !strcmp(read_param("max_rt_prio"), "98") &&
		      write_param("max_rt_prio", "4") == 0,
	      "param max_rt_prio=98 accepted, restored to 4");
	check(write_param("cpu_share_pct", "100") == 0 &&
		      write_param("cpu_share_window_us", "1000") == 0 &&
		      write_param("cpu_share_pct", "50") == 0 &&
		      write_param("cpu_share_window_us", "100000") == 0,
	      "params cpu_share_pct=100, cpu_share_window_us=1000 accepted, restored");
	check(write_param("min_nice", "-20") == 0 &&
		      write_param("min_nice", "-10") == 0,
	      "param min_nice=-20 accepted, restored");
}

static void test_limits(void)
{
	struct vthread t[4];
	void *region = map_shared(4096);
	int fd, fd2, fd3, i;

	for (i = 0; i < 4; i++)
		vthread_start(&t[i]);

	fd = open_dev();
	check(write_param("max_vcpus_per_vm", "2") == 0, "max_vcpus_per_vm=2");
	EXPECT(vcpu_add(fd, 0, t[0].tid, slot_at(region, 0)), 0, "vcpu 0 of 2");
	EXPECT(vcpu_add(fd, 1, t[1].tid, slot_at(region, 1)), 0, "vcpu 1 of 2");
	EXPECT(vcpu_add(fd, 2, t[2].tid, slot_at(region, 2)), -ENOSPC,
	       "vcpu 2 beyond max_vcpus_per_vm");
	vcpu_del(fd, 1);
	EXPECT(vcpu_add(fd, 2, t[2].tid, slot_at(region, 2)), 0,
	       "vcpu 2 after a DEL");
	check(write_param("max_vcpus_per_vm", "256") == 0,
	      "max_vcpus_per_vm=256");

	/* max_vms counts sessions with at least one vCPU. */
	close(fd);
	fd = open_dev();
	fd2 = open_dev();
	fd3 = open_dev();
	check(write_param("max_vms", "1") == 0, "max_vms=1");
	EXPECT(vcpu_add(fd, 0, t[0].tid, slot_at(region, 0)), 0,
	       "first VM with a vCPU");
	EXPECT(vcpu_add(fd, 1, t[1].tid, slot_at(region, 1)), 0,
	       "its second vCPU");
	EXPECT(vcpu_add(fd2, 0, t[2].tid, slot_at(region, 2)), -ENOSPC,
	       "second VM beyond max_vms");
	vcpu_del(fd, 0);
	vcpu_del(fd, 1);
	EXPECT(vcpu_add(fd2, 0, t[2].tid, slot_at(region, 2)), 0,
	       "second VM once the first has no vCPU");
	EXPECT(vcpu_add(fd, 0, t[0].tid, slot_at(region, 0)), -ENOSPC,
	       "first VM now beyond max_vms");
	close(fd2);
	EXPECT(vcpu_add(fd3, 0, t[0].tid, slot_at(region, 0)), 0,
	       "third VM after the second closed");
	check(write_param("max_vms", "64") == 0, "max_vms=64");
	close(fd);
	close(fd3);

	for (i = 0; i < 4; i++)
		vthread_stop(&t[i]);
	munmap(region, 4096);
}

/* This process without capability cap (effective, permitted, inheritable). */
static int drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[cap / 32].effective &= ~(1u << (cap % 32));
	data[cap / 32].permitted &= ~(1u << (cap % 32));
	data[cap / 32].inheritable &= ~(1u << (cap % 32));
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

/* Waits for child pid: a check that it exited with status 0. */
static void check_child(pid_t pid, const char *what)
{
	int status;

	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "%s (child status %d)", what,
	      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* PVSCHED_IOC_DUMP into buf (len bytes) with the given record sizes. */
static int dump(int fd, void *buf, uint64_t len, uint32_t vm_size,
		uint32_t vcpu_size, struct pvsched_dump *d)
{
	memset(d, 0, sizeof(*d));
	d->vm_size = vm_size;
	d->vcpu_size = vcpu_size;
	d->buf = (uintptr_t)buf;
	d->len = len;
	return xioctl(fd, PVSCHED_IOC_DUMP, d);
}

/*
 * The VM record of session vm_id in a dump (records of vm_size and
 * vcpu_size bytes), or NULL; *vcpus gets its first vCPU record.
 */
static struct pvsched_dump_vm *dump_find(void *buf,
					 const struct pvsched_dump *d,
					 uint32_t vm_id, char **vcpus)
{
	char *p = buf;
	uint32_t i;

	for (i = 0; i < d->nr_vms; i++) {
		struct pvsched_dump_vm *vm = (void *)p;

		p += d->vm_size;
		if (vm->vm_id == vm_id) {
			*vcpus = p;
			return vm;
		}
		p += (size_t)vm->nr_vcpus * d->vcpu_size;
	}
	return NULL;
}

static void test_dump(void)
{
	const uint32_t vms = sizeof(struct pvsched_dump_vm);
	const uint32_t vcs = sizeof(struct pvsched_dump_vcpu);
	struct pvsched_dump_vcpu *c0, *c1;
	struct pvsched_dump_vm *vm;
	struct pvsched_vm_name name;
	struct pvsched_info info;
	struct pvsched_dump d;
	struct vthread t[2];
	char *buf, *vc, *p;
	unsigned char big[sizeof(d) + 16];
	void *region;
	uint64_t need;
	size_t i;
	bool ok;
	int fd;

	fd = open_dev();
	region = map_shared(4096);
	xioctl(fd, PVSCHED_IOC_GET_INFO, &info);
	for (i = 0; i < 2; i++) {
		vthread_start(&t[i]);
		vcpu_add(fd, 5 - 3 * i, t[i].tid, slot_at(region, i));
	}
	memset(&name, 0, sizeof(name));
	strcpy(name.name, "dump me");
	xioctl(fd, PVSCHED_IOC_SET_NAME, &name);

	/* len 0 asks for the size */
	EXPECT(dump(fd, NULL, 0, vms, vcs, &d), -ENOSPC, "DUMP len 0");
	need = d.len;
	check(need >= vms + 2 * vcs && d.nr_vms >= 1 && d.nr_vcpus >= 2,
	      "DUMP len 0: needs %llu bytes, %u VMs, %u vCPUs",
	      (unsigned long long)need, d.nr_vms, d.nr_vcpus);

	/* A buffer one record too small: -ENOSPC, nothing written. */
	buf = malloc(need + 4096);
	memset(buf, 0x5a, need + 4096);
	EXPECT(dump(fd, buf, need - 8, vms, vcs, &d), -ENOSPC,
	       "DUMP buffer 8 bytes too small");
	for (ok = true, i = 0; i < need + 4096; i++)
		ok &= buf[i] == 0x5a;
	check(ok && d.len == need, "DUMP too small: buffer untouched, len %llu",
	      (unsigned long long)d.len);

	/* Enough room: this session, its params and its vCPUs. */
	EXPECT(dump(fd, buf, need + 4096, vms, vcs, &d), 0, "DUMP");
	check(d.len == need, "DUMP wrote %llu bytes",
	      (unsigned long long)d.len);
	vm = dump_find(buf, &d, info.vm_id, &vc);
	check(vm && vm->pid == (uint32_t)getpid() && vm->nr_vcpus == 2 &&
		      !vm->pad && !strcmp(vm->name, "dump me"),
	      "DUMP: this session (vm %u, pid %d, 2 vCPUs, its name)",
	      info.vm_id, getpid());
	check(vm && vm->params.cs_policy == SCHED_RR &&
		      vm->params.cs_rt_prio == 1 &&
		      vm->params.max_boost_ns == 20000000 &&
		      vm->params.throttle_ns == 10000000 && !vm->params.flags,
	      "DUMP: this session's params are GET_PARAMS' defaults");
	if (vm) {
		c0 = (void *)vc;
		c1 = (void *)(vc + vcs);
		check(c0->vm_id == info.vm_id && c0->stats.vcpu_id == 2 &&
			      c0->stats.tid == (uint32_t)t[1].tid &&
			      c1->stats.vcpu_id == 5 &&
			      c1->stats.tid == (uint32_t)t[0].tid && !c0->pad,
		      "DUMP: vCPUs 2 and 5 in order, with their threads");
	}

	/* Larger records: the caller's stride, unknown tails zeroed. */
	memset(buf, 0x5a, need + 4096);
	EXPECT(dump(fd, buf, need + 4096, vms + 8, vcs + 16, &d), 0,
	       "DUMP with larger records");
	vm = dump_find(buf, &d, info.vm_id, &vc);
	ok = vm && vm->nr_vcpus == 2;
	for (i = 0; ok && i < 8; i++)
		ok &= !((char *)vm)[vms + i];
	for (i = 0; ok && i < 2; i++) {
		c0 = (void *)(vc + i * (vcs + 16));
		ok &= c0->stats.vcpu_id == (i ? 5u : 2u);
		for (p = vc + i * (vcs + 16) + vcs; p < vc + (i + 1) * (vcs + 16);
		     p++)
			ok &= !*p;
	}
	check(ok, "DUMP larger records: stride %u/%u, tails zeroed", vms + 8,
	      vcs + 16);

	/* The argument's own rules. */
	EXPECT(dump(fd, buf, need, PVSCHED_DUMP_VM_SIZE_VER0 - 8, vcs, &d),
	       -EINVAL,
	       "DUMP vm_size below PVSCHED_DUMP_VM_SIZE_VER0");
	EXPECT(dump(fd, buf, need, vms, PVSCHED_DUMP_VCPU_SIZE_VER0 - 8, &d),
	       -EINVAL, "DUMP vcpu_size below PVSCHED_DUMP_VCPU_SIZE_VER0");
	EXPECT(dump(fd, buf, need, vms + 4, vcs, &d), -EINVAL,
	       "DUMP vm_size not a multiple of 8");
	memset(&d, 0, sizeof(d));
	d.vm_size = vms;
	d.vcpu_size = vcs;
	d.buf = (uintptr_t)buf;
	d.len = need + 4096;
	d.flags = 1;
	EXPECT(xioctl(fd, PVSCHED_IOC_DUMP, &d), -EINVAL, "DUMP flags 1");
	d.flags = 0;
	d.pad = 1;
	EXPECT(xioctl(fd, PVSCHED_IOC_DUMP, &d), -EINVAL, "DUMP pad 1");
	d.pad = 0;
	d.reserved[1] = 1;
	EXPECT(xioctl(fd, PVSCHED_IOC_DUMP, &d), -EINVAL,
	       "DUMP reserved nonzero");
	d.reserved[1] = 0;
	EXPECT(xioctl(fd, _IOC(_IOC_READ | _IOC_WRITE, PVSCHED_IOCTL_TYPE, 8,
			       16),
		      &d),
	       -EINVAL, "DUMP size 16");
	memset(big, 0, sizeof(big));
	memcpy(big, &d, sizeof(d));
	EXPECT(xioctl(fd, _IOC(_IOC_READ | _IOC_WRITE, PVSCHED_IOCTL_TYPE, 8,
			       sizeof(big)),
		      big),
	       0, "DUMP larger struct, zero tail");
	big[sizeof(d) + 3] = 1;
	EXPECT(xioctl(fd, _IOC(_IOC_READ | _IOC_WRITE, PVSCHED_IOCTL_TYPE, 8,
			       sizeof(big)),
		      big),
	       -E2BIG, "DUMP larger struct, nonzero tail");
	EXPECT(dump(fd, NULL, need + 4096, vms, vcs, &d), -EFAULT,
	       "DUMP NULL buffer");
	EXPECT(xioctl(fd, PVSCHED_IOC_DUMP, NULL), -EFAULT,
	       "DUMP NULL argument");

	close(fd);
	free(buf);
	for (i = 0; i < 2; i++)
		vthread_stop(&t[i]);
	munmap(region, 4096);
}

/*
 * Another process for test_owner(): a thread of its own (tid) besides its
 * main thread, until killed.
 */
struct proc {
	pid_t pid, tid;
	int pidfd;
};

static void *proc_thread(void *arg)
{
	int *pfd = arg;
	pid_t tid = gettid();

	if (write(*pfd, &tid, sizeof(tid)) != sizeof(tid))
		_exit(2);
	for (;;)
		pause();
	return NULL;
}

static void proc_start(struct proc *p)
{
	pthread_t th;
	int pfd[2];

	if (pipe(pfd)) {
		printf("Bail out! pipe: %s\n", strerror(errno));
		exit(1);
	}
	fflush(stdout);
	p->pid = fork();
	if (p->pid == 0) {
		close(pfd[0]);
		if (pthread_create(&th, NULL, proc_thread, &pfd[1]))
			_exit(2);
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (p->pid < 0 || read(pfd[0], &p->tid, sizeof(p->tid)) !=
				  sizeof(p->tid)) {
		printf("Bail out! another process with a thread\n");
		exit(1);
	}
	close(pfd[0]);
	p->pidfd = pidfd_of(p->pid);
	if (p->pidfd < 0) {
		printf("Bail out! pidfd_open: %s\n", strerror(-p->pidfd));
		exit(1);
	}
}

static void proc_stop(struct proc *p)
{
	kill(p->pid, SIGKILL);
	waitpid(p->pid, NULL, 0);
	close(p->pidfd);
}

/*
 * Whose thread (ABI 1.2, PVSCHED_VCPU_ADD_PIDFD): another process's thread
 * needs a pidfd of that process, a pidfd admits only its own process's
 * threads, and allow_foreign_vcpus=1 gives module 0.2's behaviour back.
 */
static void test_owner(void)
{
	void *region = map_shared(4096);
	struct proc a, b, gone;
	struct vthread own;
	uint64_t pinned0;
	char was[16];
	int fd, self, nul, efd;

	fd = open_dev();
	pinned0 = info_pinned(fd);
	proc_start(&a);
	proc_start(&b);
	vthread_start(&own);
	snprintf(was, sizeof(was), "%s", read_param("allow_foreign_vcpus"));
	check(!strcmp(was, "N"), "allow_foreign_vcpus is N by default (%s)",
	      was);

	/* a deputy fooled into naming another process's thread */
	EXPECT(vcpu_add(fd, 0, b.tid, slot_at(region, 0)), -EPERM,
	       "VCPU_ADD another process's thread without a pidfd");
	EXPECT(vcpu_add(fd, 0, b.pid, slot_at(region, 0)), -EPERM,
	       "VCPU_ADD another process's main thread without a pidfd");
	EXPECT(vcpu_add_pidfd(fd, 0, b.tid, slot_at(region, 0), a.pidfd),
	       -EPERM, "VCPU_ADD pidfd of process A, thread of process B");
	EXPECT(vcpu_add_pidfd(fd, 0, own.tid, slot_at(region, 0), a.pidfd),
	       -EPERM, "VCPU_ADD pidfd of process A, the caller's own thread");
	check(info_pinned(fd) == pinned0,
	      "refused VCPU_ADDs pin nothing (pinned_pages %llu)",
	      (unsigned long long)pinned0);
	{
		uint32_t ids[4];
		struct pvsched_vcpu_list l = { .nr = 4,
					       .ids = (uintptr_t)ids };

		EXPECT(xioctl(fd, PVSCHED_IOC_GET_VCPUS, &l), 0,
		       "GET_VCPUS after the refusals");
		check(l.nr == 0, "no vCPU registered by the refusals (%u)",
		      l.nr);
	}

	/* the VMM named by its pidfd: its threads, main thread included */
	EXPECT(vcpu_add_pidfd(fd, 0, b.tid, slot_at(region, 0), b.pidfd), 0,
	       "VCPU_ADD pidfd of process B, thread of process B");
	EXPECT(vcpu_add_pidfd(fd, 1, b.pid, slot_at(region, 1), b.pidfd), 0,
	       "VCPU_ADD pidfd of process B, main thread of process B");
	EXPECT(vcpu_del(fd, 0), 0, "VCPU_DEL the thread of process B");
	EXPECT(vcpu_del(fd, 1), 0, "VCPU_DEL the main thread of process B");
	self = pidfd_of(getpid());
	EXPECT(vcpu_add_pidfd(fd, 2, own.tid, slot_at(region, 2), self), 0,
	       "VCPU_ADD pidfd of the caller, the caller's own thread");
	EXPECT(vcpu_del(fd, 2), 0, "VCPU_DEL the caller's own thread");
	close(self);

	/* not a pidfd */
	nul = open("/dev/null", O_RDWR);
	efd = eventfd(0, 0);
	EXPECT(vcpu_add_pidfd(fd, 0, b.tid, slot_at(region, 0), nul), -EBADF,
	       "VCPU_ADD pidfd /dev/null");
	EXPECT(vcpu_add_pidfd(fd, 0, b.tid, slot_at(region, 0), efd), -EBADF,
	       "VCPU_ADD pidfd an eventfd (another anonymous inode)");
	EXPECT(vcpu_add_pidfd(fd, 0, b.tid, slot_at(region, 0), -1), -EBADF,
	       "VCPU_ADD pidfd -1");
	EXPECT(vcpu_add_pidfd(fd, 0, b.tid, slot_at(region, 0), 1000000),
	       -EBADF, "VCPU_ADD pidfd 1000000 (not open)");
	close(nul);
	close(efd);

	/* the VMM is gone: its pidfd names no process, whatever the pid */
	proc_start(&gone);
	kill(gone.pid, SIGKILL);
	waitpid(gone.pid, NULL, 0);
	EXPECT(vcpu_add_pidfd(fd, 0, b.tid, slot_at(region, 0), gone.pidfd),
	       -ESRCH, "VCPU_ADD pidfd of an exited process");
	close(gone.pidfd);

	/* the admin's way back to module 0.2 for old deputies */
	EXPECT(write_param("allow_foreign_vcpus", "1"), 0,
	       "allow_foreign_vcpus=1");
	EXPECT(vcpu_add(fd, 0, b.tid, slot_at(region, 0)), 0,
	       "VCPU_ADD another process's thread with allow_foreign_vcpus=1");
	EXPECT(vcpu_add_pidfd(fd, 1, a.tid, slot_at(region, 1), b.pidfd),
	       -EPERM,
	       "VCPU_ADD pidfd of process B, thread of process A, even with allow_foreign_vcpus=1");
	EXPECT(write_param("allow_foreign_vcpus", "0"), 0,
	       "allow_foreign_vcpus=0");
	EXPECT(vcpu_del(fd, 0), 0, "VCPU_DEL the foreign thread");
	EXPECT(vcpu_add(fd, 0, b.tid, slot_at(region, 0)), -EPERM,
	       "VCPU_ADD another process's thread after allow_foreign_vcpus=0");

	close(fd);
	vthread_stop(&own);
	proc_stop(&a);
	proc_stop(&b);
	munmap(region, 4096);
}

/* VmLck of this process: its mm's locked_vm, in kB (-1 if unreadable). */
static long vmlck_kb(void)
{
	char buf[4096], *p;

	if (read_file("/proc/self/status", buf, sizeof(buf)))
		return -1;
	p = strstr(buf, "VmLck:");
	return p ? atol(p + 6) : -1;
}

/* A MAP_SHARED mapping of a new len-byte file in dir (unlinked), or NULL. */
static void *map_file_in(const char *dir, size_t len)
{
	char path[256];
	void *p;
	int fd;

	snprintf(path, sizeof(path), "%s/pvsched-slot-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	unlink(path);
	if (ftruncate(fd, len)) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

/*
 * Slots only in shmem or hugetlbfs (issue 20 item 4): a regular file's page
 * cache, pinned for long, would be written behind its filesystem's back.
 * ramfs stands for such a file (a page-cache file that is not shmem; L1's
 * other filesystems are 9p, which refuses writable shared mappings).
 */
static void test_slot_memory(void)
{
	char dir[] = "/tmp/pvsched-ramfs-XXXXXX";
	const long hp = 2 * 1024 * 1024; /* x86's default huge page */
	char old_nr[32] = "";
	struct vthread t;
	void *p, *shm;
	int fd, mfd;

	fd = open_dev();
	vthread_start(&t);

	/* shmem: a memfd and a /dev/shm file are accepted */
	mfd = memfd_create("pvsched-slot", MFD_CLOEXEC);
	p = MAP_FAILED;
	if (mfd >= 0 && !ftruncate(mfd, 4096))
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd,
			 0);
	check(p != MAP_FAILED, "memfd mapped");
	if (p != MAP_FAILED) {
		EXPECT(vcpu_add(fd, 0, t.tid, p), 0, "VCPU_ADD slot in a memfd");
		vcpu_del(fd, 0);
		munmap(p, 4096);
	}
	if (mfd >= 0)
		close(mfd);
	shm = map_file_in("/dev/shm", 4096);
	check(shm != NULL, "/dev/shm file mapped");
	if (shm) {
		EXPECT(vcpu_add(fd, 0, t.tid, shm), 0,
		       "VCPU_ADD slot in a /dev/shm (tmpfs) file");
		vcpu_del(fd, 0);
		munmap(shm, 4096);
	}

	/* a page-cache file that is not shmem: refused, nothing pinned */
	if (!mkdtemp(dir) || mount("pvsched-ramfs", dir, "ramfs", 0, NULL)) {
		printf("ok %d # SKIP ramfs: %s\n", ++ntest, strerror(errno));
	} else {
		uint64_t pinned = info_pinned(fd);
		long lck = vmlck_kb();

		p = map_file_in(dir, 4096);
		check(p != NULL, "ramfs file mapped shared and writable");
		if (p) {
			EXPECT(vcpu_add(fd, 0, t.tid, p), -EFAULT,
			       "VCPU_ADD slot in a ramfs file (not shmem)");
			check(info_pinned(fd) == pinned && vmlck_kb() == lck,
			      "refused slot: nothing pinned or locked");
			munmap(p, 4096);
		}
		umount(dir);
	}
	rmdir(dir);

	/*
	 * hugetlbfs (a MFD_HUGETLB memfd), where a huge page can be had: the
	 * shared mapping reserves it, or fails.
	 */
	read_file("/proc/sys/vm/nr_hugepages", old_nr, sizeof(old_nr));
	{
		int f = open("/proc/sys/vm/nr_hugepages", O_WRONLY);

		if (f >= 0) {
			if (write(f, "2", 1) < 0)
				(void)0;
			close(f);
		}
	}
	mfd = memfd_create("pvsched-slot-huge", MFD_CLOEXEC | MFD_HUGETLB);
	p = MAP_FAILED;
	if (mfd >= 0 && !ftruncate(mfd, hp))
		p = mmap(NULL, hp, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (p == MAP_FAILED) {
		printf("ok %d # SKIP no huge page: %s\n", ++ntest,
		       strerror(errno));
	} else {
		EXPECT(vcpu_add(fd, 0, t.tid, (char *)p + hp - 64), 0,
		       "VCPU_ADD slot in a hugetlbfs memfd (last slot)");
		EXPECT(vcpu_del(fd, 0), 0, "VCPU_DEL of the hugetlbfs slot");
	}
	if (p != MAP_FAILED)
		munmap(p, hp);
	if (mfd >= 0)
		close(mfd);
	if (old_nr[0]) {
		int f = open("/proc/sys/vm/nr_hugepages", O_WRONLY);

		if (f >= 0) {
			if (write(f, old_nr, strlen(old_nr)) < 0)
				(void)0;
			close(f);
		}
	}
	close(fd);
	vthread_stop(&t);
}

/*
 * The pinned slot counts as the caller's locked memory (issue 20 item 4):
 * one page per vCPU in VmLck, refused beyond RLIMIT_MEMLOCK without
 * CAP_IPC_LOCK, and given back on every way a vCPU ends.
 */
static void test_memlock(void)
{
	struct vthread t[3];
	void *region = map_shared(4096);
	long lck0;
	pid_t pid;
	int fd, i;

	for (i = 0; i < 3; i++)
		vthread_start(&t[i]);
	fd = open_dev();
	lck0 = vmlck_kb();
	check(lck0 >= 0, "VmLck readable (%ld kB)", lck0);
	EXPECT(vcpu_add(fd, 0, t[0].tid, slot_at(region, 0)), 0, "vcpu 0");
	check(vmlck_kb() == lck0 + 4, "VmLck +4 kB for one vCPU (%ld)",
	      vmlck_kb());
	EXPECT(vcpu_add(fd, 1, t[1].tid, slot_at(region, 1)), 0, "vcpu 1");
	check(vmlck_kb() == lck0 + 8, "VmLck +8 kB for two vCPUs (%ld)",
	      vmlck_kb());
	/* failures after the pin give it back too */
	EXPECT(vcpu_add(fd, 2, t[0].tid, slot_at(region, 2)), -EBUSY,
	       "vcpu 2 with vcpu 0's thread");
	EXPECT(vcpu_add(fd, 2, 2, slot_at(region, 2)), -EPERM,
	       "vcpu 2 with kthreadd");
	check(vmlck_kb() == lck0 + 8, "failed VCPU_ADDs: VmLck unchanged (%ld)",
	      vmlck_kb());
	EXPECT(vcpu_del(fd, 0), 0, "VCPU_DEL vcpu 0");
	check(vmlck_kb() == lck0 + 4, "VCPU_DEL: VmLck -4 kB (%ld)",
	      vmlck_kb());
	close(fd);
	check(vmlck_kb() == lck0, "close: VmLck back to %ld kB (%ld)", lck0,
	      vmlck_kb());

	/* RLIMIT_MEMLOCK without CAP_IPC_LOCK: room for one more page */
	pid = fork();
	if (pid == 0) {
		struct rlimit rl;
		long lck;
		int f = open_dev();
		/* the threads are the parent's: its pidfd names them */
		int ppfd = pidfd_of(getppid());

		lck = vmlck_kb();
		rl.rlim_cur = rl.rlim_max = (lck + 4) * 1024;
		if (ppfd < 0 || drop_cap(CAP_IPC_LOCK) ||
		    setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(2);
		if (vcpu_add_pidfd(f, 0, t[0].tid, slot_at(region, 0), ppfd))
			_exit(3);
		if (vcpu_add_pidfd(f, 1, t[1].tid, slot_at(region, 1), ppfd) !=
		    -ENOMEM)
			_exit(4);
		if (vmlck_kb() != lck + 4)
			_exit(5);
		/* the refused one held nothing: a DEL makes room again */
		if (vcpu_del(f, 0) ||
		    vcpu_add_pidfd(f, 1, t[1].tid, slot_at(region, 1), ppfd))
			_exit(6);
		close(f);
		_exit(vmlck_kb() == lck ? 0 : 7);
	}
	check_child(pid, "RLIMIT_MEMLOCK one page above VmLck, no CAP_IPC_LOCK: "
			 "second VCPU_ADD -> ENOMEM, room again after a DEL");

	/*
	 * A vCPU registered by a process that exits, ended by another: the
	 * page goes back to the dead process's mm (no warning in dmesg).
	 */
	fd = open_dev();
	pid = fork();
	if (pid == 0)
		_exit(vcpu_add_pidfd(fd, 5, t[2].tid, slot_at(region, 5),
				     pidfd_of(getppid())) ? 1 : 0);
	check_child(pid, "a child registers vcpu 5 on an inherited fd, exits");
	check(vmlck_kb() == lck0, "parent's VmLck untouched by the child's pin");
	EXPECT(vcpu_del(fd, 5), 0, "the parent ends the child's vcpu 5");
	close(fd);

	for (i = 0; i < 3; i++)
		vthread_stop(&t[i]);
	munmap(region, 4096);
}

/*
 * pvsched never changes a SCHED_DEADLINE thread (issue 20 item 3):
 * VCPU_ADD refuses one, -EINVAL.
 */
static void test_deadline(void)
{
	struct sched_attr a = {
		.size = sizeof(a),
		.sched_policy = SCHED_DEADLINE,
		.sched_runtime = 1000000,
		.sched_deadline = 10000000,
		.sched_period = 10000000,
	};
	void *region = map_shared(4096);
	struct vthread t;
	int fd = open_dev();
	uint64_t pinned = info_pinned(fd);

	vthread_start(&t);
	if (syscall(SYS_sched_setattr, t.tid, &a, 0)) {
		printf("ok %d # SKIP cannot make a thread SCHED_DEADLINE: %s\n",
		       ++ntest, strerror(errno));
	} else {
		EXPECT(vcpu_add(fd, 0, t.tid, slot_at(region, 0)), -EINVAL,
		       "VCPU_ADD of a SCHED_DEADLINE thread");
		check(info_pinned(fd) == pinned,
		      "refused deadline thread: pin given back");
		check(attr_is(t.tid, SCHED_DEADLINE, 0, 0),
		      "the deadline thread left alone");
		set_attr(t.tid, SCHED_OTHER, 0, 0);
		EXPECT(vcpu_add(fd, 0, t.tid, slot_at(region, 0)), 0,
		       "VCPU_ADD of the same thread made SCHED_OTHER again");
	}
	close(fd);
	vthread_stop(&t);
	munmap(region, 4096);
}

/* In a child: exit status 0 if the expectations held, else 1. */
static void test_unprivileged(void)
{
	struct vthread t;
	void *region = map_shared(4096);
	struct stat st;
	int fd, pidfd;
	pid_t pid;

	memset(&st, 0, sizeof(st));
	stat(DEV, &st);
	check((st.st_mode & 07777) == 0660,
	      "%s mode 0660 (got %o)", DEV, st.st_mode & 07777);
	vthread_start(&t);

	/* Root without CAP_SYS_NICE. */
	pid = fork();
	if (pid == 0) {
		int r;

		fd = open_dev();
		if (drop_cap(CAP_SYS_NICE))
			_exit(2);
		r = vcpu_add_pidfd(fd, 0, t.tid, slot_at(region, 0),
				   pidfd_of(getppid()));
		/* Other commands still work. */
		if (r == -EPERM && xioctl(fd, PVSCHED_IOC_GET_INFO,
					  &(struct pvsched_info){}) == 0)
			_exit(0);
		_exit(r == 0 ? 3 : 1);
	}
	check_child(pid, "VCPU_ADD without CAP_SYS_NICE -> EPERM");

	/* nobody, with an fd opened by root (e.g. passed over a socket). */
	pid = fork();
	if (pid == 0) {
		int r;

		fd = open_dev();
		pidfd = pidfd_of(getppid());
		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(2);
		if (open(DEV, O_RDWR) >= 0 || errno != EACCES)
			_exit(4);
		r = vcpu_add_pidfd(fd, 0, t.tid, slot_at(region, 0), pidfd);
		_exit(r == -EPERM ? 0 : 1);
	}
	check_child(pid, "nobody: open -> EACCES, VCPU_ADD -> EPERM");

	/* nobody keeping CAP_SYS_NICE may register any thread. */
	pid = fork();
	if (pid == 0) {
		struct __user_cap_header_struct hdr = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct data[2] = {};
		int r;

		fd = open_dev();
		pidfd = pidfd_of(getppid());
		prctl(PR_SET_KEEPCAPS, 1);
		if (setresuid(65534, 65534, 65534))
			_exit(2);
		data[0].effective = data[0].permitted = 1u << CAP_SYS_NICE;
		if (syscall(SYS_capset, &hdr, data))
			_exit(2);
		r = vcpu_add_pidfd(fd, 0, t.tid, slot_at(region, 0), pidfd);
		_exit(r == 0 ? 0 : 1);
	}
	check_child(pid, "nobody with CAP_SYS_NICE registers a root thread");

	/* DUMP: root without CAP_SYS_ADMIN, nobody with root's fd. */
	pid = fork();
	if (pid == 0) {
		struct __user_cap_header_struct hdr = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct data[2];
		struct pvsched_dump d;

		fd = open_dev();
		if (syscall(SYS_capget, &hdr, data))
			_exit(2);
		data[0].effective &= ~(1u << CAP_SYS_ADMIN);
		if (syscall(SYS_capset, &hdr, data))
			_exit(2);
		if (dump(fd, NULL, 0, sizeof(struct pvsched_dump_vm),
			 sizeof(struct pvsched_dump_vcpu), &d) != -EPERM)
			_exit(1);
		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(2);
		_exit(dump(fd, NULL, 0, sizeof(struct pvsched_dump_vm),
			   sizeof(struct pvsched_dump_vcpu), &d) == -EPERM ?
			      0 :
			      1);
	}
	check_child(pid, "DUMP without CAP_SYS_ADMIN, and as nobody -> EPERM");

	vthread_stop(&t);
	munmap(region, 4096);
}

int main(int argc, char **argv)
{
	long long pinned;
	int fd;

	if (argc > 1 && !strcmp(argv[1], "-v"))
		verbose = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access(DEV, F_OK)) {
		printf("1..0 # SKIP %s missing (pvsched.ko not loaded)\n", DEV);
		return 77;
	}
	pinned = debugfs_pinned();
	printf("# pinned_pages at start: %lld\n", pinned);

	fd = open_dev();
	test_info(fd);
	test_dispatch(fd);
	close(fd);
	test_add_del();
	test_stats_list_name();
	test_dump();
	test_params();
	test_caps_params();
	test_limits();
	test_owner();
	test_slot_memory();
	test_memlock();
	test_deadline();
	test_unprivileged();

	check(debugfs_pinned() == pinned, "pinned_pages at the end: %lld",
	      debugfs_pinned());
	check(strncmp(debugfs_vms(), "vm ", 3) && !strstr(vms_buf, "\nvm "),
	      "no session left in debugfs vms");
	printf("1..%d\n", ntest);
	printf("# %d passed, %d failed\n", ntest - nfail, nfail);
	return nfail ? 1 : 0;
}
