// SPDX-License-Identifier: GPL-2.0
/*
 * pvsched-vmm: a tiny VMM on /dev/kvm that registers its vCPU threads with
 * /dev/pvsched and drives one pvsched event from inside a real guest (KVM
 * selftests style: the guest code is guest.S, it reports through port I/O).
 *
 *   pvsched-vmm [options] PROGRAM
 *
 * Programs (what the guest does; see guest.S):
 *   idle        ask for nothing, make VM exits for --ms
 *   halt        HLT with interrupts enabled; woken --iters times by MSIs
 *               the VMM sends every --period-us (or --wake timer: the
 *               guest's LAPIC timer)
 *   inject      spin without exits while the VMM sends --iters MSIs every
 *               --period-us (an interrupt storm with --period-us 0)
 *   cs          set the critical-section flag (seq protocol), spin --ms
 *               without exits, clear it (guest-driven unboost);
 *               --pi-block-ms N: see "PI futex block" below
 *   cs-forever  the same, until SIGTERM/SIGINT or --ms (throttle test);
 *               (in every program SIGTERM/SIGINT end the current phase)
 *               SIGUSR1 prints GET_STATS and the host area ("at=signal"),
 *               SIGUSR2 unregisters the vCPUs and closes /dev/pvsched
 *               while the guest keeps running
 *   prio        request --policy/--nice/--rt-prio, make exits for --ms,
 *               request nothing again (guest-driven unboost)
 *   exits       --rounds rounds of --iters VM exits as fast as possible
 *               (--exit-kind pio: to the VMM; cpuid: handled inside KVM);
 *               prints ns per exit per round; --toggle-register starts
 *               unregistered and registers/unregisters the vCPU between
 *               rounds (the benchmark's loaded vs registered, interleaved)
 *
 * Every program ends with an "after" phase of --after-ms with VM exits and
 * nothing requested.  While the guest runs, a sampler thread reads each
 * vCPU thread's scheduling attributes with sched_getattr(2) every
 * --sample-us and counts what it saw per phase ("sample" lines).  At the
 * end of each phase the VMM prints the vCPU's GET_STATS ("stats") and the
 * slot's host area ("host").  Output is one "key=value" record per line.
 *
 * PI futex block (--pi-block-ms N, cs and cs-forever): before the guest
 * starts, a helper thread per vCPU takes a PI futex (FUTEX_LOCK_PI on a word
 * in a MAP_SHARED page).  At the UC_SYNC "cs" ucall, the first exit to
 * userspace after the guest set its flag (the exit that boosts the vCPU),
 * the vCPU thread calls FUTEX_LOCK_PI on it and blocks; the helper, once
 * the kernel has marked the word FUTEX_WAITERS, holds it N ms more, then
 * FUTEX_UNLOCK_PI; the vCPU thread unlocks too and the guest goes on (the
 * --ms spin starts after the block).  With a short max_boost the vCPU's
 * throttle timer fires while the thread waits in the rt_mutex, and the
 * pvsched worker changes the attributes of a task blocked on a PI futex
 * (sched_setattr -> rt_mutex_adjust_pi, the PI chain walk): the path of
 * issue 11 item 2.  One record per vCPU:
 *   pi_block vcpu=0 ms=N waited_ns=... attr_before=rr/8 attr_woken=...
 *     throttles_during=K apply_deferred_during=K apply_errors_during=0
 *     helper_tid=... helper_prio_before=20 helper_prio_min=-9
 *     helper_prio_after=20 helper_samples=S helper_rt_samples=R result=ok
 * (the *_during fields, GET_STATS differences across the block, only when
 * registered; helper_prio_* are the helper's effective priority, field 18
 * of /proc/thread-self/stat: -1-rt_prio while PI-boosted by the vCPU
 * thread, 20+nice otherwise).  waited_ns under half of N fails the run
 * ("result=FAIL": the thread did not really block).
 *
 * Exit status: 0 ok, 1 failure (guest assert, KVM or ioctl error, an
 * --expect not met), 2 usage, 77 skip (no /dev/kvm, or no /dev/pvsched
 * without --no-register).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <linux/kvm.h>

#include "../../uapi/linux/pvsched.h"
#include "../include/pvsched-test.h"
#include "guest.h"

#define KSFT_SKIP 77

_Static_assert(offsetof(struct pvsched_vcpu_slot, guest.seq) == SLOT_GUEST_SEQ, "slot");
_Static_assert(offsetof(struct pvsched_vcpu_slot, guest.flags) == SLOT_GUEST_FLAGS, "slot");
_Static_assert(offsetof(struct pvsched_vcpu_slot, guest.sched_policy) == SLOT_GUEST_POLICY, "slot");
_Static_assert(offsetof(struct pvsched_vcpu_slot, guest.sched_nice) == SLOT_GUEST_NICE, "slot");
_Static_assert(offsetof(struct pvsched_vcpu_slot, guest.rt_prio) == SLOT_GUEST_RT_PRIO, "slot");
_Static_assert(offsetof(struct pvsched_region_header, host_features) == REGION_HOST_FEATURES, "hdr");
_Static_assert(offsetof(struct pvsched_region_header, guest_features) == REGION_GUEST_FEATURES, "hdr");
_Static_assert(offsetof(struct pvsched_region_header, guest_abi_major) == REGION_GUEST_ABI_MAJOR, "hdr");
_Static_assert(offsetof(struct pvsched_region_header, guest_state) == REGION_GUEST_STATE, "hdr");
_Static_assert(offsetof(struct pvsched_region_header, guest_generation) == REGION_GUEST_GENERATION, "hdr");
_Static_assert(sizeof(struct pvsched_vcpu_slot) == 64, "slot size");
_Static_assert(GUEST_SLOT(GUEST_MAX_VCPUS) <= GUEST_PERCPU(0), "layout");

extern const unsigned char guest_blob[], guest_blob_end[];

static const char *const stage_names[STAGE_NR] = {
	[STAGE_NONE] = "start",	  [STAGE_HALT] = "halt",   [STAGE_INJECT] = "inject",
	[STAGE_CS] = "cs",	  [STAGE_PRIO] = "prio",   [STAGE_AFTER] = "after",
	[STAGE_IDLE] = "idle",	  [STAGE_EXITS] = "exits", [STAGE_EXITS_END] = "exits-end",
};

/* Distinct attributes seen by the sampler in one phase. */
#define HIST_MAX 8
struct hist {
	uint64_t samples;
	int n;
	struct {
		uint32_t policy;
		int32_t val; /* rt priority for FIFO/RR, else nice */
		uint64_t count;
	} e[HIST_MAX];
	uint64_t other; /* samples beyond HIST_MAX distinct values */
};

struct vcpu {
	int idx;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	volatile pid_t tid;
	volatile int stage; /* last UC_SYNC stage */
	volatile int done;
	volatile int failed;
	volatile uint32_t *mb; /* mailbox in guest memory */
	struct pvsched_vcpu_slot *slot;
	uint64_t pio_exits;
	struct timespec t_exits;
	bool registered;
	int nr_rounds;
	struct {
		double ns_per_exit;
		bool registered;
	} rounds[1024];
	struct hist hist[STAGE_NR];
	/* --pi-block-ms: the PI futex and its helper thread */
	uint32_t *pi_word; /* in pi_page (MAP_SHARED) */
	pthread_t pi_thread;
	volatile pid_t pi_tid;
	volatile int pi_locked; /* the helper owns the futex */
	volatile int pi_helper_done; /* the helper unlocked and recorded */
	volatile int pi_done; /* the vCPU thread's block is over */
	int pi_prio_before, pi_prio_min, pi_prio_after;
	uint64_t pi_samples, pi_rt_samples;
};

