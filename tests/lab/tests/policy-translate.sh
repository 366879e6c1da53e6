#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Issue 3, acceptance 2: 1:1 translation of the guest's task priority.  The
# guest (tests/vmm/pvsched-vmm prio) writes sched_policy/nice/rt_prio into
# its slot's guest area with the sequence protocol and keeps making VM exits.
# With the admin caps max_rt_prio=10, min_nice=-3 (module parameters):
#   FIFO 20         -> the vCPU thread runs SCHED_FIFO 10 (clamped)
#   nice -5         -> SCHED_NORMAL nice -3 (clamped)
#   SCHED_DEADLINE  -> refused: stays SCHED_NORMAL nice 0, guest_refused
#   FIFO 20 with max_policy=rr -> SCHED_RR 10
#   RR 5 (within the caps) -> SCHED_RR 5, not clamped
# Each checked on the thread (sched_getattr samples, and chrt while the
# VMM runs for the first case), in the host area the guest can read, and in
# GET_STATS (cur, guest_clamped, guest_refused); when the guest asks for
# nothing again, the thread is back at normal/0.
# lab-timeout: 300
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../../vmm/lab-helpers.sh
. "$PVSCHED_SRC/tests/vmm/lab-helpers.sh"

# RR 8 / 1 s boosts and their numbers predate the host-wide bound
lab_load_pvsched "${lab_unbounded_caps[@]}"
param max_policy fifo
param max_rt_prio 10
param min_nice -3

"$VMM" --info >"$LAB_OUT/info.log" || lab_fail "pvsched-vmm --info failed"
cat "$LAB_OUT/info.log"
assert_eq "GET_INFO max_rt_prio" "$(kv "$LAB_OUT/info.log" '^info' max_rt_prio)" 10
assert_eq "GET_INFO min_nice" "$(kv "$LAB_OUT/info.log" '^info' min_nice)" -3

# max_boost 1 s: a granted RT request counts as a boost and is throttled
# like any other; keep the throttle out of this test.
COMMON=(--cpu 1 --sample-us 50 --ms 300 --after-ms 200 --max-boost-us 1000000)

# check NAME EXPECTED: the prio phase showed EXPECTED only, after it normal/0.
check() {
	local name=$1 want=$2 L=$LAB_OUT/$1.log n_want n_all
	n_want=$(sampled "$L" 0 prio "$want")
	n_all=$(kv "$L" '^sample vcpu=0 phase=prio ' n)
	assert_ge "$name: samples at $want while the guest asks" "$n_want" 1
	# Applied at the exit that reported the request: nearly every sample.
	assert_ge "$name: percent of samples at $want" $((n_want * 100 / n_all)) 90
	assert_eq "$name: GET_STATS cur" "$(kv "$L" '^stats vcpu=0 at=prio' cur)" "$want"
	assert_eq "$name: host area applied" "$(kv "$L" '^host vcpu=0 at=prio' applied)" "$want"
	assert_eq "$name: samples at $want after the request ended" \
		"$(sampled "$L" 0 after "$want")" 0
	assert_ge "$name: samples at normal/0 after the request ended" \
		"$(sampled "$L" 0 after normal/0)" 1
	assert_eq "$name: host area after the request ended" \
		"$(kv "$L" '^host vcpu=0 at=after' applied)" normal/0
}

# FIFO 20, capped to 10.  First chrt (util-linux, not the VMM's own
# sampler) must see it while the guest still asks; the phase is ended by
# SIGTERM once seen.
trace_start
"$VMM" "${COMMON[@]}" --ms 60000 --policy fifo --rt-prio 20 prio >"$LAB_OUT/fifo-chrt.log" 2>&1 &
vmm=$!
wait_line "$LAB_OUT/fifo-chrt.log" '^phase vcpu=0 phase=prio'
tid=$(kv "$LAB_OUT/fifo-chrt.log" '^vcpu vcpu=0' tid)
# at_fifo10: the vCPU thread is at fifo/10; keeps what chrt showed in
# chrt_attr (checked below, once the VMM has ended).
at_fifo10() {
	chrt_attr=$(thread_attr "$tid") || return 1
	[[ $chrt_attr == fifo/10 ]]
}
lab_wait_until 10 at_fifo10 || true
kill -TERM $vmm # ends the prio phase
wait $vmm || lab_fail "pvsched-vmm prio (fifo) failed: $(cat "$LAB_OUT/fifo-chrt.log")"
trace_stop fifo
sed 's/^/    [fifo-chrt] /' "$LAB_OUT/fifo-chrt.log"
assert_eq "fifo: chrt -p on the vCPU thread" "$chrt_attr" fifo/10
assert_ge "fifo: trace pvsched_boost reason=prio" "$(trace_count fifo pvsched_boost "$(reason_re prio)")" 1
assert_ge "fifo: trace pvsched_boost to 1/10 (FIFO 10)" "$(trace_count fifo pvsched_boost 'new=1/10/')" 1
assert_ge "fifo: trace pvsched_unboost" "$(trace_count fifo pvsched_unboost)" 1

vmm_run fifo "${COMMON[@]}" --policy fifo --rt-prio 20 prio
check fifo fifo/10
assert_ge "fifo: GET_STATS guest_clamped" "$(kv "$LAB_OUT/fifo.log" '^stats vcpu=0 at=end' guest_clamped)" 1
assert_ge "fifo: GET_STATS boost_prio" "$(kv "$LAB_OUT/fifo.log" '^stats vcpu=0 at=end' boost_prio)" 1
assert_eq "fifo: host area rt_prio" "$(kv "$LAB_OUT/fifo.log" '^host vcpu=0 at=prio' rt_prio)" 10

vmm_run nice "${COMMON[@]}" --policy normal --nice -5 prio
check nice normal/-3
assert_ge "nice: GET_STATS guest_clamped" "$(kv "$LAB_OUT/nice.log" '^stats vcpu=0 at=end' guest_clamped)" 1
assert_eq "nice: host area nice" "$(kv "$LAB_OUT/nice.log" '^host vcpu=0 at=prio' nice)" -3

vmm_run deadline "${COMMON[@]}" --policy deadline prio
L=$LAB_OUT/deadline.log
assert_ge "deadline: GET_STATS guest_refused" "$(kv "$L" '^stats vcpu=0 at=end' guest_refused)" 1
assert_eq "deadline: samples that are not normal/0" \
	$(($(kv "$L" '^sample vcpu=0 phase=prio ' n) - $(sampled "$L" 0 prio normal/0))) 0
assert_eq "deadline: GET_STATS cur" "$(kv "$L" '^stats vcpu=0 at=prio' cur)" normal/0
assert_eq "deadline: host area applied" "$(kv "$L" '^host vcpu=0 at=prio' applied)" normal/0

param max_policy rr
vmm_run fifo-rr "${COMMON[@]}" --policy fifo --rt-prio 20 prio
check fifo-rr rr/10
param max_policy fifo

vmm_run rr5 "${COMMON[@]}" --policy rr --rt-prio 5 prio
check rr5 rr/5
assert_eq "rr5: GET_STATS guest_clamped" "$(kv "$LAB_OUT/rr5.log" '^stats vcpu=0 at=end' guest_clamped)" 0

lab_unload_pvsched
lab_check_dmesg
