// SPDX-License-Identifier: GPL-2.0
/*
 * guest-rt: an RT busy loop for the L2 busybox guest (busybox has no chrt).
 * Built static on the build machine by mk/guest.mk.
 *   guest-rt CPU POLICY PRIO SECONDS
 * pins itself to CPU (unless CPU is -1), switches to POLICY (fifo|rr|other) at PRIO (nice
 * for "other"), spins for SECONDS, exits 0.  POLICY "flip" is SCHED_OTHER
 * switching its own nice between 0 and PRIO each time it reads the clock,
 * so whichever CPU runs it keeps publishing new requests, and sleeping
 * 1 ms there (about half the time): a vCPU that never halts can keep an L1
 * CPU in L2 for good under TCG (tests/lab/README.md).
 *
 * The loop reads the clock only every SPIN_CHECK iterations: in the lab's
 * L2 the clock is not vDSO-capable, so every read is a system call, and a
 * loop of back-to-back SYSCALLs under nested SVM on TCG has shown L2 double
 * faults at entry_SYSCALL_64 and L1 CPUs that stop taking IPIs, with no
 * pvsched module loaded (recorded in tests/lab/README.md).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#define SPIN_CHECK (1ul << 16)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct sched_param sp = { 0 };
	cpu_set_t set;
	double end;
	const struct timespec pause = { .tv_nsec = 1000000 };
	int policy, flip = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: %s CPU fifo|rr|other|flip PRIO SECONDS\n",
			argv[0]);
		return 2;
	}
	CPU_ZERO(&set);
	CPU_SET(atoi(argv[1]), &set);
	if (atoi(argv[1]) >= 0 && sched_setaffinity(0, sizeof(set), &set)) {
		perror("sched_setaffinity");
		return 1;
	}
	policy = !strcmp(argv[2], "fifo") ? SCHED_FIFO :
		 !strcmp(argv[2], "rr")	  ? SCHED_RR :
					    SCHED_OTHER;
	if (!strcmp(argv[2], "flip"))
		flip = atoi(argv[3]);
	if (policy == SCHED_OTHER) {
		if (setpriority(PRIO_PROCESS, 0, atoi(argv[3]))) {
			perror("setpriority");
			return 1;
		}
	} else {
		sp.sched_priority = atoi(argv[3]);
		if (sched_setscheduler(0, policy, &sp)) {
			perror("sched_setscheduler");
			return 1;
		}
	}
	end = now() + atof(argv[4]);
	do {
		for (volatile unsigned long i = 0; i < SPIN_CHECK; i++)
			;
		if (flip && setpriority(PRIO_PROCESS, 0,
					getpriority(PRIO_PROCESS, 0) ? 0 : flip)) {
			perror("setpriority");
			return 1;
		}
		if (flip)
			nanosleep(&pause, NULL);
	} while (now() < end);
	return 0;
}
