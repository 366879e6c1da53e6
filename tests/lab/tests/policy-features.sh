#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Issue 20 item 6, the feature envelope: the host honours guest input only
# for the features the VMM offered.  The test VMM offers everything but
# --withhold (region host_features, and SET_PARAMS withheld_features, the
# host's own copy, since the guest may write the region header); its guest
# writes the input of the withheld feature all the same:
#   cs (a PVSCHED_CS_* flag), crit_section withheld -> never boosted
#   prio FIFO 10, task_prio withheld                -> never boosted
# both counted in GET_STATS guest_unoffered; and as controls the same
# guests with everything offered are boosted (cs: rr/8, prio: fifo/10), and
# a withheld feature leaves the others working (cs with task_prio withheld).
# lab-timeout: 600
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../../vmm/lab-helpers.sh
. "$PVSCHED_SRC/tests/vmm/lab-helpers.sh"

# rr/8 and fifo/10 boosts of 1 s max_boost held for a phase: the caps
# before the host-wide bound (RT ceiling 4 would refuse rr/8 and clamp
# fifo/10, max_duty_pct the 1 s boost, the share would cut the phase)
lab_load_pvsched "${lab_unbounded_caps[@]}"
COMMON=(--cpu 1 --sample-us 50 --ms 300 --after-ms 200 --cs-boost rr/8
	--max-boost-us 1000000)

# stat NAME FIELD: FIELD of the final GET_STATS of run NAME
stat() {
	kv "$LAB_OUT/$1.log" '^stats vcpu=0 at=end' "$2"
}

# --- critical sections ------------------------------------------------------
vmm_run cs-offered "${COMMON[@]}" --expect cs:rr/8 cs
assert_eq "cs offered: guest_unoffered" "$(stat cs-offered guest_unoffered)" 0
assert_ge "cs offered: boost_cs" "$(stat cs-offered boost_cs)" 1

vmm_run cs-withheld "${COMMON[@]}" --withhold crit_section --expect-not cs:rr/8 cs
L=$LAB_OUT/cs-withheld.log
assert_eq "cs withheld: SET_PARAMS withheld" "$(kv "$L" '^params at=set' withheld)" 0x1
assert_eq "cs withheld: boost_cs" "$(stat cs-withheld boost_cs)" 0
assert_ge "cs withheld: guest_unoffered" "$(stat cs-withheld guest_unoffered)" 1
assert_eq "cs withheld: samples not at normal/0" \
	$(($(kv "$L" '^sample vcpu=0 phase=cs ' n) - $(sampled "$L" 0 cs normal/0))) 0
assert_eq "cs withheld: host area applied" "$(kv "$L" '^host vcpu=0 at=cs' applied)" normal/0

# another feature withheld: critical sections still boost
vmm_run cs-prio-withheld "${COMMON[@]}" --withhold task_prio --expect cs:rr/8 cs
assert_eq "task_prio withheld, cs: guest_unoffered" "$(stat cs-prio-withheld guest_unoffered)" 0

# --- task priority ----------------------------------------------------------
vmm_run prio-offered "${COMMON[@]}" --policy fifo --rt-prio 10 --expect prio:fifo/10 prio
assert_ge "prio offered: boost_prio" "$(stat prio-offered boost_prio)" 1

vmm_run prio-withheld "${COMMON[@]}" --withhold task_prio --policy fifo --rt-prio 10 \
	--expect-not prio:fifo/10 prio
L=$LAB_OUT/prio-withheld.log
assert_eq "prio withheld: boost_prio" "$(stat prio-withheld boost_prio)" 0
assert_ge "prio withheld: guest_unoffered" "$(stat prio-withheld guest_unoffered)" 1
assert_eq "prio withheld: samples not at normal/0" \
	$(($(kv "$L" '^sample vcpu=0 phase=prio ' n) - $(sampled "$L" 0 prio normal/0))) 0

lab_unload_pvsched
lab_check_dmesg
