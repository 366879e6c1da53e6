// SPDX-License-Identifier: GPL-2.0
/*
 * pvsched-vmm-sim: a stand-in VMM for the lab tests (no KVM needed).
 *
 *   pvsched-vmm-sim vmm [-s SHMFILE] NTHREADS [TID...]
 *       Opens /dev/pvsched, maps the slots (an anonymous shared mapping, or
 *       SHMFILE, e.g. in /dev/shm, like QEMU's memory-backend-file), starts
 *       NTHREADS threads and registers them as vCPUs 0..N-1, then the
 *       extra TIDs (threads of other processes, each named by a pidfd of
 *       its process as a deputy VMM does) as the next vCPUs.  Prints
 *       "ready vm=<vm_id> pid=<pid> vcpus=<n>" and waits to be killed.
 *   pvsched-vmm-sim attr TID
 *       Prints "<policy> <rt_prio> <nice>" of thread TID (sched_getattr).
 *   pvsched-vmm-sim kill9 CYCLES BYSTANDER_TID
 *       CYCLES times: fork a VMM (as "vmm" above) with 1-4 threads of its
 *       own, every other time on a /dev/shm file, every third time also
 *       registering BYSTANDER_TID (a thread of another process); check its
 *       session and pins in debugfs; SIGKILL it; check that its session is
 *       gone, pinned_pages is 0 and the bystander is alive with the
 *       scheduling attributes it had at the start.  Exit 0 if every check
 *       held, 1 at the first failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <poll.h>
#include <signal.h>

#include <linux/pvsched.h>

#include "../include/pvsched-test.h"

static volatile pid_t tids[1024];

static void *vcpu_thread(void *arg)
{
	tids[(uintptr_t)arg] = gettid();
	for (;;)
		pause();
	return NULL;
}

static int die(const char *what)
{
	fprintf(stderr, "pvsched-vmm-sim: %s: %s\n", what, strerror(errno));
	return 1;
}

static int vmm(int argc, char **argv)
{
	const char *shm = NULL;
	struct pvsched_info info;
	int fd, i, n, nextra, total;
	size_t size;
	pthread_t th;
	char *region;

	if (argc > 1 && !strcmp(argv[0], "-s")) {
		shm = argv[1];
		argc -= 2;
		argv += 2;
	}
	if (argc < 1)
		return 2;
	n = atoi(argv[0]);
	nextra = argc - 1;
	total = n + nextra;
	if (n < 0 || total > 1024)
		return 2;
	size = (PVSCHED_REGION_SIZE(total) + 4095) & ~4095ul;

	fd = open("/dev/pvsched", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return die("/dev/pvsched");
	if (shm) {
		int sfd = open(shm, O_RDWR | O_CREAT, 0600);

		if (sfd < 0 || ftruncate(sfd, size))
			return die(shm);
		region = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			      sfd, 0);
		close(sfd);
	} else {
		region = mmap(NULL, size, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	}
	if (region == MAP_FAILED)
		return die("mmap");

	for (i = 0; i < n; i++) {
		if (pthread_create(&th, NULL, vcpu_thread, (void *)(uintptr_t)i))
			return die("pthread_create");
		while (!tids[i])
			usleep(100);
	}
	for (i = 0; i < nextra; i++)
		tids[n + i] = atoi(argv[1 + i]);
	for (i = 0; i < total; i++) {
		char *slot = region + PVSCHED_REGION_HDR_SIZE +
			     i * PVSCHED_SLOT_SIZE;
		int ret;

		if (i < n) {
			ret = vcpu_add(fd, i, tids[i], slot);
		} else {
			/* another process's thread: its pidfd says whose */
			int pidfd = pidfd_of(tgid_of(tids[i]));

			ret = pidfd < 0 ? pidfd :
					  vcpu_add_pidfd(fd, i, tids[i], slot,
							 pidfd);
			if (pidfd >= 0)
				close(pidfd);
		}
		if (ret) {
			fprintf(stderr, "vcpu %d tid %d: ", i, tids[i]);
			return die("VCPU_ADD");
		}
	}
	if (ioctl(fd, PVSCHED_IOC_GET_INFO, &info))
		return die("GET_INFO");
	printf("ready vm=%u pid=%d vcpus=%d\n", info.vm_id, getpid(), total);
	fflush(stdout);
	for (;;)
		pause();
}

static long pinned(void)
{
	char buf[32];

	if (read_file("/sys/kernel/debug/pvsched/pinned_pages", buf, sizeof(buf)))
		return -1;
	return atol(buf);
}

static char vms[1 << 16];

static const char *read_vms(void)
{
	if (read_file("/sys/kernel/debug/pvsched/vms", vms, sizeof(vms)))
		vms[0] = 0;
	return vms;
}

