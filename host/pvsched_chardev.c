// SPDX-License-Identifier: GPL-2.0
/*
 * pvsched control plane: the /dev/pvsched misc device, its ioctl table and
 * the copy of each ioctl's argument in and out.  Each open file is one VM
 * session (pvsched_vm.c does the work of every command).
 *
 * The ioctls are specified in uapi/linux/pvsched.h; the rules implemented
 * here, once, for every command of the table:
 *   - the type, number and direction of a command must match exactly
 *     (-ENOTTY otherwise); the size is _IOC_SIZE(cmd);
 *   - input structures (_IOW, and the input part of _IOWR) smaller than
 *     their first version fail with -EINVAL, larger ones are accepted by
 *     copy_struct_from_user() if the unknown tail is zero (-E2BIG);
 *     GET_STATS reads only its vcpu_id;
 *   - output is truncated to the caller's size, a larger caller's
 *     structure gets its unknown tail zeroed; it is written when the
 *     command succeeds (and DUMP's when it says -ENOSPC).
 * Each handler gets a kernel copy of the argument and checks what is its
 * own (flags, padding, ranges) before calling into pvsched_vm.c.
 */

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/compat.h>

#include "pvsched.h"
#include "pvsched_chardev.h"
#include "pvsched_vm.h"
#include "pvsched_caps.h"
#include "pvsched_tp.h"
#include "pvsched_compat.h"

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

/* --- the commands --------------------------------------------------------- */

static long ioc_get_info(struct pvsched_vm *vm, void *arg)
{
	struct pvsched_info *info = arg;
	struct pvsched_caps caps;

	pvsched_caps_get(&caps);
	info->version_major = PVSCHED_VERSION_MAJOR;
	info->version_minor = PVSCHED_VERSION_MINOR;
	info->version_patch = PVSCHED_VERSION_PATCH;
	info->abi_major = PVSCHED_ABI_MAJOR;
	info->abi_minor = PVSCHED_ABI_MINOR;
	info->tp_family = pvsched_tp_family();
	info->tp_events = pvsched_tp_events();
	info->vm_id = vm->id;
	info->features = PVSCHED_F_ALL;
	info->max_policy = caps.max_policy;
	info->max_rt_prio = caps.max_rt_prio;
	info->min_nice = caps.min_nice;
	info->max_vcpus_per_vm = caps.max_vcpus_per_vm;
	info->max_vms = caps.max_vms;
	info->nr_vms = pvsched_nr_vms();
	info->nr_vcpus = atomic_read(&pvsched_nr_vcpus);
	info->max_boost_cap_ns = caps.max_boost_cap_ns;
	info->min_throttle_ns = caps.min_throttle_ns;
	info->pinned_pages = info->nr_vcpus; /* one pin each */
	info->max_duty_pct = caps.max_duty_pct;
	info->cpu_share_pct = caps.cpu_share_pct;
	info->cpu_share_window_ns = caps.cpu_share_window_ns;
	return 0;
}

static long ioc_vcpu_add(struct pvsched_vm *vm, void *arg)
{
	struct pvsched_vcpu_add *req = arg;

	if (req->flags & ~PVSCHED_VCPU_ADD_FLAGS_ALL || req->pad ||
	    req->vcpu_id >= PVSCHED_MAX_VCPU_ID ||
	    !IS_ALIGNED(req->slot_addr, PVSCHED_SLOT_SIZE))
		return -EINVAL;
	return pvsched_vcpu_add(vm, req->vcpu_id, req->tid, req->slot_addr);
}

static long ioc_vcpu_del(struct pvsched_vm *vm, void *arg)
{
	struct pvsched_vcpu_del *req = arg;

	if (req->flags)
		return -EINVAL;
	return pvsched_vcpu_del(vm, req->vcpu_id);
}

static long ioc_set_params(struct pvsched_vm *vm, void *arg)
{
	int ret = pvsched_params_check(arg);

	if (!ret)
		pvsched_vm_set_params(vm, arg);
	return ret;
}

static long ioc_get_params(struct pvsched_vm *vm, void *arg)
{
	pvsched_vm_get_params(vm, arg);
	return 0;
}

static long ioc_get_stats(struct pvsched_vm *vm, void *arg)
{
	return pvsched_vm_get_stats(vm, arg);
}

static long ioc_set_name(struct pvsched_vm *vm, void *arg)
{
	struct pvsched_vm_name *req = arg;
	size_t len, i;

	len = strnlen(req->name, sizeof(req->name));
	if (len == sizeof(req->name))
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!isprint(req->name[i]))
			return -EINVAL;
	pvsched_vm_set_name(vm, req->name);
	return 0;
}

