// SPDX-License-Identifier: GPL-2.0
/*
 * tools/pvschedctl/tests/owner-test: whose threads attach registers
 * (owner.c), against real processes and threads of this machine.
 *
 * The VMM is this process, a child, or the peer of a unix socket served
 * by a child; threads are ours, a child's, a grandchild's, or none.  The
 * /proc check must accept exactly the VMM's threads and name, for any
 * other, the thread, whose it is and the VMM; vCPU threads are found by
 * their names "CPU N/KVM" (ours, renamed); QEMU's -name is read from a
 * command line (ours, re-executed with one).  Built with ASan/UBSan.
 *
 * Prints PASS/FAIL lines; exit 1 if anything failed.
 *   owner-test [--sleep ARGS...]   (--sleep: the re-executed child)
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../owner.h"

#define RESULT_PREFIX "owner-"
#include "result.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

/* --- threads and processes ------------------------------------------------ */

struct thread {
	pthread_t th;
	pid_t tid;
	char name[16];
	int ready;
};

static void *thread_fn(void *arg)
{
	struct thread *t = arg;

	t->tid = gettid();
	if (t->name[0])
		pthread_setname_np(pthread_self(), t->name);
	__atomic_store_n(&t->ready, 1, __ATOMIC_RELEASE);
	for (;;)
		pause();
	return NULL;
}

/* A thread of this process, named name ("" keeps ours). */
static void thread_start(struct thread *t, const char *name)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	if (pthread_create(&t->th, NULL, thread_fn, t)) {
		printf("FAIL owner-setup (pthread_create)\n");
		exit(1);
	}
	while (!__atomic_load_n(&t->ready, __ATOMIC_ACQUIRE))
		usleep(100);
}

static void thread_stop(struct thread *t)
{
	pthread_cancel(t->th);
	pthread_join(t->th, NULL);
}

/*
 * A child process with a second thread named name; *tid is that thread.
 * With a path, the child listens there (a QMP server of its own) and
 * accepts one connection, which it keeps.
 */
static pid_t child_start(const char *name, pid_t *tid, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct thread t;
	int pfd[2], lfd = -1;
	pid_t pid;

	if (pipe(pfd))
		exit(2);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		thread_start(&t, name);
		if (path) {
			snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
				 path);
			lfd = socket(AF_UNIX, SOCK_STREAM, 0);
			if (lfd < 0 ||
			    bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) ||
			    listen(lfd, 4))
				_exit(2);
		}
		if (write(pfd[1], &t.tid, sizeof(t.tid)) != sizeof(t.tid))
			_exit(2);
		if (lfd >= 0 && accept(lfd, NULL, NULL) < 0)
			_exit(2);
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (pid < 0 || read(pfd[0], tid, sizeof(*tid)) != sizeof(*tid)) {
		printf("FAIL owner-setup (child)\n");
		exit(1);
	}
	close(pfd[0]);
	return pid;
}

static void child_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* --- the /proc check -------------------------------------------------------- */

static void t_check_thread(void)
{
	struct thread a;
	struct vmm self, kid;
	char err[512] = "", want[128];
	pid_t child, ctid;
	int r;

	thread_start(&a, "");
	child = child_start("vcpu-of-other", &ctid, NULL);
	if (vmm_from_pid(&self, getpid(), err, sizeof(err)) ||
	    vmm_from_pid(&kid, child, err, sizeof(err))) {
		result("check-setup", false, "%s", err);
		exit(1);
	}

	r = vmm_check_thread(&self, a.tid, err, sizeof(err));
	result("own-thread", r == 0, "%d: %s", r, err);
	r = vmm_check_thread(&self, getpid(), err, sizeof(err));
	result("own-main-thread", r == 0, "%d: %s", r, err);

	/* another process's thread: named, with whose it is */
	r = vmm_check_thread(&self, ctid, err, sizeof(err));
	snprintf(want, sizeof(want),
		 "thread %d is not a thread of process (pid %d, ", ctid,
		 getpid());
	result("foreign-thread-refused",
	       r == -EPERM && strstr(err, want) &&
		       strstr(err, "(vcpu-of-other) belongs to process") &&
		       strstr(err, "refusing to register any vCPU"),
	       "%d: %s", r, err);
	snprintf(want, sizeof(want), "belongs to process %d (", child);
	result("foreign-thread-owner-named", strstr(err, want) != NULL,
	       "\"%s\" lacks \"%s\"", err, want);
	snprintf(want, sizeof(want), "of user %d", (int)getuid());
	result("foreign-thread-user-named", strstr(err, want) != NULL,
	       "\"%s\" lacks \"%s\"", err, want);

	/* and the other way round: ours is not the child's */
	r = vmm_check_thread(&kid, a.tid, err, sizeof(err));
	result("own-thread-not-childs", r == -EPERM, "%d: %s", r, err);
	r = vmm_check_thread(&kid, ctid, err, sizeof(err));
	result("childs-thread", r == 0, "%d: %s", r, err);

	/* no such thread (beyond pid_max) */
	r = vmm_check_thread(&self, 0x3fffffff, err, sizeof(err));
	result("no-such-thread",
	       r == -EPERM && strstr(err, "there is no thread 1073741823"),
	       "%d: %s", r, err);

	/* the VMM exits: its pidfd says so, whatever /proc/PID now is */
	child_stop(child);
	r = vmm_check_thread(&kid, ctid, err, sizeof(err));
	result("vmm-exited", r == -ESRCH && strstr(err, "has exited"), "%d: %s",
	       r, err);
	vmm_close(&kid);
	r = vmm_from_pid(&kid, child, err, sizeof(err));
	result("from-pid-gone", r == -ESRCH && strstr(err, "no such process"),
	       "%d: %s", r, err);

	vmm_close(&self);
	thread_stop(&a);
}