static struct {
	const char *prog_name;
	int prog;
	int nr_vcpus;
	int cpu; /* pin vCPU threads here, -1: no */
	bool reg;
	long ms, after_ms, period_us, sample_us, iters, timeout_s;
	int wake, exit_kind;
	uint32_t cs_flags, irq_cs;
	long irq_spin_us;
	uint32_t policy, rt_prio;
	int32_t nice;
	bool set_params;
	struct pvsched_params params;
	const char *p_cs_boost, *p_intr_boost;
	long p_max_boost_us, p_throttle_us;
	int p_debug;
	uint64_t withheld; /* PVSCHED_F_* not offered (--withhold) */
	const char *name;
	const char *expect[16], *expect_not[16];
	int nr_expect, nr_expect_not;
	bool quiet;
	long rounds;
	bool toggle_register;
	long pi_block_ms; /* 0: no PI futex block */
} opt = {
	.rounds = 1,
	.nr_vcpus = 1,
	.cpu = -1,
	.reg = true,
	.ms = -1,
	.after_ms = 100,
	.period_us = 20000,
	.sample_us = 100,
	.iters = 10,
	.timeout_s = 120,
	.cs_flags = PVSCHED_CS_PREEMPT_DISABLED,
	.p_max_boost_us = -1,
	.p_throttle_us = -1,
	.p_debug = -1,
};

static int kvm_fd = -1, vm_fd = -1, pv_fd = -1;
static uint8_t *mem;
static struct vcpu vcpus[GUEST_MAX_VCPUS];
static volatile sig_atomic_t stop_requested, snapshot_requested, unregister_requested;
static volatile int sampler_stop;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void out(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static void __attribute__((noreturn)) die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "pvsched-vmm: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void __attribute__((noreturn)) skip(const char *why)
{
	printf("skip reason=\"%s\"\n", why);
	fprintf(stderr, "pvsched-vmm: SKIP: %s\n", why);
	exit(KSFT_SKIP);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR && !stop_requested)
		;
}

static const char *policy_name(uint32_t p)
{
	switch (p) {
	case 0: return "normal";
	case 1: return "fifo";
	case 2: return "rr";
	case 3: return "batch";
	case 5: return "idle";
	case 6: return "deadline";
	}
	return "unknown";
}

static int parse_policy(const char *s)
{
	static const char *const names[] = { "normal", "fifo", "rr", "batch", "", "idle", "deadline" };
	char *end;
	long v;

	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i][0] && !strcasecmp(s, names[i]))
			return i;
	if (!strcasecmp(s, "other"))
		return 0;
	v = strtol(s, &end, 0);
	if (*end || v < 0)
		return -1;
	return v;
}

static int attr_val(uint32_t policy, int32_t nice, uint32_t prio)
{
	return (policy == 1 || policy == 2) ? (int)prio : nice;
}

/* "rr/8", "fifo/10", "normal/-3" */
static void fmt_attr(char *buf, size_t len, uint32_t policy, int val)
{
	snprintf(buf, len, "%s/%d", policy_name(policy), val);
}

/* POLICY/VAL into policy, prio and nice; false if malformed. */
static bool parse_boost(const char *s, uint32_t *policy, uint32_t *prio, int32_t *nice)
{
	char buf[32], *slash;
	int p;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash)
		return false;
	*slash = 0;
	p = parse_policy(buf);
	if (p < 0)
		return false;
	*policy = p;
	if (p == 1 || p == 2) {
		*prio = atoi(slash + 1);
		*nice = 0;
	} else {
		*prio = 0;
		*nice = atoi(slash + 1);
	}
	return true;
}

/* ---- /dev/pvsched ------------------------------------------------------- */

static void print_info(void)
{
	struct pvsched_info info;

	memset(&info, 0, sizeof(info));
	if (ioctl(pv_fd, PVSCHED_IOC_GET_INFO, &info))
		die("PVSCHED_IOC_GET_INFO: %s", strerror(errno));
	out("info version=%u.%u.%u abi=%u.%u tp_family=%u tp_events=0x%x vm_id=%u features=0x%llx "
	    "max_policy=%s max_rt_prio=%u min_nice=%d max_vcpus_per_vm=%u max_vms=%u nr_vms=%u "
	    "nr_vcpus=%u max_boost_cap_ns=%llu min_throttle_ns=%llu pinned_pages=%llu\n",
	    info.version_major, info.version_minor, info.version_patch, info.abi_major,
	    info.abi_minor, info.tp_family, info.tp_events, info.vm_id,
	    (unsigned long long)info.features, policy_name(info.max_policy), info.max_rt_prio,
	    info.min_nice, info.max_vcpus_per_vm, info.max_vms, info.nr_vms, info.nr_vcpus,
	    (unsigned long long)info.max_boost_cap_ns, (unsigned long long)info.min_throttle_ns,
	    (unsigned long long)info.pinned_pages);
}

static void print_params(const char *what, const struct pvsched_params *p)
{
	char cs[24], intr[24];

	fmt_attr(cs, sizeof(cs), p->cs_policy, attr_val(p->cs_policy, p->cs_nice, p->cs_rt_prio));
	fmt_attr(intr, sizeof(intr), p->intr_policy,
		 attr_val(p->intr_policy, p->intr_nice, p->intr_rt_prio));
	out("params at=%s cs_boost=%s intr_boost=%s max_boost_ns=%llu throttle_ns=%llu debug=%u "
	    "withheld=0x%llx\n",
	    what, cs, intr, (unsigned long long)p->max_boost_ns,
	    (unsigned long long)p->throttle_ns, p->debug,
	    (unsigned long long)p->withheld_features);
}

static void setup_params(void)
{
	struct pvsched_params p;

	memset(&p, 0, sizeof(p));
	if (ioctl(pv_fd, PVSCHED_IOC_GET_PARAMS, &p))
		die("PVSCHED_IOC_GET_PARAMS: %s", strerror(errno));
	print_params("default", &p);
	if (!opt.set_params)
		return;
	if (opt.p_cs_boost &&
	    !parse_boost(opt.p_cs_boost, &p.cs_policy, &p.cs_rt_prio, &p.cs_nice))
		die("bad --cs-boost %s (want POLICY/PRIO or normal/NICE)", opt.p_cs_boost);
	if (opt.p_intr_boost &&
	    !parse_boost(opt.p_intr_boost, &p.intr_policy, &p.intr_rt_prio, &p.intr_nice))
		die("bad --intr-boost %s", opt.p_intr_boost);
	if (opt.p_max_boost_us >= 0)
		p.max_boost_ns = opt.p_max_boost_us * 1000ull;
	if (opt.p_throttle_us >= 0)
		p.throttle_ns = opt.p_throttle_us * 1000ull;
	if (opt.p_debug >= 0)
		p.debug = opt.p_debug;
	p.withheld_features = opt.withheld;
	if (ioctl(pv_fd, PVSCHED_IOC_SET_PARAMS, &p)) {
		int e = errno;

		print_params("refused", &p);
		out("set_params error=%d (%s)\n", e, strerror(e));
		die("PVSCHED_IOC_SET_PARAMS: %s", strerror(e));
	}
	memset(&p, 0, sizeof(p));
	if (ioctl(pv_fd, PVSCHED_IOC_GET_PARAMS, &p))
		die("PVSCHED_IOC_GET_PARAMS: %s", strerror(errno));
	print_params("set", &p);
}

