// SPDX-License-Identifier: GPL-2.0
/*
 * pvsched admin caps: module parameters, writable by root at run time in
 * /sys/module/pvsched/parameters/.  Every setter validates its bounds and
 * refuses out-of-range values with -EINVAL (nothing is clamped).
 *
 * Caps bound what a VM session may ask for (SET_PARAMS) and what the engine
 * applies at run time; the default_* parameters are the tunables a new
 * session starts with (GET_PARAMS before any SET_PARAMS).  Three of them
 * bound all sessions together (uapi header, "The host-wide bound"):
 * max_rt_prio is the RT ceiling, max_duty_pct the duty cycle of any
 * session, cpu_share_pct/cpu_share_window_us the RT-boosted time of all
 * vCPUs on one host CPU.  Their defaults are argued in pvsched_policy.h.
 *
 * The bounds of the attributes (nice, RT priority), a new session's
 * defaults and the rank of the boost policies are the policy core's
 * (pvsched_policy.h), and so is the check of a malformed boost attribute
 * (pvsched_attr_valid()): SET_PARAMS' validation here adds only what the
 * caps refuse.
 */

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/kernel.h>
#include <linux/seqlock.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/minmax.h>
#include <linux/time64.h>
#include <linux/stringify.h>
#include <uapi/linux/sched.h>

#include "pvsched_caps.h"
#include "pvsched_policy.h"

/*
 * Protect every parameter below: setters (sysfs writes, process context)
 * take caps_write_lock with interrupts off and bump caps_seq around the
 * store; readers retry until they copied a consistent snapshot, without
 * taking any lock, so pvsched_caps_get() works from any context (probes,
 * the hard-IRQ kick probe and hrtimer, under the engine's raw spinlocks),
 * also on PREEMPT_RT.  Both are raw on purpose: with a seqlock_t, an RT
 * reader that meets a writer in progress takes the writer's spinlock,
 * which sleeps there.
 */
static DEFINE_RAW_SPINLOCK(caps_write_lock);
static seqcount_raw_spinlock_t caps_seq =
	SEQCNT_RAW_SPINLOCK_ZERO(caps_seq, &caps_write_lock);

/* Every parameter is an int or unsigned int: one store under the writer. */
static void caps_store(void *param, unsigned int val)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&caps_write_lock, flags);
	write_seqcount_begin(&caps_seq);
	*(unsigned int *)param = val;
	write_seqcount_end(&caps_seq);
	raw_spin_unlock_irqrestore(&caps_write_lock, flags);
}

static unsigned int max_policy = SCHED_FIFO;
static unsigned int max_rt_prio = PVSCHED_DEFAULT_RT_CEILING;
static int min_nice = -10;
static unsigned int max_vcpus_per_vm = 256;
static unsigned int max_vms = 64;
static unsigned int max_boost_cap_us = 1000000;
static unsigned int min_throttle_us = 1000;
static unsigned int max_duty_pct = PVSCHED_DEFAULT_MAX_DUTY_PCT;
static unsigned int cpu_share_pct = PVSCHED_DEFAULT_CPU_SHARE_PCT;
static unsigned int cpu_share_window_us =
	PVSCHED_DEFAULT_CPU_SHARE_WINDOW_NS / NSEC_PER_USEC;
/* A new session's boost, max_boost and throttle: the policy core's. */
static unsigned int default_boost_policy = PVSCHED_DEFAULT_BOOST_POLICY;
static unsigned int default_boost_prio = PVSCHED_DEFAULT_BOOST_RT_PRIO;
static unsigned int default_max_boost_us =
	PVSCHED_DEFAULT_MAX_BOOST_NS / NSEC_PER_USEC;
static unsigned int default_throttle_us =
	PVSCHED_DEFAULT_THROTTLE_NS / NSEC_PER_USEC;

const char *pvsched_policy_name(u32 policy)
{
	static const char *const names[] = {
		[SCHED_NORMAL] = "normal", [SCHED_FIFO] = "fifo",
		[SCHED_RR] = "rr",	   [SCHED_BATCH] = "batch",
		[SCHED_IDLE] = "idle",	   [SCHED_DEADLINE] = "deadline",
	};

	if (policy < ARRAY_SIZE(names) && names[policy])
		return names[policy];
	return "unknown";
}

/* A boost policy: "normal", "rr", "fifo" or the numbers 0, 2, 1. */
static int boost_policy_set(const char *val, const struct kernel_param *kp)
{
	unsigned int policy;
	char buf[16];

	strscpy(buf, val, sizeof(buf));
	strim(buf);
	if (!strcmp(buf, "normal") || !strcmp(buf, "other"))
		policy = SCHED_NORMAL;
	else if (!strcmp(buf, "rr"))
		policy = SCHED_RR;
	else if (!strcmp(buf, "fifo"))
		policy = SCHED_FIFO;
	else if (kstrtouint(buf, 0, &policy) ||
		 pvsched_policy_rank(policy) < 0)
		return -EINVAL;

	caps_store(kp->arg, policy);
	return 0;
}

