// SPDX-License-Identifier: GPL-2.0
/*
 * pvsched.ko: paravirtual scheduling for KVM, host side.
 *
 * This file only wires the parts together: each *_init() is paired with
 * its *_exit(), called in order, unwound in reverse with goto on failure
 * and undone in reverse on unload.
 *
 *   debugfs dir  /sys/kernel/debug/pvsched  (may be absent: debugfs off)
 *   engine       (worker)                   pvsched_engine.c
 *   tracepoints  (KVM's events -> engine)   pvsched_tp.c
 *   chardev      (/dev/pvsched, debugfs)    pvsched_chardev.c
 *
 * The probes attach once the engine they feed is ready, and are detached
 * before it goes.  The chardev comes last so that no session can exist
 * before the engine and probes are ready, and goes first so that every
 * session is gone (its vCPUs stopped) before they are torn down.
 */

#include <linux/module.h>
#include <linux/init.h>
#include <linux/debugfs.h>

#include "pvsched.h"
#include "pvsched_tp.h"

static struct dentry *pvsched_debugfs_dir;

static int __init pvsched_init(void)
{
	int ret;

	/* An error pointer (debugfs disabled) is accepted by every user. */
	pvsched_debugfs_dir = debugfs_create_dir("pvsched", NULL);

	ret = pvsched_engine_init(pvsched_debugfs_dir);
	if (ret)
		goto undo_debugfs;

	ret = pvsched_tp_init(pvsched_debugfs_dir);
	if (ret)
		goto undo_engine;

	ret = pvsched_chardev_init(pvsched_debugfs_dir);
	if (ret)
		goto undo_tp;

	pr_info("pvsched: version %u.%u.%u, ABI %u.%u, tracepoints: %s\n",
		PVSCHED_VERSION_MAJOR, PVSCHED_VERSION_MINOR,
		PVSCHED_VERSION_PATCH, PVSCHED_ABI_MAJOR, PVSCHED_ABI_MINOR,
		pvsched_tp_family_name(pvsched_tp_family()));
	return 0;

undo_tp:
	pvsched_tp_exit();
undo_engine:
	pvsched_engine_exit();
undo_debugfs:
	debugfs_remove_recursive(pvsched_debugfs_dir);
	return ret;
}

static void __exit pvsched_exit(void)
{
	pvsched_chardev_exit();
	pvsched_tp_exit();
	pvsched_engine_exit();
	debugfs_remove_recursive(pvsched_debugfs_dir);
}

module_init(pvsched_init);
module_exit(pvsched_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Paravirtual scheduling for KVM: boost or throttle vCPU threads on guest hints");
MODULE_AUTHOR("pvsched team");
MODULE_VERSION(__stringify(PVSCHED_VERSION_MAJOR) "." __stringify(
	PVSCHED_VERSION_MINOR) "." __stringify(PVSCHED_VERSION_PATCH));