static void print_stats(struct vcpu *v, const char *at)
{
	struct pvsched_vcpu_stats s;
	char cur[24], base[24];

	if (pv_fd < 0)
		return;
	if (vcpu_stats(pv_fd, v->idx, &s)) {
		out("stats vcpu=%d at=%s error=%d\n", v->idx, at, errno);
		return;
	}
	fmt_attr(cur, sizeof(cur), s.cur_policy, attr_val(s.cur_policy, s.cur_nice, s.cur_rt_prio));
	fmt_attr(base, sizeof(base), s.base_policy,
		 attr_val(s.base_policy, s.base_nice, s.base_rt_prio));
	out("stats vcpu=%d at=%s t=%.6f tid=%u state=%u vcpu_status=0x%x cur=%s base=%s exits=%llu "
	    "entries=%llu halts=%llu injections=%llu boost_cs=%llu boost_prio=%llu "
	    "boost_halt=%llu boost_intr=%llu unboosts=%llu throttles=%llu boosted_ns=%llu "
	    "throttled_ns=%llu torn_reads=%llu guest_clamped=%llu guest_refused=%llu "
	    "guest_invalid=%llu apply_direct=%llu apply_deferred=%llu apply_errors=%llu "
	    "kicks=%llu kick_boosts=%llu idle_holds=%llu irq_holds=%llu wakes=%llu "
	    "deadlines=%llu timer_boosts=%llu lazy_demotes=%llu quiet_exits=%llu "
	    "base_changes=%llu guest_unoffered=%llu\n",
	    v->idx, at, now_ns() / 1e9, s.tid, s.state, s.vcpu_status, cur, base,
	    (unsigned long long)s.exits, (unsigned long long)s.entries,
	    (unsigned long long)s.halts, (unsigned long long)s.injections,
	    (unsigned long long)s.boosts[PVSCHED_REASON_CRIT_SECTION],
	    (unsigned long long)s.boosts[PVSCHED_REASON_TASK_PRIO],
	    (unsigned long long)s.boosts[PVSCHED_REASON_HALT],
	    (unsigned long long)s.boosts[PVSCHED_REASON_INTR],
	    (unsigned long long)s.unboosts, (unsigned long long)s.throttles,
	    (unsigned long long)s.boosted_ns, (unsigned long long)s.throttled_ns,
	    (unsigned long long)s.torn_reads, (unsigned long long)s.guest_clamped,
	    (unsigned long long)s.guest_refused, (unsigned long long)s.guest_invalid,
	    (unsigned long long)s.apply_direct, (unsigned long long)s.apply_deferred,
	    (unsigned long long)s.apply_errors, (unsigned long long)s.kicks,
	    (unsigned long long)s.kick_boosts, (unsigned long long)s.idle_holds,
	    (unsigned long long)s.irq_holds, (unsigned long long)s.wakes,
	    (unsigned long long)s.deadlines, (unsigned long long)s.timer_boosts,
	    (unsigned long long)s.lazy_demotes, (unsigned long long)s.quiet_exits,
	    (unsigned long long)s.base_changes, (unsigned long long)s.guest_unoffered);
}

/* The slot's host area, read with the sequence protocol. */
static void print_host_area(struct vcpu *v, const char *at)
{
	volatile struct pvsched_host_area *h = &v->slot->host;
	struct pvsched_host_area c;
	uint32_t s1, s2;
	char applied[24];
	int tries = 0;

	do {
		s1 = __atomic_load_n(&h->seq, __ATOMIC_ACQUIRE);
		c.vcpu_status = h->vcpu_status;
		c.sched_policy = h->sched_policy;
		c.sched_nice = h->sched_nice;
		c.rt_prio = h->rt_prio;
		c.throttled = h->throttled;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = h->seq;
	} while (((s1 & 1) || s1 != s2) && ++tries < 1000);
	fmt_attr(applied, sizeof(applied), c.sched_policy,
		 attr_val(c.sched_policy, c.sched_nice, c.rt_prio));
	out("host vcpu=%d at=%s seq=%u status=0x%x applied=%s policy=%u nice=%d rt_prio=%u "
	    "throttled=%u slot_vcpu_id=%u slot_vcpu_pid=%u%s\n",
	    v->idx, at, s2, c.vcpu_status, applied, c.sched_policy, c.sched_nice, c.rt_prio,
	    c.throttled, v->slot->header.vcpu_id, v->slot->header.vcpu_pid,
	    tries >= 1000 ? " torn=1" : "");
}

static void register_vcpu(struct vcpu *v)
{
	if (vcpu_add(pv_fd, v->idx, v->tid, v->slot))
		die("PVSCHED_IOC_VCPU_ADD vcpu %d tid %d: %s", v->idx, v->tid, strerror(errno));
	v->registered = true;
	if (opt.toggle_register)
		return;
	out("registered vcpu=%d tid=%d slot=%p gpa=0x%x\n", v->idx, v->tid, (void *)v->slot,
	    GUEST_SLOT(v->idx));
}

/*
 * The main thread times the phases and reads the stats in them, the
 * sampler samples: on PREEMPT_RT both run at SCHED_FIFO above any boost
 * (the caps allow at most 49), set by each thread for itself (the vCPU
 * threads would inherit the main thread's).  On PREEMPT_RT the
 * timer of a SCHED_OTHER sleeper expires in the per-CPU ktimers thread
 * (FIFO 1), which a boosted vCPU thread spinning on that CPU starves: a
 * 300 ms phase lasted 22 s on 6.12-rt (until throttles let ktimers run),
 * long enough for an RCU stall, and its stats were read while throttled.
 * An RT sleeper's timer expires in hard interrupt context.
 */
static void clock_above_boosts(int prio)
{
	struct sched_param sp = { .sched_priority = prio };
	char rt = '0';
	FILE *f = fopen("/sys/kernel/realtime", "r");

	/* Only on PREEMPT_RT: elsewhere timers expire in hard IRQ anyway. */
	if (f) {
		if (fread(&rt, 1, 1, f) != 1)
			rt = '0';
		fclose(f);
	}
	if (rt != '1')
		return;
	if (sched_setscheduler(0, SCHED_FIFO, &sp))
		out("note thread %d not at SCHED_FIFO %d: %s\n", (int)gettid(), prio,
		    strerror(errno));
}

/* ---- sampler ------------------------------------------------------------ */

static void hist_add(struct hist *h, uint32_t policy, int val)
{
	h->samples++;
	for (int i = 0; i < h->n; i++) {
		if (h->e[i].policy == policy && h->e[i].val == val) {
			h->e[i].count++;
			return;
		}
	}
	if (h->n == HIST_MAX) {
		h->other++;
		return;
	}
	h->e[h->n].policy = policy;
	h->e[h->n].val = val;
	h->e[h->n].count = 1;
	h->n++;
}

static void *sampler(void *arg)
{
	struct sched_attr a;

	(void)arg;
	/* like the main thread's clock: on 6.12-rt a SCHED_OTHER sampler took
	 * 4 samples in a 300 ms phase */
	clock_above_boosts(79);
	while (!sampler_stop) {
		for (int i = 0; i < opt.nr_vcpus; i++) {
			struct vcpu *v = &vcpus[i];
			int st = v->stage;

			if (v->done || sched_getattr_tid(v->tid, &a))
				continue;
			/* A sample straddling a phase change is dropped. */
			if (st != v->stage)
				continue;
			hist_add(&v->hist[st], a.sched_policy,
				 attr_val(a.sched_policy, a.sched_nice, a.sched_priority));
		}
		if (opt.sample_us)
			sleep_us(opt.sample_us);
	}
	return NULL;
}

static void print_samples(void)
{
	for (int i = 0; i < opt.nr_vcpus; i++) {
		for (int st = 0; st < STAGE_NR; st++) {
			struct hist *h = &vcpus[i].hist[st];
			char line[512], a[24];
			int n;

			if (!h->samples)
				continue;
			n = snprintf(line, sizeof(line), "sample vcpu=%d phase=%s n=%llu", i,
				     stage_names[st], (unsigned long long)h->samples);
			for (int j = 0; j < h->n; j++) {
				fmt_attr(a, sizeof(a), h->e[j].policy, h->e[j].val);
				n += snprintf(line + n, sizeof(line) - n, " %s=%llu", a,
					      (unsigned long long)h->e[j].count);
			}
			if (h->other)
				n += snprintf(line + n, sizeof(line) - n, " other=%llu",
					      (unsigned long long)h->other);
			out("%s\n", line);
		}
	}
}

