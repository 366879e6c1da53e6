// SPDX-License-Identifier: GPL-2.0
/*
 * pvsched sessions: the VM of each open /dev/pvsched file and the vCPU
 * threads registered in it (pvsched_vm.h).
 *
 *   - sessions: created at open, destroyed with the file, listed for the
 *     admin views in the order they were opened, ids from an IDA;
 *   - vCPU add/remove: the thread and permission checks of VCPU_ADD (whose
 *     thread it is: the VMM's named by a pidfd, or the caller's own; the
 *     rules of sched_setattr(2)), the caps' limits (max_vcpus_per_vm,
 *     max_vms), the slot's page (shmem or hugetlbfs only) pinned for the
 *     vCPU's lifetime and counted as the caller's locked memory, the engine
 *     started and stopped (pvsched_vcpu_start/stop, pvsched_engine.c);
 *   - the one count of registered vCPUs (pvsched_nr_vcpus), which is also
 *     the count of pinned pages;
 *   - the walk that reads every session and vCPU into the records of
 *     PVSCHED_IOC_DUMP, for the dump (pvsched_chardev.c) and debugfs "vms"
 *     (pvsched_debugfs.c).
 *
 * The ioctls' own argument rules (sizes, flags, padding) are checked by
 * pvsched_chardev.c before it calls in here.
 */

#define pr_fmt(fmt) "pvsched: " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/file.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/highmem.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/sched/signal.h>
#include <linux/pid.h>
#include <linux/cred.h>
#include <linux/capability.h>
#include <linux/idr.h>
#include <linux/shmem_fs.h>
#include <linux/hugetlb.h>

#include "pvsched_vm.h"
#include "pvsched_caps.h"
#include "pvsched_compat.h"

/*
 * pvsched_vms_lock protects pvsched_vms, the sessions in the order they
 * were opened.  Nesting: pvsched_vms_lock -> vm->lock -> mmap_lock and the
 * engine's locks.
 */
static DEFINE_MUTEX(pvsched_vms_lock);
static LIST_HEAD(pvsched_vms);
static DEFINE_IDA(pvsched_vm_ida);

static atomic_t pvsched_nr_sessions = ATOMIC_INIT(0);
/* Sessions with at least one vCPU: what max_vms limits. */
static atomic_t pvsched_nr_active_vms = ATOMIC_INIT(0);
atomic_t pvsched_nr_vcpus = ATOMIC_INIT(0);

u32 pvsched_nr_vms(void)
{
	return atomic_read(&pvsched_nr_sessions);
}

/* --- the slot --------------------------------------------------------------- */

/*
 * Memory a slot may live in: shmem (a tmpfs file, a memfd, a MAP_SHARED |
 * MAP_ANONYMOUS mapping) or hugetlbfs, whose pages no filesystem writes
 * back.  A regular file's page-cache page pinned long-term for writing
 * (6.1 allows it; 6.5 and later refuse it for a filesystem that tracks
 * dirty pages, not for every other) is written behind its filesystem's
 * back, which may write it back, truncate it or reclaim its blocks
 * meanwhile.  vma_is_shmem() is not exported; shmem_file() is inline on
 * every kernel here.
 */
static bool slot_memory_ok(struct vm_area_struct *vma)
{
	return is_vm_hugetlb_page(vma) || shmem_file(vma->vm_file);
}

/*
 * One pinned page back out of @mm's locked memory.  Not
 * account_locked_vm(), which asks capable(CAP_IPC_LOCK) of whoever ends
 * the vCPU, for nothing: taking back never checks a limit.
 */
static void unaccount_slot(struct mm_struct *mm)
{
	mmap_write_lock(mm);
	__account_locked_vm(mm, 1, false, current, true);
	mmap_write_unlock(mm);
}

