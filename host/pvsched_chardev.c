// SPDX-License-Identifier: GPL-2.0
/*
 * pvsched control plane: the /dev/pvsched misc device and the admin views
 * in debugfs.
 *
 * Each open file is one VM session (struct pvsched_vm inside a struct
 * pvsched_session).  The ioctls are specified in uapi/linux/pvsched.h; the
 * size rules implemented here:
 *   - the type, number and direction of a command must match exactly
 *     (-ENOTTY otherwise); the size is _IOC_SIZE(cmd);
 *   - input structures (_IOW, and the input part of _IOWR) smaller than
 *     their first version fail with -EINVAL, larger ones are accepted by
 *     copy_struct_from_user() if the unknown tail is zero (-E2BIG);
 *   - output is truncated to the caller's size, a larger caller's
 *     structure gets its unknown tail zeroed.
 *
 * Admin views, /sys/kernel/debug/pvsched/ (root only, read-only, 0400).  The
 * line formats are stable: "pvschedctl status" parses them.  Fields are
 * separated by one space; new key=value fields may only be appended.
 *
 * vms: one line per session, each followed by one line per vCPU
 * (ascending vcpu_id):
 *   vm <id> name=<name or -> pid=<vmm tgid> vcpus=<n> cs=<policy>:<prio>:<nice> intr=<policy>:<prio>:<nice> max_boost_ns=<n> throttle_ns=<n> kick_boost=<0|1> idle_hold=<0|1> irq_hold=<0|1>
 *   vcpu <vm_id> <vcpu_id> tid=<tid> state=<idle|boosted|throttled> status=<0xNN> policy=<normal|fifo|rr|batch|idle> prio=<n> nice=<n> base=<policy>:<prio>:<nice> exits=<n> entries=<n> halts=<n> injections=<n> boosts_cs=<n> boosts_task=<n> boosts_halt=<n> boosts_intr=<n> unboosts=<n> throttles=<n> boosted_ns=<n> throttled_ns=<n> torn_reads=<n> guest_clamped=<n> guest_refused=<n> guest_invalid=<n> apply_direct=<n> apply_deferred=<n> apply_errors=<n> kicks=<n> kick_boosts=<n> idle_holds=<n> irq_holds=<n>
 *   <name> has spaces and backslashes escaped as \040 and \134 (seq_escape);
 *   <policy> is normal, fifo, rr, batch, idle (deadline/unknown never
 *   applied); <pid> and <tid> are in the init pid namespace; counters are
 *   decimal; status is the last published PVSCHED_VCPU_STATUS_* in hex.
 *
 * info: key=value lines, in this order:
 *   version=<major>.<minor>.<patch>
 *   abi=<major>.<minor>
 *   tp_family=<none|stock|paravirt>
 *   tp_events=<0xNN, PVSCHED_EV_* bits>
 *   nr_vms=<sessions open>
 *   nr_vcpus=<vCPUs registered>
 *   pinned_pages=<n>
 *
 * pinned_pages: one decimal number, the shared-memory page pins held now:
 * one per registered vCPU (two slots in one page count twice), 0 when no
 * vCPU is registered.  GET_INFO's pinned_pages is the same number.
 */

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/mm.h>
#include <linux/highmem.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/sched/signal.h>
#include <linux/pid.h>
#include <linux/cred.h>
#include <linux/capability.h>
#include <linux/idr.h>
#include <linux/ctype.h>
#include <linux/seq_file.h>
#include <linux/debugfs.h>
#include <linux/compat.h>

#include "pvsched.h"
#include "pvsched_caps.h"
#include "pvsched_compat.h"

/* A session: the VM plus what only the control plane needs. */
struct pvsched_session {
	struct pvsched_vm vm;
	pid_t pid; /* tgid of the opener, init pid namespace */
};

/*
 * pvsched_vms_lock protects pvsched_vms (the list of open sessions).
 * Nesting: pvsched_vms_lock -> vm->lock -> mmap_lock and the engine's locks.
 */
static DEFINE_MUTEX(pvsched_vms_lock);
static LIST_HEAD(pvsched_vms);
static DEFINE_IDA(pvsched_vm_ida);

