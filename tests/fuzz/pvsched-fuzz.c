// SPDX-License-Identifier: GPL-2.0
/*
 * pvsched-fuzz: random /dev/pvsched calls.
 *
 *   pvsched-fuzz [-n CALLS] [-t SECONDS] [-s SEED] [-v]
 *
 * Random commands (valid and invalid numbers, sizes and directions), random
 * or half-valid structure bytes and flags (VCPU_ADD with pidfds of this
 * process, of nothing, of other files), random argument and slot
 * addresses (NULL, kernel, unmapped, read-only, private, misaligned, valid
 * shared anonymous and file-backed slots), slot regions unmapped after
 * registration, fork after registration (children use the inherited
 * sessions and may be SIGKILLed), registered threads exiting, sessions
 * closed and reopened, caps parameters changed underneath.  Stops after
 * CALLS ioctls (default 100000) or SECONDS (default 120), whichever comes
 * first.  At the end every fd is closed, every child reaped, the caps
 * restored, and /sys/kernel/debug/pvsched/pinned_pages must be back to its
 * value at the start (0 when nothing else uses the module): exit 0 if so,
 * 1 otherwise.  The same seed gives the same sequence of decisions.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/pvsched.h>

#ifndef DEV
#define DEV "/dev/pvsched"
#endif
#define PINNED "/sys/kernel/debug/pvsched/pinned_pages"
#define VMS "/sys/kernel/debug/pvsched/vms"
#define PARAMS "/sys/module/pvsched/parameters/"

#define NFDS 6
#define NTHREADS 12
#define NREGIONS 4
#define REGION_SIZE (2 * 4096)
#define NCHILDREN 4
#define SCRATCH_SIZE (20 * 1024)

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t rndn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned int percent)
{
	return rndn(100) < percent;
}

static int verbose;
static unsigned long calls, errs[256], ok_calls, adds_ok;

/* --- "vCPU" threads ------------------------------------------------------ */

struct vthread {
	pthread_t th;
	volatile pid_t tid;
	volatile int stop;
	bool live;
};

static struct vthread threads[NTHREADS];
static pid_t dead_tids[16];

static void *vthread_fn(void *arg)
{
	struct vthread *t = arg;

	t->tid = gettid();
	while (!t->stop)
		usleep(2000);
	return NULL;
}

static void thread_start(struct vthread *t)
{
	t->stop = 0;
	t->tid = 0;
	if (pthread_create(&t->th, NULL, vthread_fn, t)) {
		perror("pthread_create");
		exit(2);
	}
	while (!t->tid)
		usleep(100);
	t->live = true;
}

static void thread_stop(struct vthread *t)
{
	if (!t->live)
		return;
	t->stop = 1;
	pthread_join(t->th, NULL);
	t->live = false;
	dead_tids[rndn(16)] = t->tid;
}

/* --- memory -------------------------------------------------------------- */

enum region_kind { R_ANON_SHARED, R_FILE_SHARED, R_RDONLY, R_PRIVATE };

static struct region {
	char *addr;
	enum region_kind kind;
} regions[NREGIONS * 2];
static int file_fd = -1;
static char *scratch, *rdonly_page, *unmapped_page;

static char *map_region(enum region_kind kind)
{
	char *p = MAP_FAILED;

	switch (kind) {
	case R_ANON_SHARED:
		p = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		break;
	case R_FILE_SHARED:
		p = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 file_fd, rndn(4) * 4096);
		break;
	case R_RDONLY:
		p = mmap(NULL, REGION_SIZE, PROT_READ, MAP_SHARED, file_fd, 0);
		break;
	case R_PRIVATE:
		p = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | (chance(50) ? MAP_ANONYMOUS : 0),
			 chance(50) ? -1 : file_fd, 0);
		if (p == MAP_FAILED)
			p = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	}
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	return p;
}

