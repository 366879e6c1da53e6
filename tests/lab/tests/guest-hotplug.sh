#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest driver, issue 5 acceptance 5 (driver side, checked in the shared
# region from L1): with both guest CPUs busy (SCHED_OTHER loops, 9p reads),
# unbind/rebind the driver 20 times (L1 sees guest_state STOPPED and quiet,
# zeroed slots, then ACTIVE with a new generation and slots moving again),
# then offline/online guest CPU 1 20 times (its slot goes quiet and zero,
# then moves again), then rmmod while busy.  No kernel warnings in L1 or L2.
# lab-timeout: 1500
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../l2/guest-lib.sh
. "$PVSCHED_SRC/tests/lab/l2/guest-lib.sh"

ROUNDS=${GUEST_HOTPLUG_ROUNDS:-20}
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

# load: unpinned busy loops at nice 0 and nice 5 (CFS alternates them, so
# every CPU keeps publishing new requests) and a reader generating virtio
# interrupts
lab_l2_run g1 "for n in 0 5 0 5; do $GUEST_BIN/guest-rt -1 other \$n 3600 >/dev/null 2>&1 & done;" \
	"(while :; do cat /host/boot/vmlinuz-* >/dev/null; sleep 1; done) >/dev/null 2>&1 &"

# field F (1-based: 1 seq, 2 policy, 3 nice, 4 rt_prio, 5 flags) of slot I
# from one "brief" line
slot_field() {
	local line=$1 i=$2 f=$3
	awk -v i="$i" -v f="$f" '{ split($(4 + i), a, "/"); print a[f] }' <<<"$line"
}

# slot_quiet I: slot I is zero and its seq does not move
slot_quiet() {
	local a b
	a=$(guest_region brief "$pv")
	sleep 0.5
	b=$(guest_region brief "$pv")
	[[ $(slot_field "$a" "$1" 1) == $(slot_field "$b" "$1" 1) ]] ||
		{ echo "slot $1 still moving: $a / $b" >&2; return 1; }
	[[ $(slot_field "$b" "$1" 2)/$(slot_field "$b" "$1" 3)/$(slot_field "$b" "$1" 4)/$(slot_field "$b" "$1" 5) == 0/0/0/0x0 ]] ||
		{ echo "slot $1 not cleared: $b" >&2; return 1; }
	(($(slot_field "$b" "$1" 1) % 2 == 0)) || { echo "slot $1 seq odd: $b" >&2; return 1; }
}

# slot_moving I: slot I's seq advances (the CPU publishes)
slot_moving() {
	local a n
	a=$(slot_field "$(guest_region brief "$pv")" "$1" 1)
	for ((n = 0; n < 150; n++)); do
		sleep 0.2
		[[ $(slot_field "$(guest_region brief "$pv")" "$1" 1) != "$a" ]] && return 0
	done
	echo "slot $1 seq stuck at $a" >&2
	return 1
}

gen=$(guest_hdr pv guest_generation)
for ((r = 1; r <= ROUNDS; r++)); do
	lab_l2_run g1 "echo $DEV > $DRV/unbind"
	lab_assert_eq "$(guest_hdr pv guest_state)" 3 "round $r: guest_state after unbind"
	lab_assert slot_quiet 0
	lab_assert slot_quiet 1
	lab_l2_run g1 "echo $DEV > $DRV/bind"
	lab_assert_eq "$(guest_hdr pv guest_state)" 1 "round $r: guest_state after bind"
	lab_assert_eq "$(guest_hdr pv guest_generation)" $((gen + r)) "round $r: generation"
	lab_assert slot_moving 0
	lab_assert slot_moving 1
	lab_log "unbind/rebind round $r ok: $(guest_region brief "$pv")"
done

for ((r = 1; r <= ROUNDS; r++)); do
	lab_l2_run g1 "echo 0 > /sys/devices/system/cpu/cpu1/online"
	lab_assert slot_quiet 1
	lab_assert slot_moving 0
	lab_l2_run g1 "echo 1 > /sys/devices/system/cpu/cpu1/online"
	lab_assert slot_moving 1
	lab_log "offline/online round $r ok: $(guest_region brief "$pv")"
done
lab_l2_run g1 cat "$GUEST_DBG/state" "$GUEST_DBG/counters"

# rmmod while busy
lab_l2_run g1 rmmod pvsched_guest
lab_assert_eq "$(guest_hdr pv guest_state)" 3 "guest_state after rmmod"
lab_assert slot_quiet 0
lab_assert slot_quiet 1
lab_l2_check_dmesg g1
lab_l2_stop g1
lab_check_dmesg
