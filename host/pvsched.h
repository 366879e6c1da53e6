/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvsched.ko as a whole: its version (GET_INFO, debugfs "info", modinfo).
 *
 * Each part of the module has its own header, included by the files that
 * use it:
 *   pvsched_main.c           the wiring: init/exit of the parts, in order
 *   pvsched_chardev.[ch]     /dev/pvsched: misc device, ioctl table, copy-in/out
 *   pvsched_vm.[ch]          sessions and vCPUs: add/remove, slot pinning,
 *                            thread and permission checks, the vCPU count
 *   pvsched_caps.[ch]        admin caps (module parameters), SET_PARAMS checks
 *   pvsched_debugfs.[ch]     every debugfs view
 *   pvsched_engine.[ch]      the policy's decisions carried out: apply, timers
 *   pvsched_tp.[ch]          KVM's tracepoints and kprobes, fed to the engine
 *   pvsched_policy.[ch]      the pure policy core (also built in tests/unit)
 *   pvsched_trace.h          pvsched's own trace events
 *   pvsched_compat.h         the kernel APIs that changed, one wrapper each
 */
#ifndef _PVSCHED_H
#define _PVSCHED_H

#define PVSCHED_VERSION_MAJOR 0
#define PVSCHED_VERSION_MINOR 3
#define PVSCHED_VERSION_PATCH 0

#endif /* _PVSCHED_H */