static void setup_memory(void)
{
	char path[] = "/tmp/pvsched-fuzz-XXXXXX";
	int i;

	file_fd = mkstemp(path);
	if (file_fd < 0 || ftruncate(file_fd, 8 * 4096)) {
		perror(path);
		exit(2);
	}
	unlink(path);
	for (i = 0; i < NREGIONS * 2; i++) {
		regions[i].kind = i < NREGIONS ? (i & 1 ? R_FILE_SHARED :
							  R_ANON_SHARED) :
						 (enum region_kind)(i & 1 ? R_RDONLY :
									    R_PRIVATE);
		regions[i].addr = map_region(regions[i].kind);
	}
	scratch = mmap(NULL, SCRATCH_SIZE + 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* The last page stays inaccessible: arguments that straddle it. */
	mprotect(scratch + SCRATCH_SIZE, 4096, PROT_NONE);
	rdonly_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
	/*
	 * "Unmapped": a PROT_NONE reservation, so that no later mapping (a
	 * thread stack...) can take the address and receive the kernel's
	 * writes; below it, 0x10000 (mmap_min_addr) is never mapped.
	 */
	unmapped_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			     -1, 0);
}

/* Unmap a slot region (maybe with registered slots) and map a new one. */
static void remap_region(void)
{
	struct region *r = &regions[rndn(NREGIONS * 2)];

	munmap(r->addr, REGION_SIZE);
	r->addr = map_region(r->kind);
}

/*
 * The kernel writes where it is told: an output buffer the fuzzer points at
 * one of its regions must end inside it, or the records land in whatever
 * mapping follows (a thread's stack: "stack smashing detected").  Shortens
 * *len (bytes) to the region's end when addr is inside one.
 */
static void keep_in_region(uint64_t addr, uint64_t *len)
{
	unsigned int i;

	for (i = 0; i < NREGIONS * 2; i++) {
		uint64_t start = (uintptr_t)regions[i].addr;

		if (addr >= start && addr < start + REGION_SIZE &&
		    *len > start + REGION_SIZE - addr)
			*len = start + REGION_SIZE - addr;
	}
}

static uint64_t pick_slot_addr(void)
{
	struct region *r;

	switch (rndn(12)) {
	case 0:
		return 0;
	case 1:
		return 0xffffffff81000000ull + rndn(1 << 20) * 64;
	case 2:
		return 0xffff888000000000ull + rndn(1 << 20) * 64;
	case 3:
		return (chance(50) ? 0x10000 : (uintptr_t)unmapped_page) +
		       rndn(64) * 64;
	case 4:
		return rnd() & ~63ull;
	case 5:
		return rnd();
	case 6:
		r = &regions[rndn(NREGIONS * 2)];
		return (uintptr_t)r->addr + rndn(REGION_SIZE);
	case 7:
		r = &regions[NREGIONS + rndn(NREGIONS)];
		return (uintptr_t)r->addr + rndn(REGION_SIZE / 64) * 64;
	default:
		r = &regions[rndn(NREGIONS)];
		return (uintptr_t)r->addr + rndn(REGION_SIZE / 64) * 64;
	}
}

/* An ioctl argument pointer; the buffer behind a valid one has @size bytes. */
static void *pick_arg(size_t size)
{
	switch (rndn(20)) {
	case 0:
		return NULL;
	case 1:
		return (void *)0xffffffff81000000ul;
	case 2:
		return chance(50) ? (void *)0x10000 : unmapped_page;
	case 3:
		return rdonly_page;
	case 4: /* straddles the PROT_NONE page */
		if (size > SCRATCH_SIZE)
			size = SCRATCH_SIZE;
		return scratch + SCRATCH_SIZE - (size ? rndn(size) + 1 : 0);
	case 5: /* non-canonical or kernel: never this program's memory */
		return (void *)(uintptr_t)(rnd() | 1ull << 63);
	default:
		return scratch + (size < SCRATCH_SIZE ?
				  rndn(SCRATCH_SIZE - size + 1) & ~7ul : 0);
	}
}

