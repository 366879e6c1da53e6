// SPDX-License-Identifier: GPL-2.0
/*
 * pvsched_dbgtest: proves that the lab catches what the debug kernel
 * reports.  Loaded only by the debug-selftest-* lab tests, on the debug
 * kernel; each mode triggers exactly one kind of report when the module
 * loads:
 *
 *   mode=lockdep  an AB-BA lock order (lockdep: "possible circular locking
 *                 dependency detected"); nothing actually deadlocks
 *   mode=sleep    might_sleep() with preemption disabled ("BUG: sleeping
 *                 function called from invalid context")
 *   mode=kasan    a one-byte read past a kmalloc(8) object ("BUG: KASAN:
 *                 slab-out-of-bounds"); with panic_on_warn the kernel panics
 *   mode=rtlock   a spinlock_t taken under a raw_spinlock_t with IRQs off,
 *                 the mistake PREEMPT_RT punishes: there spinlock_t is a
 *                 sleeping lock ("BUG: sleeping function called from
 *                 invalid context at kernel/locking/spinlock_rt.c"); a
 *                 kernel without PREEMPT_RT reports nothing
 *
 * Never built or loaded by the normal build.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/kernel.h>

static char *mode = "none";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "lockdep, sleep, kasan or rtlock");

/* Index of the out-of-bounds byte; a parameter so the compiler cannot see it. */
static int oob_index = 8;
module_param(oob_index, int, 0444);

static DEFINE_SPINLOCK(lock_a);
static DEFINE_SPINLOCK(lock_b);
static DEFINE_RAW_SPINLOCK(raw_lock);

static void dbgtest_lockdep(void)
{
	spin_lock(&lock_a);
	spin_lock(&lock_b);
	spin_unlock(&lock_b);
	spin_unlock(&lock_a);

	spin_lock(&lock_b);
	spin_lock(&lock_a);
	spin_unlock(&lock_a);
	spin_unlock(&lock_b);
}

static void dbgtest_sleep(void)
{
	preempt_disable();
	might_sleep();
	preempt_enable();
}

/*
 * Uncontended, so nothing blocks: the report comes from the might-sleep
 * check every RT spinlock_t acquisition makes.
 */
static void dbgtest_rtlock(void)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&raw_lock, flags);
	spin_lock(&lock_a);
	spin_unlock(&lock_a);
	raw_spin_unlock_irqrestore(&raw_lock, flags);
}

static int dbgtest_kasan(void)
{
	char *p = kmalloc(8, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	pr_info("pvsched_dbgtest: read %d\n", READ_ONCE(p[oob_index]));
	kfree(p);
	return 0;
}

static int __init dbgtest_init(void)
{
	pr_info("pvsched_dbgtest: mode=%s\n", mode);
	if (!strcmp(mode, "lockdep"))
		dbgtest_lockdep();
	else if (!strcmp(mode, "sleep"))
		dbgtest_sleep();
	else if (!strcmp(mode, "kasan"))
		return dbgtest_kasan();
	else if (!strcmp(mode, "rtlock"))
		dbgtest_rtlock();
	else if (strcmp(mode, "none"))
		return -EINVAL;
	return 0;
}

static void __exit dbgtest_exit(void)
{
}

module_init(dbgtest_init);
module_exit(dbgtest_exit);
MODULE_DESCRIPTION("pvsched lab self-test: trigger one debug-kernel report");
MODULE_LICENSE("GPL");
