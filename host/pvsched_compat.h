/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvsched.ko: the kernel APIs that changed between the kernels it builds
 * for (Debian's 6.1.y, 6.12.y and 7.3.y, plain and PREEMPT_RT), one
 * wrapper each, named after what it does, with the version and the change
 * it covers.  Everything else in host/ uses the API of all of them.
 *
 * What the probes may do in each context (hard IRQ, IRQs off, PREEMPT_RT)
 * does not change with these wrappers: see pvsched_engine.c, "Where
 * priorities change", and pvsched_tp.c for the per-version probe choices.
 */
#ifndef _PVSCHED_COMPAT_H
#define _PVSCHED_COMPAT_H

#include <linux/version.h>
#include <linux/fs.h>
#include <linux/dcache.h>
#include <linux/magic.h>
#include <linux/pid.h>
#include <linux/string.h>
#include <linux/mm.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/sched.h>

/*
 * 6.5 (mm/gup: remove vmas parameter from pin_user_pages()): the last
 * argument is gone.  One page, long-term, for writing.
 */
static inline long pvsched_pin_user_page(unsigned long addr,
					 unsigned int gup_flags,
					 struct page **page)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
	return pin_user_pages(addr, 1, gup_flags, page, NULL);
#else
	return pin_user_pages(addr, 1, gup_flags, page);
#endif
}

/*
 * 6.12 (finally take no_llseek out): a file opened with
 * nonseekable_open() refuses llseek by itself; no_llseek is gone.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
#define PVSCHED_FOPS_NO_LLSEEK .llseek = no_llseek,
#else
#define PVSCHED_FOPS_NO_LLSEEK
#endif

/*
 * 6.13 (hrtimers: Introduce hrtimer_setup() to replace hrtimer_init()):
 * the callback is set at initialisation; hrtimer_init() is removed later.
 */
static inline void pvsched_hrtimer_setup(struct hrtimer *timer,
					 enum hrtimer_restart (*fn)(struct hrtimer *),
					 clockid_t clock, enum hrtimer_mode mode)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
	hrtimer_init(timer, clock, mode);
	timer->function = fn;
#else
	hrtimer_setup(timer, fn, clock, mode);
#endif
}

/*
 * 6.14 (kthread: the worker's affinity is set before its first wake-up):
 * kthread_create_worker() leaves the worker asleep and kthread_run_worker()
 * creates and wakes it.  Before, kthread_create_worker() woke it: a
 * worker created the new way would never run a queued work item.
 * kthread_run_worker is a macro, so its presence is the test.
 */
#ifdef kthread_run_worker
#define pvsched_kthread_run_worker(flags, ...) \
	kthread_run_worker(flags, __VA_ARGS__)
#else
#define pvsched_kthread_run_worker(flags, ...) \
	kthread_create_worker(flags, __VA_ARGS__)
#endif

/*
 * 6.12 (sched/eevdf: custom slices): a fair thread may carry a slice set
 * with sched_setattr(sched_runtime), and a sched_setattr() with
 * sched_runtime 0 resets it.  The slice to hand back with every fair
 * attribute pvsched sets, so a VMM's choice survives boosts and restores.
 */
static inline u64 pvsched_fair_slice(struct task_struct *p)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	return p->se.custom_slice ? p->se.slice : 0;
#else
	return 0;
#endif
}

/*
 * 6.9 (pidfd: add pidfs): a pidfd is a regular file of the pidfs
 * filesystem whose inode's i_private is the struct pid.  Before, it is an
 * anonymous inode file named "[pidfd]" whose private_data is (fork.c,
 * anon_inode_getfile()).  pidfd_pid() and pidfd_get_pid() are not exported
 * by any of these kernels, so the file is recognised by what only a pidfd
 * has: both its filesystem and its name or inode type are set by the
 * kernel, never by userspace.  The struct pid without a reference of its
 * own (the file holds one while the caller holds the file), or NULL if
 * @file is not a pidfd.
 */
static inline struct pid *pvsched_pidfd_pid(struct file *file)
{
	struct inode *inode = file_inode(file);

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 9, 0)
	if (inode->i_sb->s_magic == ANON_INODE_FS_MAGIC &&
	    !strcmp(file->f_path.dentry->d_name.name, "[pidfd]"))
		return file->private_data;
#else
	if (inode->i_sb->s_magic == PID_FS_MAGIC && S_ISREG(inode->i_mode))
		return inode->i_private;
#endif
	return NULL;
}

#endif /* _PVSCHED_COMPAT_H */
