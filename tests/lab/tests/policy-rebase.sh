#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Issue 20 item 3, the stale base: someone else (an admin's chrt or renice,
# libvirt) changes a registered vCPU thread's attributes, and pvsched takes
# them as the thread's base instead of undoing them at the next unboost or
# at unregistration.  With the test VMM (tests/vmm/pvsched-vmm):
#  1. chrt -f 20 while the guest holds a critical-section boost (rr/8): the
#     thread stays fifo/20 while the guest asks, and after it stops asking
#     (the unboost used to restore normal/0); GET_STATS base fifo/20,
#     base_changes, trace pvsched_rebase.
#  2. chrt -f 15 while boosted, then VCPU_DEL + close while the guest runs:
#     the thread keeps fifo/15 (the restore at stop used to give normal/0).
#  3. renice 5 while the guest halts and wakes (HALT/interrupt boosts at
#     rr/8, where the kernel keeps the nice aside): afterwards normal/5.
#  4. chrt -d (SCHED_DEADLINE) while boosted: left alone from then on, no
#     unboost to normal/0, and no "sleeping function called from invalid
#     context" (the harness scans dmesg): sched_setattr() takes the cpuset
#     mutex for a deadline thread.
# lab-timeout: 600
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../../vmm/lab-helpers.sh
. "$PVSCHED_SRC/tests/vmm/lab-helpers.sh"

vmm=
cleanup() {
	[[ -n $vmm ]] && kill -TERM "$vmm" 2>/dev/null
	wait 2>/dev/null || true
}
trap cleanup EXIT

# start NAME ARGS...: the VMM in the background, output in $LAB_OUT/NAME.log;
# sets vmm, L and tid once its main phase runs.
start() {
	local name=$1
	shift
	L=$LAB_OUT/$name.log
	lab_log "pvsched-vmm $*"
	"$VMM" --sample-us 50 --max-boost-us 1000000 "$@" >"$L" 2>&1 &
	vmm=$!
	wait_line "$L" '^phase vcpu=0 phase=(cs|halt)'
	tid=$(kv "$L" '^vcpu vcpu=0' tid)
}
# finish NAME [--no-term]: end the main phase (SIGTERM: a halting guest
# needs all its wakes, so not for it), wait for the VMM (its --expect
# decide).
finish() {
	[[ ${2:-} == --no-term ]] || kill -TERM "$vmm" 2>/dev/null || true
	wait "$vmm" || lab_fail "$1: pvsched-vmm failed (see $L)"
	vmm=
	sed "s/^/    [$1] /" "$L"
}
at() { [[ $(thread_attr "$tid") == "$1" ]]; }
stat() { kv "$L" "^stats vcpu=0 at=$1" "$2"; }

# rr/8 boosts held for seconds (1 s max_boost, cs-forever): the caps
# before the host-wide bound, which would refuse rr/8 (RT ceiling 4) and
# the 1 s boost's duty cycle, and cut the held boosts (the share)
lab_load_pvsched "${lab_unbounded_caps[@]}"
trace_start

# --- 1. chrt while boosted, then the guest stops asking -------------------
start chrt --cpu 1 --cs-boost rr/8 --after-ms 500 \
	--expect after:fifo/20 --expect-not after:normal/0 --expect-not after:rr/8 cs-forever
lab_wait_until 20 at rr/8 || lab_fail "vCPU thread never boosted to rr/8"
chrt -f -p 20 "$tid" || lab_fail "chrt -f -p 20 $tid"
sleep 0.5
assert_eq "chrt: thread while the guest still asks" "$(thread_attr "$tid")" fifo/20
finish chrt
assert_eq "chrt: GET_STATS base after the unboost" "$(stat after base)" fifo/20
assert_ge "chrt: GET_STATS base_changes" "$(stat after base_changes)" 1

# --- 2. chrt while boosted, then unregistration ----------------------------
start stop --cpu 1 --cs-boost rr/8 cs-forever
lab_wait_until 20 at rr/8 || lab_fail "vCPU thread never boosted to rr/8"
chrt -f -p 15 "$tid" || lab_fail "chrt -f -p 15 $tid"
kill -USR2 "$vmm"
wait_line "$L" '^closed /dev/pvsched'
assert_eq "stop: thread after VCPU_DEL and close (guest running)" "$(thread_attr "$tid")" fifo/15
sleep 0.5
assert_eq "stop: thread 0.5 s later" "$(thread_attr "$tid")" fifo/15
finish stop

# --- 3. renice while halting and woken (boosts at rr/8) ---------------------
start renice --cpu 1 --intr-boost rr/8 --iters 40 --period-us 50000 --after-ms 500 \
	--expect after:normal/5 --expect-not after:normal/0 halt
renice -n 5 -p "$tid" || lab_fail "renice -n 5 -p $tid"
finish renice --no-term
assert_eq "renice: GET_STATS base" "$(stat after base)" normal/5
assert_ge "renice: GET_STATS base_changes" "$(stat after base_changes)" 1

# --- 4. SCHED_DEADLINE while boosted ----------------------------------------
# not pinned: a deadline thread must be allowed on every CPU of its domain
start deadline --cs-boost rr/8 --after-ms 500 \
	--expect after:deadline/0 --expect-not after:normal/0 --expect-not after:rr/8 cs-forever
lab_wait_until 20 at rr/8 || lab_fail "vCPU thread never boosted to rr/8"
chrt -d --sched-runtime 2000000 --sched-deadline 10000000 --sched-period 10000000 \
	-p 0 "$tid" || lab_fail "chrt -d on $tid"
sleep 0.5
assert_eq "deadline: thread while the guest still asks" "$(thread_attr "$tid")" deadline/0
finish deadline
assert_eq "deadline: GET_STATS base" "$(stat after base)" deadline/0
assert_eq "deadline: GET_STATS apply_errors" "$(stat after apply_errors)" 0

trace_stop rebase
assert_ge "trace pvsched_rebase" "$(trace_count rebase pvsched_rebase)" 3
assert_ge "trace pvsched_rebase to FIFO 20" "$(trace_count rebase pvsched_rebase 'new_base=1/20/0')" 1
assert_ge "trace pvsched_rebase to SCHED_DEADLINE" "$(trace_count rebase pvsched_rebase 'new_base=6/0/')" 1

trap - EXIT
lab_unload_pvsched
lab_check_dmesg