/* vmm_check_vcpus names the vCPU of the first refusal. */
static void t_check_vcpus(void)
{
	struct qmp_vcpu v[3];
	struct thread a;
	struct vmm self;
	char err[512] = "", want[128];
	pid_t child, ctid;
	int r;

	thread_start(&a, "");
	child = child_start("x", &ctid, NULL);
	vmm_from_pid(&self, getpid(), err, sizeof(err));
	v[0] = (struct qmp_vcpu){ .index = 0, .tid = getpid() };
	v[1] = (struct qmp_vcpu){ .index = 1, .tid = a.tid };
	r = vmm_check_vcpus(&self, v, 2, err, sizeof(err));
	result("vcpus-own", r == 0, "%d: %s", r, err);
	v[2] = (struct qmp_vcpu){ .index = 7, .tid = ctid };
	r = vmm_check_vcpus(&self, v, 3, err, sizeof(err));
	snprintf(want, sizeof(want), "vCPU 7: thread %d is not", ctid);
	result("vcpus-foreign", r == -EPERM && strstr(err, want), "%d: %s", r,
	       err);
	child_stop(child);
	vmm_close(&self);
	thread_stop(&a);
}

/* --- the QMP socket's peer ---------------------------------------------------- */

static uint64_t boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static void t_peer(void)
{
	char dir[] = "/tmp/owner-test.XXXXXX", path[64], err[512] = "";
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct thread a;
	struct vmm peer;
	uint64_t t0;
	pid_t child, ctid;
	int fd, r, pfd = -1;
	socklen_t len = sizeof(pfd);
	bool kernel_pidfd;

	if (!mkdtemp(dir))
		exit(2);
	snprintf(path, sizeof(path), "%s/qmp.sock", dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	thread_start(&a, "");
	child = child_start("qemu-vcpu", &ctid, path);
	/* start times are in clock ticks: connect a few ticks later */
	usleep(50000);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	t0 = boot_ns();
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)))
		exit(2);
	r = vmm_from_socket(&peer, fd, t0, err, sizeof(err));
	result("peer-is-server", r == 0 && peer.pid == child,
	       "%d, pid %d, expected %d: %s", r, (int)peer.pid, (int)child,
	       err);
	if (!r) {
		r = vmm_check_thread(&peer, ctid, err, sizeof(err));
		result("peer-thread", r == 0, "%d: %s", r, err);
		r = vmm_check_thread(&peer, a.tid, err, sizeof(err));
		result("peer-not-our-thread",
		       r == -EPERM && strstr(err, "the QMP peer (pid"),
		       "%d: %s", r, err);
		vmm_close(&peer);
	}
	/*
	 * Without SO_PEERPIDFD (before 6.5), a peer whose process started
	 * after the connection is another process that got its pid:
	 * refused.  With it, the kernel's pidfd needs no such check.
	 */
	kernel_pidfd = getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pfd, &len) ==
		       0;
	if (pfd >= 0)
		close(pfd);
	r = vmm_from_socket(&peer, fd, 0, err, sizeof(err));
	if (kernel_pidfd)
		result("peer-started-after-connect", r == 0,
		       "SO_PEERPIDFD: %d: %s", r, err);
	else
		result("peer-started-after-connect",
		       r == -ESRCH &&
			       strstr(err, "started after the connection"),
		       "pidfd_open: %d: %s", r, err);
	if (!r)
		vmm_close(&peer);
	close(fd);
	child_stop(child);
	thread_stop(&a);
	unlink(path);
	rmdir(dir);
}

