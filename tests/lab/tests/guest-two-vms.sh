#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Two guests at once (issue 5 acceptance 4): pvsched.ko on L1, two L2
# guests (2 vCPUs each) attached with "pvschedctl attach", both ACTIVE
# with their features accepted and listed by "pvschedctl status"; killing
# one QEMU removes only its session: the other VM stays listed, its guest
# ACTIVE, and its vCPU threads keep being boosted.
# Skipped until pvsched.ko and "pvschedctl attach" exist (engine, ctl, cli).
# lab-timeout: 600
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../l2/attach-lib.sh
. "$PVSCHED_SRC/tests/lab/l2/attach-lib.sh"

attach_begin

attach_vms a b
for vm in a b; do
	n=$(vm_counter $vm exits)
	lab_expect -gt "$n" 0 "no VM exits seen for vm-$vm's vCPUs"
done

if ! kill -0 "$(lab_l2_pid b)" 2>/dev/null; then
	lab_l2_died b >&2
	lab_fail "L2 b died before the test killed it"
fi
kill -KILL "$(lab_l2_pid b)"
rm -f "$(lab_l2_dir b)/pid"
vm_b_gone() { ! "$PVSCHEDCTL" status | grep -q vm-b; }
lab_wait_until 60 vm_b_gone || true
status=$("$PVSCHEDCTL" status)
echo "$status"
grep -q vm-b <<<"$status" && lab_fail "vm-b still in pvschedctl status after its QEMU was killed"
grep -q vm-a <<<"$status" || lab_fail "vm-a gone from pvschedctl status after b's QEMU was killed"
lab_assert_eq "$(guest_hdr a guest_state)" 1 "a still ACTIVE"
lab_log "vm-b's QEMU killed: its session is gone, vm-a's stays"

# a's session still works: its vCPU threads are still boosted
b0=$(($(vm_counter a boosts_halt) + $(vm_counter a boosts_intr)))
lab_l2_run a "head -c 1000000 /host$LAB_L2_KERNEL >/dev/null"
sleep 2
b1=$(($(vm_counter a boosts_halt) + $(vm_counter a boosts_intr)))
lab_log "vm-a HALT + interrupt boosts after b was killed: $b0 -> $b1"
lab_expect -gt "$b1" "$b0" "vm-a's vCPUs were not boosted after b's QEMU was killed"

attach_finish a
lab_unload_pvsched
lab_check_dmesg
