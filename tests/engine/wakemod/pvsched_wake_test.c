// SPDX-License-Identifier: GPL-2.0
/*
 * pvsched_wake_test: calls KVM's kvm_vcpu_wake_up() on a vCPU, the call
 * KVM makes when it posts an interrupt to a vCPU that is not in guest mode
 * (vmx_deliver_interrupt() with APICv, svm_complete_interrupt_delivery()
 * with AVIC, the VT-d wake-up vector, AMD's GA log).  The lab runs emulated
 * SVM without AVIC, where KVM never calls it (kvm.ko inlines its own uses,
 * docs/design.md), so this module stands in for the hardware to prove
 * pvsched's kvm_vcpu_wake_up probe on a real vCPU.  Loaded only by the lab
 * test tests/lab/tests/engine-posted.sh, built for the lab kernel by its
 * .pre step.
 *
 * <debugfs>/pvsched_wake_test/wake (root only):
 *   write "FD CALLS GAP_MS MODE": FD is a KVM vCPU file descriptor of the
 *     writing process (a test gets one from the VMM with pidfd_getfd(2));
 *     CALLS calls, GAP_MS milliseconds apart; MODE "preempted" waits
 *     before each call (up to 10 s in all) until KVM's vcpu->preempted says
 *     the vCPU thread was preempted (runnable, not running), "any" calls
 *     at once.  The write returns when done; it fails with EBADF (no such
 *     fd), ENOTTY (not a KVM vCPU), EINVAL (malformed), ENOENT (kvm not
 *     loaded), EINTR (a signal).
 *   read: the last write's result, "calls=N preempted=N woke=N timeout=0|1":
 *     calls made, calls that saw vcpu->preempted set just before, calls
 *     where kvm_vcpu_wake_up() woke a waiter (a halted vCPU).
 *
 * The vCPU cannot go away meanwhile: the file reference taken on FD holds
 * the VM (kvm_vcpu_release() drops it).  kvm_vcpu_wake_up() is found with
 * symbol_get(), which also holds kvm.ko, and is called through it: 7.3
 * exports it to kvm-amd and kvm-intel only (EXPORT_SYMBOL_FOR_KVM_INTERNAL),
 * so a direct call would not link there.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/kvm_host.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <uapi/linux/magic.h>

#define WAKE_TEST_WAIT_MS 10000 /* "preempted": longest wait in all */
#define WAKE_TEST_MAX_CALLS 1000
#define WAKE_TEST_MAX_GAP_MS 1000

/* Serializes the writes; protects the result. */
static DEFINE_MUTEX(wake_lock);
static struct {
	unsigned int calls, preempted, woke;
	bool timeout;
} result;
static struct dentry *wake_dir;

/*
 * A KVM vCPU file: an anonymous inode named "kvm-vcpu:ID" (create_vcpu_fd()
 * in virt/kvm/kvm_main.c, the same on 6.1, 6.12 and 7.3), whose
 * private_data is the vCPU with that id.  kvm-vcpu-stats:ID files carry
 * the vCPU too, but are not vCPU files.
 */
static struct kvm_vcpu *vcpu_of(struct file *f)
{
	const char *name = file_dentry(f)->d_name.name;
	struct kvm_vcpu *vcpu = f->private_data;
	unsigned int id;
	char end;

	if (file_inode(f)->i_sb->s_magic != ANON_INODE_FS_MAGIC ||
	    strncmp(name, "kvm-vcpu:", 9) ||
	    sscanf(name + 9, "%u%c", &id, &end) != 1 || !vcpu ||
	    vcpu->vcpu_id != id)
		return NULL;
	return vcpu;
}

static int wake_calls(struct kvm_vcpu *vcpu, unsigned int calls,
		      unsigned int gap_ms, bool wait_preempted)
{
	bool (*wake_fn)(struct kvm_vcpu *vcpu) = symbol_get(kvm_vcpu_wake_up);
	unsigned long deadline = jiffies + msecs_to_jiffies(WAKE_TEST_WAIT_MS);
	int ret = 0;

	if (!wake_fn)
		return -ENOENT;
	memset(&result, 0, sizeof(result));
	while (result.calls < calls) {
		bool preempted = READ_ONCE(vcpu->preempted);

		if (signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		if (wait_preempted && !preempted) {
			if (time_after(jiffies, deadline)) {
				result.timeout = true;
				break;
			}
			usleep_range(100, 200);
			continue;
		}
		result.calls++;
		result.preempted += preempted;
		result.woke += wake_fn(vcpu);
		if (gap_ms)
			msleep_interruptible(gap_ms);
	}
	symbol_put(kvm_vcpu_wake_up);
	return ret;
}

static ssize_t wake_write(struct file *file, const char __user *ubuf,
			  size_t len, loff_t *ppos)
{
	unsigned int fd, calls, gap_ms;
	struct kvm_vcpu *vcpu;
	char buf[64], mode[16];
	struct file *f;
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = 0;
	if (sscanf(buf, "%u %u %u %15s", &fd, &calls, &gap_ms, mode) != 4 ||
	    !calls || calls > WAKE_TEST_MAX_CALLS ||
	    gap_ms > WAKE_TEST_MAX_GAP_MS ||
	    (strcmp(mode, "preempted") && strcmp(mode, "any")))
		return -EINVAL;
	f = fget(fd);
	if (!f)
		return -EBADF;
	vcpu = vcpu_of(f);
	if (!vcpu) {
		fput(f);
		return -ENOTTY;
	}
	mutex_lock(&wake_lock);
	ret = wake_calls(vcpu, calls, gap_ms, !strcmp(mode, "preempted"));
	pr_info("vcpu %u: %u calls (%u preempted, %u woke)%s\n",
		vcpu->vcpu_id, result.calls, result.preempted, result.woke,
		result.timeout ? ", timed out waiting for a preemption" : "");
	mutex_unlock(&wake_lock);
	fput(f);
	return ret ? ret : len;
}

static ssize_t wake_read(struct file *file, char __user *ubuf, size_t len,
			 loff_t *ppos)
{
	char buf[96];
	int n;

	mutex_lock(&wake_lock);
	n = scnprintf(buf, sizeof(buf),
		      "calls=%u preempted=%u woke=%u timeout=%d\n",
		      result.calls, result.preempted, result.woke,
		      result.timeout);
	mutex_unlock(&wake_lock);
	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

static const struct file_operations wake_fops = {
	.owner = THIS_MODULE,
	.write = wake_write,
	.read = wake_read,
	.llseek = default_llseek,
};

static int __init wake_test_init(void)
{
	wake_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("wake", 0600, wake_dir, NULL, &wake_fops);
	return 0;
}

static void __exit wake_test_exit(void)
{
	debugfs_remove_recursive(wake_dir);
}

module_init(wake_test_init);
module_exit(wake_test_exit);
MODULE_DESCRIPTION("pvsched lab test: kvm_vcpu_wake_up() on a vCPU, as a posted interrupt does");
MODULE_LICENSE("GPL");
