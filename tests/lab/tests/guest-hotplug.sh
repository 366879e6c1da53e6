#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest driver, issue 5 acceptance 5 (driver side, checked in the shared
# region from L1): with both guest CPUs busy (SCHED_OTHER loops, a timer
# waker), unbind/rebind the driver 20 times (L1 sees guest_state STOPPED and quiet,
# zeroed slots, then ACTIVE with a new generation and slots moving again),
# then offline/online guest CPU 1 20 times (its slot goes quiet and zero,
# then moves again, and CPU 0's slot moves on meanwhile), then rmmod while
# busy.  No kernel warnings in L1 or L2.  A slot that does not move is
# explained: where L2's CPUs were (guest_where_args), and the guest
# driver's if its CPU was in the driver's code.
# lab-timeout: 900
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../l2/guest-lib.sh
. "$PVSCHED_SRC/tests/lab/l2/guest-lib.sh"

# 20 rounds each (the acceptance).
UNBIND_ROUNDS=20
CPU_ROUNDS=20
DEV=0000:00:10.0
DRV=/sys/bus/pci/drivers/pvsched_guest

guest_need_module
guest_need_helpers
guest_make_region pv 2
pv=$(guest_region_file pv)
# L2 resets itself (l2-silent-reset) or stops at L1's RIP (l2-at-l1-vmrun)
# in most runs of this test: the KVM recorder keeps what its vCPUs did last.
lab_kvm_recorder_start
# shellcheck disable=SC2046 # word splitting wanted
# No soft-lockup or RCU-stall detectors in L2: its vCPUs starve for tens of
# seconds at times under nested TCG (L2 "rcu_preempt kthread timer wakeup
# didn't happen", "soft lockup ... stuck for 48s" in runs whose 40 rounds
# all passed).  A real hang still fails the test: every step has a deadline,
# and a CPU whose slot stops moving is sampled (nokaslr: named from L1's
# symbols of the same kernel).
lab_l2_start --smp 2 --append "nowatchdog rcupdate.rcu_cpu_stall_suppress=1 nokaslr" \
	g1 $(guest_ivshmem_args pv 0x10)
lab_l2_wait g1 ready 300
# The rebinds below test the driver's state, not the kernel's text
# patching (guest-bind does): each tracepoint the driver hooks is held by
# two more probes, so that an unbind or a bind patches no L2 text (under
# the emulator a CPU running code being patched sometimes runs a stale
# copy of it: the probe emulator-textpatch).  L2 still resets itself at
# some binds with its text left alone (tests/lab/README.md).
lab_l2_run g1 /lab-l2/load-guest-module --hold-tracepoints
lab_assert guest_wait_state pv 1
where=$(guest_where_args g1) # an assignment: its failure ends the test
read -r -a where <<<"$where"

# load: loops that spin about 1 ms, flip their own nice between 0 and 5 and
# sleep 1 ms, so the CPU running one publishes new requests all the time:
# one pinned to each CPU (a CPU without one may run only nice-0 tasks and
# idle for longer than a "moving" check waits, which is no news to publish),
# one unpinned, and a shell waking every 20 ms.  Not 100% busy and no bulk
# 9p reads: an L1 CPU that runs a never-halting L2 vCPU sometimes stops
# taking IPIs under TCG, and a QEMU 9p worker's TLB shootdown then waits
# forever (L1 soft lockup, seen with no pvsched module loaded; see
# tests/lab/README.md).
lab_l2_run g1 "$(guest_flip cpu0 0); $(guest_flip cpu1 1); $(guest_flip any -1);" \
	"(while :; do usleep 20000; done) >/dev/null 2>&1 &"

# expect CHECK...: see tests/lab/l2/guest-region.py (one process per step)
expect() {
	guest_region expect "$pv" "${where[@]}" "$@"
}

gen=$(guest_hdr pv guest_generation)
for ((r = 1; r <= UNBIND_ROUNDS; r++)); do
	lab_l2_run g1 "echo $DEV > $DRV/unbind"
	expect state=3 quiet=0 quiet=1 || lab_l2_fail g1 "round $r: after unbind"
	lab_l2_run g1 "echo $DEV > $DRV/bind"
	expect state=1 gen=$((gen + r)) moving=0 moving=1 || lab_l2_fail g1 "round $r: after bind"
	lab_log "unbind/rebind round $r ok: $(guest_region brief "$pv")"
done

# With CPU 1 down, CPU 0 runs everything: it must still halt often (see the
# load above), so the unpinned loop ends here, and CPU 1's loop, which the
# kernel moves to CPU 0 when CPU 1 goes down (its affinity broken, it
# would stay there for the rest of the test, as would each round's), ends
# once CPU 1 is down; a new one is pinned to CPU 1 once it is back.  CPU 1
# goes down busy, its loop publishing.
lab_l2_run g1 "$(guest_unflip any)"
for ((r = 1; r <= CPU_ROUNDS; r++)); do
	lab_l2_run g1 "echo 0 > /sys/devices/system/cpu/cpu1/online && $(guest_unflip cpu1)"
	expect quiet=1 moving=0 || lab_l2_fail g1 "round $r: after CPU 1 offline"
	lab_l2_run g1 "echo 1 > /sys/devices/system/cpu/cpu1/online"
	lab_l2_run g1 "$(guest_flip cpu1 1)"
	expect moving=1 || lab_l2_fail g1 "round $r: after CPU 1 online"
	lab_log "offline/online round $r ok: $(guest_region brief "$pv")"
done
lab_l2_run g1 cat "$GUEST_DBG/state" "$GUEST_DBG/counters"

# rmmod while busy
lab_l2_run g1 rmmod pvsched_guest
expect state=3 quiet=0 quiet=1 || lab_l2_fail g1 "after rmmod"
lab_l2_check_dmesg g1
lab_l2_stop g1
lab_check_dmesg
