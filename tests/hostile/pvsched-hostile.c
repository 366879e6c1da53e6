// SPDX-License-Identifier: GPL-2.0
/*
 * pvsched-hostile: a tiny KVM VMM whose "guest" lies to pvsched.ko, for the
 * hostile-* lab tests (run inside L1, as root, with pvsched.ko loaded).
 *
 * It creates a VM with N vCPUs running a few bytes of real-mode code (a
 * port-I/O loop, a HLT loop or a tight spin), puts a pvsched region (header
 * + one slot per vCPU) in a memfd mapped MAP_SHARED, registers every vCPU
 * thread with /dev/pvsched, and then plays one hostile (or well-behaved)
 * part on the slots from a writer thread.  The host cannot tell a guest's
 * stores from these: the region is plain host memory either way.
 *
 * While it runs, a sampler thread reads each vCPU thread's scheduling
 * attributes with sched_getattr() and checks them against the admin caps
 * (PVSCHED_IOC_GET_INFO).  At the end it prints key=value lines: the caps,
 * what was sampled, the violations, and each vCPU's PVSCHED_IOC_GET_STATS.
 * Exit status: 0 ok, 1 cap violation or error.
 *
 * Usage: pvsched-hostile [options]
 *   -m MODE     what the writer does (default idle):
 *               idle        nothing (all-zero guest area)
 *               random      random 8-byte stores over the whole region
 *                           (header, every slot's header, guest and host
 *                           areas), as fast as possible; every other store
 *                           is two small values (0..7, -128..127) so that
 *                           valid policies and near-range values show up
 *               toggle      flip the critical-section flags word as fast as
 *                           possible
 *               cs-forever  set every critical-section flag once and keep it
 *               bad-prio    cycle through invalid requests: SCHED_DEADLINE,
 *                           unknown policies, rt_prio 0/-1/100/huge, nice
 *                           -21/20/INT_MIN/INT_MAX, SCHED_BATCH/IDLE at -20
 *               seq-odd     leave the sequence counter odd forever
 *               well        a well-behaved guest: a critical section of
 *                           -P us every -I us; measures how long the host
 *                           takes to boost (first sample not at base)
 *   -n N        vCPUs (default 1)
 *   -g GUEST    guest code: io (port I/O loop, default), hlt, spin
 *   -t SECS     run time (default 5; fractions allowed)
 *   -c CPU      pin the vCPU threads to CPU
 *   -w CPU      pin the writer and sampler threads to CPU
 *   -s US       sampling period (default 200)
 *   -I US, -P US  well mode: period and critical-section length
 *               (default 20000 and 5000)
 *   -H          bogus region header: abi_major 0xdead, abi_minor 0xbeef,
 *               every feature bit offered and "accepted", guest_state 7
 *   -p POL:PRIO:NICE  SET_PARAMS: boost policy (fifo|rr|normal), rt
 *               priority and nice for both cs_* and intr_*
 *   -b US:US    SET_PARAMS max_boost and throttle in microseconds
 *   -N          do not register with /dev/pvsched (baseline)
 *   -R          run the sampler (and a writer that sleeps: idle, well,
 *               bad-prio) at SCHED_FIFO 90, above any boost, so that a
 *               boosted vCPU thread on the same CPU cannot starve them
 *   -S PID      measure the CPU share PID (a hog on the vCPUs' CPU) keeps
 *               against vCPU 0's thread: hog / (hog + vCPU) CPU time from
 *               schedstat, over the run minus its first second
 *   -q          no per-vCPU stats
 * SIGTERM or SIGINT end the run early, with the full report.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../../uapi/linux/pvsched.h"
#include "../include/pvsched-test.h"

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif

#define MAX_VCPUS 16

struct vcpu {
	int idx;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	pid_t tid;
	struct pvsched_vcpu_slot *slot;
	/* sampled */
	unsigned long samples, rt_samples, boosted_samples;
	unsigned int max_rt_prio;
	int min_nice;
	unsigned long exits;
};