static uint32_t pick_tid(void)
{
	struct vthread *t;

	switch (rndn(16)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return 2; /* kthreadd */
	case 3:
		return dead_tids[rndn(16)];
	case 4:
		return rnd();
	case 5:
		return getpid();
	case 6:
		return getppid();
	default:
		t = &threads[rndn(NTHREADS)];
		return t->tid;
	}
}

static uint32_t pick_vcpu_id(void)
{
	switch (rndn(10)) {
	case 0:
		return rnd();
	case 1:
		return PVSCHED_MAX_VCPU_ID - rndn(3);
	default:
		return rndn(16);
	}
}

/* --- commands ------------------------------------------------------------ */

static const unsigned int cmds[] = {
	PVSCHED_IOC_GET_INFO,	PVSCHED_IOC_VCPU_ADD,  PVSCHED_IOC_VCPU_DEL,
	PVSCHED_IOC_SET_PARAMS, PVSCHED_IOC_GET_PARAMS, PVSCHED_IOC_GET_STATS,
	PVSCHED_IOC_SET_NAME,	PVSCHED_IOC_GET_VCPUS, PVSCHED_IOC_DUMP,
};

/* A pidfd of the process that started the run (PVSCHED_VCPU_ADD_PIDFD). */
static int self_pidfd = -1;

static void fill_random(void *buf, size_t size)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < size; i++)
		p[i] = rnd();
}

/* Fill @buf (at least 256 bytes) with a half-valid structure for @nr. */
static void fill_struct(unsigned int nr, void *buf)
{
	switch (nr) {
	case 1: {
		struct pvsched_vcpu_add *a = buf;

		a->vcpu_id = pick_vcpu_id();
		a->tid = pick_tid();
		a->slot_addr = pick_slot_addr();
		a->flags = chance(90) ? 0 :
			   chance(50) ? PVSCHED_VCPU_ADD_PIDFD : rnd();
		a->pad = chance(95) ? 0 : rnd();
		/* a pidfd of this process (children's too), any fd, junk */
		if (a->flags & PVSCHED_VCPU_ADD_PIDFD)
			a->pidfd = chance(50) ? self_pidfd :
				   chance(50) ? (int)rndn(64) : (int)rnd();
		else
			a->pidfd = chance(95) ? 0 : rnd();
		a->reserved = chance(95) ? 0 : rnd();
		break;
	}
	case 2: {
		struct pvsched_vcpu_del *d = buf;

		d->vcpu_id = pick_vcpu_id();
		d->flags = chance(95) ? 0 : rnd();
		break;
	}
	case 3: {
		struct pvsched_params *p = buf;
		static const uint32_t pol[] = { 0, 1, 2, 3, 5, 6, 7 };

		memset(p, 0, sizeof(*p));
		p->cs_policy = pol[rndn(7)];
		p->cs_rt_prio = rndn(101);
		p->cs_nice = (int)rndn(44) - 22;
		p->intr_policy = pol[rndn(7)];
		p->intr_rt_prio = rndn(101);
		p->intr_nice = (int)rndn(44) - 22;
		p->max_boost_ns = chance(10) ? rnd() : rndn(2000000000);
		p->throttle_ns = chance(10) ? rnd() : rndn(20000000);
		p->debug = rndn(3);
		if (chance(5))
			p->flags = rnd();
		if (chance(5))
			p->withheld_features = rnd();
		if (chance(5))
			p->reserved[0] = rnd();
		break;
	}
	case 5:
		*(uint32_t *)buf = pick_vcpu_id();
		break;
	case 6: {
		char *name = buf;
		size_t i, len = rndn(PVSCHED_NAME_LEN + 1);

		for (i = 0; i < len; i++)
			name[i] = chance(95) ? ' ' + rndn(95) : rnd();
		if (len < PVSCHED_NAME_LEN)
			name[len] = 0;
		break;
	}
	case 7: {
		struct pvsched_vcpu_list *l = buf;

		l->nr = chance(80) ? rndn(20) : rnd();
		l->pad = chance(95) ? 0 : rnd();
		l->ids = chance(80) ? (uintptr_t)pick_arg(l->nr * 4ull) :
				      pick_slot_addr();
		/* Never let the kernel write beyond the scratch buffer. */
		if (l->ids >= (uintptr_t)scratch &&
		    l->ids < (uintptr_t)scratch + SCRATCH_SIZE + 4096 &&
		    (uint64_t)l->nr * 4 > SCRATCH_SIZE + 4096 -
						     (l->ids - (uintptr_t)scratch))
			l->ids = (uintptr_t)scratch + SCRATCH_SIZE - 4096;
		{
			uint64_t bytes = (uint64_t)l->nr * 4;

			keep_in_region(l->ids, &bytes);
			if (bytes < (uint64_t)l->nr * 4)
				l->nr = bytes / 4;
		}
		break;
	}
	case 8: {
		/* Records land in scratch or one region at most (keep_in_region). */
		static const uint32_t sizes[] = { 0, 104, 116, 120, 264, 276, 280 };
		struct pvsched_dump *d = buf;

		d->flags = chance(95) ? 0 : rnd();
		d->pad = chance(95) ? 0 : rnd();
		d->vm_size = chance(80) ? sizeof(struct pvsched_dump_vm) :
					  sizes[rndn(7)];
		d->vcpu_size = chance(80) ? sizeof(struct pvsched_dump_vcpu) :
					    sizes[rndn(7)];
		d->len = chance(10) ? rnd() : rndn(SCRATCH_SIZE + 1);
		d->buf = chance(80) ? (uintptr_t)pick_arg(d->len) :
				      pick_slot_addr();
		{
			uint64_t len = d->len;

			keep_in_region(d->buf, &len);
			d->len = len;
		}
		if (chance(5))
			d->reserved[rndn(2)] = rnd();
		break;
	}
	}
}

