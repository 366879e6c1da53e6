#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest driver, issue 5 acceptance 1 (driver side): pvsched_guest.ko in an
# L2 guest with three ivshmem-plain devices binds only to the one whose
# region carries the pvsched magic and a matching ABI, negotiates (L1 sees
# guest_state ACTIVE, guest_features = offered & supported, generation,
# guest ABI), refuses a region with another ABI major with one message
# (REFUSED written), leaves a non-pvsched region untouched, and publishes
# slots.  A module parameter switching the scheduler hooks off withdraws
# PVSCHED_F_TASK_PRIO; rmmod writes STOPPED.
# lab-timeout: 900
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../l2/guest-lib.sh
. "$PVSCHED_SRC/tests/lab/l2/guest-lib.sh"

guest_need_module
guest_make_region pv 2 host_features=0x7f # bit 6 unknown to the driver
guest_make_region plain 0 magic=0
guest_make_region badabi 2 abi_major=2
# shellcheck disable=SC2046 # word splitting wanted
lab_l2_start --smp 2 g1 $(guest_ivshmem_args pv 0x10) \
	$(guest_ivshmem_args plain 0x11) $(guest_ivshmem_args badabi 0x12)
lab_l2_wait g1 ready 300
lab_l2_run g1 /lab-l2/load-guest-module

lab_assert guest_wait_state pv 1
lab_assert_eq "$(guest_hdr pv guest_features)" 63 "guest_features (offered 0x7f)"
lab_assert_eq "$(guest_hdr pv guest_abi_major)" 1 "guest_abi_major"
lab_assert_eq "$(guest_hdr pv guest_generation)" 1 "guest_generation"
lab_log "pv region: $(guest_region brief "$(guest_region_file pv)")"

lab_assert_eq "$(guest_hdr badabi guest_state)" 2 "badabi guest_state (REFUSED)"
lab_assert_eq "$(guest_hdr badabi guest_abi_major)" 1 "badabi guest_abi_major"
lab_assert_eq "$(guest_region brief "$(guest_region_file badabi)" | cut -d' ' -f4-)" \
	"0/0/0/0/0x0 0/0/0/0/0x0" "badabi slots untouched"
refused=$(lab_l2_run g1 dmesg | grep -c 'pvsched region refused' || true)
lab_assert_eq "$refused" 1 "refusal messages in L2 dmesg"

# the non-pvsched device: not bound, its memory untouched
lab_l2_run g1 '[ ! -e /sys/bus/pci/devices/0000:00:11.0/driver ]'
lab_assert_eq "$(tr -d '\000' <"$(guest_region_file plain)" | wc -c)" 0 \
	"nonzero bytes in the plain region"
# shellcheck disable=SC2016 # expands in L2
lab_l2_run g1 '[ "$(basename $(readlink /sys/bus/pci/devices/0000:00:10.0/driver))" = pvsched_guest ]'

state=$(lab_l2_run g1 cat "$GUEST_DBG/state")
echo "$state"
grep -q '^bound: 0000:00:10.0$' <<<"$state" || lab_fail "debugfs state does not show 0000:00:10.0 bound"
grep -q '^guest_features: 0x3f$' <<<"$state" || lab_fail "debugfs state: guest_features"

# slots are being written: a nice 5 task on each CPU is a new request
lab_l2_run g1 "$GUEST_BIN/guest-rt 0 other 5 0.3; $GUEST_BIN/guest-rt 1 other 5 0.3" ||
	lab_fail "guest-rt"
for i in 0 1; do
	seq=$(guest_slot pv $i seq)
	lab_expect -gt "$seq" 0 "slot $i seq $seq: not published"
	lab_expect -eq $((seq % 2)) 0 "slot $i seq $seq: not published"
done
lab_l2_run g1 cat "$GUEST_DBG/counters"

# hook_sched=0: TASK_PRIO is no longer accepted
lab_l2_run g1 rmmod pvsched_guest
lab_assert_eq "$(guest_hdr pv guest_state)" 3 "guest_state after rmmod (STOPPED)"
lab_l2_run g1 /lab-l2/load-guest-module hook_sched=0
lab_assert guest_wait_state pv 1
lab_assert_eq "$(guest_hdr pv guest_features)" 5 "guest_features with hook_sched=0"
lab_assert_eq "$(guest_hdr pv guest_generation)" 2 "guest_generation after rebind"
lab_l2_run g1 rmmod pvsched_guest
lab_assert_eq "$(guest_hdr pv guest_state)" 3 "guest_state after rmmod (STOPPED)"

lab_l2_check_dmesg g1
lab_l2_stop g1
lab_check_dmesg