static struct {
	const char *mode;
	const char *guest;
	int nvcpus;
	double secs;
	int vcpu_cpu, writer_cpu;
	int sample_us, period_us, cs_us;
	int bogus_header, no_register, quiet, rt_threads;
	int set_params, set_times;
	unsigned int pol, prio;
	int nice;
	unsigned long boost_us, throttle_us;
	int hog_pid;
} opt = {
	.mode = "idle", .guest = "io", .nvcpus = 1, .secs = 5,
	.vcpu_cpu = -1, .writer_cpu = -1, .sample_us = 200,
	.period_us = 20000, .cs_us = 5000,
};

static int kvm_fd, vm_fd, pv_fd = -1;
static struct vcpu vcpus[MAX_VCPUS];
static unsigned char *region;
static size_t region_size;
static volatile int stop;
static struct pvsched_info info;
static unsigned long violations;
static char first_violation[256];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * well mode: when the current critical section started (ns, 0 = none), and
 * the delays from there to the first boosted sample of vCPU 0.
 */
static volatile uint64_t cs_start_ns;
static uint64_t lat_ns[4096];
static unsigned int nlat, cs_count;

static void die(const char *what)
{
	fprintf(stderr, "pvsched-hostile: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

static void make_rt(void)
{
	struct sched_param sp = { .sched_priority = 90 };

	if (opt.rt_threads && pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp))
		fprintf(stderr, "pvsched-hostile: SCHED_FIFO 90 refused\n");
}

static void on_signal(int sig)
{
	(void)sig;
}

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* First field of /proc/PID/schedstat: ns spent on a CPU; 0 if unreadable. */
static uint64_t runtime_ns(int pid)
{
	unsigned long long ns = 0;
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &ns) != 1)
		ns = 0;
	fclose(f);
	return ns;
}

static void *vcpu_main(void *arg)
{
	struct vcpu *v = arg;

	v->tid = syscall(SYS_gettid);
	pin(opt.vcpu_cpu);
	while (!stop) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("KVM_RUN");
		}
		v->exits++;
		switch (v->run->exit_reason) {
		case KVM_EXIT_IO:
		case KVM_EXIT_HLT:
		case KVM_EXIT_INTR:
			break;
		default:
			fprintf(stderr, "pvsched-hostile: vCPU %d: exit reason %u\n",
				v->idx, v->run->exit_reason);
			exit(1);
		}
	}
	return NULL;
}

static void setup_vm(void)
{
	static const unsigned char io_loop[] = { 0xe6, 0x10, 0xeb, 0xfc };
	static const unsigned char hlt_loop[] = { 0xf4, 0xeb, 0xfd };
	static const unsigned char spin[] = { 0xeb, 0xfe };
	struct kvm_userspace_memory_region mr = { 0 };
	unsigned char *mem;
	int mmap_size, i;

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		die("/dev/kvm");
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0)
		die("KVM_CREATE_VM");
	mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap guest memory");
	if (!strcmp(opt.guest, "io"))
		memcpy(mem, io_loop, sizeof(io_loop));
	else if (!strcmp(opt.guest, "hlt"))
		memcpy(mem, hlt_loop, sizeof(hlt_loop));
	else if (!strcmp(opt.guest, "spin"))
		memcpy(mem, spin, sizeof(spin));
	else {
		fprintf(stderr, "pvsched-hostile: unknown guest %s\n", opt.guest);
		exit(2);
	}
	mr.slot = 0;
	mr.guest_phys_addr = 0;
	mr.memory_size = 0x10000;
	mr.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &mr))
		die("KVM_SET_USER_MEMORY_REGION");
	mmap_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE");

	for (i = 0; i < opt.nvcpus; i++) {
		struct vcpu *v = &vcpus[i];
		struct kvm_sregs sregs;
		struct kvm_regs regs = { 0 };

		v->idx = i;
		v->min_nice = INT_MAX;
		v->fd = ioctl(vm_fd, KVM_CREATE_VCPU, i);
		if (v->fd < 0)
			die("KVM_CREATE_VCPU");
		v->run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE,
			      MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED)
			die("mmap kvm_run");
		if (ioctl(v->fd, KVM_GET_SREGS, &sregs))
			die("KVM_GET_SREGS");
		sregs.cs.base = 0;
		sregs.cs.selector = 0;
		if (ioctl(v->fd, KVM_SET_SREGS, &sregs))
			die("KVM_SET_SREGS");
		regs.rip = 0;
		regs.rflags = 2;
		if (ioctl(v->fd, KVM_SET_REGS, &regs))
			die("KVM_SET_REGS");
	}
}

