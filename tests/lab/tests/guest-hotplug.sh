#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest driver, issue 5 acceptance 5 (driver side, checked in the shared
# region from L1): with both guest CPUs busy (SCHED_OTHER loops, 9p reads),
# unbind/rebind the driver 20 times (L1 sees guest_state STOPPED and quiet,
# zeroed slots, then ACTIVE with a new generation and slots moving again),
# then offline/online guest CPU 1 20 times (its slot goes quiet and zero,
# then moves again), then rmmod while busy.  No kernel warnings in L1 or L2.
# lab-timeout: 3000
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../l2/guest-lib.sh
. "$PVSCHED_SRC/tests/lab/l2/guest-lib.sh"

# The harness writes the caller's PVSCHED_*/LAB_* settings to lab.env but
# l1-stage2.sh does not export them to the test: read them here.
# shellcheck source=/dev/null
. "$LAB_OUT/lab.env"
UNBIND_ROUNDS=${LAB_GUEST_UNBIND_ROUNDS:-20}
CPU_ROUNDS=${LAB_GUEST_CPU_ROUNDS:-20}
DEV=0000:00:10.0
DRV=/sys/bus/pci/drivers/pvsched_guest

guest_need_module
guest_need_helpers
guest_make_region pv 2
pv=$(guest_region_file pv)
# shellcheck disable=SC2046 # word splitting wanted
lab_l2_start --smp 2 g1 $(guest_ivshmem_args pv 0x10)
lab_l2_wait g1 ready 300
lab_l2_run g1 /lab-l2/load-guest-module
lab_assert guest_wait_state pv 1

# load: four unpinned busy loops at nice 0 and nice 5 (CFS alternates them,
# so the CPUs keep publishing new requests) and a reader generating virtio
# interrupts
lab_l2_run g1 "for n in 0 5 0 5; do $GUEST_BIN/guest-rt -1 other \$n 3600 >/dev/null 2>&1 & done;" \
	"(while :; do cat /host/boot/vmlinuz-* >/dev/null; sleep 1; done) >/dev/null 2>&1 &"

# expect CHECK...: see tests/lab/l2/guest-region.py (one process per step)
expect() {
	guest_region expect "$pv" "$@"
}

gen=$(guest_hdr pv guest_generation)
for ((r = 1; r <= UNBIND_ROUNDS; r++)); do
	lab_l2_run g1 "echo $DEV > $DRV/unbind"
	expect state=3 quiet=0 quiet=1 || lab_fail "round $r: after unbind"
	lab_l2_run g1 "echo $DEV > $DRV/bind"
	expect state=1 gen=$((gen + r)) moving=0 moving=1 || lab_fail "round $r: after bind"
	lab_log "unbind/rebind round $r ok: $(guest_region brief "$pv")"
done

for ((r = 1; r <= CPU_ROUNDS; r++)); do
	lab_l2_run g1 "echo 0 > /sys/devices/system/cpu/cpu1/online"
	expect quiet=1 moving=0 || lab_fail "round $r: after CPU 1 offline"
	lab_l2_run g1 "echo 1 > /sys/devices/system/cpu/cpu1/online"
	expect moving=1 || lab_fail "round $r: after CPU 1 online"
	lab_log "offline/online round $r ok: $(guest_region brief "$pv")"
done
lab_l2_run g1 cat "$GUEST_DBG/state" "$GUEST_DBG/counters"

# rmmod while busy
lab_l2_run g1 rmmod pvsched_guest
expect state=3 quiet=0 quiet=1 || lab_fail "after rmmod"
lab_l2_check_dmesg g1
lab_l2_stop g1
lab_check_dmesg
