/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * pvsched: paravirtual scheduling for KVM -- the whole userspace/guest ABI.
 *
 * Overview
 * ========
 *
 * A guest tells the host, through one shared-memory slot per vCPU, what it
 * is running (a kernel critical section, an interrupt, a real-time task).
 * The host module pvsched.ko watches KVM events of the registered vCPU
 * threads and boosts or throttles those threads accordingly.  A VMM (or
 * "pvschedctl attach" for a stock QEMU) owns the shared memory, writes its
 * region header and registers each vCPU thread with /dev/pvsched.
 *
 * Shared-memory region
 * ====================
 *
 * The region starts with one struct pvsched_region_header (one cache line),
 * followed by nr_slots slots of slot_size bytes (struct pvsched_vcpu_slot,
 * 64 bytes, one cache line each) starting at slot_offset.  Slot i belongs to
 * the guest CPU whose Linux CPU id (and QEMU cpu-index) is i.  All fields
 * are little-endian, naturally aligned.
 *
 * Slot identity: the two numberings agree only as long as the guest
 * enumerates its CPUs in the VMM's order (a CPU hot-added out of order, a
 * VMM that numbers vCPUs its own way breaks that), and a guest CPU that
 * writes another vCPU's slot drives that vCPU's thread.  So the guest
 * driver checks slot.header.vcpu_id, the vcpu_id the VMM registered the
 * slot's thread with (for pvschedctl and QEMU: the cpu-index), against its
 * own CPU's identity: on x86 the CPU's ACPI processor UID, which QEMU
 * numbers by cpu-index in its MADT, or, for a guest without ACPI, its
 * initial APIC ID.  A slot whose header names another vCPU is refused:
 * never written, one kernel message and a counter (debugfs "counters",
 * slot_refused).  A header not written yet (vcpu_pid 0: no thread
 * registered) is used and checked again at each publication, so a
 * registration that arrives later with another vcpu_id stops it then (the
 * slot cleared once of what the guest wrote).  The host writes vcpu_id
 * before vcpu_pid.
 *
 * Ownership:
 *   - region header: magic, abi_*, nr_slots, slot_size, slot_offset and
 *     host_features are written by the host side (VMM) before the guest is
 *     started; magic is written last.  guest_* fields are written by the
 *     guest driver during negotiation.
 *   - slot.header: written by the host (vcpu_id, vcpu_pid = host thread id,
 *     written by pvsched.ko at PVSCHED_IOC_VCPU_ADD).
 *   - slot.guest: written only by the guest, only by the CPU owning the slot.
 *   - slot.host: written only by pvsched.ko.
 *
 * Negotiation: the guest checks magic, abi_major == PVSCHED_ABI_MAJOR (minor
 * may differ; unknown minor features are simply not offered), slot_size and
 * that nr_slots slots fit in the region.  It then writes guest_abi_major,
 * guest_abi_minor, guest_features = host_features & what it supports, and
 * finally guest_state = PVSCHED_GUEST_ACTIVE.  On a mismatch it writes
 * guest_state = PVSCHED_GUEST_REFUSED and leaves the slots alone.  The host
 * never trusts guest_features: bits it did not offer are ignored (and
 * reported by pvschedctl).
 *
 * Sequence counters (guest area and host area alike):
 *   writer:  seq++ (now odd); write barrier; write the fields;
 *            write barrier; seq++ (now even).
 *   reader:  s1 = seq; if odd, retry; read barrier; copy the fields;
 *            read barrier; s2 = seq; if s1 != s2, retry.
 * A reader on the host gives up after a few retries and keeps its previous
 * snapshot (counted as a torn read); a guest that keeps seq odd forever
 * therefore only loses its own requests.  The flags word of the guest area
 * is a single 32-bit word that the guest may also update without the
 * sequence counter (e.g. from NMI context); the host reads it with one load.
 *
 * How the host interprets the guest area (PVSCHED_F_TASK_PRIO):
 *   - SCHED_NORMAL(0), SCHED_BATCH(3), SCHED_IDLE(5): a fair-class request;
 *     sched_nice is clamped to [-20, 19] and then to the admin's min_nice.
 *     SCHED_BATCH and SCHED_IDLE are applied as SCHED_NORMAL with that nice.
 *   - SCHED_FIFO(1), SCHED_RR(2): a real-time request; rt_prio is clamped
 *     to [1, 99] and then to the VM's and the admin's maximum; the policy is
 *     capped by the admin's max_policy (FIFO > RR > NORMAL).
 *   - SCHED_DEADLINE(6): refused (counted in guest_refused) and treated as
 *     SCHED_NORMAL, nice 0.
 *   - any other value: ignored (counted in guest_invalid) and treated as
 *     SCHED_NORMAL, nice 0.
 * An all-zero guest area (SCHED_NORMAL, nice 0, no flags) asks for nothing.
 *
 * When a boost ends (the session's mechanisms, struct pvsched_params.flags):
 *   - at a VM exit the guest's request above decides again: a critical
 *     section or RT task keeps the vCPU boosted, a fair task returns it to
 *     its base.  With PVSCHED_GUEST_IDLE set (idle hold, the default) a
 *     boost in force is kept instead, until the guest runs a task again or
 *     the vCPU halts.
 *   - HLT boosts the vCPU while it sleeps, so the wake-up that ends the halt
 *     runs at once.
 *   - interrupt hold (the default): an interrupt injection (or a kick boost)
 *     boosts the vCPU until the guest has taken the interrupt, i.e. until
 *     a VM exit finds a PVSCHED_CS_* flag set or the guest area's seq moved
 *     since the boost (the guest woke or switched a task), at most
 *     PVSCHED_IRQ_HOLD_MAX_NS (4 ms); an exit before that (an interrupt
 *     window, a re-injection, a second interrupt) does not end it.  After
 *     a kick, what the guest shows counts only once KVM has injected the
 *     interrupt (the 4 ms still count from the kick): the guest may
 *     move seq with its interrupts off while the interrupt waits (a switch
 *     away from an RT task), and would otherwise be demoted with it
 *     pending.  Not on a vCPU that has had a posted delivery (APICv, AVIC),
 *     where KVM delivers without an injection the host sees.  A guest
 *     without the driver (its slot's seq still zero) shows nothing: its
 *     hold lasts until it halts or PVSCHED_IRQ_HOLD_MAX_NS has passed.
 *   - kick boost (the default): an interrupt that becomes pending for a vCPU
 *     whose thread is runnable but preempted (KVM's kvm_vcpu_kick() on a
 *     vCPU with vcpu->preempted set: the LAPIC timer, an IPI, an irqfd)
 *     boosts the thread to the interrupt boost at once, from the waker's
 *     context through the engine's worker, so the interrupt does not wait
 *     for the host scheduler's next turn.  A kick to a vCPU that runs (the
 *     timer firing while it is in guest mode) boosts it at the VM exit
 *     that follows, in its own thread, so it is not demoted and preempted
 *     there before it re-enters and injects.
 * Every boost counts against max_boost_ns; none can keep a vCPU boosted past
 * the throttle.  A throttle pays the budget back at the session's rate,
 * max_boost_ns per throttle_ns, for as long as it lasts.
 *
 * The host-wide bound (module 0.3): the admin's caps bound all sessions
 * together, not only each one.
 *   - RT ceiling: no vCPU thread gets an RT priority above max_rt_prio
 *     (boosts and guest requests alike), so the host's own RT tasks above
 *     it always preempt boosted vCPUs.  A thread's own base (what it had
 *     at VCPU_ADD, or what someone else set later) is not capped: pvsched
 *     returns it there.
 *   - max_duty_pct: max_boost_ns / (max_boost_ns + throttle_ns) of a
 *     session; SET_PARAMS refuses more, and a cap lowered later lengthens
 *     the throttle window at run time.
 *   - cpu_share_pct per cpu_share_window_ns: the CPU time all registered
 *     vCPU threads together run at an RT boost on one host CPU (their
 *     stats' boosted_cpu_ns, from the scheduler's own accounting, which it
 *     brings up to date at its ticks).  Once a CPU's share of a window is
 *     used up, every boost of a vCPU on that CPU is refused or ended (the
 *     thread back at its base, state PVSCHED_STATE_THROTTLED, counted in
 *     share_throttles, trace event pvsched:pvsched_share) until the window
 *     ends; the rest of each window goes to the fair class: the host's
 *     tasks and the vCPUs at their base.
 *
 * /dev/pvsched
 * ============
 *
 * Each open file description is one VM session.  Closing it (or the VMM
 * dying) unregisters all its vCPUs: threads get their base scheduling
 * attributes back, shared memory is unpinned, timers are cancelled.
 *
 * ioctl numbers use type PVSCHED_IOCTL_TYPE.  Structures only contain
 * fixed-width 32- and 64-bit fields with explicit padding; reserved fields
 * and padding must be zero on input (-EINVAL otherwise).  Structures that may
 * grow are copied with copy_struct_from_user(): a newer, larger structure
 * is accepted if its unknown tail is zero (-E2BIG otherwise), an older,
 * smaller one (not smaller than the first version) is zero-extended.  Output
 * structures are truncated to the size the caller passed.  Unknown commands
 * fail with -ENOTTY; -EFAULT for unreadable or unwritable arguments.
 *
 * PVSCHED_IOC_GET_INFO (struct pvsched_info, out)
 *   Module and ABI versions, supported features, attached tracepoint family
 *   and events, admin caps (the host-wide bounds included: max_rt_prio is
 *   the RT ceiling, max_duty_pct, cpu_share_pct and cpu_share_window_ns;
 *   see "The host-wide bound" above), global counts, and this session's
 *   vm_id.  Never fails for a valid argument pointer.  The structure grew
 *   at its end in module 0.3; a caller compiled against the older one gets
 *   what fits its size.
 *
 * PVSCHED_IOC_VCPU_ADD (struct pvsched_vcpu_add, in)
 *   Registers host thread tid (in the caller's pid namespace) as vCPU
 *   vcpu_id of this session, with its slot at user address slot_addr.  The
 *   module saves the thread's current scheduling attributes as its base,
 *   pins the slot's page for writing and writes slot.header.
 *   Whose thread (ABI 1.2): the thread must belong to the VMM the caller
 *   names, so that a deputy registering threads on a VMM's word (pvschedctl
 *   attach runs as root and reads the thread ids from QMP, which the guest's
 *   QEMU answers) cannot be made to register another VM's vCPU or a host
 *   daemon's thread:
 *     - with PVSCHED_VCPU_ADD_PIDFD in flags, pidfd is a pidfd of the VMM
 *       process (pidfd_open(2), SO_PEERPIDFD, CLONE_PIDFD) and tid must be
 *       a thread of that process (its thread group).  The check is made
 *       against the process the pidfd refers to, so a pid number reused
 *       since the caller looked cannot pass it;
 *     - without it (the 24-byte structure of ABI 1.0 and 1.1), tid must be
 *       a thread of the caller's own process: a VMM registering its own
 *       vCPU threads works as before.
 *   A thread of another process without a pidfd is refused with -EPERM and
 *   a kernel message (ratelimited) "pvsched: VCPU_ADD by COMM[PID]: thread
 *   TID (COMM) of process PID is not the caller's and no pidfd names its
 *   VMM (PVSCHED_VCPU_ADD_PIDFD): refused", unless the admin set the module
 *   parameter allow_foreign_vcpus=1 (module 0.2's behaviour, for deputies
 *   written before ABI 1.2); a thread outside the pidfd's process is
 *   refused with -EPERM and "pvsched: VCPU_ADD by COMM[PID]: thread TID
 *   (COMM) of process PID is not in process PID named by the pidfd:
 *   refused".  A module of ABI 1.1 or older refuses the flag with -EINVAL.
 *   The slot must be shared memory that no filesystem writes back: shmem
 *   (a tmpfs file such as one in /dev/shm, a memfd, MAP_SHARED |
 *   MAP_ANONYMOUS) or hugetlbfs.  The page stays pinned while the vCPU is
 *   registered and counts as locked memory of the caller's process, one
 *   page per vCPU, against its RLIMIT_MEMLOCK unless it has CAP_IPC_LOCK
 *   (returned when the vCPU goes, whoever ends it).
 *   The base follows the thread: when someone else changes its attributes
 *   (chrt, libvirt, the VMM), pvsched notices before it next changes them
 *   itself (and at unregistration) and takes the new ones as the base it
 *   returns to (counted in base_changes, traced as pvsched:pvsched_rebase).
 *   A thread made SCHED_DEADLINE later is left alone from then on: never
 *   boosted, never restored.  Errors:
 *     -EPERM   caller lacks CAP_SYS_NICE, or may not change the thread's
 *              scheduling (sched_setattr(2) rules), or the thread is a
 *              kernel thread, or it is not the VMM's (above);
 *     -ESRCH   no such thread, or it is exiting, or the process of the
 *              pidfd has exited;
 *     -EBADF   PVSCHED_VCPU_ADD_PIDFD and pidfd is not an open pidfd;
 *     -EBUSY   the thread is registered already (in any session);
 *     -EEXIST  vcpu_id already registered in this session;
 *     -EINVAL  unknown flags, pad or reserved not zero, pidfd not zero
 *              without PVSCHED_VCPU_ADD_PIDFD, vcpu_id >= PVSCHED_MAX_VCPU_ID,
 *              slot_addr not aligned to 64 bytes, or the thread is
 *              SCHED_DEADLINE (pvsched never changes a deadline thread);
 *     -EFAULT  slot_addr not inside one writable shared (MAP_SHARED)
 *              mapping of the caller, or not mapped, or that mapping is
 *              not shmem or hugetlbfs (a regular file's page cache:
 *              pinned for long, it would be written behind its
 *              filesystem's back);
 *     -ENOSPC  per-VM vCPU limit or global VM limit reached;
 *     -ENOMEM  out of memory, or the pinned page would take the caller's
 *              locked memory beyond its RLIMIT_MEMLOCK.
 *
 * PVSCHED_IOC_VCPU_DEL (struct pvsched_vcpu_del, in)
 *   Unregisters vcpu_id: base attributes restored, slot unpinned.
 *   -ENOENT if not registered, -EINVAL for nonzero flags/padding.
 *
 * PVSCHED_IOC_SET_PARAMS / PVSCHED_IOC_GET_PARAMS (struct pvsched_params)
 *   The session's tunables.  SET_PARAMS refuses values beyond the admin caps
 *   with -EPERM (nothing is clamped silently: a policy above max_policy, an
 *   rt_prio above max_rt_prio, a nice below min_nice, max_boost_ns above
 *   max_boost_cap_ns, throttle_ns below min_throttle_ns, a duty cycle
 *   max_boost_ns / (max_boost_ns + throttle_ns) above max_duty_pct percent)
 *   and malformed values
 *   with -EINVAL (unknown boost policy, rt_prio outside [1, 99] for an RT
 *   policy, nice outside [-20, 19], max_boost_ns or throttle_ns zero, flags
 *   outside PVSCHED_PARAMS_FLAGS_ALL, nonzero reserved fields).  flags turn
 *   off the boost mechanisms of module version 0.2 (all on when zero, so a
 *   VMM written for 0.1 gets them): PVSCHED_PARAMS_NO_KICK_BOOST,
 *   PVSCHED_PARAMS_NO_IDLE_HOLD, PVSCHED_PARAMS_NO_IRQ_HOLD; all three set
 *   is the 0.1 policy (boosts end at the next VM exit).  A 0.1 module
 *   refuses any flag with -EINVAL.  If the admin lowers a cap later, the lower
 *   cap wins at run time.  Zeroes in GET_PARAMS never occur: the module's
 *   defaults are reported until SET_PARAMS.
 *   withheld_features (ABI 1.2): the PVSCHED_F_* the VMM did not offer the
 *   guest (host_features of the region), so that the host honours guest
 *   input only for what was offered: without PVSCHED_F_CRIT_SECTION the
 *   PVSCHED_CS_* flags are ignored, without PVSCHED_F_TASK_PRIO the
 *   requested policy/nice/rt_prio (read as SCHED_NORMAL, nice 0), without
 *   PVSCHED_F_IDLE_HINT PVSCHED_GUEST_IDLE; VM exits whose guest area used
 *   one anyway are counted in guest_unoffered.  The region header cannot
 *   say it: the guest may write all of it.  What the guest accepted
 *   (guest_features) bounds nothing more, since the guest writes that too.
 *   Output features (PVSCHED_F_HOST_AREA, PVSCHED_F_BOOST_STATE) change
 *   nothing here: the host area is written either way.  Bits the module
 *   does not know are accepted (a feature it does not have is never
 *   honoured); 0, what a VMM written before this field passes, withholds
 *   nothing.  A module before it refuses a nonzero value with -EINVAL.
 *
 * PVSCHED_IOC_GET_STATS (struct pvsched_vcpu_stats, in: vcpu_id; out: rest)
 *   One vCPU's state and counters.  -ENOENT if not registered.
 *
 * PVSCHED_IOC_SET_NAME (struct pvsched_vm_name, in)
 *   A NUL-terminated label for this session shown by "pvschedctl status".
 *   -EINVAL if not NUL-terminated within PVSCHED_NAME_LEN or not printable.
 *
 * PVSCHED_IOC_GET_VCPUS (struct pvsched_vcpu_list, in/out)
 *   Lists this session's vcpu_ids: up to nr entries are written to the
 *   __u32 array at user address ids; nr is set to the number registered.
 *
 * PVSCHED_IOC_DUMP (struct pvsched_dump, in/out; ABI 1.2)
 *   Every session open on the host, with its params, and every vCPU with
 *   its stats: what debugfs "vms" shows, typed, for admin tools
 *   ("pvschedctl status").  Needs CAP_SYS_ADMIN, like reading debugfs.  The
 *   caller's own session is one of them (GET_INFO's vm_id says which).
 *   In: buf, the user address of a buffer of len bytes, and the size of the
 *   caller's records, vm_size (sizeof(struct pvsched_dump_vm)) and vcpu_size
 *   (sizeof(struct pvsched_dump_vcpu)); nr_vms and nr_vcpus are ignored.
 *   Out: for each session, in the order they were opened, one VM record
 *   followed by its nr_vcpus vCPU records (ascending vcpu_id), each of the
 *   caller's size like any output structure (truncated, or its unknown tail
 *   zeroed); nr_vms and nr_vcpus are the records written, len the bytes
 *   written.  Each session is read at one instant, the host is not: a
 *   session may open or close during the call.  Errors:
 *     -ENOSPC  len is too small for the records: nothing is written to buf,
 *              len is set to the bytes they need, nr_vms and nr_vcpus to
 *              their number, and the call may be repeated with a larger
 *              buffer (with room to spare: sessions come and go); len 0
 *              asks for the size;
 *     -EPERM   the caller lacks CAP_SYS_ADMIN;
 *     -EINVAL  flags, pad or reserved not zero; vm_size or vcpu_size
 *              smaller than in ABI 1.2 (PVSCHED_DUMP_*_SIZE_VER0) or not
 *              a multiple of 8;
 *     -EFAULT  buf not writable for the bytes of the records;
 *     -ENOMEM  out of memory.
 */