static void setup_region(void)
{
	struct pvsched_region_header *h;
	int fd, i;

	region_size = PVSCHED_REGION_SIZE(opt.nvcpus);
	region_size = (region_size + 4095) & ~4095ul;
	fd = memfd_create("pvsched-hostile", MFD_CLOEXEC);
	if (fd < 0)
		die("memfd_create");
	if (ftruncate(fd, region_size))
		die("ftruncate");
	region = mmap(NULL, region_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      fd, 0);
	if (region == MAP_FAILED)
		die("mmap region");
	h = (struct pvsched_region_header *)region;
	region_header_init(h, opt.nvcpus);
	if (opt.bogus_header) {
		h->abi_major = 0xdead;
		h->abi_minor = 0xbeef;
		h->host_features = ~0ull;
		h->guest_features = ~0ull;
		h->guest_abi_major = 0xdead;
		h->guest_state = 7;
	}
	__atomic_store_n(&h->magic, PVSCHED_MAGIC, __ATOMIC_RELEASE);
	for (i = 0; i < opt.nvcpus; i++)
		vcpus[i].slot = (struct pvsched_vcpu_slot *)(region +
			PVSCHED_REGION_HDR_SIZE + i * PVSCHED_SLOT_SIZE);
}

static unsigned int parse_policy(const char *s)
{
	if (!strcmp(s, "fifo"))
		return SCHED_FIFO;
	if (!strcmp(s, "rr"))
		return SCHED_RR;
	if (!strcmp(s, "normal"))
		return SCHED_OTHER;
	fprintf(stderr, "pvsched-hostile: unknown policy %s\n", s);
	exit(2);
}

static void setup_pvsched(void)
{
	int i;

	if (opt.no_register)
		return;
	pv_fd = open("/dev/pvsched", O_RDWR | O_CLOEXEC);
	if (pv_fd < 0)
		die("/dev/pvsched");
	if (ioctl(pv_fd, PVSCHED_IOC_GET_INFO, &info))
		die("PVSCHED_IOC_GET_INFO");
	if (opt.set_params || opt.set_times) {
		struct pvsched_params p;

		if (ioctl(pv_fd, PVSCHED_IOC_GET_PARAMS, &p))
			die("PVSCHED_IOC_GET_PARAMS");
		if (opt.set_params) {
			p.cs_policy = p.intr_policy = opt.pol;
			p.cs_rt_prio = p.intr_rt_prio = opt.prio;
			p.cs_nice = p.intr_nice = opt.nice;
		}
		if (opt.set_times) {
			p.max_boost_ns = opt.boost_us * 1000ull;
			p.throttle_ns = opt.throttle_us * 1000ull;
		}
		if (ioctl(pv_fd, PVSCHED_IOC_SET_PARAMS, &p))
			die("PVSCHED_IOC_SET_PARAMS");
	}
	for (i = 0; i < opt.nvcpus; i++)
		if (vcpu_add(pv_fd, i, vcpus[i].tid, vcpus[i].slot))
			die("PVSCHED_IOC_VCPU_ADD");
}

