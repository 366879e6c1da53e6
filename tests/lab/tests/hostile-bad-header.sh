#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A region header claiming ABI 0xdead.0xbeef, every feature bit offered and
# "accepted" by the guest, and guest_state 7: pvsched.ko never reads the
# region header (only the registered slots), so it must ignore all of it --
# the guest's critical sections are boosted as usual, within the caps, and
# nothing is logged as a kernel warning.
# lab-timeout: 400
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../../hostile/lib.sh
. "$PVSCHED_SRC/tests/hostile/lib.sh"

hostile_setup
hostile_run bad-header -H -m well -g io -c 1 -w 1 -R -p "$HOSTILE_PARAMS" -t 6

out=$LAB_OUT/bad-header.out
cs=$(hostile_val "$out" well.critical_sections)
seen=$(hostile_val "$out" well.boosts_seen)
boosts=$(hostile_val "$out" 'stat.vcpu0.boosts\[0\]')
lab_log "bogus header: $seen of $cs critical sections seen boosted, $boosts CS boosts counted"
lab_expect -gt "$boosts" 0 "the bogus header changed how the slot is served"
lab_expect -ge $((seen * 2)) "$cs" "the bogus header changed how the slot is served"
lab_check_dmesg