/* "PHASE:ATTR" seen (want) or never seen (!want) on every vCPU. */
static bool check_expect(const char *spec, bool want)
{
	char phase[32], attr[32];
	const char *colon = strchr(spec, ':');
	bool ok = true;

	if (!colon || colon - spec >= (int)sizeof(phase))
		die("bad --expect %s (want PHASE:POLICY/VALUE)", spec);
	memcpy(phase, spec, colon - spec);
	phase[colon - spec] = 0;
	snprintf(attr, sizeof(attr), "%s", colon + 1);
	for (int i = 0; i < opt.nr_vcpus; i++) {
		bool seen = false;
		int st;

		for (st = 0; st < STAGE_NR; st++)
			if (!strcmp(stage_names[st], phase))
				break;
		if (st == STAGE_NR)
			die("unknown phase %s in --expect", phase);
		for (int j = 0; j < vcpus[i].hist[st].n; j++) {
			char a[24];

			fmt_attr(a, sizeof(a), vcpus[i].hist[st].e[j].policy,
				 vcpus[i].hist[st].e[j].val);
			if (!strcmp(a, attr))
				seen = true;
		}
		if (seen != want) {
			out("expect vcpu=%d %s%s result=FAIL\n", i, want ? "" : "not ", spec);
			ok = false;
		} else {
			out("expect vcpu=%d %s%s result=ok\n", i, want ? "" : "not ", spec);
		}
	}
	return ok;
}

/* ---- PI futex block (--pi-block-ms) -------------------------------------- */

static uint32_t *pi_page;

static long futex_pi(uint32_t *uaddr, int op)
{
	return syscall(SYS_futex, uaddr, op, 0, NULL, NULL, 0);
}

/*
 * The calling thread's effective priority, field 18 of its stat: with a
 * PI boost it is the boost (-1 - rt_prio), which sched_getattr(2) does not
 * show.  INT32_MIN if unreadable.
 */
static int self_prio(void)
{
	char buf[512], *p;
	int fd, n, prio = INT32_MIN;

	fd = open("/proc/thread-self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return prio;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return prio;
	buf[n] = 0;
	p = strrchr(buf, ')');
	/* After "pid (comm)": state is field 3, priority field 18. */
	for (int f = 2; p && f < 18; f++)
		p = strchr(p + 1, ' ');
	if (p)
		prio = atoi(p + 1);
	return prio;
}

static bool get_stats(struct vcpu *v, struct pvsched_vcpu_stats *s)
{
	return pv_fd >= 0 && !vcpu_stats(pv_fd, v->idx, s);
}

/*
 * Helper thread of vCPU @arg: owns its PI futex from before the guest
 * starts; once the vCPU thread waits on it (the kernel set FUTEX_WAITERS),
 * holds it --pi-block-ms more, sampling its own effective priority (the PI
 * boost the waiting vCPU thread lends it), then unlocks.  Gives up waiting
 * when the vCPU thread is done (a guest that never reached "cs").
 */
static void *pi_helper(void *arg)
{
	struct vcpu *v = arg;
	uint64_t end;
	int prio;

	v->pi_tid = gettid();
	v->pi_prio_before = self_prio();
	v->pi_prio_min = v->pi_prio_before;
	if (futex_pi(v->pi_word, FUTEX_LOCK_PI))
		die("vCPU %d helper: FUTEX_LOCK_PI: %s", v->idx, strerror(errno));
	if ((__atomic_load_n(v->pi_word, __ATOMIC_ACQUIRE) & FUTEX_TID_MASK) != (uint32_t)v->pi_tid)
		die("vCPU %d helper: futex word 0x%x after FUTEX_LOCK_PI, want tid %d", v->idx,
		    *v->pi_word, v->pi_tid);
	__atomic_store_n(&v->pi_locked, 1, __ATOMIC_RELEASE);
	while (!(__atomic_load_n(v->pi_word, __ATOMIC_ACQUIRE) & FUTEX_WAITERS)) {
		if (v->done)
			goto unlock;
		sleep_us(100);
	}
	end = now_ns() + opt.pi_block_ms * 1000000ull;
	do {
		prio = self_prio();
		v->pi_samples++;
		if (prio < 0)
			v->pi_rt_samples++;
		if (prio < v->pi_prio_min)
			v->pi_prio_min = prio;
		sleep_us(200);
	} while (now_ns() < end);
unlock:
	if (futex_pi(v->pi_word, FUTEX_UNLOCK_PI))
		die("vCPU %d helper: FUTEX_UNLOCK_PI: %s", v->idx, strerror(errno));
	v->pi_prio_after = self_prio();
	__atomic_store_n(&v->pi_helper_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Before the guest runs: every helper owns its futex. */
static void pi_start_helpers(void)
{
	uint64_t give_up = now_ns() + 10000000000ull;

	pi_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (pi_page == MAP_FAILED)
		die("mmap futex page: %s", strerror(errno));
	for (int i = 0; i < opt.nr_vcpus; i++) {
		vcpus[i].pi_word = &pi_page[i * 16]; /* a cache line each */
		if (pthread_create(&vcpus[i].pi_thread, NULL, pi_helper, &vcpus[i]))
			die("pthread_create (PI helper)");
	}
	for (int i = 0; i < opt.nr_vcpus; i++) {
		while (!__atomic_load_n(&vcpus[i].pi_locked, __ATOMIC_ACQUIRE)) {
			if (now_ns() > give_up)
				die("vCPU %d: PI helper did not take its futex in 10 s", i);
			sleep_us(100);
		}
		out("pi_helper vcpu=%d tid=%d word=0x%x\n", i, vcpus[i].pi_tid, *vcpus[i].pi_word);
	}
}

/*
 * In the vCPU thread, at the "cs" ucall (boosted by that very exit): block
 * in FUTEX_LOCK_PI on the futex the helper holds, then unlock and let the
 * guest go on.  Fails the vCPU unless it really waited.
 */
static void pi_block(struct vcpu *v)
{
	struct pvsched_vcpu_stats s0, s1;
	struct sched_attr a0, a1;
	char before[24] = "?", woken[24] = "?", during[160] = "";
	uint64_t t0, waited, want = opt.pi_block_ms * 1000000ull / 2;
	bool have_stats;
	int err = 0;

	if (!sched_getattr_tid(v->tid, &a0))
		fmt_attr(before, sizeof(before), a0.sched_policy,
			 attr_val(a0.sched_policy, a0.sched_nice, a0.sched_priority));
	have_stats = get_stats(v, &s0);
	t0 = now_ns();
	if (futex_pi(v->pi_word, FUTEX_LOCK_PI))
		err = errno;
	waited = now_ns() - t0;
	if (!sched_getattr_tid(v->tid, &a1))
		fmt_attr(woken, sizeof(woken), a1.sched_policy,
			 attr_val(a1.sched_policy, a1.sched_nice, a1.sched_priority));
	have_stats = get_stats(v, &s1) && have_stats;
	if (!err && futex_pi(v->pi_word, FUTEX_UNLOCK_PI))
		err = errno;
	/* The helper records its priority right after its unlock. */
	for (int i = 0; i < 50000 && !__atomic_load_n(&v->pi_helper_done, __ATOMIC_ACQUIRE); i++)
		sleep_us(100);
	if (have_stats)
		snprintf(during, sizeof(during),
			 " throttles_during=%llu apply_deferred_during=%llu apply_errors_during=%llu",
			 (unsigned long long)(s1.throttles - s0.throttles),
			 (unsigned long long)(s1.apply_deferred - s0.apply_deferred),
			 (unsigned long long)(s1.apply_errors - s0.apply_errors));
	out("pi_block vcpu=%d ms=%ld waited_ns=%llu attr_before=%s attr_woken=%s%s helper_tid=%d "
	    "helper_prio_before=%d helper_prio_min=%d helper_prio_after=%d helper_samples=%llu "
	    "helper_rt_samples=%llu result=%s\n",
	    v->idx, opt.pi_block_ms, (unsigned long long)waited, before, woken, during, v->pi_tid,
	    v->pi_prio_before, v->pi_prio_min, v->pi_prio_after,
	    (unsigned long long)v->pi_samples, (unsigned long long)v->pi_rt_samples,
	    !err && waited >= want ? "ok" : "FAIL");
	if (err) {
		out("pi_block-error vcpu=%d futex: %s\n", v->idx, strerror(err));
		fprintf(stderr, "pvsched-vmm: vCPU %d: FUTEX_LOCK_PI/UNLOCK_PI: %s\n", v->idx,
			strerror(err));
		v->failed = 1;
	} else if (waited < want) {
		fprintf(stderr,
			"pvsched-vmm: vCPU %d did not block in FUTEX_LOCK_PI: waited %llu ns, "
			"want >= %llu ns (half of --pi-block-ms %ld)\n",
			v->idx, (unsigned long long)waited, (unsigned long long)want,
			opt.pi_block_ms);
		v->failed = 1;
	}
	__atomic_store_n(&v->pi_done, 1, __ATOMIC_RELEASE);
}

/* ---- KVM ---------------------------------------------------------------- */

static void setup_segments(int fd, int idx)
{
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = GUEST_SEL_CODE,
		.type = 11, .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};
	struct kvm_segment data = code;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	data.selector = GUEST_SEL_DATA;
	data.type = 3;
	if (ioctl(fd, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS: %s", strerror(errno));
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.cr0 |= 1; /* PE */
	sregs.cr0 &= ~(1u << 31);
	sregs.gdt.base = GUEST_GDT;
	sregs.gdt.limit = 3 * 8 - 1;
	sregs.idt.base = GUEST_IDT;
	sregs.idt.limit = 256 * 8 - 1;
	if (ioctl(fd, KVM_SET_SREGS, &sregs))
		die("KVM_SET_SREGS: %s", strerror(errno));
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_CODE;
	regs.rsp = GUEST_STACK_TOP(idx);
	regs.rsi = idx;
	regs.rflags = 2;
	if (ioctl(fd, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS: %s", strerror(errno));
}

static void setup_vm(void)
{
	uint64_t *gdt;
	struct pvsched_region_header *rh;
	int memfd;
	struct kvm_userspace_memory_region region;

	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0)
		die("KVM_CREATE_VM: %s", strerror(errno));
	if (ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0))
		die("KVM_CREATE_IRQCHIP: %s", strerror(errno));
	/* MAP_SHARED so that VCPU_ADD accepts the slot inside guest memory. */
	memfd = memfd_create("pvsched-vmm-guest", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, GUEST_MEM_SIZE))
		die("memfd: %s", strerror(errno));
	mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (mem == MAP_FAILED)
		die("mmap guest memory: %s", strerror(errno));
	close(memfd);
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = GUEST_MEM_SIZE,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region))
		die("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));

	if (guest_blob_end - guest_blob > GUEST_CODE_MAX)
		die("guest code too large");
	memcpy(mem + GUEST_CODE, guest_blob, guest_blob_end - guest_blob);
	gdt = (uint64_t *)(mem + GUEST_GDT);
	gdt[0] = 0;
	gdt[1] = 0x00cf9b000000ffffull; /* code: base 0, 4 GiB, 32-bit, r/x */
	gdt[2] = 0x00cf93000000ffffull; /* data: base 0, 4 GiB, r/w */

	/* The pvsched region, as a VMM would publish it to a guest driver. */
	rh = (struct pvsched_region_header *)(mem + GUEST_REGION);
	region_header_init(rh, opt.nr_vcpus);
	rh->host_features &= ~opt.withheld; /* the offer SET_PARAMS states */
	__atomic_store_n(&rh->magic, PVSCHED_MAGIC, __ATOMIC_RELEASE);
}

static void fill_mailbox(struct vcpu *v)
{
	volatile uint32_t *mb = v->mb;
	uint64_t spin = 0;
	long khz;

	mb[MB_PROG / 4] = opt.prog;
	mb[MB_GO / 4] = 0;
	mb[MB_SLOT / 4] = GUEST_SLOT(v->idx);
	mb[MB_CPU / 4] = v->idx;
	mb[MB_POLICY / 4] = opt.policy;
	mb[MB_NICE / 4] = (uint32_t)opt.nice;
	mb[MB_RT_PRIO / 4] = opt.rt_prio;
	mb[MB_ITERS / 4] = opt.iters;
	mb[MB_IRQ_CS / 4] = opt.irq_cs;
	if (opt.irq_spin_us) {
		khz = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
		if (khz <= 0)
			die("KVM_GET_TSC_KHZ: %s", strerror(errno));
		spin = (uint64_t)khz * opt.irq_spin_us / 1000;
	}
	mb[MB_IRQ_SPIN_LO / 4] = (uint32_t)spin;
	mb[MB_IRQ_SPIN_HI / 4] = (uint32_t)(spin >> 32);
	mb[MB_TIMER_NS / 4] = opt.period_us * 1000;
	mb[MB_EXIT_KIND / 4] = opt.exit_kind;
	mb[MB_WAKE / 4] = opt.wake;
	mb[MB_CS_FLAGS / 4] = opt.cs_flags;
	mb[MB_ROUNDS / 4] = opt.rounds;
}

/*
 * The supported CPUID, as any VMM sets it: among others, KVM only honours
 * the LAPIC timer's periodic mode once CPUID is set (timer_mode_mask).
 */
static struct kvm_cpuid2 *supported_cpuid(void)
{
	static struct kvm_cpuid2 *cpuid;
	int n = 256;

	if (cpuid)
		return cpuid;
	cpuid = calloc(1, sizeof(*cpuid) + n * sizeof(cpuid->entries[0]));
	if (!cpuid)
		die("out of memory");
	cpuid->nent = n;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid))
		die("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	return cpuid;
}

static void create_vcpu(struct vcpu *v)
{
	int mmap_size;
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

	v->fd = ioctl(vm_fd, KVM_CREATE_VCPU, v->idx);
	if (v->fd < 0)
		die("KVM_CREATE_VCPU %d: %s", v->idx, strerror(errno));
	mmap_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	v->run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED)
		die("mmap kvm_run: %s", strerror(errno));
	if (ioctl(v->fd, KVM_SET_CPUID2, supported_cpuid()))
		die("KVM_SET_CPUID2: %s", strerror(errno));
	setup_segments(v->fd, v->idx);
	/* Application processors start in wait-for-SIPI with an in-kernel irqchip. */
	if (ioctl(v->fd, KVM_SET_MP_STATE, &mp))
		die("KVM_SET_MP_STATE: %s", strerror(errno));
	v->mb = (volatile uint32_t *)(mem + GUEST_PERCPU(v->idx));
	v->slot = (struct pvsched_vcpu_slot *)(mem + GUEST_SLOT(v->idx));
	fill_mailbox(v);
}