#ifndef _UAPI_LINUX_PVSCHED_H
#define _UAPI_LINUX_PVSCHED_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* Shared-memory region */

#define PVSCHED_MAGIC 0x48435650u /* "PVCH" read as little-endian bytes */
#define PVSCHED_ABI_MAJOR 1
/*
 * 1: PVSCHED_F_IDLE_HINT, PVSCHED_GUEST_IDLE; 2: PVSCHED_IOC_DUMP,
 * PVSCHED_F_BOOST_STATE and slot.host_boost, the wake and timer boosts,
 * PVSCHED_VCPU_ADD_PIDFD (a vCPU thread must be the named VMM's),
 * pvsched_params.withheld_features, the slot identity check; 3:
 * PVSCHED_F_EXIT_DEMOTE and PVSCHED_GUEST_EXIT_DEMOTE
 */
#define PVSCHED_ABI_MINOR 3

#define PVSCHED_CACHELINE 64
#define PVSCHED_SLOT_SIZE 64
#define PVSCHED_REGION_HDR_SIZE 64
/* Bytes a region with n slots needs. */
#define PVSCHED_REGION_SIZE(n) \
	(PVSCHED_REGION_HDR_SIZE + (__u64)(n) * PVSCHED_SLOT_SIZE)

/* Feature bits: host_features (offered), guest_features (accepted). */
#define PVSCHED_F_CRIT_SECTION (1ULL << 0) /* guest area flags honoured */
#define PVSCHED_F_TASK_PRIO (1ULL << 1) /* 1:1 policy/nice/rt_prio */
#define PVSCHED_F_HOST_AREA (1ULL << 2) /* host area published */
#define PVSCHED_F_IDLE_HINT (1ULL << 3) /* PVSCHED_GUEST_IDLE honoured (1.1) */
#define PVSCHED_F_BOOST_STATE (1ULL << 4) /* slot.host_boost published (1.2) */
#define PVSCHED_F_EXIT_DEMOTE (1ULL << 5) /* PVSCHED_GUEST_EXIT_DEMOTE (1.3) */
#define PVSCHED_F_ALL                                                  \
	(PVSCHED_F_CRIT_SECTION | PVSCHED_F_TASK_PRIO | PVSCHED_F_HOST_AREA | \
	 PVSCHED_F_IDLE_HINT | PVSCHED_F_BOOST_STATE | PVSCHED_F_EXIT_DEMOTE)