/*
 * Pins the page holding the slot at @addr (checked to be 64-byte aligned,
 * so the slot is inside one page) for long-term writing.  The address must
 * lie in one VM_SHARED|VM_WRITE mapping of the caller, in memory
 * slot_memory_ok() accepts.  The pin counts as one page of the caller's
 * locked memory (RLIMIT_MEMLOCK, unless it has CAP_IPC_LOCK: -ENOMEM
 * beyond, as mlock(2)), charged to its mm, which *mmp gets with a
 * reference (mmgrab) so that unpin_slot() returns the page to that mm
 * whichever process ends the vCPU, and after that process has exited.  A
 * hugetlbfs page counts as one page too: it is never reclaimed anyway.
 * Counts the vCPU in pvsched_nr_vcpus: one pin per vCPU.
 */
static int pin_slot(u64 addr, struct page **page, struct mm_struct **mmp)
{
	struct mm_struct *mm = current->mm;
	unsigned long uaddr = addr;
	struct vm_area_struct *vma;
	long n;
	int ret;

	/* What keeps every host write inside the pinned page. */
	BUILD_BUG_ON(sizeof(struct pvsched_vcpu_slot) != PVSCHED_SLOT_SIZE ||
		     PVSCHED_SLOT_SIZE > PAGE_SIZE ||
		     PAGE_SIZE % PVSCHED_SLOT_SIZE);
	if (offset_in_page(uaddr) + sizeof(struct pvsched_vcpu_slot) >
	    PAGE_SIZE)
		return -EINVAL;
	if (uaddr != addr || !mm ||
	    !access_ok((void __user *)uaddr, sizeof(struct pvsched_vcpu_slot)))
		return -EFAULT;

	/* account_locked_vm() takes mmap_lock for writing: first, apart */
	ret = account_locked_vm(mm, 1, true);
	if (ret)
		return ret;
	if (mmap_read_lock_killable(mm)) {
		unaccount_slot(mm);
		return -EINTR;
	}
	vma = vma_lookup(mm, uaddr);
	if (!vma || (vma->vm_flags & (VM_SHARED | VM_WRITE)) !=
			    (VM_SHARED | VM_WRITE) ||
	    (vma->vm_flags & (VM_IO | VM_PFNMAP)) || !slot_memory_ok(vma)) {
		ret = -EFAULT;
	} else {
		n = pvsched_pin_user_page(uaddr & PAGE_MASK,
					  FOLL_WRITE | FOLL_LONGTERM, page);
		if (n == 1)
			ret = 0;
		else if (n == -ENOMEM)
			ret = -ENOMEM;
		else
			ret = -EFAULT;
	}
	mmap_read_unlock(mm);
	if (ret) {
		unaccount_slot(mm);
		return ret;
	}
	mmgrab(mm);
	*mmp = mm;
	atomic_inc(&pvsched_nr_vcpus);
	return 0;
}

/* Undoes pin_slot(): the page unpinned, returned to its mm's locked memory. */
static void unpin_slot(struct page *page, struct mm_struct *mm)
{
	unpin_user_pages_dirty_lock(&page, 1, true);
	unaccount_slot(mm);
	mmdrop(mm);
	atomic_dec(&pvsched_nr_vcpus);
}

/* --- the thread and the caller --------------------------------------------- */

/*
 * Module 0.2 registered any thread the caller may sched_setattr(), which
 * made a deputy such as pvschedctl attach (root, thread ids from QMP) a
 * confused one.  This restores that for deputies written before ABI 1.2,
 * host-wide, on the admin's decision; read at each VCPU_ADD.
 */
static bool allow_foreign_vcpus;
module_param(allow_foreign_vcpus, bool, 0644);
MODULE_PARM_DESC(allow_foreign_vcpus,
		 "VCPU_ADD of another process's thread without a pidfd naming its VMM (PVSCHED_VCPU_ADD_PIDFD): N (default) refuses it with EPERM, Y accepts it as module 0.2 did");

/*
 * The process named by @pidfd (PVSCHED_VCPU_ADD_PIDFD), with a reference;
 * ERR_PTR(-EBADF) if @pidfd is not an open pidfd.
 */