/* --- vCPU threads by name ------------------------------------------------------ */

static void t_find(void)
{
	struct thread t[6];
	struct qmp_vcpu *v = NULL;
	struct vmm self, kid;
	char err[512] = "";
	pid_t child, ctid;
	int n = 0, r;

	vmm_from_pid(&self, getpid(), err, sizeof(err));
	thread_start(&t[0], "CPU 1/KVM");
	thread_start(&t[1], "CPU 0/KVM");
	/* not vCPU threads of KVM */
	thread_start(&t[2], "CPU 01/KVM");
	thread_start(&t[3], "CPU 2/TCG");
	thread_start(&t[4], "CPU 3/KVMX");
	r = vmm_find_vcpus(&self, &v, &n, err, sizeof(err));
	result("find-by-name",
	       r == 0 && n == 2 && v[0].index == 0 &&
		       v[0].tid == (uint32_t)t[1].tid && v[1].index == 1 &&
		       v[1].tid == (uint32_t)t[0].tid,
	       "%d, %d found: %s", r, n, err);
	free(v);

	thread_start(&t[5], "CPU 1/KVM");
	r = vmm_find_vcpus(&self, &v, &n, err, sizeof(err));
	result("find-index-twice",
	       r == -EPROTO && !v && strstr(err, "both named \"CPU 1/KVM\""),
	       "%d: %s", r, err);
	thread_stop(&t[5]);

	pthread_setname_np(t[4].th, "CPU 4096/KVM");
	r = vmm_find_vcpus(&self, &v, &n, err, sizeof(err));
	result("find-index-too-big",
	       r == -EPROTO && strstr(err, "vCPU index beyond 4095"), "%d: %s",
	       r, err);

	child = child_start("no-vcpu", &ctid, NULL);
	vmm_from_pid(&kid, child, err, sizeof(err));
	r = vmm_find_vcpus(&kid, &v, &n, err, sizeof(err));
	result("find-none",
	       r == -ENOENT && strstr(err, "no thread named \"CPU N/KVM\"") &&
		       strstr(err, "debug-threads=on"),
	       "%d: %s", r, err);
	child_stop(child);
	r = vmm_find_vcpus(&kid, &v, &n, err, sizeof(err));
	result("find-exited", r < 0 && !v, "%d: %s", r, err);
	vmm_close(&kid);
	for (n = 0; n < 5; n++)
		thread_stop(&t[n]);
	vmm_close(&self);
}

/* --- QEMU's -name ------------------------------------------------------------------ */

/* The name vmm_qemu_name() reads from a process run with these args. */
static void t_name(const char *test, const char *arg1, const char *arg2,
		   const char *want)
{
	char err[256], name[64];
	struct vmm kid;
	pid_t pid;
	int i;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", "owner-test", "--sleep", arg1, arg2,
		      (char *)NULL);
		_exit(2);
	}
	/* until the exec is done: --sleep in its command line */
	for (i = 0; i < 500; i++) {
		char path[64], cmd[64] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
		f = fopen(path, "r");
		if (f) {
			cmd[fread(cmd, 1, sizeof(cmd) - 1, f)] = '\0';
			fclose(f);
		}
		if (!strcmp(cmd + strlen(cmd) + 1, "--sleep"))
			break;
		usleep(10000);
	}
	vmm_from_pid(&kid, pid, err, sizeof(err));
	vmm_qemu_name(&kid, name, sizeof(name));
	result(test, !strcmp(name, want), "\"%s\", expected \"%s\"", name,
	       want);
	vmm_close(&kid);
	child_stop(pid);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--sleep")) {
		sleep(60);
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	t_check_thread();
	t_check_vcpus();
	t_peer();
	t_find();
	t_name("name-plain", "-name", "web1", "web1");
	t_name("name-guest-key", "-name", "guest=web2,debug-threads=on",
	       "web2");
	t_name("name-implied-key", "-name", "web3,debug-threads=on", "web3");
	t_name("name-comma", "-name", "a,,b,debug-threads=on", "a,b");
	t_name("name-none", "-nodefaults", "-S", "");
	return failures ? 1 : 0;
}