static int boost_policy_get(char *buffer, const struct kernel_param *kp)
{
	return sysfs_emit(buffer, "%s\n",
			  pvsched_policy_name(*(unsigned int *)kp->arg));
}

static const struct kernel_param_ops boost_policy_ops = {
	.set = boost_policy_set,
	.get = boost_policy_get,
};

/* Bounded integers: the bounds of each parameter are in its table entry. */
struct bounded_param {
	int *val;
	int min;
	int max;
};

static int bounded_set(const char *val, const struct kernel_param *kp)
{
	const struct bounded_param *bp = kp->arg;
	int n, ret;

	ret = kstrtoint(val, 0, &n);
	if (ret)
		return -EINVAL;
	if (n < bp->min || n > bp->max)
		return -EINVAL;

	caps_store(bp->val, n);
	return 0;
}

static int bounded_get(char *buffer, const struct kernel_param *kp)
{
	const struct bounded_param *bp = kp->arg;

	return sysfs_emit(buffer, "%d\n", READ_ONCE(*bp->val));
}

static const struct kernel_param_ops bounded_ops = {
	.set = bounded_set,
	.get = bounded_get,
};

#define PVSCHED_BOUNDED_PARAM(name, lo, hi, desc)                          \
	static struct bounded_param bounded_##name = {                     \
		.val = (int *)&(name),                                    \
		.min = (lo),                                               \
		.max = (hi),                                               \
	};                                                                 \
	module_param_cb(name, &bounded_ops, &bounded_##name, 0644);       \
	MODULE_PARM_DESC(name, desc " [" __stringify(lo) ".." __stringify(hi) "]")

module_param_cb(max_policy, &boost_policy_ops, &max_policy, 0644);
MODULE_PARM_DESC(max_policy,
		 "Strongest scheduling policy a VM may get: normal|rr|fifo (or 0|2|1); FIFO > RR > NORMAL (default fifo)");
PVSCHED_BOUNDED_PARAM(max_rt_prio, PVSCHED_RT_PRIO_MIN, PVSCHED_CAP_RT_PRIO_MAX, "RT ceiling: highest SCHED_FIFO/RR priority any vCPU gets, boosted or at its guest's request; host RT tasks above it always preempt boosted vCPUs (default 4)");
PVSCHED_BOUNDED_PARAM(min_nice, PVSCHED_NICE_MIN, PVSCHED_NICE_MAX, "Lowest nice value a VM may get with SCHED_NORMAL (default -10)");
PVSCHED_BOUNDED_PARAM(max_vcpus_per_vm, 1, 1024, "vCPUs one VM session may register (default 256)");
PVSCHED_BOUNDED_PARAM(max_vms, 1, 4096, "VM sessions with at least one vCPU, host-wide (default 64)");
PVSCHED_BOUNDED_PARAM(max_boost_cap_us, 1, 10000000, "Largest max_boost a VM may set, in microseconds (default 1000000)");
PVSCHED_BOUNDED_PARAM(min_throttle_us, 1, 1000000, "Smallest throttle window a VM may set, in microseconds (default 1000)");
PVSCHED_BOUNDED_PARAM(max_duty_pct, 1, 100, "Largest duty cycle max_boost/(max_boost+throttle) a VM may set, in percent; a lower value lengthens running VMs' throttle windows; 100: no cap (default 70)");
PVSCHED_BOUNDED_PARAM(cpu_share_pct, 1, 100, "RT-boosted time of all vCPUs on one host CPU, in percent of cpu_share_window_us; then boosts on that CPU are refused until the window ends; 100: no bound (default 50)");
PVSCHED_BOUNDED_PARAM(cpu_share_window_us, 1000, 10000000, "Window of cpu_share_pct, in microseconds (default 100000)");
module_param_cb(default_boost_policy, &boost_policy_ops, &default_boost_policy,
		0644);
MODULE_PARM_DESC(default_boost_policy,
		 "Boost policy of a new VM session: normal|rr|fifo (or 0|2|1) (default rr)");
PVSCHED_BOUNDED_PARAM(default_boost_prio, PVSCHED_RT_PRIO_MIN, PVSCHED_CAP_RT_PRIO_MAX, "Boost rt priority of a new VM session (default 1)");
PVSCHED_BOUNDED_PARAM(default_max_boost_us, 1, 10000000, "max_boost of a new VM session, in microseconds (default 20000)");
PVSCHED_BOUNDED_PARAM(default_throttle_us, 1, 10000000, "Throttle window of a new VM session, in microseconds (default 10000)");

static void read_caps(struct pvsched_caps *caps)
{
	caps->max_policy = max_policy;
	caps->max_rt_prio = max_rt_prio;
	caps->min_nice = min_nice;
	caps->max_vcpus_per_vm = max_vcpus_per_vm;
	caps->max_vms = max_vms;
	caps->max_boost_cap_ns = (u64)max_boost_cap_us * NSEC_PER_USEC;
	caps->min_throttle_ns = (u64)min_throttle_us * NSEC_PER_USEC;
	caps->max_duty_pct = max_duty_pct;
	caps->cpu_share_pct = cpu_share_pct;
	caps->cpu_share_window_ns = (u64)cpu_share_window_us * NSEC_PER_USEC;
	caps->cpu_share_ns = (u64)cpu_share_window_us * cpu_share_pct *
			     (NSEC_PER_USEC / 100);
}

void pvsched_caps_get(struct pvsched_caps *caps)
{
	unsigned int seq;

	do {
		seq = read_seqcount_begin(&caps_seq);
		read_caps(caps);
	} while (read_seqcount_retry(&caps_seq, seq));
}

/*
 * The defaults, brought within the current caps so that a session's
 * GET_PARAMS output is always accepted by SET_PARAMS: the policy is capped
 * by max_policy (an RT default above it becomes SCHED_NORMAL at min_nice),
 * the priority by max_rt_prio, the boost length by max_boost_cap and the
 * throttle window raised to min_throttle and to what max_duty_pct needs.
 * The fair boost uses min_nice.
 */
void pvsched_params_default(struct pvsched_params *params)
{
	unsigned int policy, prio, boost_us, throttle_us;
	struct pvsched_caps caps;
	unsigned int seq;

	do {
		seq = read_seqcount_begin(&caps_seq);
		read_caps(&caps);
		policy = default_boost_policy;
		prio = default_boost_prio;
		boost_us = default_max_boost_us;
		throttle_us = default_throttle_us;
	} while (read_seqcount_retry(&caps_seq, seq));

	if (pvsched_policy_rank(policy) > pvsched_policy_rank(caps.max_policy))
		policy = caps.max_policy;
	prio = min(prio, caps.max_rt_prio);
	if (policy == SCHED_NORMAL)
		prio = 0;

	memset(params, 0, sizeof(*params));
	params->cs_policy = policy;
	params->cs_rt_prio = prio;
	params->cs_nice = caps.min_nice;
	params->intr_policy = policy;
	params->intr_rt_prio = prio;
	params->intr_nice = caps.min_nice;
	params->max_boost_ns = min_t(u64, (u64)boost_us * NSEC_PER_USEC,
				     caps.max_boost_cap_ns);
	params->throttle_ns = max3((u64)throttle_us * NSEC_PER_USEC,
				   caps.min_throttle_ns,
				   pvsched_duty_min_throttle_ns(params->max_boost_ns,
								caps.max_duty_pct));
	params->debug = 0;
}

/* A policy above max_policy, a priority above max_rt_prio, a nice below min_nice. */
static bool beyond_caps(const struct pvsched_attr *a,
			const struct pvsched_caps *caps)
{
	if (pvsched_policy_rank(a->policy) >
	    pvsched_policy_rank(caps->max_policy))
		return true;
	if (a->policy == SCHED_FIFO || a->policy == SCHED_RR)
		return a->rt_prio > caps->max_rt_prio;
	return a->nice < caps->min_nice;
}

/*
 * SET_PARAMS validation, as documented in uapi/linux/pvsched.h: -EINVAL for
 * malformed values (checked first), -EPERM for values beyond the caps.
 */
int pvsched_params_check(const struct pvsched_params *p)
{
	const struct pvsched_attr cs = { .policy = p->cs_policy,
					 .rt_prio = p->cs_rt_prio,
					 .nice = p->cs_nice };
	const struct pvsched_attr intr = { .policy = p->intr_policy,
					   .rt_prio = p->intr_rt_prio,
					   .nice = p->intr_nice };
	struct pvsched_caps caps;

	/* withheld_features: any bits, an unknown feature is never honoured */
	if ((p->flags & ~PVSCHED_PARAMS_FLAGS_ALL) || p->reserved[0] ||
	    p->debug > 1)
		return -EINVAL;
	if (!p->max_boost_ns || !p->throttle_ns)
		return -EINVAL;
	if (!pvsched_attr_valid(&cs) || !pvsched_attr_valid(&intr))
		return -EINVAL;

	pvsched_caps_get(&caps);
	if (beyond_caps(&cs, &caps) || beyond_caps(&intr, &caps))
		return -EPERM;
	if (p->max_boost_ns > caps.max_boost_cap_ns ||
	    p->throttle_ns < caps.min_throttle_ns ||
	    p->throttle_ns < pvsched_duty_min_throttle_ns(p->max_boost_ns,
							  caps.max_duty_pct))
		return -EPERM;
	return 0;
}