static atomic_t pvsched_nr_sessions = ATOMIC_INIT(0);
/* Sessions with at least one vCPU: what max_vms limits. */
static atomic_t pvsched_nr_active_vms = ATOMIC_INIT(0);
/*
 * vCPUs registered, all sessions: the one count of them.  Each holds one
 * pinned page and is counted from its pin to its unpin, so this is also
 * the number of pages pinned (GET_INFO's pinned_pages).
 */
atomic_t pvsched_nr_vcpus = ATOMIC_INIT(0);

static struct dentry *pvsched_debugfs_vms;
static struct dentry *pvsched_debugfs_info;
static struct dentry *pvsched_debugfs_pinned;

static struct pvsched_session *to_session(struct pvsched_vm *vm)
{
	return container_of(vm, struct pvsched_session, vm);
}

/* Output: truncated to the caller's size, a larger caller's tail zeroed. */
static int copy_out(void __user *uarg, size_t usize, const void *src,
		    size_t ksize)
{
	if (copy_to_user(uarg, src, min(usize, ksize)))
		return -EFAULT;
	if (usize > ksize && clear_user(uarg + ksize, usize - ksize))
		return -EFAULT;
	return 0;
}

/* --- shared-memory slot ------------------------------------------------- */

/*
 * Pins the page holding the slot at @addr (already checked to be 64-byte
 * aligned, so the slot is inside one page) for long-term writing.  The
 * address must lie in one VM_SHARED|VM_WRITE mapping of the caller.
 */