static long ioc_get_vcpus(struct pvsched_vm *vm, void *arg)
{
	struct pvsched_vcpu_list *list = arg;
	u32 *ids, n;
	int ret;

	if (list->pad)
		return -EINVAL;
	ret = pvsched_vm_get_vcpus(vm, list->nr, &ids, &n);
	if (ret < 0)
		return ret;
	list->nr = ret;
	ret = 0;
	if (n && copy_to_user(u64_to_user_ptr(list->ids), ids,
			      n * sizeof(*ids)))
		ret = -EFAULT;
	kfree(ids);
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
	struct dump_chunk *ch;
	u32 i;

	list_for_each_entry(ch, &c->chunks, node) {
		/* what follows, whatever the walk saw (the same, under vm->lock) */
		ch->vm.nr_vcpus = ch->nr;
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

static long ioc_dump(struct pvsched_vm *vm, void *arg)
{
	struct dump_ctx c = { .chunks = LIST_HEAD_INIT(c.chunks) };
	struct pvsched_dump *d = arg;
	struct dump_chunk *ch, *tmp;
	int ret;

	if (d->flags || d->pad || d->reserved[0] || d->reserved[1] ||
	    d->vm_size < PVSCHED_DUMP_VM_SIZE_VER0 ||
	    d->vcpu_size < PVSCHED_DUMP_VCPU_SIZE_VER0 ||
	    !IS_ALIGNED(d->vm_size, 8) || !IS_ALIGNED(d->vcpu_size, 8))
		return -EINVAL;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	c.len = d->len;
	c.vm_size = d->vm_size;
	c.vcpu_size = d->vcpu_size;
	ret = pvsched_vm_walk(dump_vm, dump_vcpu, &c);
	if (!ret && c.needed > c.len)
		ret = -ENOSPC;
	if (!ret)
		ret = dump_copy_out(&c, u64_to_user_ptr(d->buf));
	list_for_each_entry_safe(ch, tmp, &c.chunks, node)
		kvfree(ch);
	d->len = c.needed;
	d->nr_vms = c.nr_vms;
	d->nr_vcpus = c.nr_vcpus;
	return ret;
}

/* --- the table ------------------------------------------------------------ */

/* Each handler's argument: a kernel copy, zeroed, then copied in. */
union pvsched_ioc_arg {
	struct pvsched_info info;
	struct pvsched_vcpu_add vcpu_add;
	struct pvsched_vcpu_del vcpu_del;
	struct pvsched_params params;
	struct pvsched_vcpu_stats stats;
	struct pvsched_vm_name name;
	struct pvsched_vcpu_list list;
	struct pvsched_dump dump;
};

typedef long (*pvsched_ioc_fn)(struct pvsched_vm *vm, void *arg);

/* The commands, indexed by _IOC_NR. */
static const struct pvsched_ioc_desc {
	unsigned int cmd; /* the full command: direction and size */
	size_t min_size; /* smallest caller's size accepted (-EINVAL) */
	size_t in_size; /* input bytes if only a prefix is input (GET_STATS) */
	int out_err; /* an error after which the output is still written */
	pvsched_ioc_fn fn;
} pvsched_iocs[] = {
#define IOC(name, min, handler, ...)                                \
	[_IOC_NR(PVSCHED_IOC_##name)] = { .cmd = PVSCHED_IOC_##name,  \
					  .min_size = (min),          \
					  .fn = (handler), ##__VA_ARGS__ }
	IOC(GET_INFO, 0, ioc_get_info),
	IOC(VCPU_ADD, sizeof(struct pvsched_vcpu_add), ioc_vcpu_add),
	IOC(VCPU_DEL, sizeof(struct pvsched_vcpu_del), ioc_vcpu_del),
	IOC(SET_PARAMS, sizeof(struct pvsched_params), ioc_set_params),
	IOC(GET_PARAMS, 0, ioc_get_params),
	IOC(GET_STATS, offsetofend(struct pvsched_vcpu_stats, vcpu_id),
	    ioc_get_stats,
	    .in_size = offsetofend(struct pvsched_vcpu_stats, vcpu_id)),
	IOC(SET_NAME, sizeof(struct pvsched_vm_name), ioc_set_name),
	IOC(GET_VCPUS, sizeof(struct pvsched_vcpu_list), ioc_get_vcpus),
	IOC(DUMP, sizeof(struct pvsched_dump), ioc_dump, .out_err = -ENOSPC),
#undef IOC
};

static long pvsched_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct pvsched_vm *vm = file->private_data;
	const struct pvsched_ioc_desc *desc;
	void __user *uarg = (void __user *)arg;
	unsigned int nr = _IOC_NR(cmd);
	size_t usize = _IOC_SIZE(cmd), ksize;
	union pvsched_ioc_arg karg; /* a few hundred bytes of stack */
	long ret;

	if (_IOC_TYPE(cmd) != PVSCHED_IOCTL_TYPE ||
	    nr >= ARRAY_SIZE(pvsched_iocs))
		return -ENOTTY;
	desc = &pvsched_iocs[nr];
	if (!desc->fn || _IOC_DIR(cmd) != _IOC_DIR(desc->cmd))
		return -ENOTTY;
	if (usize < desc->min_size)
		return -EINVAL;

	ksize = _IOC_SIZE(desc->cmd);
	memset(&karg, 0, ksize);
	if (_IOC_DIR(cmd) & _IOC_WRITE) {
		if (desc->in_size)
			ret = copy_from_user(&karg, uarg, desc->in_size) ?
				      -EFAULT : 0;
		else
			ret = copy_struct_from_user(&karg, ksize, uarg, usize);
		if (ret)
			return ret;
	}
	ret = desc->fn(vm, &karg);
	if ((_IOC_DIR(cmd) & _IOC_READ) && (!ret || ret == desc->out_err) &&
	    copy_out(uarg, usize, &karg, ksize))
		return -EFAULT;
	return ret;
}

/* --- the device ------------------------------------------------------------ */

static int pvsched_open(struct inode *inode, struct file *file)
{
	struct pvsched_vm *vm = pvsched_vm_create();

	if (IS_ERR(vm))
		return PTR_ERR(vm);
	file->private_data = vm;
	return nonseekable_open(inode, file);
}

/* Last reference to the file gone (close, or the VMM died). */
static int pvsched_release(struct inode *inode, struct file *file)
{
	pvsched_vm_destroy(file->private_data);
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

int pvsched_chardev_init(void)
{
	return misc_register(&pvsched_misc);
}

/* Every session is gone: the module is unloaded only when no file is open. */
void pvsched_chardev_exit(void)
{
	misc_deregister(&pvsched_misc);
	WARN_ON(atomic_read(&pvsched_nr_vcpus));
}
