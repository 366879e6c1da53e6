#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest driver, issue 20 item 5 (slot identity), seen from L1 in the shared
# region, no host module needed: L1 writes the slot headers as pvsched.ko
# would at VCPU_ADD.  Guest CPU i is vCPU i (QEMU cpu-index = ACPI UID).
#  1. Slot 0 names vCPU 0, slot 1 names vCPU 5: CPU 1 refuses its slot at
#     bind (one message naming both vCPUs, counter slot_refused, debugfs
#     state "refused"), never writes it (seq stays 0) while CPU 0 publishes.
#  2. Unbind: the refused slot is not even cleared (seq still 0).
#  3. Headers right again (slot 1 names vCPU 1), bind: both slots publish.
#  4. Slot 0 registered again for vCPU 7 while the guest runs: CPU 0 notices
#     at its next publication, clears its slot once, stops writing it (the
#     message comes from an irq_work), while CPU 1 goes on.
#  5. An unwritten header (vcpu_pid 0) is used, as in every other guest test.
# No kernel warnings in L2 or L1.
# lab-timeout: 900
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../l2/guest-lib.sh
. "$PVSCHED_SRC/tests/lab/l2/guest-lib.sh"

DEV=0000:00:10.0
DRV=/sys/bus/pci/drivers/pvsched_guest

guest_need_module
guest_need_helpers
guest_make_region pv 2
pv=$(guest_region_file pv)
guest_region slot-header "$pv" 0 0 1000
guest_region slot-header "$pv" 1 5 1001
# shellcheck disable=SC2046 # word splitting wanted
lab_l2_start --smp 2 g1 $(guest_ivshmem_args pv 0x10)
lab_l2_wait g1 ready 300

# sum of one column of the debugfs counters over all CPUs
counter() {
	lab_l2_run g1 cat "$GUEST_DBG/counters" |
		awk -v c="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next } { s += $k } END { printf "%.0f\n", s }'
}
# flip CPU SECONDS: a loop on CPU flipping its nice, so CPU publishes
flip() {
	lab_l2_run g1 "$GUEST_BIN/guest-rt $1 flip 5 $2 >/dev/null 2>&1 &"
}
expect() {
	guest_region expect "$pv" "$@"
}

# --- 1. a slot naming another vCPU is refused at bind ---------------------
lab_l2_run g1 /lab-l2/load-guest-module --one-cpu
lab_assert guest_wait_state pv 1
flip 0 600
flip 1 600
expect moving=0 || lab_l2_fail g1 "slot 0 (its own) not published"
expect quiet=1 || lab_fail "slot 1 (names vCPU 5) written by CPU 1"
lab_assert_eq "$(guest_slot pv 1 seq)" 0 "slot 1 seq (never written)"
msgs=$(lab_l2_run g1 dmesg | grep -c 'CPU 1: its slot refused: the header names vCPU 5 (host thread 1001), this CPU is vCPU 1' || true)
lab_assert_eq "$msgs" 1 "refusal messages for CPU 1 in L2 dmesg"
lab_assert_eq "$(counter slot_refused)" 1 "slot_refused"
state=$(lab_l2_run g1 cat "$GUEST_DBG/state")
echo "$state"
grep -q -E '^1 refused ' <<<"$state" || lab_fail "debugfs state does not show CPU 1 refused"
grep -q -E '^0 active ' <<<"$state" || lab_fail "debugfs state does not show CPU 0 active"

# --- 2. unbind leaves the refused slot alone ---------------------------------
lab_l2_run g1 "echo $DEV > $DRV/unbind"
lab_assert guest_wait_state pv 3
lab_assert_eq "$(guest_slot pv 1 seq)" 0 "slot 1 seq after unbind (not cleared)"

# --- 3. headers right: both slots publish -------------------------------------
guest_region slot-header "$pv" 1 1 1001
lab_l2_run g1 "echo $DEV > $DRV/bind"
lab_assert guest_wait_state pv 1
expect moving=0 moving=1 || lab_l2_fail g1 "slots not both published with matching headers"
lab_assert_eq "$(counter slot_refused)" 1 "slot_refused after the rebind"

# --- 4. slot 0 registered again for another vCPU while running -----------------
guest_region slot-header "$pv" 0 7 1007
# CPU 0 clears its slot once at its next publication, then leaves it
lab_wait_until 60 expect quiet=0 || lab_fail "slot 0 (now names vCPU 7) still written by CPU 0"
expect moving=1 || lab_l2_fail g1 "slot 1 stopped with slot 0"
lab_assert_eq "$(guest_slot pv 0 sched_policy)/$(guest_slot pv 0 sched_nice)" 0/0 \
	"slot 0 cleared of CPU 0's request"
have_msg() {
	lab_l2_run g1 dmesg | grep -q 'CPU 0: its slot now names vCPU 7 (host thread 1007), this CPU is vCPU 0: slot cleared'
}
lab_wait_until 30 have_msg || lab_fail "no message for CPU 0's slot naming vCPU 7"
lab_assert_eq "$(counter slot_refused)" 2 "slot_refused after the late refusal"
lab_l2_run g1 cat "$GUEST_DBG/state" "$GUEST_DBG/counters"

# --- 5. an unwritten header is used -------------------------------------------
lab_l2_run g1 rmmod pvsched_guest
# (not guest_make_region: QEMU maps the file, which must not shrink)
guest_region slot-header "$pv" 0 0 0
guest_region slot-header "$pv" 1 0 0
lab_l2_run g1 /lab-l2/load-guest-module
lab_assert guest_wait_state pv 1
flip 0 60
flip 1 60
expect moving=0 moving=1 || lab_l2_fail g1 "slots with unwritten headers not published"
lab_assert_eq "$(counter slot_refused)" 0 "slot_refused with unwritten headers (after reload)"

lab_l2_run g1 rmmod pvsched_guest
lab_l2_check_dmesg g1
lab_l2_stop g1
lab_check_dmesg