static void toggle_registration(struct vcpu *v)
{
	if (!v->registered) {
		register_vcpu(v);
		return;
	}
	if (vcpu_del(pv_fd, v->idx))
		die("PVSCHED_IOC_VCPU_DEL: %s", strerror(errno));
	v->registered = false;
}

static void handle_ucall(struct vcpu *v)
{
	struct kvm_regs regs;

	if (ioctl(v->fd, KVM_GET_REGS, &regs))
		die("KVM_GET_REGS: %s", strerror(errno));
	switch ((uint32_t)regs.rax) {
	case UC_DONE:
		v->done = 1;
		break;
	case UC_ASSERT:
		out("guest-assert vcpu=%d line=%llu detail=0x%llx\n", v->idx,
		    (unsigned long long)regs.rbx, (unsigned long long)regs.rcx);
		v->failed = 1;
		v->done = 1;
		break;
	case UC_SYNC:
		if (regs.rbx == STAGE_EXITS) {
			clock_gettime(CLOCK_MONOTONIC, &v->t_exits);
		} else if (regs.rbx == STAGE_EXITS_END) {
			struct timespec t1;

			clock_gettime(CLOCK_MONOTONIC, &t1);
			if (v->nr_rounds < (int)(sizeof(v->rounds) / sizeof(v->rounds[0]))) {
				v->rounds[v->nr_rounds].ns_per_exit =
					((t1.tv_sec - v->t_exits.tv_sec) * 1e9 +
					 (t1.tv_nsec - v->t_exits.tv_nsec)) / opt.iters;
				v->rounds[v->nr_rounds].registered = v->registered;
				v->nr_rounds++;
			}
			/* Alternate registered and unregistered rounds. */
			if (opt.toggle_register)
				toggle_registration(v);
		}
		if (regs.rbx >= STAGE_NR) {
			out("guest-error vcpu=%d bad stage %llu\n", v->idx,
			    (unsigned long long)regs.rbx);
			v->failed = 1;
			v->done = 1;
			break;
		}
		__atomic_store_n(&v->stage, (int)regs.rbx, __ATOMIC_RELEASE);
		if (!opt.quiet)
			out("phase vcpu=%d phase=%s t=%.6f\n", v->idx, stage_names[regs.rbx],
			    now_ns() / 1e9);
		/* The exit right after the guest set its flag: boosted now. */
		if (opt.pi_block_ms && regs.rbx == STAGE_CS && !v->pi_done)
			pi_block(v);
		break;
	case UC_PRINT:
		out("guest-print vcpu=%d value=%llu\n", v->idx, (unsigned long long)regs.rbx);
		break;
	default:
		out("guest-error vcpu=%d unknown ucall %llu\n", v->idx,
		    (unsigned long long)regs.rax);
		v->failed = 1;
		v->done = 1;
	}
}

