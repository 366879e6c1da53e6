/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Whose threads attach registers: the VMM process and its vCPU threads.
 *
 * attach runs as root on behalf of a QEMU it does not trust: the thread
 * ids come from QMP (query-cpus-fast) or from thread names, both QEMU's
 * word.  So the VMM is pinned down first as a process, by a pidfd (the
 * QMP socket's peer, or the --pid given), every thread is checked to be
 * one of that process's (/proc/PID/task/TID) before anything is
 * registered, and the pidfd goes with each PVSCHED_IOC_VCPU_ADD, where
 * the module checks the same again without a race (uapi header, ABI 1.2).
 */
#ifndef PVSCHEDCTL_OWNER_H
#define PVSCHEDCTL_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "qmp.h"

struct vmm {
	pid_t pid;
	int pidfd; /* refers to the process pid had when it was opened */
	char comm[32]; /* its name, printable */
	const char *what; /* "the QMP peer" or "process", for messages */
};

/*
 * The VMM at the other end of the connected unix socket sock: SO_PEERCRED's
 * pid, and a pidfd from SO_PEERPIDFD (Linux 6.5) or else pidfd_open() of
 * that pid, kept only if the process it opened started before connect_ns
 * (CLOCK_BOOTTIME before the connect(): struct qmp's connect_ns) and is
 * still alive after the check, i.e. is the peer and not a process that got
 * its pid since.  0, or -errno with a message in err.
 */
int vmm_from_socket(struct vmm *v, int sock, uint64_t connect_ns, char *err,
		    size_t errlen);
/* Process pid (attach --pid), by pidfd_open(): 0 or -errno and err. */
int vmm_from_pid(struct vmm *v, pid_t pid, char *err, size_t errlen);
void vmm_close(struct vmm *v);
/* The process of the pidfd has not exited (or been reaped). */
bool vmm_alive(const struct vmm *v);

/*
 * Thread tid is one of the VMM's threads: 0; -EPERM with err naming the
 * thread, whose it is (process, name, user) or that it does not exist,
 * and the VMM; -ESRCH with err if the VMM has exited meanwhile.
 */
int vmm_check_thread(const struct vmm *v, pid_t tid, char *err, size_t errlen);
/* Every vCPU of vcpus[0..nr) checked: the first refusal, prefixed "vCPU N". */
int vmm_check_vcpus(const struct vmm *v, const struct qmp_vcpu *vcpus, int nr,
		    char *err, size_t errlen);

/*
 * QEMU's vCPU threads by their names: QEMU (-name ...,debug-threads=on,
 * as libvirt starts it) names vCPU N's thread "CPU N/KVM".  *vcpus (caller
 * frees) sorted by index, *nr > 0, as qmp_parse_vcpus() gives them; or
 * -ENOENT (none: no KVM vCPU thread, or QEMU without debug-threads=on),
 * -EPROTO (an index twice or beyond PVSCHED_MAX_VCPU_ID), -ESRCH (the
 * process exited), -ENOMEM, with err.
 */
int vmm_find_vcpus(const struct vmm *v, struct qmp_vcpu **vcpus, int *nr,
		   char *err, size_t errlen);
/*
 * QEMU's -name of the process, from its command line (-name NAME or
 * -name guest=NAME,...), as query-name would say it: "" if none.
 */
void vmm_qemu_name(const struct vmm *v, char *name, size_t len);

#endif