/* A well-formed guest-area update (sequence counter protocol). */
static void slot_write(struct pvsched_vcpu_slot *s, uint32_t flags,
		       uint32_t policy, int32_t nice, uint32_t prio)
{
	uint32_t seq = __atomic_load_n(&s->guest.seq, __ATOMIC_RELAXED);

	__atomic_store_n(&s->guest.seq, seq | 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&s->guest.flags, flags, __ATOMIC_RELAXED);
	__atomic_store_n(&s->guest.sched_policy, policy, __ATOMIC_RELAXED);
	__atomic_store_n(&s->guest.sched_nice, nice, __ATOMIC_RELAXED);
	__atomic_store_n(&s->guest.rt_prio, prio, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&s->guest.seq, (seq | 1) + 1, __ATOMIC_RELAXED);
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static unsigned long writes;

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

static void *writer_main(void *arg)
{
	static const struct {
		uint32_t policy;
		int32_t nice;
		uint32_t prio;
	} bad[] = {
		{ SCHED_DEADLINE, 0, 50 },  { SCHED_FIFO, 0, 0 },
		{ SCHED_FIFO, 0, (uint32_t)-1 }, { SCHED_FIFO, 0, 100 },
		{ SCHED_RR, 0, 0x7fffffff }, { SCHED_FIFO, -20, 99 },
		{ SCHED_OTHER, -21, 0 },    { SCHED_OTHER, 20, 0 },
		{ SCHED_OTHER, INT_MIN, 0 }, { SCHED_OTHER, INT_MAX, 0 },
		{ SCHED_BATCH, -20, 0 },    { SCHED_IDLE, -20, 0 },
		{ 4, -20, 99 },             { 7, -20, 99 },
		{ 0xffffffff, -20, 99 },    { 0x80000001, 0, 1 },
	};
	uint64_t seed = 0x9e3779b97f4a7c15ull ^ now_ns();
	unsigned int i = 0;
	int n;

	(void)arg;
	pin(opt.writer_cpu);
	if (!strcmp(opt.mode, "well") || !strcmp(opt.mode, "bad-prio"))
		make_rt();
	if (!strcmp(opt.mode, "random")) {
		while (!stop) {
			for (n = 0; n < 4096; n++) {
				uint64_t r = xorshift(&seed);
				size_t off = (r >> 32) % (region_size / 8) * 8;
				uint64_t v = xorshift(&seed);

				/*
				 * Every other store: two small 32-bit values
				 * (0..7 and -128..127), so that valid policy
				 * numbers, odd/even seq and near-range nice
				 * and rt_prio show up, not only garbage.
				 */
				if (r & 1)
					v = (v & 7) | ((uint64_t)(uint32_t)
						((int32_t)(v >> 32 & 0xff) - 128) << 32);
				__atomic_store_n((uint64_t *)(region + off), v,
						 __ATOMIC_RELAXED);
			}
			writes += 4096;
		}
	} else if (!strcmp(opt.mode, "toggle")) {
		while (!stop) {
			for (n = 0; n < 4096; n++)
				for (i = 0; i < (unsigned int)opt.nvcpus; i++)
					__atomic_store_n(&vcpus[i].slot->guest.flags,
							 (n & 1) ? PVSCHED_CS_ALL : 0,
							 __ATOMIC_RELAXED);
			writes += 4096;
		}
		for (i = 0; i < (unsigned int)opt.nvcpus; i++)
			vcpus[i].slot->guest.flags = 0;
	} else if (!strcmp(opt.mode, "cs-forever")) {
		for (i = 0; i < (unsigned int)opt.nvcpus; i++)
			slot_write(vcpus[i].slot, PVSCHED_CS_ALL, SCHED_OTHER, 0, 0);
		writes = opt.nvcpus;
	} else if (!strcmp(opt.mode, "bad-prio")) {
		while (!stop) {
			for (n = 0; n < opt.nvcpus; n++)
				slot_write(vcpus[n].slot, 0, bad[i].policy,
					   bad[i].nice, bad[i].prio);
			i = (i + 1) % (sizeof(bad) / sizeof(bad[0]));
			writes++;
			sleep_us(1000);
		}
	} else if (!strcmp(opt.mode, "seq-odd")) {
		for (n = 0; n < opt.nvcpus; n++) {
			struct pvsched_vcpu_slot *s = vcpus[n].slot;

			s->guest.seq |= 1;
			s->guest.sched_policy = SCHED_FIFO;
			s->guest.rt_prio = 99;
		}
		writes = opt.nvcpus;
	} else if (!strcmp(opt.mode, "well")) {
		while (!stop) {
			for (n = 0; n < opt.nvcpus; n++)
				slot_write(vcpus[n].slot,
					   PVSCHED_CS_PREEMPT_DISABLED,
					   SCHED_OTHER, 0, 0);
			cs_start_ns = now_ns();
			cs_count++;
			sleep_us(opt.cs_us);
			cs_start_ns = 0;
			for (n = 0; n < opt.nvcpus; n++)
				slot_write(vcpus[n].slot, 0, SCHED_OTHER, 0, 0);
			writes++;
			sleep_us(opt.period_us - opt.cs_us);
		}
	} else if (strcmp(opt.mode, "idle")) {
		fprintf(stderr, "pvsched-hostile: unknown mode %s\n", opt.mode);
		exit(2);
	}
	return NULL;
}

static const char *policy_name(unsigned int p)
{
	switch (p) {
	case SCHED_OTHER: return "normal";
	case SCHED_FIFO: return "fifo";
	case SCHED_RR: return "rr";
	case SCHED_BATCH: return "batch";
	case SCHED_IDLE: return "idle";
	case SCHED_DEADLINE: return "deadline";
	default: return "unknown";
	}
}

static int policy_rank(unsigned int p)
{
	return p == SCHED_FIFO ? 2 : p == SCHED_RR ? 1 : 0;
}

static void violation(struct vcpu *v, const struct sched_attr *a,
		      const char *why)
{
	pthread_mutex_lock(&lock);
	if (!violations++)
		snprintf(first_violation, sizeof(first_violation),
			 "vcpu%d tid %d: %s (policy %s prio %u nice %d)",
			 v->idx, v->tid, why, policy_name(a->sched_policy),
			 a->sched_priority, a->sched_nice);
	pthread_mutex_unlock(&lock);
}

static void *sampler_main(void *arg)
{
	uint64_t last_cs = 0;

	(void)arg;
	pin(opt.writer_cpu);
	make_rt();
	while (!stop) {
		uint64_t cs = cs_start_ns;
		int i;

		for (i = 0; i < opt.nvcpus; i++) {
			struct vcpu *v = &vcpus[i];
			struct sched_attr a;
			int boosted;

			if (sched_getattr_tid(v->tid, &a))
				continue;
			v->samples++;
			boosted = a.sched_policy != SCHED_OTHER || a.sched_nice < 0;
			if (boosted)
				v->boosted_samples++;
			if (a.sched_policy == SCHED_FIFO || a.sched_policy == SCHED_RR) {
				v->rt_samples++;
				if (a.sched_priority > v->max_rt_prio)
					v->max_rt_prio = a.sched_priority;
			} else if (a.sched_nice < v->min_nice) {
				v->min_nice = a.sched_nice;
			}
			if (opt.no_register)
				continue;
			if (a.sched_policy != SCHED_OTHER && a.sched_policy != SCHED_FIFO &&
			    a.sched_policy != SCHED_RR)
				violation(v, &a, "policy outside normal/fifo/rr");
			else if (policy_rank(a.sched_policy) > policy_rank(info.max_policy))
				violation(v, &a, "policy above max_policy");
			else if (a.sched_policy != SCHED_OTHER &&
				 a.sched_priority > info.max_rt_prio)
				violation(v, &a, "rt priority above max_rt_prio");
			else if (a.sched_policy == SCHED_OTHER &&
				 a.sched_nice < info.min_nice)
				violation(v, &a, "nice below min_nice");
			/* well mode: first boosted sample of vCPU 0 in this CS */
			if (cs && boosted && i == 0 && cs != last_cs &&
			    nlat < sizeof(lat_ns) / sizeof(lat_ns[0])) {
				lat_ns[nlat++] = now_ns() - cs;
				last_cs = cs;
			}
		}
		sleep_us(opt.sample_us);
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void print_stats(void)
{
	int i;

	for (i = 0; i < opt.nvcpus; i++) {
		struct pvsched_vcpu_stats st;
		const char *p = "stat.vcpu";

		if (vcpu_stats(pv_fd, i, &st)) {
			printf("stats_error.vcpu%d=%d\n", i, errno);
			continue;
		}
#define S(f) printf("%s%d.%s=%lld\n", p, i, #f, (long long)st.f)
		S(state); S(cur_policy); S(cur_rt_prio); S(cur_nice);
		S(base_policy); S(base_rt_prio); S(base_nice);
		S(exits); S(entries); S(halts); S(injections);
		S(boosts[0]); S(boosts[1]); S(boosts[2]); S(boosts[3]);
		S(unboosts); S(throttles); S(boosted_ns); S(throttled_ns);
		S(torn_reads); S(guest_clamped); S(guest_refused);
		S(guest_invalid); S(apply_direct); S(apply_deferred);
		S(apply_errors); S(blocks); S(share_throttles);
		S(boosted_cpu_ns);
#undef S
	}
}

int main(int argc, char **argv)
{
	pthread_t writer, sampler;
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t hog0 = 0, hog1 = 0, vcpu0 = 0, vcpu1 = 0;
	sigset_t term;
	uint64_t t0;
	int c, i, sane = 1;

	while ((c = getopt(argc, argv, "m:n:g:t:c:w:s:I:P:Hp:b:NRS:qh")) != -1) {
		switch (c) {
		case 'm': opt.mode = optarg; break;
		case 'n': opt.nvcpus = atoi(optarg); break;
		case 'g': opt.guest = optarg; break;
		case 't': opt.secs = atof(optarg); break;
		case 'c': opt.vcpu_cpu = atoi(optarg); break;
		case 'w': opt.writer_cpu = atoi(optarg); break;
		case 's': opt.sample_us = atoi(optarg); break;
		case 'I': opt.period_us = atoi(optarg); break;
		case 'P': opt.cs_us = atoi(optarg); break;
		case 'H': opt.bogus_header = 1; break;
		case 'p': {
			char pol[16];

			if (sscanf(optarg, "%15[a-z]:%u:%d", pol, &opt.prio,
				   &opt.nice) != 3) {
				fprintf(stderr, "pvsched-hostile: -p POL:PRIO:NICE\n");
				return 2;
			}
			opt.pol = parse_policy(pol);
			opt.set_params = 1;
			break;
		}
		case 'b':
			if (sscanf(optarg, "%lu:%lu", &opt.boost_us,
				   &opt.throttle_us) != 2) {
				fprintf(stderr, "pvsched-hostile: -b US:US\n");
				return 2;
			}
			opt.set_times = 1;
			break;
		case 'N': opt.no_register = 1; break;
		case 'R': opt.rt_threads = 1; break;
		case 'S': opt.hog_pid = atoi(optarg); break;
		case 'q': opt.quiet = 1; break;
		default:
			fprintf(stderr, "usage: see the comment at the top of %s.c\n",
				argv[0]);
			return c == 'h' ? 0 : 2;
		}
	}
	if (opt.nvcpus < 1 || opt.nvcpus > MAX_VCPUS || opt.period_us <= opt.cs_us) {
		fprintf(stderr, "pvsched-hostile: bad -n, -I or -P\n");
		return 2;
	}
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* Only the main thread takes SIGTERM/SIGINT (its sleep ends early). */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	pthread_sigmask(SIG_BLOCK, &term, NULL);

	setup_vm();
	setup_region();
	for (i = 0; i < opt.nvcpus; i++)
		if (pthread_create(&vcpus[i].thread, NULL, vcpu_main, &vcpus[i]))
			die("pthread_create");
	for (i = 0; i < opt.nvcpus; i++)
		while (!__atomic_load_n(&vcpus[i].tid, __ATOMIC_ACQUIRE))
			sleep_us(1000);
	setup_pvsched();
	printf("pid=%d\n", getpid());
	for (i = 0; i < opt.nvcpus; i++)
		printf("vcpu%d.tid=%d\n", i, vcpus[i].tid);
	fflush(stdout);

	t0 = now_ns();
	if (pthread_create(&sampler, NULL, sampler_main, NULL) ||
	    pthread_create(&writer, NULL, writer_main, NULL))
		die("pthread_create");
	pthread_sigmask(SIG_UNBLOCK, &term, NULL);
	if (opt.hog_pid && opt.secs > 1) {
		sleep_us(1000000);
		hog0 = runtime_ns(opt.hog_pid);
		vcpu0 = runtime_ns(vcpus[0].tid);
	}
	while (!stop && now_ns() - t0 < (uint64_t)(opt.secs * 1e9))
		sleep_us(10000);
	if (opt.hog_pid) {
		hog1 = runtime_ns(opt.hog_pid);
		vcpu1 = runtime_ns(vcpus[0].tid);
	}
	stop = 1;
	pthread_join(writer, NULL);
	pthread_join(sampler, NULL);
	for (i = 0; i < opt.nvcpus; i++) {
		vcpus[i].run->immediate_exit = 1;
		pthread_kill(vcpus[i].thread, SIGUSR1);
		pthread_join(vcpus[i].thread, NULL);
	}

	printf("mode=%s guest=%s vcpus=%d secs=%.2f\n", opt.mode, opt.guest,
	       opt.nvcpus, (now_ns() - t0) / 1e9);
	printf("writes=%lu\n", writes);
	if (opt.hog_pid) {
		uint64_t h = hog1 - hog0, v = vcpu1 - vcpu0;

		printf("share.hog_ms=%llu share.vcpu_ms=%llu\n",
		       (unsigned long long)h / 1000000, (unsigned long long)v / 1000000);
		printf("share.hog_pct=%.1f\n",
		       hog0 && hog1 && h + v ? 100.0 * h / (h + v) : -1.0);
	}
	if (!opt.no_register)
		printf("caps.max_policy=%s caps.max_rt_prio=%u caps.min_nice=%d\n",
		       policy_name(info.max_policy), info.max_rt_prio, info.min_nice);
	for (i = 0; i < opt.nvcpus; i++) {
		struct vcpu *v = &vcpus[i];

		printf("vcpu%d.kvm_exits=%lu\n", i, v->exits);
		printf("vcpu%d.samples=%lu\n", i, v->samples);
		printf("vcpu%d.boosted_samples=%lu\n", i, v->boosted_samples);
		printf("vcpu%d.rt_samples=%lu\n", i, v->rt_samples);
		printf("vcpu%d.max_rt_prio=%u\n", i, v->max_rt_prio);
		printf("vcpu%d.min_nice=%d\n", i, v->min_nice == INT_MAX ? 0 : v->min_nice);
		if (!v->samples)
			sane = 0;
	}
	if (!strcmp(opt.mode, "well")) {
		unsigned int n = nlat;

		qsort(lat_ns, n, sizeof(lat_ns[0]), cmp_u64);
		printf("well.critical_sections=%u\n", cs_count);
		printf("well.boosts_seen=%u\n", n);
		if (n)
			printf("well.boost_latency_us.min=%llu median=%llu max=%llu\n",
			       (unsigned long long)lat_ns[0] / 1000,
			       (unsigned long long)lat_ns[n / 2] / 1000,
			       (unsigned long long)lat_ns[n - 1] / 1000);
	}
	if (pv_fd >= 0 && !opt.quiet)
		print_stats();
	printf("violations=%lu\n", violations);
	if (violations)
		printf("first_violation=%s\n", first_violation);
	return violations || !sane;
}