/* guest_state in the region header */
#define PVSCHED_GUEST_NONE 0 /* no guest driver (yet) */
#define PVSCHED_GUEST_ACTIVE 1 /* negotiated, slots are being written */
#define PVSCHED_GUEST_REFUSED 2 /* guest driver refused the region */
#define PVSCHED_GUEST_STOPPED 3 /* driver unbound, slots quiet */

struct pvsched_region_header {
	__u32 magic; /* PVSCHED_MAGIC, written last by host */
	__u32 abi_major; /* PVSCHED_ABI_MAJOR */
	__u32 abi_minor; /* PVSCHED_ABI_MINOR */
	__u32 nr_slots; /* vCPU slots following the header */
	__u32 slot_size; /* PVSCHED_SLOT_SIZE */
	__u32 slot_offset; /* offset of slot 0, PVSCHED_REGION_HDR_SIZE */
	__u64 host_features; /* PVSCHED_F_* offered by the host */
	__u64 guest_features; /* PVSCHED_F_* accepted by the guest */
	__u32 guest_abi_major; /* guest driver's ABI version */
	__u32 guest_abi_minor;
	__u32 guest_state; /* PVSCHED_GUEST_* */
	__u32 guest_generation; /* incremented by the guest at every bind */
	__u32 reserved[2]; /* zero */
};

