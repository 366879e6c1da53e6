#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hostile guest asking for what it may not have, one request per ms through
# the sequence-counter protocol: SCHED_DEADLINE, unknown policies (4, 7,
# 0xffffffff, 0x80000001), rt_prio 0, -1, 100 and 0x7fffffff, FIFO 99, nice
# -21, 20, INT_MIN and INT_MAX, SCHED_BATCH/SCHED_IDLE at nice -20.  Per the
# uapi rules: DEADLINE refused, unknown policies ignored, the rest clamped
# to the caps (max_policy=rr, max_rt_prio=10, min_nice=-5) -- never applied
# beyond them (sampled), and each kind counted in GET_STATS.
# lab-timeout: 400
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../../hostile/lib.sh
. "$PVSCHED_SRC/tests/hostile/lib.sh"

hostile_setup
hostile_run bad-prio -m bad-prio -g io -c 1 -w 0 -R -p "$HOSTILE_PARAMS" -t 8

out=$LAB_OUT/bad-prio.out
refused=$(hostile_val "$out" stat.vcpu0.guest_refused)
invalid=$(hostile_val "$out" stat.vcpu0.guest_invalid)
clamped=$(hostile_val "$out" stat.vcpu0.guest_clamped)
lab_log "$(hostile_val "$out" writes) bad requests: refused $refused, invalid $invalid, clamped $clamped;" \
	"rt samples $(hostile_val "$out" vcpu0.rt_samples), max rt prio $(hostile_val "$out" vcpu0.max_rt_prio)," \
	"min nice $(hostile_val "$out" vcpu0.min_nice)"
lab_expect -gt "$refused" 0 "SCHED_DEADLINE requests not counted in guest_refused"
lab_expect -gt "$invalid" 0 "unknown policies not counted in guest_invalid"
lab_expect -gt "$clamped" 0 "out-of-range requests not counted in guest_clamped"
lab_check_dmesg