static struct pid *get_owner(s32 pidfd)
{
	struct file *file;
	struct pid *pid;

	if (pidfd < 0)
		return ERR_PTR(-EBADF);
	file = fget(pidfd);
	if (!file)
		return ERR_PTR(-EBADF);
	pid = pvsched_pidfd_pid(file);
	pid = pid ? get_pid(pid) : ERR_PTR(-EBADF);
	fput(file);
	return pid;
}

/* The thread @tid of the caller's pid namespace, with a reference. */
static struct task_struct *get_thread(u32 tid)
{
	struct task_struct *task = NULL;
	struct pid *pid;

	if (!tid || tid > PID_MAX_LIMIT)
		return NULL;
	rcu_read_lock();
	pid = find_vpid(tid);
	if (pid)
		task = get_pid_task(pid, PIDTYPE_PID);
	rcu_read_unlock();
	return task;
}

/*
 * sched_setattr(2) rules for changing another thread's scheduling (see
 * check_same_owner() in kernel/sched/core.c): the caller's euid is the
 * target's euid or uid, or the caller has CAP_SYS_NICE in the target's user
 * namespace.  The caller's CAP_SYS_NICE is checked separately.
 */
static bool may_change_sched(struct task_struct *p)
{
	const struct cred *cred = current_cred(), *pcred;
	bool ok;

	rcu_read_lock();
	pcred = __task_cred(p);
	ok = uid_eq(cred->euid, pcred->euid) ||
	     uid_eq(cred->euid, pcred->uid) ||
	     ns_capable(pcred->user_ns, CAP_SYS_NICE);
	rcu_read_unlock();
	return ok;
}

/*
 * Whose thread @task is (uapi header, VCPU_ADD): one of the process @owner
 * names, or without @owner one of the caller's.  The check is made on the
 * struct pid the pidfd holds, not on a pid number, and @task is held: a
 * thread never changes its thread group, so what passes here stays true.
 */
static int check_owner(struct task_struct *task, struct pid *owner)
{
	struct task_struct *p;
	int ret = 0;

	if (!owner) {
		if (same_thread_group(task, current) ||
		    READ_ONCE(allow_foreign_vcpus))
			return 0;
		pr_notice_ratelimited("VCPU_ADD by %s[%d]: thread %d (%s) of process %d is not the caller's and no pidfd names its VMM (PVSCHED_VCPU_ADD_PIDFD): refused\n",
				      current->comm, task_tgid_nr(current),
				      task_pid_nr(task), task->comm,
				      task_tgid_nr(task));
		return -EPERM;
	}
	rcu_read_lock();
	p = pid_task(owner, PIDTYPE_PID);
	if (!p)
		ret = -ESRCH;
	else if (!same_thread_group(p, task))
		ret = -EPERM;
	rcu_read_unlock();
	if (ret == -EPERM)
		pr_notice_ratelimited("VCPU_ADD by %s[%d]: thread %d (%s) of process %d is not in process %d named by the pidfd: refused\n",
				      current->comm, task_tgid_nr(current),
				      task_pid_nr(task), task->comm,
				      task_tgid_nr(task), pid_nr(owner));
	return ret;
}

static int check_thread(struct task_struct *task, struct pid *owner)
{
	int ret;

	if (task->flags & PF_KTHREAD)
		return -EPERM;
	if (task->flags & PF_EXITING)
		return -ESRCH;
	ret = check_owner(task, owner);
	if (ret)
		return ret;
	if (!may_change_sched(task))
		return -EPERM;
	/* Registered already: pvsched_vcpu_start() says -EBUSY. */
	return 0;
}

/* --- vCPUs ---------------------------------------------------------------- */

/* Counts a session among the active ones unless max_vms are active already. */
static int activate_vm(u32 max_vms)
{
	int old = atomic_read(&pvsched_nr_active_vms);

	do {
		if (old >= max_vms)
			return -ENOSPC;
	} while (!atomic_try_cmpxchg(&pvsched_nr_active_vms, &old, old + 1));
	return 0;
}