/* slot.guest.flags: kernel critical sections the guest CPU is in. */
#define PVSCHED_CS_HARDIRQ (1u << 0)
#define PVSCHED_CS_SOFTIRQ (1u << 1)
#define PVSCHED_CS_NMI (1u << 2)
#define PVSCHED_CS_PREEMPT_DISABLED (1u << 3)
/*
 * (ABI 1.3, with PVSCHED_GUEST_EXIT_DEMOTE) the guest CPU is switching tasks
 * and holds its run-queue lock: set in its scheduler's switch, cleared once
 * the lock is released.  The host holds a boost in force as it is while it
 * is set (neither lowered nor ended; the budget runs on) and starts none for
 * it.  A host of ABI 1.2 or older, which does not know it, ignores it; such
 * a host does not offer PVSCHED_F_EXIT_DEMOTE either.
 */
#define PVSCHED_CS_SWITCH (1u << 4)
#define PVSCHED_CS_ALL                                           \
	(PVSCHED_CS_HARDIRQ | PVSCHED_CS_SOFTIRQ | PVSCHED_CS_NMI | \
	 PVSCHED_CS_PREEMPT_DISABLED | PVSCHED_CS_SWITCH)
/*
 * slot.guest.flags, PVSCHED_F_IDLE_HINT (ABI 1.1): the guest CPU runs its
 * idle task, i.e. it has no work left and is about to halt.  Not a request:
 * the host keeps an interrupt, HLT or task boost that is in force instead of
 * dropping it at the next VM exit (see "How the host interprets the guest
 * area"), because a vCPU on its way to HLT gives its CPU back by itself and
 * demoting it there only queues it behind host tasks.  Bounded like any boost
 * by max_boost_ns/throttle_ns.
 */
