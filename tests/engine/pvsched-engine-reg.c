// SPDX-License-Identifier: GPL-2.0
/*
 * pvsched-engine-reg: register one host thread (a vCPU thread of a running
 * QEMU) with /dev/pvsched, play the guest's part of the slot from here (the
 * slot is ordinary shared memory of this process), sample the thread's
 * scheduling attributes and print the engine's stats.  For the engine's lab
 * tests (tests/lab/tests/engine-*.sh).
 *
 *   pvsched-engine-reg TID MODE SECONDS [PARAM=VALUE...]
 *     MODE: idle        the guest area asks for nothing
 *           cs          the critical-section flag is set the whole time
 *           task:P:PRIO:NICE  the guest requests policy P (number)
 *           torn        seq kept odd with the CS flag set (hostile guest)
 *     PARAM: max_boost_us, throttle_us, intr_prio, cs_prio (SET_PARAMS)
 *
 * Output, one "key value" per line:
 *   sample_boosted N / sample_total N  samples (every 1 ms) in which the
 *                                      thread's policy was not its base
 *   during_policy P, during_prio P     the last sampled attributes
 *   seen POLICY/PRIO/NICE N            how many samples had these
 *   host_status, host_policy, host_prio, host_nice, host_throttled
 *   stat_<field> V                     PVSCHED_IOC_GET_STATS, at the end
 *   after_policy P, after_prio P, after_nice N  after VCPU_DEL
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <linux/pvsched.h>

#include "../include/pvsched-test.h"

static void die(const char *what)
{
	fprintf(stderr, "pvsched-engine-reg: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void guest_write(volatile struct pvsched_guest_area *g, uint32_t flags,
			uint32_t pol, int32_t nice, uint32_t prio, int leave_odd)
{
	g->seq++;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	g->flags = flags;
	g->sched_policy = pol;
	g->sched_nice = nice;
	g->rt_prio = prio;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (!leave_odd)
		g->seq++;
}

int main(int argc, char **argv)
{
	struct pvsched_params params;
	struct pvsched_vcpu_stats st;
	volatile struct pvsched_vcpu_slot *slot;
	struct sched_attr base, a;
	unsigned long boosted = 0, total = 0;
	struct {
		uint32_t pol, prio;
		int32_t nice;
		unsigned long n;
	} seen[32];
	int nseen = 0, j;
	struct timespec ts = { 0, 1000000 };
	const char *mode;
	double seconds;
	void *region;
	pid_t tid;
	int fd, i;

	if (argc < 4) {
		fprintf(stderr, "usage: %s TID MODE SECONDS [PARAM=VALUE...]\n",
			argv[0]);
		return 2;
	}
	tid = atoi(argv[1]);
	mode = argv[2];
	seconds = atof(argv[3]);

	fd = open("/dev/pvsched", O_RDWR);
	if (fd < 0)
		die("open /dev/pvsched");
	if (ioctl(fd, PVSCHED_IOC_GET_PARAMS, &params))
		die("GET_PARAMS");
	for (i = 4; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		long v = eq ? atol(eq + 1) : 0;

		if (!eq)
			continue;
		*eq = '\0';
		if (!strcmp(argv[i], "max_boost_us"))
			params.max_boost_ns = v * 1000ULL;
		else if (!strcmp(argv[i], "throttle_us"))
			params.throttle_ns = v * 1000ULL;
		else if (!strcmp(argv[i], "intr_prio"))
			params.intr_rt_prio = v;
		else if (!strcmp(argv[i], "cs_prio"))
			params.cs_rt_prio = v;
	}
	if (argc > 4 && ioctl(fd, PVSCHED_IOC_SET_PARAMS, &params))
		die("SET_PARAMS");

	region = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED)
		die("mmap");
	memset(region, 0, 4096);
	slot = (void *)((char *)region + PVSCHED_REGION_HDR_SIZE);

	if (!strcmp(mode, "cs")) {
		guest_write(&slot->guest, PVSCHED_CS_PREEMPT_DISABLED, 0, 0, 0,
			    0);
	} else if (!strcmp(mode, "torn")) {
		guest_write(&slot->guest, PVSCHED_CS_PREEMPT_DISABLED, 0, 0, 0,
			    1);
	} else if (!strncmp(mode, "task:", 5)) {
		unsigned int pol, prio;
		int nice;

		if (sscanf(mode + 5, "%u:%u:%d", &pol, &prio, &nice) != 3) {
			fprintf(stderr, "bad task mode %s\n", mode);
			return 2;
		}
		guest_write(&slot->guest, 0, pol, nice, prio, 0);
	}

	if (sched_getattr_tid(tid, &base))
		die("sched_getattr (base)");
	if (vcpu_add(fd, 0, tid, slot))
		die("VCPU_ADD");

	while (total < seconds * 1000) {
		nanosleep(&ts, NULL);
		if (sched_getattr_tid(tid, &a))
			die("sched_getattr");
		total++;
		for (j = 0; j < nseen; j++)
			if (seen[j].pol == a.sched_policy &&
			    seen[j].prio == a.sched_priority &&
			    seen[j].nice == a.sched_nice)
				break;
		if (j == nseen && nseen < 32) {
			seen[j].pol = a.sched_policy;
			seen[j].prio = a.sched_priority;
			seen[j].nice = a.sched_nice;
			seen[j].n = 0;
			nseen++;
		}
		if (j < nseen)
			seen[j].n++;
		if (a.sched_policy != base.sched_policy ||
		    a.sched_priority != base.sched_priority ||
		    a.sched_nice != base.sched_nice)
			boosted++;
	}
	printf("base_policy %u\nbase_prio %u\nbase_nice %d\n",
	       base.sched_policy, base.sched_priority, base.sched_nice);
	printf("sample_boosted %lu\nsample_total %lu\n", boosted, total);
	for (j = 0; j < nseen; j++)
		printf("seen %u/%u/%d %lu\n", seen[j].pol, seen[j].prio,
		       seen[j].nice, seen[j].n);
	printf("during_policy %u\nduring_prio %u\nduring_nice %d\n",
	       a.sched_policy, a.sched_priority, a.sched_nice);
	printf("header_vcpu_pid %u\n", slot->header.vcpu_pid);
	printf("host_status %#x\nhost_policy %u\nhost_prio %u\nhost_nice %d\n"
	       "host_throttled %u\nhost_seq %u\n",
	       slot->host.vcpu_status, slot->host.sched_policy,
	       slot->host.rt_prio, slot->host.sched_nice, slot->host.throttled,
	       slot->host.seq);

	if (vcpu_stats(fd, 0, &st))
		die("GET_STATS");
#define P(f) printf("stat_" #f " %llu\n", (unsigned long long)st.f)
	P(state);
	P(vcpu_status);
	P(cur_policy);
	P(cur_rt_prio);
	printf("stat_cur_nice %d\n", st.cur_nice);
	P(exits);
	P(entries);
	P(halts);
	P(injections);
	printf("stat_boosts_cs %llu\nstat_boosts_task %llu\n"
	       "stat_boosts_halt %llu\nstat_boosts_intr %llu\n",
	       (unsigned long long)st.boosts[PVSCHED_REASON_CRIT_SECTION],
	       (unsigned long long)st.boosts[PVSCHED_REASON_TASK_PRIO],
	       (unsigned long long)st.boosts[PVSCHED_REASON_HALT],
	       (unsigned long long)st.boosts[PVSCHED_REASON_INTR]);
	P(unboosts);
	P(throttles);
	P(boosted_ns);
	P(throttled_ns);
	P(torn_reads);
	P(guest_clamped);
	P(guest_refused);
	P(guest_invalid);
	P(apply_direct);
	P(apply_deferred);
	P(apply_errors);
	P(blocks);
	P(share_throttles);
	P(boosted_cpu_ns);

	if (vcpu_del(fd, 0))
		die("VCPU_DEL");
	if (sched_getattr_tid(tid, &a))
		die("sched_getattr (after)");
	printf("after_policy %u\nafter_prio %u\nafter_nice %d\n",
	       a.sched_policy, a.sched_priority, a.sched_nice);
	close(fd);
	return 0;
}