/*
 * Registers @task (referenced) as @vcpu_id of @vm if it is @owner's (NULL:
 * the caller's); vm->lock held.
 */
static int vcpu_add_locked(struct pvsched_vm *vm, u32 vcpu_id,
			   struct task_struct *task, struct pid *owner,
			   u64 slot_addr)
{
	struct pvsched_vcpu *vcpu;
	struct pvsched_caps caps;
	struct mm_struct *mm;
	struct page *page;
	bool activated = false;
	int ret;

	lockdep_assert_held(&vm->lock);
	if (xa_load(&vm->vcpus, vcpu_id))
		return -EEXIST;
	pvsched_caps_get(&caps);
	if (vm->nr_vcpus >= caps.max_vcpus_per_vm)
		return -ENOSPC;
	ret = check_thread(task, owner);
	if (ret)
		return ret;
	if (!vm->nr_vcpus) {
		ret = activate_vm(caps.max_vms);
		if (ret)
			return ret;
		activated = true;
	}

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu) {
		ret = -ENOMEM;
		goto out_active;
	}
	ret = pin_slot(slot_addr, &page, &mm);
	if (ret)
		goto out_vcpu;

	vcpu->vm = vm;
	vcpu->vcpu_id = vcpu_id;
	vcpu->tid = task_pid_nr(task);
	vcpu->task = task;
	vcpu->page = page;
	vcpu->mm = mm;
	/* x86_64 has no highmem: every page has a permanent kernel address. */
	BUILD_BUG_ON(IS_ENABLED(CONFIG_HIGHMEM));
	vcpu->slot = page_address(page) + offset_in_page(slot_addr);

	ret = xa_insert(&vm->vcpus, vcpu_id, vcpu, GFP_KERNEL_ACCOUNT);
	if (ret) {
		ret = ret == -EBUSY ? -EEXIST : ret;
		goto out_unpin;
	}
	ret = pvsched_engine_vm_start(vm);
	if (!ret)
		ret = pvsched_vcpu_start(vcpu);
	if (ret) {
		xa_erase(&vm->vcpus, vcpu_id);
		goto out_unpin;
	}
	vm->nr_vcpus++;
	return 0;

out_unpin:
	unpin_slot(page, mm);
out_vcpu:
	kfree(vcpu);
out_active:
	if (activated)
		atomic_dec(&pvsched_nr_active_vms);
	return ret;
}

int pvsched_vcpu_add(struct pvsched_vm *vm, const struct pvsched_vcpu_add *req)
{
	struct task_struct *task;
	struct pid *owner = NULL;
	int ret;

	if (!capable(CAP_SYS_NICE))
		return -EPERM;
	if (req->flags & PVSCHED_VCPU_ADD_PIDFD) {
		owner = get_owner(req->pidfd);
		if (IS_ERR(owner))
			return PTR_ERR(owner);
	}
	task = get_thread(req->tid);
	if (!task) {
		put_pid(owner);
		return -ESRCH;
	}

	mutex_lock(&vm->lock);
	ret = vcpu_add_locked(vm, req->vcpu_id, task, owner, req->slot_addr);
	mutex_unlock(&vm->lock);
	put_pid(owner);
	/* On success the vCPU keeps the reference until vcpu_free(). */
	if (ret)
		put_task_struct(task);
	return ret;
}

static void vcpu_free(struct pvsched_vcpu *vcpu)
{
	unpin_slot(vcpu->page, vcpu->mm);
	put_task_struct(vcpu->task);
	kfree(vcpu);
}

/* Unregisters @vcpu: engine stopped, thread restored, slot unpinned. */
static void vcpu_remove(struct pvsched_vm *vm, struct pvsched_vcpu *vcpu)
{
	lockdep_assert_held(&vm->lock);

	xa_erase(&vm->vcpus, vcpu->vcpu_id);
	pvsched_vcpu_stop(vcpu);
	vcpu_free(vcpu);
	if (!--vm->nr_vcpus)
		atomic_dec(&pvsched_nr_active_vms);
}