#define PVSCHED_GUEST_IDLE (1u << 8)
/*
 * slot.guest.flags, PVSCHED_F_EXIT_DEMOTE (ABI 1.3): this guest CPU makes its
 * unboost exit only where it holds no spinlock, and keeps PVSCHED_CS_SWITCH
 * set across its scheduler's switch until the run-queue lock is released
 * (an exit in between, e.g. the self-IPI that brings it to the point after
 * the release, sees a request), so the host demotes at the VM exit that
 * sees none.  Without it a demotion decided at an exit waits for the next
 * VM entry (lazy demotion): a 1.2 guest's unboost exit comes from inside its
 * scheduler with the run-queue lock held.  The lazy demotion leaves the vCPU
 * in its guest as a fair thread that is not preempted until a later exit,
 * where an interrupt's boost often raises it again: it runs its fair time
 * without yielding, and CFS charges that time in one long wait behind the
 * host's tasks at its next throttle (docs/design.md).  Honoured only when
 * offered; a guest that sets it without keeping its word only risks its own
 * locks.
 */
#define PVSCHED_GUEST_EXIT_DEMOTE (1u << 9)

/* slot.host.vcpu_status: low nibble a state, top nibble INTR_INJECTED. */
#define PVSCHED_VCPU_STATUS_VMENTERED 1
#define PVSCHED_VCPU_STATUS_VMEXITED 2
#define PVSCHED_VCPU_STATUS_HALTED 3
#define PVSCHED_VCPU_STATUS_MASK 0x0F
#define PVSCHED_VCPU_STATUS_INTR_INJECTED 0xF0

struct pvsched_slot_header {
	__u32 vcpu_id; /* host-written */
	__u32 vcpu_pid; /* host thread id of the vCPU, host-written */
};

struct pvsched_guest_area {
	__u32 seq; /* sequence counter, odd while the guest writes */
	__u32 flags; /* PVSCHED_CS_* */
	__u32 sched_policy; /* requested: SCHED_* of the running task */
	__s32 sched_nice; /* requested nice (fair policies) */
	__u32 rt_prio; /* requested rt priority (SCHED_FIFO/RR) */
	__u32 reserved; /* zero */
};

struct pvsched_host_area {
	__u32 seq; /* sequence counter, odd while the host writes */
	__u32 vcpu_status; /* PVSCHED_VCPU_STATUS_* */
	__u32 sched_policy; /* applied to the vCPU thread */
	__s32 sched_nice; /* applied nice */
	__u32 rt_prio; /* applied rt priority */
	__u32 throttled; /* 1 while the vCPU is throttled */
};

