// SPDX-License-Identifier: GPL-2.0
/*
 * guest-rt: an RT busy loop for the L2 busybox guest (busybox has no chrt).
 * Built static on the build machine by mk/guest.mk.
 *   guest-rt CPU POLICY PRIO SECONDS
 * pins itself to CPU, switches to POLICY (fifo|rr|other) at PRIO (nice
 * for "other"), spins for SECONDS, exits 0.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

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
	int policy;

	if (argc != 5) {
		fprintf(stderr, "usage: %s CPU fifo|rr|other PRIO SECONDS\n",
			argv[0]);
		return 2;
	}
	CPU_ZERO(&set);
	CPU_SET(atoi(argv[1]), &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("sched_setaffinity");
		return 1;
	}
	policy = !strcmp(argv[2], "fifo") ? SCHED_FIFO :
		 !strcmp(argv[2], "rr")	  ? SCHED_RR :
					    SCHED_OTHER;
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
	while (now() < end)
		;
	return 0;
}