static void do_ioctl(int fd)
{
	unsigned int cmd, nr, dir, size;
	unsigned char buf[512];
	void *arg;
	int ret;

	cmd = cmds[rndn(sizeof(cmds) / sizeof(cmds[0]))];
	nr = _IOC_NR(cmd);
	dir = _IOC_DIR(cmd);
	size = _IOC_SIZE(cmd);
	switch (rndn(20)) {
	case 0: /* random number */
		nr = rndn(16);
		break;
	case 1: /* random direction */
		dir = rndn(4);
		break;
	case 2: /* random size */
		size = rndn(300);
		break;
	case 3: /* other type */
		cmd = _IOC(dir, rndn(256), nr, size);
		goto have_cmd;
	case 4: /* anything */
		cmd = rnd();
		goto have_cmd;
	}
	cmd = _IOC(dir, PVSCHED_IOCTL_TYPE, nr, size);
have_cmd:
	size = _IOC_SIZE(cmd);
	if (chance(10))
		fill_random(buf, sizeof(buf));
	else
		memset(buf, 0, sizeof(buf));
	if (chance(85))
		fill_struct(_IOC_NR(cmd), buf);

	arg = pick_arg(size);
	/* Where a valid buffer is used, make it hold the chosen bytes. */
	if ((char *)arg >= scratch && (char *)arg < scratch + SCRATCH_SIZE) {
		size_t room = scratch + SCRATCH_SIZE - (char *)arg;

		memcpy(arg, buf, room < sizeof(buf) ? room : sizeof(buf));
	}
	ret = ioctl(fd, cmd, arg);
	calls++;
	if (ret) {
		errs[errno & 255]++;
	} else {
		ok_calls++;
		if (cmd == PVSCHED_IOC_VCPU_ADD)
			adds_ok++;
	}
}

/* --- sessions, children, caps -------------------------------------------- */

static int fds[NFDS];
static pid_t children[NCHILDREN];

static void reopen(int i)
{
	if (fds[i] >= 0)
		close(fds[i]);
	fds[i] = open(DEV, O_RDWR);
	if (fds[i] < 0) {
		perror(DEV);
		exit(2);
	}
}