/*
 * slot.host_boost (PVSCHED_F_BOOST_STATE, ABI 1.2): whether the host boosts
 * the vCPU now, written by pvsched.ko with the host area (inside the host
 * area's sequence window), so a guest need not infer it from the applied
 * attributes (a thread whose own base is RT or a negative nice looks
 * boosted for ever).  Bits 8..15 hold the PVSCHED_REASON_* of a boost.
 */
#define PVSCHED_HOST_BOOSTED (1u << 0) /* above the thread's base */
#define PVSCHED_HOST_THROTTLED (1u << 1) /* at base, requests ignored */
#define PVSCHED_HOST_REASON_SHIFT 8
#define PVSCHED_HOST_REASON_MASK 0xFF00

struct pvsched_vcpu_slot {
	struct pvsched_slot_header header;
	struct pvsched_guest_area guest;
	struct pvsched_host_area host;
	__u32 host_boost; /* PVSCHED_HOST_* (1.2), host-written; 0 before */
	__u32 reserved; /* zero */
};

/* /dev/pvsched */

#define PVSCHED_DEVICE_NAME "pvsched"
#define PVSCHED_IOCTL_TYPE 0xB8
#define PVSCHED_NAME_LEN 32
#define PVSCHED_MAX_VCPU_ID 4096

/* pvsched_info.tp_family */
#define PVSCHED_TP_NONE 0 /* nothing attached (kvm not loaded) */
#define PVSCHED_TP_STOCK 1 /* kvm:kvm_entry, kvm:kvm_exit, ... */
#define PVSCHED_TP_PARAVIRT 2 /* paravirt_vmentry, ... (patched kernels) */

/* pvsched_info.tp_events: which events are attached */
#define PVSCHED_EV_VMENTER (1u << 0)
#define PVSCHED_EV_VMEXIT (1u << 1)
#define PVSCHED_EV_HALT (1u << 2)
#define PVSCHED_EV_INJECT (1u << 3)
#define PVSCHED_EV_WAKEUP (1u << 4)
#define PVSCHED_EV_KICK (1u << 5) /* kvm_vcpu_kick (kick boost) */
#define PVSCHED_EV_WAKE (1u << 6) /* kvm_vcpu_wake_up: posted (1.2) */
#define PVSCHED_EV_TSC_DEADLINE (1u << 7) /* guest TSC deadline (1.2) */
#define PVSCHED_EV_USERSPACE (1u << 8) /* kvm_userspace_exit (1.2) */
#define PVSCHED_EV_BLOCK (1u << 9) /* kvm_vcpu_block: the thread sleeps (1.2) */

struct pvsched_info {
	__u32 version_major; /* module version */
	__u32 version_minor;
	__u32 version_patch;
	__u32 abi_major; /* PVSCHED_ABI_MAJOR of the module */
	__u32 abi_minor;
	__u32 tp_family; /* PVSCHED_TP_* */
	__u32 tp_events; /* PVSCHED_EV_* attached */
	__u32 vm_id; /* this session's id */
	__u64 features; /* PVSCHED_F_* the module supports */
	/* admin caps (module parameters) */
	__u32 max_policy; /* SCHED_NORMAL, SCHED_RR or SCHED_FIFO */
	__u32 max_rt_prio; /* 1..98 */
	__s32 min_nice; /* -20..19 */
	__u32 max_vcpus_per_vm;
	__u32 max_vms;
	__u32 nr_vms; /* sessions open now */
	__u32 nr_vcpus; /* vCPUs registered now, all sessions */
	__u32 pad; /* zero */
	__u64 max_boost_cap_ns; /* largest max_boost_ns a VM may set */
	__u64 min_throttle_ns; /* smallest throttle_ns a VM may set */
	__u64 pinned_pages; /* shared-memory pages pinned now */
	__u64 reserved[4];
	/* module 0.3 (ABI 1.2): the host-wide bounds (zero from older ones) */
	__u32 max_duty_pct; /* largest max_boost/(max_boost+throttle), %; 100: none */
	__u32 cpu_share_pct; /* RT boosts of all vCPUs on a CPU, % of a window */
	__u64 cpu_share_window_ns; /* the window of cpu_share_pct */
};

/* pvsched_vcpu_add.flags */
#define PVSCHED_VCPU_ADD_PIDFD (1u << 0) /* pidfd names the VMM (1.2) */
#define PVSCHED_VCPU_ADD_FLAGS_ALL PVSCHED_VCPU_ADD_PIDFD

struct pvsched_vcpu_add {
	__u32 vcpu_id; /* < PVSCHED_MAX_VCPU_ID, unique in the session */
	__u32 tid; /* host thread id, caller's pid namespace */
	__u64 slot_addr; /* user address of the vCPU's pvsched_vcpu_slot */
	__u32 flags; /* PVSCHED_VCPU_ADD_* */
	__u32 pad; /* zero */
	/* ABI 1.2; a structure of ABI 1.0/1.1 ends here (zero-extended) */
	__s32 pidfd; /* with PVSCHED_VCPU_ADD_PIDFD: the VMM's; else zero */
	__u32 reserved; /* zero */
};

/* The size of struct pvsched_vcpu_add in ABI 1.0 and 1.1, without pidfd. */
#define PVSCHED_VCPU_ADD_SIZE_VER0 24