int pvsched_vcpu_del(struct pvsched_vm *vm, u32 vcpu_id)
{
	struct pvsched_vcpu *vcpu;
	int ret = 0;

	mutex_lock(&vm->lock);
	vcpu = xa_load(&vm->vcpus, vcpu_id);
	if (vcpu)
		vcpu_remove(vm, vcpu);
	else
		ret = -ENOENT;
	mutex_unlock(&vm->lock);
	return ret;
}

/* --- sessions ------------------------------------------------------------- */

struct pvsched_vm *pvsched_vm_create(void)
{
	struct pvsched_vm *vm;
	int id;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return ERR_PTR(-ENOMEM);
	id = ida_alloc_min(&pvsched_vm_ida, 1, GFP_KERNEL);
	if (id < 0) {
		kfree(vm);
		return ERR_PTR(id);
	}
	vm->id = id;
	vm->pid = task_tgid_nr(current);
	mutex_init(&vm->lock);
	xa_init(&vm->vcpus);
	pvsched_params_default(&vm->params);

	mutex_lock(&pvsched_vms_lock);
	list_add_tail(&vm->node, &pvsched_vms);
	atomic_inc(&pvsched_nr_sessions);
	mutex_unlock(&pvsched_vms_lock);
	return vm;
}

void pvsched_vm_destroy(struct pvsched_vm *vm)
{
	struct pvsched_vcpu *vcpu;
	unsigned long id;

	mutex_lock(&pvsched_vms_lock);
	list_del(&vm->node);
	atomic_dec(&pvsched_nr_sessions);
	mutex_unlock(&pvsched_vms_lock);

	mutex_lock(&vm->lock);
	xa_for_each(&vm->vcpus, id, vcpu)
		vcpu_remove(vm, vcpu);
	/* every vCPU stopped: no work item of theirs is left to run */
	pvsched_engine_vm_stop(vm);
	mutex_unlock(&vm->lock);

	xa_destroy(&vm->vcpus);
	mutex_destroy(&vm->lock);
	ida_free(&pvsched_vm_ida, vm->id);
	kfree(vm);
}

void pvsched_vm_set_params(struct pvsched_vm *vm,
			   const struct pvsched_params *p)
{
	mutex_lock(&vm->lock);
	WRITE_ONCE(vm->params.cs_policy, p->cs_policy);
	WRITE_ONCE(vm->params.cs_rt_prio, p->cs_rt_prio);
	WRITE_ONCE(vm->params.cs_nice, p->cs_nice);
	WRITE_ONCE(vm->params.intr_policy, p->intr_policy);
	WRITE_ONCE(vm->params.intr_rt_prio, p->intr_rt_prio);
	WRITE_ONCE(vm->params.intr_nice, p->intr_nice);
	WRITE_ONCE(vm->params.max_boost_ns, p->max_boost_ns);
	WRITE_ONCE(vm->params.throttle_ns, p->throttle_ns);
	WRITE_ONCE(vm->params.debug, p->debug);
	WRITE_ONCE(vm->params.flags, p->flags);
	WRITE_ONCE(vm->params.withheld_features, p->withheld_features);
	pvsched_engine_vm_params(vm);
	mutex_unlock(&vm->lock);
}

void pvsched_vm_get_params(struct pvsched_vm *vm, struct pvsched_params *p)
{
	mutex_lock(&vm->lock);
	*p = vm->params;
	mutex_unlock(&vm->lock);
}

void pvsched_vm_set_name(struct pvsched_vm *vm, const char *name)
{
	mutex_lock(&vm->lock);
	strscpy_pad(vm->name, name, sizeof(vm->name));
	mutex_unlock(&vm->lock);
}