static void reap(bool block)
{
	int i, status;

	for (i = 0; i < NCHILDREN; i++) {
		if (children[i] <= 0)
			continue;
		if (waitpid(children[i], &status, block ? 0 : WNOHANG) ==
		    children[i])
			children[i] = 0;
	}
}

/* A child: uses the inherited sessions, registers its own threads. */
static void child_main(void)
{
	struct vthread own[2];
	int i, n = 50 + rndn(200);

	rng_state ^= getpid() * 0x9e3779b97f4a7c15ull;
	for (i = 0; i < 2; i++)
		thread_start(&own[i]);
	for (i = 0; i < n; i++) {
		struct pvsched_vcpu_add a = {
			.vcpu_id = rndn(32),
			.tid = own[rndn(2)].tid,
			.slot_addr = pick_slot_addr(),
		};

		if (chance(30))
			ioctl(fds[rndn(NFDS)], PVSCHED_IOC_VCPU_ADD, &a);
		else
			do_ioctl(fds[rndn(NFDS)]);
		if (chance(5)) {
			int j = rndn(NFDS);

			close(fds[j]);
			fds[j] = open(DEV, O_RDWR);
		}
	}
	if (chance(50))
		_exit(0);
	/* Threads exit while registered, then the process. */
	for (i = 0; i < 2; i++)
		thread_stop(&own[i]);
	_exit(0);
}

static void spawn_or_kill_child(void)
{
	int i = rndn(NCHILDREN);
	pid_t pid;

	reap(false);
	if (children[i] > 0) {
		kill(children[i], SIGKILL);
		waitpid(children[i], NULL, 0);
		children[i] = 0;
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0)
		child_main();
	children[i] = pid;
}

static const char *const cap_names[] = { "max_vcpus_per_vm", "max_vms",
					 "max_rt_prio", "min_nice",
					 "max_policy", "max_duty_pct",
					 "cpu_share_pct",
					 "cpu_share_window_us" };
#define NR_CAPS (sizeof(cap_names) / sizeof(cap_names[0]))
static char cap_saved[NR_CAPS][32];

static int rw_param(const char *name, char *buf, size_t size, bool write_it)
{
	char path[256];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	fd = open(path, write_it ? O_WRONLY : O_RDONLY);
	if (fd < 0)
		return -1;
	n = write_it ? write(fd, buf, strlen(buf)) : read(fd, buf, size - 1);
	if (!write_it && n >= 0)
		buf[n] = 0;
	close(fd);
	return n < 0 ? -1 : 0;
}

static void fuzz_caps(void)
{
	static const char *const vals[] = { "0", "1", "2", "3", "64", "256",
					    "-20", "-21", "99", "98", "rr",
					    "fifo", "normal", "bogus", "1025",
					    "4096", "-1", "50", "100", "1000",
					    "100000" };
	char buf[32];

	snprintf(buf, sizeof(buf), "%s", vals[rndn(sizeof(vals) / sizeof(vals[0]))]);
	rw_param(cap_names[rndn(NR_CAPS)], buf, sizeof(buf), true);
}