struct pvsched_vcpu_del {
	__u32 vcpu_id;
	__u32 flags; /* zero */
};

struct pvsched_params {
	/* boost while the guest is in a kernel critical section */
	__u32 cs_policy; /* SCHED_FIFO, SCHED_RR or SCHED_NORMAL (nice) */
	__u32 cs_rt_prio; /* 1..99 for FIFO/RR, 0 for NORMAL */
	__s32 cs_nice; /* -20..19, used with SCHED_NORMAL */
	/* boost on interrupt injection and HLT */
	__u32 intr_policy;
	__u32 intr_rt_prio;
	__s32 intr_nice;
	__u64 max_boost_ns; /* continuous boost before throttling */
	__u64 throttle_ns; /* length of a throttle window */
	__u32 debug; /* 0 quiet, 1 log decisions (ratelimited) */
	__u32 flags; /* PVSCHED_PARAMS_NO_* */
	__u64 withheld_features; /* PVSCHED_F_* not offered: guest input ignored */
	__u64 reserved[1]; /* zero */
};

/* pvsched_params.flags: boost mechanisms turned off (module 0.2) */
#define PVSCHED_PARAMS_NO_KICK_BOOST (1u << 0) /* no boost on a kick */
#define PVSCHED_PARAMS_NO_IDLE_HOLD (1u << 1) /* PVSCHED_GUEST_IDLE ignored */
#define PVSCHED_PARAMS_NO_IRQ_HOLD (1u << 2) /* intr boost ends at next exit */
/* module 0.3 (ABI 1.2) */
#define PVSCHED_PARAMS_NO_TIMER_BOOST (1u << 3) /* no guest-timer boost */
#define PVSCHED_PARAMS_NO_LAZY_DEMOTE (1u << 4) /* demote at the exit itself */
#define PVSCHED_PARAMS_FLAGS_ALL                                  \
	(PVSCHED_PARAMS_NO_KICK_BOOST | PVSCHED_PARAMS_NO_IDLE_HOLD | \
	 PVSCHED_PARAMS_NO_IRQ_HOLD | PVSCHED_PARAMS_NO_TIMER_BOOST |  \
	 PVSCHED_PARAMS_NO_LAZY_DEMOTE)
/* Longest interrupt hold: an injected interrupt not taken by then is late. */
#define PVSCHED_IRQ_HOLD_MAX_NS 4000000ULL

/* pvsched_vcpu_stats.state */
#define PVSCHED_STATE_IDLE 0 /* registered, not boosted */
#define PVSCHED_STATE_BOOSTED 1
#define PVSCHED_STATE_THROTTLED 2

/* reasons, as used in pvsched_vcpu_stats.boosts[] and trace events */
#define PVSCHED_REASON_CRIT_SECTION 0
#define PVSCHED_REASON_TASK_PRIO 1
#define PVSCHED_REASON_HALT 2
#define PVSCHED_REASON_INTR 3
#define PVSCHED_REASON_NR 4

struct pvsched_vcpu_stats {
	__u32 vcpu_id; /* in */
	__u32 tid; /* out: host thread id (init pid namespace) */
	__u32 state; /* PVSCHED_STATE_* */
	__u32 vcpu_status; /* last published PVSCHED_VCPU_STATUS_* */
	__u32 cur_policy; /* applied now */
	__u32 cur_rt_prio;
	__s32 cur_nice;
	__u32 base_policy; /* saved at registration, or the last base_change */
	__u32 base_rt_prio;
	__s32 base_nice;
	__u64 exits; /* VM exits seen */
	__u64 entries; /* VM entries seen */
	__u64 halts;
	__u64 injections;
	__u64 boosts[PVSCHED_REASON_NR]; /* boosts started, by reason */
	__u64 unboosts;
	__u64 throttles;
	__u64 boosted_ns;
	__u64 throttled_ns;
	__u64 torn_reads; /* guest area snapshots given up */
	__u64 guest_clamped; /* guest requests clamped by caps */
	__u64 guest_refused; /* SCHED_DEADLINE requests */
	__u64 guest_invalid; /* unknown policy values */
	__u64 apply_direct; /* changes applied in the vCPU thread */
	__u64 apply_deferred; /* changes applied by the worker */
	__u64 apply_errors; /* sched_setattr failures */
	/* module 0.2 (zero from 0.1) */
	__u64 kicks; /* made pending while preempted (or, 0.3: in its thread) */
	__u64 kick_boosts; /* boosts started by kicks (preempted or running) */
	__u64 idle_holds; /* VM exits where PVSCHED_GUEST_IDLE kept a boost */
	__u64 irq_holds; /* VM exits where an untaken interrupt kept a boost */
	/* module 0.3 (zero from 0.2) */
	__u64 wakes; /* posted interrupts announced while preempted */
	__u64 deadlines; /* guest TSC-deadline writes seen */
	__u64 timer_boosts; /* boosts started by a guest timer due while preempted */
	__u64 lazy_demotes; /* demotions decided at an exit, applied at the entry */
	__u64 quiet_exits; /* VM exits with nothing new: no work done */
	__u64 blocks; /* the thread went to sleep (kvm_vcpu_block), after any halt polling */
	__u64 share_throttles; /* boosts refused or ended: the CPU's share was used up */
	__u64 boosted_cpu_ns; /* CPU time run at an RT boost: what the share counts */
	__u64 base_changes; /* attributes changed by someone else: new base */
	__u64 guest_unoffered; /* exits whose guest input used a withheld feature */
};