static int pin_slot(u64 addr, struct page **page)
{
	struct mm_struct *mm = current->mm;
	unsigned long uaddr = addr;
	struct vm_area_struct *vma;
	long n;
	int ret;

	if (uaddr != addr || !mm ||
	    !access_ok((void __user *)uaddr, sizeof(struct pvsched_vcpu_slot)))
		return -EFAULT;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	vma = vma_lookup(mm, uaddr);
	if (!vma || (vma->vm_flags & (VM_SHARED | VM_WRITE)) !=
			    (VM_SHARED | VM_WRITE) ||
	    (vma->vm_flags & (VM_IO | VM_PFNMAP))) {
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
	if (!ret)
		atomic_inc(&pvsched_nr_vcpus);
	return ret;
}

static void unpin_slot(struct page *page)
{
	unpin_user_pages_dirty_lock(&page, 1, true);
	atomic_dec(&pvsched_nr_vcpus);
}

/* --- VCPU_ADD checks ----------------------------------------------------- */

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

static int check_thread(struct task_struct *task)
{
	if (task->flags & PF_KTHREAD)
		return -EPERM;
	if (task->flags & PF_EXITING)
		return -ESRCH;
	if (!may_change_sched(task))
		return -EPERM;
	/* Registered already: pvsched_vcpu_start() says -EBUSY. */
	return 0;
}

/* Counts @vm among the active sessions unless max_vms are active already. */
static int activate_vm(u32 max_vms)
{
	int old = atomic_read(&pvsched_nr_active_vms);

	do {
		if (old >= max_vms)
			return -ENOSPC;
	} while (!atomic_try_cmpxchg(&pvsched_nr_active_vms, &old, old + 1));
	return 0;
}

static void vcpu_free(struct pvsched_vcpu *vcpu)
{
	unpin_slot(vcpu->page);
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

/* --- every session and vCPU, as the records of PVSCHED_IOC_DUMP --------- */

typedef int (*walk_vm_fn)(void *priv, const struct pvsched_dump_vm *rec);
typedef int (*walk_vcpu_fn)(void *priv, const struct pvsched_dump_vcpu *rec);

/*
 * Calls @vm_fn for every session in the order they were opened, then
 * @vcpu_fn for each of its vCPUs (ascending vcpu_id), all under
 * pvsched_vms_lock and the session's lock: each session is seen at one
 * instant.  The callbacks may sleep.  A nonzero return ends the walk.
 */
static int vm_walk(walk_vm_fn vm_fn, walk_vcpu_fn vcpu_fn, void *priv)
{
	struct pvsched_dump_vcpu *vrec;
	struct pvsched_dump_vm *rec;
	struct pvsched_vcpu *vcpu;
	struct pvsched_vm *vm;
	unsigned long id;
	int ret = -ENOMEM;

	rec = kmalloc(sizeof(*rec), GFP_KERNEL);
	vrec = kmalloc(sizeof(*vrec), GFP_KERNEL);
	if (!rec || !vrec)
		goto out;

	ret = 0;
	mutex_lock(&pvsched_vms_lock);
	list_for_each_entry(vm, &pvsched_vms, node) {
		mutex_lock(&vm->lock);
		memset(rec, 0, sizeof(*rec));
		rec->vm_id = vm->id;
		rec->pid = to_session(vm)->pid;
		rec->nr_vcpus = vm->nr_vcpus;
		memcpy(rec->name, vm->name, sizeof(rec->name));
		rec->params = vm->params;
		ret = vm_fn(priv, rec);
		xa_for_each(&vm->vcpus, id, vcpu) {
			if (ret)
				break;
			memset(vrec, 0, sizeof(*vrec));
			vrec->vm_id = vm->id;
			vrec->stats.vcpu_id = vcpu->vcpu_id;
			pvsched_vcpu_get_stats(vcpu, &vrec->stats);
			ret = vcpu_fn(priv, vrec);
		}
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

/* --- ioctls -------------------------------------------------------------- */

static long ioc_get_info(struct pvsched_vm *vm, void __user *uarg,
			 size_t usize)
{
	struct pvsched_info info = {};
	struct pvsched_caps caps;

	pvsched_caps_get(&caps);
	info.version_major = PVSCHED_VERSION_MAJOR;
	info.version_minor = PVSCHED_VERSION_MINOR;
	info.version_patch = PVSCHED_VERSION_PATCH;
	info.abi_major = PVSCHED_ABI_MAJOR;
	info.abi_minor = PVSCHED_ABI_MINOR;
	info.tp_family = pvsched_tp_family();
	info.tp_events = pvsched_tp_events();
	info.vm_id = vm->id;
	info.features = PVSCHED_F_ALL;
	info.max_policy = caps.max_policy;
	info.max_rt_prio = caps.max_rt_prio;
	info.min_nice = caps.min_nice;
	info.max_vcpus_per_vm = caps.max_vcpus_per_vm;
	info.max_vms = caps.max_vms;
	info.nr_vms = atomic_read(&pvsched_nr_sessions);
	info.nr_vcpus = atomic_read(&pvsched_nr_vcpus);
	info.max_boost_cap_ns = caps.max_boost_cap_ns;
	info.min_throttle_ns = caps.min_throttle_ns;
	info.pinned_pages = info.nr_vcpus; /* one pin each */
	return copy_out(uarg, usize, &info, sizeof(info));
}

static long ioc_vcpu_add(struct pvsched_vm *vm, void __user *uarg,
			 size_t usize)
{
	struct pvsched_vcpu_add req;
	struct pvsched_vcpu *vcpu;
	struct task_struct *task;
	struct pvsched_caps caps;
	struct page *page;
	bool activated = false;
	int ret;

	ret = copy_struct_from_user(&req, sizeof(req), uarg, usize);
	if (ret)
		return ret;
	if (req.flags & ~PVSCHED_VCPU_ADD_FLAGS_ALL || req.pad ||
	    req.vcpu_id >= PVSCHED_MAX_VCPU_ID ||
	    !IS_ALIGNED(req.slot_addr, PVSCHED_SLOT_SIZE))
		return -EINVAL;
	if (!capable(CAP_SYS_NICE))
		return -EPERM;

	task = get_thread(req.tid);
	if (!task)
		return -ESRCH;

	mutex_lock(&vm->lock);
	if (xa_load(&vm->vcpus, req.vcpu_id)) {
		ret = -EEXIST;
		goto out_task;
	}
	pvsched_caps_get(&caps);
	if (vm->nr_vcpus >= caps.max_vcpus_per_vm) {
		ret = -ENOSPC;
		goto out_task;
	}
	ret = check_thread(task);
	if (ret)
		goto out_task;
	if (!vm->nr_vcpus) {
		ret = activate_vm(caps.max_vms);
		if (ret)
			goto out_task;
		activated = true;
	}

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu) {
		ret = -ENOMEM;
		goto out_active;
	}
	ret = pin_slot(req.slot_addr, &page);
	if (ret)
		goto out_vcpu;

	vcpu->vm = vm;
	vcpu->vcpu_id = req.vcpu_id;
	vcpu->tid = task_pid_nr(task);
	vcpu->task = task;
	vcpu->page = page;
	/* x86_64 has no highmem: every page has a permanent kernel address. */
	BUILD_BUG_ON(IS_ENABLED(CONFIG_HIGHMEM));
	vcpu->slot = page_address(page) + offset_in_page(req.slot_addr);

	ret = xa_insert(&vm->vcpus, req.vcpu_id, vcpu, GFP_KERNEL_ACCOUNT);
	if (ret) {
		ret = ret == -EBUSY ? -EEXIST : ret;
		goto out_unpin;
	}
	ret = pvsched_vcpu_start(vcpu);
	if (ret) {
		xa_erase(&vm->vcpus, req.vcpu_id);
		goto out_unpin;
	}
	vm->nr_vcpus++;
	mutex_unlock(&vm->lock);
	return 0;

out_unpin:
	unpin_slot(page);
out_vcpu:
	kfree(vcpu);
out_active:
	if (activated)
		atomic_dec(&pvsched_nr_active_vms);
out_task:
	mutex_unlock(&vm->lock);
	put_task_struct(task);
	return ret;
}

static long ioc_vcpu_del(struct pvsched_vm *vm, void __user *uarg,
			 size_t usize)
{
	struct pvsched_vcpu_del req;
	struct pvsched_vcpu *vcpu;
	int ret;

	ret = copy_struct_from_user(&req, sizeof(req), uarg, usize);
	if (ret)
		return ret;
	if (req.flags)
		return -EINVAL;

	mutex_lock(&vm->lock);
	vcpu = xa_load(&vm->vcpus, req.vcpu_id);
	if (vcpu)
		vcpu_remove(vm, vcpu);
	else
		ret = -ENOENT;
	mutex_unlock(&vm->lock);
	return ret;
}

static long ioc_set_params(struct pvsched_vm *vm, void __user *uarg,
			   size_t usize)
{
	struct pvsched_params p;
	int ret;

	ret = copy_struct_from_user(&p, sizeof(p), uarg, usize);
	if (ret)
		return ret;
	ret = pvsched_params_check(&p);
	if (ret)
		return ret;

	mutex_lock(&vm->lock);
	WRITE_ONCE(vm->params.cs_policy, p.cs_policy);
	WRITE_ONCE(vm->params.cs_rt_prio, p.cs_rt_prio);
	WRITE_ONCE(vm->params.cs_nice, p.cs_nice);
	WRITE_ONCE(vm->params.intr_policy, p.intr_policy);
	WRITE_ONCE(vm->params.intr_rt_prio, p.intr_rt_prio);
	WRITE_ONCE(vm->params.intr_nice, p.intr_nice);
	WRITE_ONCE(vm->params.max_boost_ns, p.max_boost_ns);
	WRITE_ONCE(vm->params.throttle_ns, p.throttle_ns);
	WRITE_ONCE(vm->params.debug, p.debug);
	WRITE_ONCE(vm->params.flags, p.flags);
	mutex_unlock(&vm->lock);
	return 0;
}

static long ioc_get_params(struct pvsched_vm *vm, void __user *uarg,
			   size_t usize)
{
	struct pvsched_params p;

	mutex_lock(&vm->lock);
	p = vm->params;
	mutex_unlock(&vm->lock);
	return copy_out(uarg, usize, &p, sizeof(p));
}

static long ioc_get_stats(struct pvsched_vm *vm, void __user *uarg,
			  size_t usize)
{
	struct pvsched_vcpu_stats *stats;
	struct pvsched_vcpu *vcpu;
	u32 vcpu_id;
	int ret = 0;

	/* Only vcpu_id is input; the rest of the caller's struct is output. */
	if (get_user(vcpu_id, (u32 __user *)uarg))
		return -EFAULT;
	stats = kzalloc(sizeof(*stats), GFP_KERNEL);
	if (!stats)
		return -ENOMEM;

	mutex_lock(&vm->lock);
	vcpu = xa_load(&vm->vcpus, vcpu_id);
	if (vcpu) {
		stats->vcpu_id = vcpu_id;
		pvsched_vcpu_get_stats(vcpu, stats);
		stats->vcpu_id = vcpu_id;
		stats->tid = vcpu->tid;
	} else {
		ret = -ENOENT;
	}
	mutex_unlock(&vm->lock);
	if (!ret)
		ret = copy_out(uarg, usize, stats, sizeof(*stats));
	kfree(stats);
	return ret;
}

static long ioc_set_name(struct pvsched_vm *vm, void __user *uarg,
			 size_t usize)
{
	struct pvsched_vm_name req;
	size_t len, i;
	int ret;

	ret = copy_struct_from_user(&req, sizeof(req), uarg, usize);
	if (ret)
		return ret;
	len = strnlen(req.name, sizeof(req.name));
	if (len == sizeof(req.name))
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!isprint(req.name[i]))
			return -EINVAL;

	mutex_lock(&vm->lock);
	memset(vm->name, 0, sizeof(vm->name));
	memcpy(vm->name, req.name, len);
	mutex_unlock(&vm->lock);
	return 0;
}

static long ioc_get_vcpus(struct pvsched_vm *vm, void __user *uarg,
			  size_t usize)
{
	struct pvsched_vcpu_list list;
	struct pvsched_vcpu *vcpu;
	u32 *ids = NULL, n = 0;
	unsigned long id;
	int ret;

	ret = copy_struct_from_user(&list, sizeof(list), uarg, usize);
	if (ret)
		return ret;
	if (list.pad)
		return -EINVAL;

	mutex_lock(&vm->lock);
	if (list.nr && vm->nr_vcpus) {
		ids = kmalloc_array(min(list.nr, vm->nr_vcpus), sizeof(*ids),
				    GFP_KERNEL);
		if (!ids) {
			mutex_unlock(&vm->lock);
			return -ENOMEM;
		}
	}
	xa_for_each(&vm->vcpus, id, vcpu) {
		if (ids && n < list.nr)
			ids[n++] = id;
	}
	list.nr = vm->nr_vcpus;
	mutex_unlock(&vm->lock);

	if (n && copy_to_user(u64_to_user_ptr(list.ids), ids,
			      n * sizeof(*ids)))
		ret = -EFAULT;
	kfree(ids);
	if (!ret)
		ret = copy_out(uarg, usize, &list, sizeof(list));
	return ret;
}

/*
 * DUMP: the walk fills one chunk per session (its VM record and vCPU
 * records) while the records fit the caller's buffer, and only counts
 * once they do not; the chunks are copied out after the walk, outside
 * every lock, at the caller's record sizes.
 */
struct dump_chunk {
	struct list_head node;
	struct pvsched_dump_vm vm;
	u32 nr; /* vCPU records filled, at most vm.nr_vcpus */
	struct pvsched_dump_vcpu vcpus[];
};

struct dump_ctx {
	struct list_head chunks;
	struct dump_chunk *cur; /* NULL: only counting */
	u64 len; /* the caller's buffer */
	u64 needed; /* bytes of the records so far */
	u32 vm_size, vcpu_size; /* the caller's record sizes */
	u32 nr_vms, nr_vcpus;
};

static int dump_vm(void *priv, const struct pvsched_dump_vm *rec)
{
	struct dump_ctx *c = priv;

	c->nr_vms++;
	c->needed += c->vm_size + (u64)rec->nr_vcpus * c->vcpu_size;
	c->cur = NULL;
	if (c->needed > c->len)
		return 0;
	c->cur = kvzalloc(struct_size(c->cur, vcpus, rec->nr_vcpus),
			  GFP_KERNEL_ACCOUNT);
	if (!c->cur)
		return -ENOMEM;
	c->cur->vm = *rec;
	list_add_tail(&c->cur->node, &c->chunks);
	return 0;
}

static int dump_vcpu(void *priv, const struct pvsched_dump_vcpu *rec)
{
	struct dump_ctx *c = priv;

	c->nr_vcpus++;
	if (c->cur && c->cur->nr < c->cur->vm.nr_vcpus)
		c->cur->vcpus[c->cur->nr++] = *rec;
	return 0;
}

static int dump_copy_out(const struct dump_ctx *c, void __user *ubuf)
{
	const struct dump_chunk *ch;
	u32 i;

	list_for_each_entry(ch, &c->chunks, node) {
		if (copy_out(ubuf, c->vm_size, &ch->vm, sizeof(ch->vm)))
			return -EFAULT;
		ubuf += c->vm_size;
		for (i = 0; i < ch->nr; i++, ubuf += c->vcpu_size)
			if (copy_out(ubuf, c->vcpu_size, &ch->vcpus[i],
				     sizeof(ch->vcpus[i])))
				return -EFAULT;
	}
	return 0;
}

static long ioc_dump(struct pvsched_vm *vm, void __user *uarg, size_t usize)
{
	struct dump_ctx c = { .chunks = LIST_HEAD_INIT(c.chunks) };
	struct dump_chunk *ch, *tmp;
	struct pvsched_dump d;
	int ret;

	ret = copy_struct_from_user(&d, sizeof(d), uarg, usize);
	if (ret)
		return ret;
	if (d.flags || d.pad || d.reserved[0] || d.reserved[1] ||
	    d.vm_size < PVSCHED_DUMP_VM_SIZE_VER0 ||
	    d.vcpu_size < PVSCHED_DUMP_VCPU_SIZE_VER0 ||
	    !IS_ALIGNED(d.vm_size, 8) || !IS_ALIGNED(d.vcpu_size, 8))
		return -EINVAL;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	c.len = d.len;
	c.vm_size = d.vm_size;
	c.vcpu_size = d.vcpu_size;
	ret = vm_walk(dump_vm, dump_vcpu, &c);
	if (!ret && c.needed > c.len)
		ret = -ENOSPC;
	if (!ret)
		ret = dump_copy_out(&c, u64_to_user_ptr(d.buf));
	list_for_each_entry_safe(ch, tmp, &c.chunks, node)
		kvfree(ch);
	if (ret && ret != -ENOSPC)
		return ret;

	d.len = c.needed;
	d.nr_vms = c.nr_vms;
	d.nr_vcpus = c.nr_vcpus;
	if (copy_out(uarg, usize, &d, sizeof(d)))
		return -EFAULT;
	return ret;
}

typedef long (*pvsched_ioc_fn)(struct pvsched_vm *vm, void __user *uarg,
			       size_t usize);

/* The commands, indexed by _IOC_NR. */
static const struct pvsched_ioc_desc {
	unsigned int cmd; /* the full command: direction and size */
	size_t min_size; /* smallest caller's size accepted (-EINVAL) */
	pvsched_ioc_fn fn;
} pvsched_iocs[] = {
	[_IOC_NR(PVSCHED_IOC_GET_INFO)] = { PVSCHED_IOC_GET_INFO, 0,
					    ioc_get_info },
	[_IOC_NR(PVSCHED_IOC_VCPU_ADD)] = { PVSCHED_IOC_VCPU_ADD,
					    sizeof(struct pvsched_vcpu_add),
					    ioc_vcpu_add },
	[_IOC_NR(PVSCHED_IOC_VCPU_DEL)] = { PVSCHED_IOC_VCPU_DEL,
					    sizeof(struct pvsched_vcpu_del),
					    ioc_vcpu_del },
	[_IOC_NR(PVSCHED_IOC_SET_PARAMS)] = { PVSCHED_IOC_SET_PARAMS,
					      sizeof(struct pvsched_params),
					      ioc_set_params },
	[_IOC_NR(PVSCHED_IOC_GET_PARAMS)] = { PVSCHED_IOC_GET_PARAMS, 0,
					      ioc_get_params },
	[_IOC_NR(PVSCHED_IOC_GET_STATS)] = {
		PVSCHED_IOC_GET_STATS,
		offsetofend(struct pvsched_vcpu_stats, vcpu_id), ioc_get_stats },
	[_IOC_NR(PVSCHED_IOC_SET_NAME)] = { PVSCHED_IOC_SET_NAME,
					    sizeof(struct pvsched_vm_name),
					    ioc_set_name },
	[_IOC_NR(PVSCHED_IOC_GET_VCPUS)] = { PVSCHED_IOC_GET_VCPUS,
					     sizeof(struct pvsched_vcpu_list),
					     ioc_get_vcpus },
	[_IOC_NR(PVSCHED_IOC_DUMP)] = { PVSCHED_IOC_DUMP,
					sizeof(struct pvsched_dump), ioc_dump },
};

static long pvsched_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct pvsched_vm *vm = file->private_data;
	const struct pvsched_ioc_desc *desc;
	unsigned int nr = _IOC_NR(cmd);
	size_t size = _IOC_SIZE(cmd);

	if (_IOC_TYPE(cmd) != PVSCHED_IOCTL_TYPE ||
	    nr >= ARRAY_SIZE(pvsched_iocs))
		return -ENOTTY;
	desc = &pvsched_iocs[nr];
	if (!desc->fn || _IOC_DIR(cmd) != _IOC_DIR(desc->cmd))
		return -ENOTTY;
	if (size < desc->min_size)
		return -EINVAL;
	return desc->fn(vm, (void __user *)arg, size);
}

/* --- sessions ------------------------------------------------------------ */

static int pvsched_open(struct inode *inode, struct file *file)
{
	struct pvsched_session *s;
	int id;

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	id = ida_alloc_min(&pvsched_vm_ida, 1, GFP_KERNEL);
	if (id < 0) {
		kfree(s);
		return id;
	}
	s->vm.id = id;
	s->pid = task_tgid_nr(current);
	mutex_init(&s->vm.lock);
	xa_init(&s->vm.vcpus);
	pvsched_params_default(&s->vm.params);

	mutex_lock(&pvsched_vms_lock);
	list_add_tail(&s->vm.node, &pvsched_vms);
	atomic_inc(&pvsched_nr_sessions);
	mutex_unlock(&pvsched_vms_lock);

	file->private_data = &s->vm;
	return nonseekable_open(inode, file);
}

/* Last reference to the file gone (close, or the VMM died). */
static int pvsched_release(struct inode *inode, struct file *file)
{
	struct pvsched_vm *vm = file->private_data;
	struct pvsched_vcpu *vcpu;
	unsigned long id;

	mutex_lock(&pvsched_vms_lock);
	list_del(&vm->node);
	atomic_dec(&pvsched_nr_sessions);
	mutex_unlock(&pvsched_vms_lock);

	mutex_lock(&vm->lock);
	xa_for_each(&vm->vcpus, id, vcpu)
		vcpu_remove(vm, vcpu);
	mutex_unlock(&vm->lock);

	xa_destroy(&vm->vcpus);
	mutex_destroy(&vm->lock);
	ida_free(&pvsched_vm_ida, vm->id);
	kfree(to_session(vm));
	return 0;
}

static const struct file_operations pvsched_fops = {
	.owner = THIS_MODULE,
	.open = pvsched_open,
	.release = pvsched_release,
	.unlocked_ioctl = pvsched_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	PVSCHED_FOPS_NO_LLSEEK
};

static struct miscdevice pvsched_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = PVSCHED_DEVICE_NAME,
	.fops = &pvsched_fops,
	.mode = 0660,
};

