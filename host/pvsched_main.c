// SPDX-License-Identifier: GPL-2.0
/*
 * pvsched.ko: paravirtual scheduling for KVM, host side.
 *
 * This file only wires the parts together: each *_init() is paired with
 * its *_exit(), called in order, unwound in reverse with goto on failure
 * and undone in reverse on unload.
 *
 *   engine       the worker that applies decisions   pvsched_engine.c
 *   tracepoints  KVM's events -> the engine          pvsched_tp.c
 *   chardev      /dev/pvsched, its sessions          pvsched_chardev.c
 *   debugfs      the admin views of all of them      pvsched_debugfs.c
 *
 * The probes attach once the engine they feed is ready and are detached
 * before it goes.  The chardev comes after both so that no session (no
 * vCPU for them to act on) exists before they are ready, and goes before
 * them so that every session is gone, its vCPUs stopped, when they are torn
 * down.  The views come last and go first: they read every other part.
 */

#include <linux/module.h>
#include <linux/init.h>

#include "pvsched.h"
#include "pvsched_engine.h"
#include "pvsched_tp.h"
#include "pvsched_chardev.h"
#include "pvsched_debugfs.h"

static int __init pvsched_init(void)
{
	int ret;

	ret = pvsched_engine_init();
	if (ret)
		return ret;

	ret = pvsched_tp_init();
	if (ret)
		goto undo_engine;

	ret = pvsched_chardev_init();
	if (ret)
		goto undo_tp;

	pvsched_debugfs_init();

	pr_info("pvsched: version %u.%u.%u, ABI %u.%u, tracepoints: %s\n",
		PVSCHED_VERSION_MAJOR, PVSCHED_VERSION_MINOR,
		PVSCHED_VERSION_PATCH, PVSCHED_ABI_MAJOR, PVSCHED_ABI_MINOR,
		pvsched_tp_family_name(pvsched_tp_family()));
	return 0;

undo_tp:
	pvsched_tp_exit();
undo_engine:
	pvsched_engine_exit();
	return ret;
}

static void __exit pvsched_exit(void)
{
	pvsched_debugfs_exit();
	pvsched_chardev_exit();
	pvsched_tp_exit();
	pvsched_engine_exit();
}

module_init(pvsched_init);
module_exit(pvsched_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Paravirtual scheduling for KVM: boost or throttle vCPU threads on guest hints");
MODULE_AUTHOR("pvsched team");
MODULE_VERSION(__stringify(PVSCHED_VERSION_MAJOR) "." __stringify(
	PVSCHED_VERSION_MINOR) "." __stringify(PVSCHED_VERSION_PATCH));