struct pvsched_vm_name {
	char name[PVSCHED_NAME_LEN];
};

struct pvsched_vcpu_list {
	__u32 nr; /* in: entries at ids; out: vCPUs registered */
	__u32 pad; /* zero */
	__u64 ids; /* user address of a __u32 array */
};

/* PVSCHED_IOC_DUMP (ABI 1.2): the buffer, then the records it receives. */
struct pvsched_dump {
	__u32 flags; /* zero */
	__u32 vm_size; /* in: sizeof(struct pvsched_dump_vm) */
	__u32 vcpu_size; /* in: sizeof(struct pvsched_dump_vcpu) */
	__u32 nr_vms; /* out: VM records */
	__u32 nr_vcpus; /* out: vCPU records */
	__u32 pad; /* zero */
	__u64 buf; /* in: user address of the buffer */
	__u64 len; /* in: its bytes; out: bytes written, or needed (-ENOSPC) */
	__u64 reserved[2]; /* zero */
};

/*
 * The sizes of the first records of ABI 1.2: the smallest vm_size,
 * vcpu_size (the vCPU record has grown since by blocks, share_throttles,
 * boosted_cpu_ns, base_changes and guest_unoffered; a caller of the smaller
 * size gets them truncated).
 */
#define PVSCHED_DUMP_VM_SIZE_VER0 112
#define PVSCHED_DUMP_VCPU_SIZE_VER0 272

struct pvsched_dump_vm {
	__u32 vm_id;
	__u32 pid; /* the opener's process (tgid), init pid namespace */
	__u32 nr_vcpus; /* vCPU records that follow this one */
	__u32 pad; /* zero */
	char name[PVSCHED_NAME_LEN]; /* SET_NAME's, NUL-terminated; "" if none */
	struct pvsched_params params; /* as GET_PARAMS */
};

struct pvsched_dump_vcpu {
	__u32 vm_id;
	__u32 pad; /* zero */
	struct pvsched_vcpu_stats stats; /* as GET_STATS */
};

#define PVSCHED_IOC_GET_INFO _IOR(PVSCHED_IOCTL_TYPE, 0x00, struct pvsched_info)
#define PVSCHED_IOC_VCPU_ADD \
	_IOW(PVSCHED_IOCTL_TYPE, 0x01, struct pvsched_vcpu_add)
#define PVSCHED_IOC_VCPU_DEL \
	_IOW(PVSCHED_IOCTL_TYPE, 0x02, struct pvsched_vcpu_del)
#define PVSCHED_IOC_SET_PARAMS \
	_IOW(PVSCHED_IOCTL_TYPE, 0x03, struct pvsched_params)
#define PVSCHED_IOC_GET_PARAMS \
	_IOR(PVSCHED_IOCTL_TYPE, 0x04, struct pvsched_params)
#define PVSCHED_IOC_GET_STATS \
	_IOWR(PVSCHED_IOCTL_TYPE, 0x05, struct pvsched_vcpu_stats)
#define PVSCHED_IOC_SET_NAME \
	_IOW(PVSCHED_IOCTL_TYPE, 0x06, struct pvsched_vm_name)
#define PVSCHED_IOC_GET_VCPUS \
	_IOWR(PVSCHED_IOCTL_TYPE, 0x07, struct pvsched_vcpu_list)
#define PVSCHED_IOC_DUMP _IOWR(PVSCHED_IOCTL_TYPE, 0x08, struct pvsched_dump)

/*
 * Guest transports.
 *
 * ivshmem-plain (stock QEMU): the region lives at offset 0 of BAR2.
 */
#define PVSCHED_IVSHMEM_VENDOR_ID 0x1af4
#define PVSCHED_IVSHMEM_DEVICE_ID 0x1110
#define PVSCHED_IVSHMEM_BAR 2

/*
 * The seed's own pvsched PCI device (not implemented by QEMU yet; IDs are
 * provisional): the guest allocates the region, writes its guest-physical
 * address into BAR0 registers and sets CONTROL_ENABLE; the VMM maps it and
 * registers the vCPUs.  Registers are 32-bit, little-endian, in BAR0 MMIO.
 */
#define PVSCHED_PCI_VENDOR_ID 0x1b36
#define PVSCHED_PCI_DEVICE_ID 0x00f0
#define PVSCHED_REG_MAGIC 0x00 /* RO: PVSCHED_MAGIC */
#define PVSCHED_REG_ABI 0x04 /* RO: major << 16 | minor */
#define PVSCHED_REG_NR_SLOTS 0x08 /* RO: vCPUs of the VM */
#define PVSCHED_REG_HOST_FEATURES 0x0c /* RO: PVSCHED_F_* low 32 bits */
#define PVSCHED_REG_SHM_GPA_LO 0x10 /* RW: region address, low 32 bits */
#define PVSCHED_REG_SHM_GPA_HI 0x14 /* RW: region address, high 32 bits */
#define PVSCHED_REG_SHM_SIZE 0x18 /* RW: region size in bytes */
#define PVSCHED_REG_CONTROL 0x1c /* RW: PVSCHED_CONTROL_* */
#define PVSCHED_REG_STATUS 0x20 /* RO: PVSCHED_STATUS_* */
#define PVSCHED_CONTROL_ENABLE (1u << 0)
#define PVSCHED_STATUS_ACTIVE (1u << 0)
#define PVSCHED_STATUS_ERROR (1u << 1)

#endif /* _UAPI_LINUX_PVSCHED_H */