static long long read_pinned(void)
{
	char buf[64] = "";
	int fd = open(PINNED, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return atoll(buf);
}

static int count_vms(void)
{
	static char buf[1 << 16];
	int fd = open(VMS, O_RDONLY), n = 0;
	ssize_t len = 0, r;
	char *p;

	if (fd < 0)
		return -1;
	while (len < (ssize_t)sizeof(buf) - 1 &&
	       (r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += r;
	close(fd);
	buf[len] = 0;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, "vm ", 3))
			n++;
	return n;
}

int main(int argc, char **argv)
{
	unsigned long max_calls = 100000, seconds = 120, i, last_report = 0;
	uint64_t seed = time(NULL);
	long long pinned0, pinned1;
	struct timespec t0, now;
	int opt, vms1;

	while ((opt = getopt(argc, argv, "n:t:s:vh")) != -1) {
		switch (opt) {
		case 'n':
			max_calls = strtoul(optarg, NULL, 0);
			break;
		case 't':
			seconds = strtoul(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			fprintf(stderr,
				"usage: %s [-n CALLS] [-t SECONDS] [-s SEED] [-v]\n",
				argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	rng_state = seed ? seed : 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("pvsched-fuzz: seed %llu, up to %lu calls, up to %lu s\n",
	       (unsigned long long)seed, max_calls, seconds);
	if (access(DEV, F_OK)) {
		printf("pvsched-fuzz: %s missing (pvsched.ko not loaded)\n", DEV);
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	self_pidfd = syscall(SYS_pidfd_open, getpid(), 0);
	pinned0 = read_pinned();
	for (i = 0; i < (int)NR_CAPS; i++)
		rw_param(cap_names[i], cap_saved[i], sizeof(cap_saved[i]), false);

	setup_memory();
	for (i = 0; i < NTHREADS; i++)
		thread_start(&threads[i]);
	for (i = 0; i < NFDS; i++) {
		fds[i] = -1;
		reopen(i);
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; calls < max_calls; i++) {
		unsigned int what = rndn(1000);

		if (what < 900) {
			do_ioctl(fds[rndn(NFDS)]);
		} else if (what < 940) {
			reopen(rndn(NFDS));
		} else if (what < 965) {
			struct vthread *t = &threads[rndn(NTHREADS)];

			thread_stop(t);
			thread_start(t);
		} else if (what < 980) {
			remap_region();
		} else if (what < 990) {
			spawn_or_kill_child();
		} else if (what < 993) {
			fuzz_caps();
		} else {
			/* A burst of valid registrations. */
			struct pvsched_vcpu_add a = {
				.vcpu_id = rndn(16),
				.tid = threads[rndn(NTHREADS)].tid,
				.slot_addr = (uintptr_t)regions[rndn(NREGIONS)].addr +
					     rndn(REGION_SIZE / 64) * 64,
			};

			calls++;
			if (!ioctl(fds[rndn(NFDS)], PVSCHED_IOC_VCPU_ADD, &a))
				adds_ok++;
		}
		if ((i & 255) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if ((unsigned long)(now.tv_sec - t0.tv_sec) >= seconds)
				break;
			if (verbose && calls / 10000 != last_report) {
				last_report = calls / 10000;
				printf("  %lu calls, %ld s, pinned_pages %lld\n",
				       calls, (long)(now.tv_sec - t0.tv_sec),
				       read_pinned());
			}
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &now);

	/* Tear down: children, sessions, threads, caps. */
	for (i = 0; i < NCHILDREN; i++)
		if (children[i] > 0)
			kill(children[i], SIGKILL);
	reap(true);
	for (i = 0; i < NFDS; i++)
		close(fds[i]);
	for (i = 0; i < NTHREADS; i++)
		thread_stop(&threads[i]);
	for (i = 0; i < (int)NR_CAPS; i++) {
		cap_saved[i][strcspn(cap_saved[i], "\n")] = 0;
		rw_param(cap_names[i], cap_saved[i], 0, true);
	}

	pinned1 = read_pinned();
	vms1 = count_vms();
	printf("pvsched-fuzz: %lu calls in %ld s (%lu succeeded, %lu VCPU_ADDs succeeded)\n",
	       calls, (long)(now.tv_sec - t0.tv_sec), ok_calls, adds_ok);
	printf("pvsched-fuzz: errors:");
	for (i = 0; i < 256; i++)
		if (errs[i])
			printf(" %s=%lu", strerrorname_np(i) ?: "?", errs[i]);
	printf("\n");
	printf("pvsched-fuzz: pinned_pages %lld at start, %lld at the end; sessions left %d\n",
	       pinned0, pinned1, vms1);
	printf("calls=%lu pinned_after=%lld\n", calls, pinned1);
	if (pinned1 != pinned0) {
		printf("FAIL: pinned pages leaked\n");
		return 1;
	}
	if (pinned0 == 0 && vms1 != 0) {
		printf("FAIL: sessions left in %s\n", VMS);
		return 1;
	}
	return 0;
}
