// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-holder: opens /dev/kvm, creates one VM with no vCPU, prints "ready"
 * and waits for SIGTERM.
 *
 * tests/lab/l1-stage2.sh runs it in L1 before each test: the first VM of
 * a boot enables the preempt notifiers' static key, which patches
 * __schedule, and the emulator sometimes runs a stale int3 there on the
 * other CPU.  Done on a quiet L1, the patch stays while the test creates
 * and destroys its own VMs.  A C program because this runs at every L1
 * boot: python3 took about 1 s to start there (TCG, its files read over
 * 9p), this about 20 ms.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

int main(void)
{
	int kvm, vm;

	signal(SIGTERM, on_term);
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "kvm-holder: /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		fprintf(stderr, "kvm-holder: KVM_CREATE_VM: %s\n", strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