int pvsched_vm_get_stats(struct pvsched_vm *vm, struct pvsched_vcpu_stats *st)
{
	struct pvsched_vcpu *vcpu;
	int ret = -ENOENT;

	mutex_lock(&vm->lock);
	vcpu = xa_load(&vm->vcpus, st->vcpu_id);
	if (vcpu) {
		pvsched_vcpu_get_stats(vcpu, st);
		ret = 0;
	}
	mutex_unlock(&vm->lock);
	return ret;
}

int pvsched_vm_get_vcpus(struct pvsched_vm *vm, u32 max, u32 **ids, u32 *n)
{
	struct pvsched_vcpu *vcpu;
	unsigned long id;
	int ret;

	*ids = NULL;
	*n = 0;
	mutex_lock(&vm->lock);
	if (max && vm->nr_vcpus) {
		*ids = kmalloc_array(min(max, vm->nr_vcpus), sizeof(**ids),
				     GFP_KERNEL);
		if (!*ids) {
			mutex_unlock(&vm->lock);
			return -ENOMEM;
		}
	}
	xa_for_each(&vm->vcpus, id, vcpu) {
		if (*ids && *n < max)
			(*ids)[(*n)++] = id;
	}
	ret = vm->nr_vcpus;
	mutex_unlock(&vm->lock);
	return ret;
}

/* --- the walk of the admin views -------------------------------------------- */

static void fill_vm(struct pvsched_dump_vm *rec, const struct pvsched_vm *vm)
{
	memset(rec, 0, sizeof(*rec));
	rec->vm_id = vm->id;
	rec->pid = vm->pid;
	rec->nr_vcpus = vm->nr_vcpus;
	memcpy(rec->name, vm->name, sizeof(rec->name));
	rec->params = vm->params;
}

static void fill_vcpu(struct pvsched_dump_vcpu *rec, struct pvsched_vcpu *vcpu)
{
	memset(rec, 0, sizeof(*rec));
	rec->vm_id = vcpu->vm->id;
	rec->stats.vcpu_id = vcpu->vcpu_id;
	pvsched_vcpu_get_stats(vcpu, &rec->stats);
}

/* One session: its record, then its vCPUs'; vm->lock held. */
static int walk_one(struct pvsched_vm *vm, pvsched_walk_vm_fn vm_fn,
		    pvsched_walk_vcpu_fn vcpu_fn, void *priv,
		    struct pvsched_dump_vm *rec, struct pvsched_dump_vcpu *vrec)
{
	struct pvsched_vcpu *vcpu;
	unsigned long id;
	int ret;

	lockdep_assert_held(&vm->lock);
	fill_vm(rec, vm);
	ret = vm_fn(priv, rec);
	xa_for_each(&vm->vcpus, id, vcpu) {
		if (ret)
			break;
		fill_vcpu(vrec, vcpu);
		ret = vcpu_fn(priv, vrec);
	}
	return ret;
}

int pvsched_vm_walk(pvsched_walk_vm_fn vm_fn, pvsched_walk_vcpu_fn vcpu_fn,
		    void *priv)
{
	struct pvsched_dump_vcpu *vrec;
	struct pvsched_dump_vm *rec;
	struct pvsched_vm *vm;
	int ret = -ENOMEM;

	rec = kmalloc(sizeof(*rec), GFP_KERNEL);
	vrec = kmalloc(sizeof(*vrec), GFP_KERNEL);
	if (!rec || !vrec)
		goto out;

	ret = 0;
	mutex_lock(&pvsched_vms_lock);
	list_for_each_entry(vm, &pvsched_vms, node) {
		mutex_lock(&vm->lock);
		ret = walk_one(vm, vm_fn, vcpu_fn, priv, rec, vrec);
		mutex_unlock(&vm->lock);
		if (ret)
			break;
	}
	mutex_unlock(&pvsched_vms_lock);
out:
	kfree(vrec);
	kfree(rec);
	return ret;
}