/* --- debugfs ------------------------------------------------------------- */

static void print_boost(struct seq_file *m, const char *key, u32 policy,
			u32 prio, s32 nice)
{
	seq_printf(m, " %s=%s:%u:%d", key, pvsched_policy_name(policy), prio,
		   nice);
}

static const char *state_name(u32 state)
{
	switch (state) {
	case PVSCHED_STATE_IDLE:
		return "idle";
	case PVSCHED_STATE_BOOSTED:
		return "boosted";
	case PVSCHED_STATE_THROTTLED:
		return "throttled";
	}
	return "unknown";
}

/* The counters of a vCPU, by name: pvsched_counters.h. */
static const struct {
	const char *name;
	size_t offset; /* in struct pvsched_vcpu_stats */
} counters[] = {
#define PVSCHED_COUNTER(name, member) \
	{ #name, offsetof(struct pvsched_vcpu_stats, member) },
#include "../uapi/linux/pvsched_counters.h"
};

static int show_vcpu(void *priv, const struct pvsched_dump_vcpu *v)
{
	const struct pvsched_vcpu_stats *st = &v->stats;
	struct seq_file *m = priv;
	unsigned int i;

	seq_printf(m, "vcpu %u %u tid=%u state=%s status=0x%02x policy=%s prio=%u nice=%d",
		   v->vm_id, st->vcpu_id, st->tid, state_name(st->state),
		   st->vcpu_status, pvsched_policy_name(st->cur_policy),
		   st->cur_rt_prio, st->cur_nice);
	print_boost(m, "base", st->base_policy, st->base_rt_prio,
		    st->base_nice);
	for (i = 0; i < ARRAY_SIZE(counters); i++)
		seq_printf(m, " %s=%llu", counters[i].name,
			   *(const u64 *)((const void *)st + counters[i].offset));
	seq_putc(m, '\n');
	return 0;
}

static int show_vm(void *priv, const struct pvsched_dump_vm *vm)
{
	const struct pvsched_params *p = &vm->params;
	struct seq_file *m = priv;

	seq_printf(m, "vm %u name=", vm->vm_id);
	if (vm->name[0])
		seq_escape(m, vm->name, " \\");
	else
		seq_putc(m, '-');
	seq_printf(m, " pid=%u vcpus=%u", vm->pid, vm->nr_vcpus);
	print_boost(m, "cs", p->cs_policy, p->cs_rt_prio, p->cs_nice);
	print_boost(m, "intr", p->intr_policy, p->intr_rt_prio, p->intr_nice);
	seq_printf(m, " max_boost_ns=%llu throttle_ns=%llu", p->max_boost_ns,
		   p->throttle_ns);
	/* 0.2's mechanisms: appended, like every field after 0.1's */
	seq_printf(m, " kick_boost=%u idle_hold=%u irq_hold=%u\n",
		   !(p->flags & PVSCHED_PARAMS_NO_KICK_BOOST),
		   !(p->flags & PVSCHED_PARAMS_NO_IDLE_HOLD),
		   !(p->flags & PVSCHED_PARAMS_NO_IRQ_HOLD));
	return 0;
}

static int pvsched_vms_show(struct seq_file *m, void *v)
{
	return vm_walk(show_vm, show_vcpu, m);
}
DEFINE_SHOW_ATTRIBUTE(pvsched_vms);

static int pvsched_info_show(struct seq_file *m, void *v)
{
	u32 family = pvsched_tp_family();

	seq_printf(m, "version=%u.%u.%u\n", PVSCHED_VERSION_MAJOR,
		   PVSCHED_VERSION_MINOR, PVSCHED_VERSION_PATCH);
	seq_printf(m, "abi=%u.%u\n", PVSCHED_ABI_MAJOR, PVSCHED_ABI_MINOR);
	seq_printf(m, "tp_family=%s\n", pvsched_tp_family_name(family));
	seq_printf(m, "tp_events=0x%02x\n", pvsched_tp_events());
	seq_printf(m, "nr_vms=%d\n", atomic_read(&pvsched_nr_sessions));
	seq_printf(m, "nr_vcpus=%d\n", atomic_read(&pvsched_nr_vcpus));
	seq_printf(m, "pinned_pages=%d\n", atomic_read(&pvsched_nr_vcpus));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvsched_info);

static int pvsched_pinned_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%d\n", atomic_read(&pvsched_nr_vcpus));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvsched_pinned);

int pvsched_chardev_init(struct dentry *debugfs_dir)
{
	int ret;

	ret = misc_register(&pvsched_misc);
	if (ret)
		return ret;

	pvsched_debugfs_vms = debugfs_create_file("vms", 0400, debugfs_dir,
						  NULL, &pvsched_vms_fops);
	pvsched_debugfs_info = debugfs_create_file("info", 0400, debugfs_dir,
						   NULL, &pvsched_info_fops);
	pvsched_debugfs_pinned = debugfs_create_file("pinned_pages", 0400,
						     debugfs_dir, NULL,
						     &pvsched_pinned_fops);
	return 0;
}

void pvsched_chardev_exit(void)
{
	debugfs_remove(pvsched_debugfs_pinned);
	debugfs_remove(pvsched_debugfs_info);
	debugfs_remove(pvsched_debugfs_vms);
	misc_deregister(&pvsched_misc);
	WARN_ON(atomic_read(&pvsched_nr_vcpus));
	ida_destroy(&pvsched_vm_ida);
}