static pthread_barrier_t start_barrier;

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct kvm_run *run;

	v->tid = gettid();
	if (opt.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(opt.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("pin vCPU %d to CPU %d: %s", v->idx, opt.cpu, strerror(errno));
	}
	pthread_barrier_wait(&start_barrier); /* main registers us here */
	pthread_barrier_wait(&start_barrier);
	run = v->run;
	while (!v->done) {
		if (ioctl(v->fd, KVM_RUN, 0)) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			out("kvm-error vcpu=%d KVM_RUN: %s\n", v->idx, strerror(errno));
			v->failed = 1;
			break;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			if (run->io.port == EXIT_PORT) {
				v->pio_exits++;
				continue;
			}
			if (run->io.port == UCALL_PORT) {
				handle_ucall(v);
				continue;
			}
			out("kvm-error vcpu=%d unexpected I/O port 0x%x\n", v->idx, run->io.port);
			v->failed = 1;
			v->done = 1;
			break;
		case KVM_EXIT_INTR:
			continue;
		default: {
			struct kvm_regs regs;

			ioctl(v->fd, KVM_GET_REGS, &regs);
			out("kvm-error vcpu=%d unexpected exit %u rip=0x%llx\n", v->idx,
			    run->exit_reason, (unsigned long long)regs.rip);
			if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
				out("kvm-error fail_entry reason=0x%llx\n",
				    (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			v->failed = 1;
			v->done = 1;
		}
		}
	}
	v->done = 1;
	return NULL;
}

/* ---- drivers: what the VMM does while the guest program runs -------------- */

static uint64_t deadline_ns;

static void check_timeout(void)
{
	if (deadline_ns && now_ns() > deadline_ns)
		die("timeout: guest did not finish in %lds", opt.timeout_s);
}

static bool all_failed_or_done(void)
{
	for (int i = 0; i < opt.nr_vcpus; i++)
		if (vcpus[i].failed)
			return true;
	return false;
}

/* Wait until every vCPU reached @stage (or is done). */
static void wait_stage(int stage)
{
	for (;;) {
		bool all = true;

		for (int i = 0; i < opt.nr_vcpus; i++)
			if (vcpus[i].stage != stage && !vcpus[i].done)
				all = false;
		if (all || all_failed_or_done())
			return;
		check_timeout();
		sleep_us(200);
	}
}

/*
 * --pi-block-ms: wait until every vCPU thread's PI futex block is over.
 * (wait_stage()'s loop with another predicate; wait_done() differs more.)
 */
static void wait_pi_blocks(void)
{
	for (;;) {
		bool all = true;

		for (int i = 0; i < opt.nr_vcpus; i++)
			if (!vcpus[i].pi_done && !vcpus[i].done)
				all = false;
		if (all || all_failed_or_done())
			return;
		check_timeout();
		sleep_us(200);
	}
}

static void wait_done(void)
{
	for (;;) {
		bool all = true;

		for (int i = 0; i < opt.nr_vcpus; i++)
			if (!vcpus[i].done)
				all = false;
		if (all)
			return;
		check_timeout();
		sleep_us(500);
	}
}

static void set_go(uint32_t go)
{
	for (int i = 0; i < opt.nr_vcpus; i++)
		__atomic_store_n(&vcpus[i].mb[MB_GO / 4], go, __ATOMIC_RELEASE);
}

static void snapshot(const char *at)
{
	for (int i = 0; i < opt.nr_vcpus; i++) {
		if (opt.reg)
			print_host_area(&vcpus[i], at);
		print_stats(&vcpus[i], at);
	}
}

static long msis_sent, msis_blocked;

static void send_msi(struct vcpu *v)
{
	struct kvm_msi msi = {
		.address_lo = LAPIC_BASE | (v->idx << 12),
		.address_hi = 0,
		.data = VEC_MSI,
	};
	int r = ioctl(vm_fd, KVM_SIGNAL_MSI, &msi);

	if (r < 0)
		die("KVM_SIGNAL_MSI: %s", strerror(errno));
	msis_sent++;
	if (r == 0)
		msis_blocked++;
}

/*
 * SIGUSR2: VCPU_DEL every vCPU and close /dev/pvsched while the guest keeps
 * running (its threads must get their base attributes back).
 */
static void unregister_all(void)
{
	for (int i = 0; i < opt.nr_vcpus; i++) {
		print_stats(&vcpus[i], "unregister");
		if (vcpu_del(pv_fd, i))
			out("unregister vcpu=%d error=%d (%s)\n", i, errno, strerror(errno));
		else
			out("unregistered vcpu=%d\n", i);
	}
	close(pv_fd);
	pv_fd = -1;
	out("closed /dev/pvsched\n");
}

/*
 * Sleep @ms (0: until SIGTERM/SIGINT), checking for guest failure.
 * SIGTERM/SIGINT end the phase now, SIGUSR1 prints a snapshot ("signal"),
 * SIGUSR2 unregisters.
 */
static void phase_sleep(long ms)
{
	uint64_t end = now_ns() + ms * 1000000ull;

	while (!all_failed_or_done() && (ms == 0 || now_ns() < end)) {
		if (stop_requested) {
			/* SIGTERM/SIGINT ends the phase early. */
			stop_requested = 0;
			break;
		}
		if (ms == 0 && deadline_ns)
			check_timeout();
		if (snapshot_requested) {
			snapshot_requested = 0;
			snapshot("signal");
			out("snapshot-done\n");
		}
		if (unregister_requested) {
			unregister_requested = 0;
			if (pv_fd >= 0)
				unregister_all();
		}
		sleep_us(1000);
	}
}

static void drive(void)
{
	int main_stage;

	switch (opt.prog) {
	case PROG_EXITS:
		wait_done();
		return;
	case PROG_HALT:
		wait_stage(STAGE_HALT);
		sleep_us(opt.period_us ? opt.period_us : 1000);
		snapshot("halt");
		while (!all_failed_or_done() && !stop_requested) {
			bool halting = false;

			for (int i = 0; i < opt.nr_vcpus; i++) {
				if (vcpus[i].stage != STAGE_HALT)
					continue;
				halting = true;
				if (opt.wake == WAKE_EXTERNAL)
					send_msi(&vcpus[i]);
			}
			if (!halting)
				break;
			check_timeout();
			sleep_us(opt.period_us ? opt.period_us : 1000);
		}
		wait_stage(STAGE_AFTER);
		phase_sleep(opt.after_ms);
		snapshot("after");
		set_go(1);
		wait_done();
		return;
	case PROG_INJECT:
		wait_stage(STAGE_INJECT);
		for (long n = 0; n < opt.iters && !stop_requested && !all_failed_or_done(); n++) {
			for (int i = 0; i < opt.nr_vcpus; i++)
				send_msi(&vcpus[i]);
			if (opt.period_us)
				sleep_us(opt.period_us);
			check_timeout();
		}
		phase_sleep(opt.ms);
		snapshot("inject");
		set_go(1);
		break;
	case PROG_IDLE:
		wait_stage(STAGE_IDLE);
		phase_sleep(opt.ms);
		snapshot("idle");
		set_go(1);
		wait_done();
		return;
	case PROG_CS:
	case PROG_PRIO:
		main_stage = opt.prog == PROG_CS ? STAGE_CS : STAGE_PRIO;
		wait_stage(main_stage);
		if (opt.pi_block_ms)
			wait_pi_blocks();
		phase_sleep(opt.ms);
		snapshot(stage_names[main_stage]);
		set_go(1);
		break;
	}
	wait_stage(STAGE_AFTER);
	phase_sleep(opt.after_ms);
	snapshot("after");
	set_go(2);
	wait_done();
}

/* ---- main --------------------------------------------------------------- */

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		snapshot_requested = 1;
	else if (sig == SIGUSR2)
		unregister_requested = 1;
	else
		stop_requested = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pvsched-vmm [options] idle|halt|inject|cs|cs-forever|prio|exits\n"
		"  -n, --vcpus N         vCPUs, one thread each (1)\n"
		"  -c, --cpu N           pin every vCPU thread to host CPU N\n"
		"      --no-register     do not use /dev/pvsched at all\n"
		"      --ms N            main phase length (cs, cs-forever, prio, idle, inject) (200;\n"
		"                        cs-forever: 0 = until SIGTERM/SIGINT)\n"
		"      --after-ms N      'after' phase length (100)\n"
		"      --iters N         halt: wakes; inject: MSIs; exits: VM exits (10)\n"
		"      --period-us N     halt/inject: MSI period; halt --wake timer: timer period (20000)\n"
		"      --wake msi|timer  halt: who wakes the guest (msi)\n"
		"      --irq-cs FLAGS    inject/halt: guest-area flags set in the interrupt handler (0)\n"
		"      --irq-spin-us N   inject/halt: handler spins N us before EOI (0)\n"
		"      --cs-flags FLAGS  cs: PVSCHED_CS_* flags to set (8 = PREEMPT_DISABLED)\n"
		"      --pi-block-ms N   cs, cs-forever: at the exit that reports the flag, the vCPU\n"
		"                        thread blocks in FUTEX_LOCK_PI on a futex a helper thread\n"
		"                        holds N ms more; fails unless it waited >= N/2 ms (0: off)\n"
		"      --policy P --nice N --rt-prio N   prio: the guest's request\n"
		"      --exit-kind pio|cpuid             exits: kind of VM exit (pio)\n"
		"      --rounds N        exits: rounds of --iters exits (1)\n"
		"      --toggle-register exits: alternate unregistered/registered rounds\n"
		"      --cs-boost P/V --intr-boost P/V --max-boost-us N --throttle-us N --debug N\n"
		"                        SET_PARAMS before registering (P: normal|rr|fifo)\n"
		"      --withhold F[,F]  features not offered: crit_section, task_prio, idle_hint\n"
		"                        or a mask (region host_features, SET_PARAMS withheld_features)\n"
		"      --name NAME       SET_NAME\n"
		"      --sample-us N     sched_getattr period, 0 = continuous (100)\n"
		"      --expect PHASE:P/V       fail unless sampled in PHASE (e.g. cs:rr/8)\n"
		"      --expect-not PHASE:P/V   fail if sampled in PHASE\n"
		"      --timeout S       give up after S seconds (120; 0 = never)\n"
		"      --info            print GET_INFO and exit\n"
		"  -q, --quiet           no per-phase lines\n");
}