#define FAIL(...)                                                  \
	do {                                                       \
		fprintf(stderr, "kill9: cycle %d: ", c);           \
		fprintf(stderr, __VA_ARGS__);                      \
		fprintf(stderr, "\n");                             \
		if (child > 0)                                     \
			kill(child, SIGKILL);                      \
		return 1;                                          \
	} while (0)

static int kill9(int cycles, pid_t bys)
{
	struct sched_attr base, now;
	char line[128], key[64], *argv[8], nbuf[16], bbuf[16];
	pid_t child = 0;
	int c = 0;

	if (sched_getattr_tid(bys, &base))
		FAIL("bystander %d: %s", bys, strerror(errno));
	for (c = 1; c <= cycles; c++) {
		int n = 1 + c % 4, total = n, argc = 0, pfd[2], status;
		struct pollfd pol;
		ssize_t len;
		long p;

		if (c % 2 == 0) {
			argv[argc++] = "-s";
			argv[argc++] = "/dev/shm/pvsched-kill9";
		}
		snprintf(nbuf, sizeof(nbuf), "%d", n);
		argv[argc++] = nbuf;
		if (c % 3 == 0) {
			snprintf(bbuf, sizeof(bbuf), "%d", bys);
			argv[argc++] = bbuf;
			total++;
		}
		argv[argc] = NULL;

		if (pipe(pfd))
			FAIL("pipe: %s", strerror(errno));
		fflush(stdout);
		child = fork();
		if (child < 0)
			FAIL("fork: %s", strerror(errno));
		if (child == 0) {
			dup2(pfd[1], 1);
			close(pfd[0]);
			close(pfd[1]);
			_exit(vmm(argc, argv));
		}
		close(pfd[1]);
		pol = (struct pollfd){ .fd = pfd[0], .events = POLLIN };
		if (poll(&pol, 1, 60000) != 1)
			FAIL("VMM %d not ready after 60 s", child);
		len = read(pfd[0], line, sizeof(line) - 1);
		close(pfd[0]);
		line[len > 0 ? len : 0] = 0;
		if (strncmp(line, "ready ", 6))
			FAIL("VMM %d failed: '%s'", child, line);

		snprintf(key, sizeof(key), " pid=%d vcpus=%d ", child, total);
		if (!strstr(read_vms(), key))
			FAIL("'%s' not in debugfs vms", key);
		snprintf(key, sizeof(key), " tid=%d ", bys);
		if ((c % 3 == 0) != !!strstr(vms, key))
			FAIL("bystander %sregistered", c % 3 ? "" : "not ");
		p = pinned();
		if (p != total)
			FAIL("pinned_pages %ld while registered, expected %d", p,
			     total);

		kill(child, SIGKILL);
		if (waitpid(child, &status, 0) != child || !WIFSIGNALED(status))
			FAIL("VMM %d: not killed", child);
		snprintf(key, sizeof(key), " pid=%d ", child);
		if (strstr(read_vms(), key))
			FAIL("session of killed VMM %d still listed", child);
		child = 0;
		p = pinned();
		if (p != 0)
			FAIL("pinned_pages %ld after kill -9", p);
		if (kill(bys, 0))
			FAIL("bystander %d died", bys);
		if (sched_getattr_tid(bys, &now) ||
		    now.sched_policy != base.sched_policy ||
		    now.sched_priority != base.sched_priority ||
		    now.sched_nice != base.sched_nice)
			FAIL("bystander attributes %u/%u/%d, expected %u/%u/%d",
			     now.sched_policy, now.sched_priority, now.sched_nice,
			     base.sched_policy, base.sched_priority,
			     base.sched_nice);
		unlink("/dev/shm/pvsched-kill9");
		if (c % 10 == 0)
			printf("kill9: %d cycles ok\n", c);
	}
	printf("kill9: %d cycles, pinned_pages %ld, bystander unaffected\n",
	       cycles, pinned());
	return 0;
}

static int attr(const char *tid)
{
	struct sched_attr a;

	if (sched_getattr_tid(atoi(tid), &a))
		return die("sched_getattr");
	printf("%u %u %d\n", a.sched_policy, a.sched_priority, a.sched_nice);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "vmm"))
		return vmm(argc - 2, argv + 2);
	if (argc == 3 && !strcmp(argv[1], "attr"))
		return attr(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "kill9"))
		return kill9(atoi(argv[2]), atoi(argv[3]));
	fprintf(stderr,
		"usage: pvsched-vmm-sim vmm [-s SHMFILE] NTHREADS [TID...]\n"
		"       pvsched-vmm-sim attr TID\n"
		"       pvsched-vmm-sim kill9 CYCLES BYSTANDER_TID\n");
	return 2;
}
