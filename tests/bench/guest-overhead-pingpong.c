// SPDX-License-Identifier: GPL-2.0
/*
 * guest-overhead-pingpong: a scheduler-heavy workload for the guest
 * overhead benchmark (what "perf bench sched pipe" does, without perf):
 * two processes pinned to one CPU pass a byte back and forth through two
 * pipes, so every round trip is two wakeups and two context switches.
 *   guest-overhead-pingpong CPU ROUNDS
 * prints "ns_per_round N".  Built static by mk/guest.mk.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
	int ab[2], ba[2];
	struct timespec t0, t1;
	long i, rounds;
	cpu_set_t set;
	char c = 0;
	pid_t pid;

	if (argc != 3) {
		fprintf(stderr, "usage: %s CPU ROUNDS\n", argv[0]);
		return 2;
	}
	rounds = atol(argv[2]);
	CPU_ZERO(&set);
	CPU_SET(atoi(argv[1]), &set);
	if (sched_setaffinity(0, sizeof(set), &set) || pipe(ab) || pipe(ba)) {
		perror("setup");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		for (i = 0; i < rounds; i++)
			if (read(ab[0], &c, 1) != 1 || write(ba[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < rounds; i++)
		if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1) {
			perror("pingpong");
			return 1;
		}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	waitpid(pid, NULL, 0);
	printf("ns_per_round %.0f\n",
	       ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) /
		       rounds);
	return 0;
}