enum {
	O_NOREG = 256, O_MS, O_AFTER, O_ITERS, O_PERIOD, O_WAKE, O_IRQCS, O_IRQSPIN,
	O_CSFLAGS, O_POLICY, O_NICE, O_RTPRIO, O_EXITKIND, O_CSBOOST, O_INTRBOOST,
	O_MAXBOOST, O_THROTTLE, O_DEBUG, O_NAME, O_SAMPLE, O_EXPECT, O_EXPECTNOT,
	O_TIMEOUT, O_INFO, O_ROUNDS, O_TOGGLE, O_PIBLOCK, O_WITHHOLD,
};

/* "crit_section,idle_hint" or a number into a PVSCHED_F_* mask; false if bad. */
static bool parse_features(const char *s, uint64_t *mask)
{
	static const struct {
		const char *name;
		uint64_t bit;
	} f[] = {
		{ "crit_section", PVSCHED_F_CRIT_SECTION },
		{ "task_prio", PVSCHED_F_TASK_PRIO },
		{ "host_area", PVSCHED_F_HOST_AREA },
		{ "idle_hint", PVSCHED_F_IDLE_HINT },
		{ "boost_state", PVSCHED_F_BOOST_STATE },
		{ "exit_demote", PVSCHED_F_EXIT_DEMOTE },
	};
	char buf[128], *tok, *save, *end;

	*mask = strtoull(s, &end, 0);
	if (end != s && !*end)
		return true;
	*mask = 0;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned int i;

		for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			if (!strcmp(tok, f[i].name))
				break;
		if (i == sizeof(f) / sizeof(f[0]))
			return false;
		*mask |= f[i].bit;
	}
	return true;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "vcpus", 1, 0, 'n' },		{ "cpu", 1, 0, 'c' },
		{ "no-register", 0, 0, O_NOREG }, { "ms", 1, 0, O_MS },
		{ "after-ms", 1, 0, O_AFTER },	{ "iters", 1, 0, O_ITERS },
		{ "period-us", 1, 0, O_PERIOD }, { "wake", 1, 0, O_WAKE },
		{ "irq-cs", 1, 0, O_IRQCS },	{ "irq-spin-us", 1, 0, O_IRQSPIN },
		{ "cs-flags", 1, 0, O_CSFLAGS }, { "policy", 1, 0, O_POLICY },
		{ "nice", 1, 0, O_NICE },	{ "rt-prio", 1, 0, O_RTPRIO },
		{ "exit-kind", 1, 0, O_EXITKIND }, { "cs-boost", 1, 0, O_CSBOOST },
		{ "intr-boost", 1, 0, O_INTRBOOST }, { "max-boost-us", 1, 0, O_MAXBOOST },
		{ "throttle-us", 1, 0, O_THROTTLE }, { "debug", 1, 0, O_DEBUG },
		{ "name", 1, 0, O_NAME },	{ "sample-us", 1, 0, O_SAMPLE },
		{ "expect", 1, 0, O_EXPECT },	{ "expect-not", 1, 0, O_EXPECTNOT },
		{ "timeout", 1, 0, O_TIMEOUT },	{ "info", 0, 0, O_INFO },
		{ "rounds", 1, 0, O_ROUNDS },	{ "toggle-register", 0, 0, O_TOGGLE },
		{ "pi-block-ms", 1, 0, O_PIBLOCK }, { "withhold", 1, 0, O_WITHHOLD },
		{ "quiet", 0, 0, 'q' },		{ "help", 0, 0, 'h' },
		{ 0 },
	};
	bool info_only = false, ok = true;
	pthread_t sampler_thread;
	int c, p;

	while ((c = getopt_long(argc, argv, "n:c:qh", lopts, NULL)) != -1) {
		switch (c) {
		case 'n': opt.nr_vcpus = atoi(optarg); break;
		case 'c': opt.cpu = atoi(optarg); break;
		case 'q': opt.quiet = true; break;
		case 'h': usage(stdout); return 0;
		case O_NOREG: opt.reg = false; break;
		case O_MS: opt.ms = atol(optarg); break;
		case O_AFTER: opt.after_ms = atol(optarg); break;
		case O_ITERS: opt.iters = atol(optarg); break;
		case O_PERIOD: opt.period_us = atol(optarg); break;
		case O_WAKE:
			if (!strcmp(optarg, "msi"))
				opt.wake = WAKE_EXTERNAL;
			else if (!strcmp(optarg, "timer"))
				opt.wake = WAKE_TIMER;
			else
				goto bad;
			break;
		case O_IRQCS: opt.irq_cs = strtoul(optarg, NULL, 0); break;
		case O_IRQSPIN: opt.irq_spin_us = atol(optarg); break;
		case O_CSFLAGS: opt.cs_flags = strtoul(optarg, NULL, 0); break;
		case O_POLICY:
			p = parse_policy(optarg);
			if (p < 0)
				goto bad;
			opt.policy = p;
			break;
		case O_NICE: opt.nice = atoi(optarg); break;
		case O_RTPRIO: opt.rt_prio = atoi(optarg); break;
		case O_EXITKIND:
			if (!strcmp(optarg, "pio"))
				opt.exit_kind = EXIT_KIND_PIO;
			else if (!strcmp(optarg, "cpuid"))
				opt.exit_kind = EXIT_KIND_CPUID;
			else
				goto bad;
			break;
		case O_CSBOOST: opt.p_cs_boost = optarg; opt.set_params = true; break;
		case O_INTRBOOST: opt.p_intr_boost = optarg; opt.set_params = true; break;
		case O_MAXBOOST: opt.p_max_boost_us = atol(optarg); opt.set_params = true; break;
		case O_THROTTLE: opt.p_throttle_us = atol(optarg); opt.set_params = true; break;
		case O_DEBUG: opt.p_debug = atoi(optarg); opt.set_params = true; break;
		case O_NAME: opt.name = optarg; break;
		case O_SAMPLE: opt.sample_us = atol(optarg); break;
		case O_EXPECT:
			if (opt.nr_expect == 16)
				goto bad;
			opt.expect[opt.nr_expect++] = optarg;
			break;
		case O_EXPECTNOT:
			if (opt.nr_expect_not == 16)
				goto bad;
			opt.expect_not[opt.nr_expect_not++] = optarg;
			break;
		case O_TIMEOUT: opt.timeout_s = atol(optarg); break;
		case O_INFO: info_only = true; break;
		case O_ROUNDS: opt.rounds = atol(optarg); break;
		case O_TOGGLE: opt.toggle_register = true; break;
		case O_PIBLOCK: opt.pi_block_ms = atol(optarg); break;
		case O_WITHHOLD:
			if (!parse_features(optarg, &opt.withheld))
				goto bad;
			opt.set_params = true;
			break;
		default:
			goto bad;
		}
	}
	if (info_only) {
		pv_fd = open("/dev/pvsched", O_RDWR | O_CLOEXEC);
		if (pv_fd < 0)
			skip("/dev/pvsched missing (pvsched.ko not loaded)");
		print_info();
		return 0;
	}
	if (optind != argc - 1)
		goto bad;
	opt.prog_name = argv[optind];
	if (!strcmp(opt.prog_name, "idle")) {
		opt.prog = PROG_IDLE;
	} else if (!strcmp(opt.prog_name, "halt")) {
		opt.prog = PROG_HALT;
	} else if (!strcmp(opt.prog_name, "inject")) {
		opt.prog = PROG_INJECT;
	} else if (!strcmp(opt.prog_name, "cs")) {
		opt.prog = PROG_CS;
	} else if (!strcmp(opt.prog_name, "cs-forever")) {
		opt.prog = PROG_CS;
		if (opt.ms < 0)
			opt.ms = 0;
		if (opt.ms == 0)
			opt.timeout_s = 0;
	} else if (!strcmp(opt.prog_name, "prio")) {
		opt.prog = PROG_PRIO;
	} else if (!strcmp(opt.prog_name, "exits")) {
		opt.prog = PROG_EXITS;
		if (opt.iters == 10)
			opt.iters = 100000;
	} else {
		goto bad;
	}
	if (opt.ms < 0)
		opt.ms = 200;
	if (opt.nr_vcpus < 1 || opt.nr_vcpus > GUEST_MAX_VCPUS || opt.iters < 1 ||
	    opt.rounds < 1 || opt.rounds > 1024 || (opt.toggle_register && !opt.reg) ||
	    opt.pi_block_ms < 0 || opt.pi_block_ms > 60000 ||
	    (opt.pi_block_ms && opt.prog != PROG_CS))
		goto bad;

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGUSR1, on_signal);
	signal(SIGUSR2, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		skip("/dev/kvm missing or not accessible");
	if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) <= 0 ||
	    ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI) <= 0)
		skip("KVM lacks KVM_CAP_IRQCHIP or KVM_CAP_SIGNAL_MSI");
	if (opt.reg) {
		pv_fd = open("/dev/pvsched", O_RDWR | O_CLOEXEC);
		if (pv_fd < 0)
			skip("/dev/pvsched missing (pvsched.ko not loaded)");
		print_info();
		if (opt.name) {
			struct pvsched_vm_name n;

			memset(&n, 0, sizeof(n));
			snprintf(n.name, sizeof(n.name), "%s", opt.name);
			if (ioctl(pv_fd, PVSCHED_IOC_SET_NAME, &n))
				die("PVSCHED_IOC_SET_NAME: %s", strerror(errno));
		}
		setup_params();
	}

	setup_vm();
	if (opt.pi_block_ms)
		pi_start_helpers();
	pthread_barrier_init(&start_barrier, NULL, opt.nr_vcpus + 1);
	for (int i = 0; i < opt.nr_vcpus; i++) {
		vcpus[i].idx = i;
		create_vcpu(&vcpus[i]);
		if (pthread_create(&vcpus[i].thread, NULL, vcpu_thread, &vcpus[i]))
			die("pthread_create");
	}
	pthread_barrier_wait(&start_barrier);
	for (int i = 0; i < opt.nr_vcpus; i++) {
		out("vcpu vcpu=%d tid=%d pid=%d prog=%s\n", i, vcpus[i].tid, getpid(),
		    opt.prog_name);
		if (pv_fd >= 0 && !opt.toggle_register)
			register_vcpu(&vcpus[i]);
	}
	if (pv_fd >= 0 && !opt.toggle_register)
		snapshot("start");
	if (opt.prog != PROG_EXITS)
		pthread_create(&sampler_thread, NULL, sampler, NULL);
	deadline_ns = opt.timeout_s ? now_ns() + opt.timeout_s * 1000000000ull : 0;
	pthread_barrier_wait(&start_barrier);
	clock_above_boosts(80);

	drive();

	for (int i = 0; i < opt.nr_vcpus; i++)
		pthread_join(vcpus[i].thread, NULL);
	for (int i = 0; opt.pi_block_ms && i < opt.nr_vcpus; i++)
		pthread_join(vcpus[i].pi_thread, NULL);
	if (opt.prog != PROG_EXITS) {
		sampler_stop = 1;
		pthread_join(sampler_thread, NULL);
		print_samples();
	}
	if (opt.reg && !opt.toggle_register)
		snapshot("end");
	if (opt.prog == PROG_INJECT || (opt.prog == PROG_HALT && opt.wake == WAKE_EXTERNAL))
		out("msi sent=%ld blocked=%ld\n", msis_sent, msis_blocked);
	for (int i = 0; i < opt.nr_vcpus; i++) {
		struct vcpu *v = &vcpus[i];

		if (opt.prog == PROG_HALT || opt.prog == PROG_INJECT)
			out("guest vcpu=%d interrupts=%u nmis=%u\n", i, v->mb[MB_COUNT / 4],
			    v->mb[MB_NMIS / 4]);
		if (opt.prog == PROG_EXITS && !v->failed) {
			for (int r = 0; r < v->nr_rounds; r++)
				out("exits vcpu=%d round=%d kind=%s n=%ld ns_per_exit=%.1f "
				    "exits_per_sec=%.0f registered=%d\n",
				    i, r, opt.exit_kind == EXIT_KIND_CPUID ? "cpuid" : "pio",
				    opt.iters, v->rounds[r].ns_per_exit,
				    1e9 / v->rounds[r].ns_per_exit, v->rounds[r].registered);
		}
		if (v->failed)
			ok = false;
	}
	for (int i = 0; i < opt.nr_expect; i++)
		ok &= check_expect(opt.expect[i], true);
	for (int i = 0; i < opt.nr_expect_not; i++)
		ok &= check_expect(opt.expect_not[i], false);
	out("result=%s\n", ok ? "ok" : "FAIL");
	return ok ? 0 : 1;
bad:
	usage(stderr);
	return 2;
}
