#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The engine on a real KVM guest (L2, 1 vCPU): the vCPU thread is
# registered by build/engine/pvsched-engine-reg, which plays the guest's
# part of the slot itself (the slot is its own shared memory).  Checks,
# from the thread's sched_getattr, the stats, the host area and the
# pvsched: trace events:
#   idle guest          HALT boosts (it halts), unboost at exits, base back
#   busy guest + CS     CS boost, throttle by the hrtimer, unthrottle
#   task FIFO 20        1:1 translation (long max_boost)
#   task FIFO 99        clamped to max_rt_prio (49: the caps before the
#                       host-wide bound, lab_unbounded_caps)
#   SCHED_DEADLINE      refused
#   seq kept odd        torn reads, no boost
# and prints the event-to-effective delays (direct vs deferred).
# lab-timeout: 700
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"

reg=$PVSCHED_SRC/build/engine/pvsched-engine-reg
[[ -x $reg ]] || lab_fail "$reg not built (make engine-tests)"
tr=/sys/kernel/tracing
[[ -d $tr/events ]] || tr=/sys/kernel/debug/tracing

trap 'lab_l2_stop g1' EXIT
# RR 8 / 1 s boosts and their numbers predate the host-wide bound
lab_load_pvsched "${lab_unbounded_caps[@]}"
lab_l2_start g1
lab_l2_wait g1 ready 90
tid=$(lab_l2_vcpu_tids g1 | awk '$1 == 0 { print $2 }')
[[ -n $tid ]] || lab_fail "no vCPU thread id"
lab_l2_pin_emulator g1 0
taskset -p -c 1 "$tid" >/dev/null
lab_log "vCPU 0 thread $tid"

echo 1 >"$tr/events/pvsched/enable" || lab_fail "no pvsched trace events"
echo 1 >"$tr/tracing_on"
: >"$tr/trace"

# run NAME MODE SECONDS [PARAMS...]: output in $LAB_OUT/NAME.txt
run() {
	local name=$1
	shift
	taskset -c 0 "$reg" "$tid" "$@" >"$LAB_OUT/$name.txt" ||
		lab_fail "$name: pvsched-engine-reg failed"
	sed "s/^/  $name: /" "$LAB_OUT/$name.txt"
}
# val NAME KEY
val() {
	awk -v k="$2" '$1 == k { print $2 }' "$LAB_OUT/$1.txt"
}
# gt NAME KEY MIN: KEY > MIN
gt() {
	local v
	v=$(val "$1" "$2")
	lab_expect -gt "$v" "$3" "$1: $2 = '$v', expected > $3"
}
# seen NAME POLICY/PRIO/NICE: some samples had exactly these attributes
seen() {
	local n
	n=$(awk -v k="$2" '$1 == "seen" && $2 == k { print $3 }' "$LAB_OUT/$1.txt")
	lab_expect -gt "$n" 0 "$1: the thread was never seen at $2"
}
eq() {
	lab_assert_eq "$(val "$1" "$2")" "$3" "$1: $2"
}

base_policy=$(chrt -p "$tid" | head -n1)
lab_log "base: $base_policy"

# 1. Idle guest: it halts; each halt boosts (intr attrs, RR 8), the next
#    exit unboosts (the guest asks for nothing).
run idle idle 2
gt idle stat_exits 10
gt idle stat_entries 10
gt idle stat_halts 0
# an idle guest's halts end their polling and block (the boost clock's pause)
gt idle stat_blocks 0
gt idle stat_boosts_halt 0
gt idle stat_unboosts 0
eq idle stat_boosts_cs 0
eq idle header_vcpu_pid "$tid"
eq idle after_policy 0
gt idle stat_apply_direct 0

# 2. Busy guest with the CS flag: boosted, throttled on time, released.
#    (No nohup: L2's busybox has none, and a "nohup" here left the guest
#    idle for as long as this test existed; it passed on throttles of
#    chance.)
lab_l2_run g1 'sh -c "while :; do :; done" >/dev/null 2>&1 &'
l2ps=$(lab_l2_run g1 ps)
[[ $l2ps == *'while :'* ]] || lab_fail "no busy loop runs in L2: $(tr '\n' ' ' <<<"$l2ps")"
run cs cs 3
gt cs stat_boosts_cs 0
gt cs sample_boosted 0
seen cs 2/8/0
seen cs 0/0/0
# at least one throttle window (10 ms)
gt cs stat_throttles 0
gt cs stat_throttled_ns 9999999
gt cs stat_boosted_ns 0
eq cs after_policy 0

# 3. 1:1 translation of FIFO 20 (max_boost 1 s, so no throttle in 0.5 s).
run fifo20 task:1:20:0 0.5 max_boost_us=1000000
gt fifo20 stat_boosts_task 0
seen fifo20 1/20/0
eq fifo20 after_policy 0

# 4. FIFO 99 is clamped to the admin's max_rt_prio (49 here).
run fifo99 task:1:99:0 0.5 max_boost_us=1000000
seen fifo99 "1/$(cat /sys/module/pvsched/parameters/max_rt_prio)/0"
gt fifo99 stat_guest_clamped 0

# 5. Fair request nice -5 (min_nice -10 allows it).
run nice5 task:0:0:-5 0.5 max_boost_us=1000000
seen nice5 0/0/-5
eq nice5 after_nice 0

# 6. SCHED_DEADLINE refused, unknown policy ignored.
run dl task:6:10:0 0.5
gt dl stat_guest_refused 0
eq dl stat_boosts_task 0
run unk task:42:10:0 0.5
gt unk stat_guest_invalid 0

# 7. A hostile guest keeping seq odd: torn reads, no CS boost.
run torn torn 0.5
gt torn stat_torn_reads 0
eq torn stat_boosts_cs 0

echo 0 >"$tr/tracing_on"
cp "$tr/trace" "$LAB_OUT/trace.txt"
for ev in pvsched_boost pvsched_unboost pvsched_throttle pvsched_unthrottle pvsched_apply; do
	n=$(grep -c " $ev: " "$LAB_OUT/trace.txt" || true)
	lab_log "trace: $n x $ev"
	lab_expect -gt "$n" 0 "no $ev trace events"
done
grep -q 'pvsched_boost: .*reason=halt' "$LAB_OUT/trace.txt" || lab_fail "no halt boost traced"
grep -q 'pvsched_boost: .*reason=crit_section' "$LAB_OUT/trace.txt" || lab_fail "no crit_section boost traced"
grep -q 'pvsched_boost: .*reason=task_prio' "$LAB_OUT/trace.txt" || lab_fail "no task_prio boost traced"
# Event-to-effective delay of attribute changes (a measurement, not a test).
for k in direct deferred; do
	grep " pvsched_apply: .* $k " "$LAB_OUT/trace.txt" |
		sed 's/.*delay_ns=\([0-9]*\).*/\1/' | sort -n |
		awk -v k="$k" '{ a[NR] = $1 } END { if (NR) printf "apply %s: n=%d p50=%.1f us p90=%.1f us p99=%.1f us\n", k, NR, a[int(NR * 0.5) + 1] / 1000, a[int(NR * 0.9) + 1] / 1000, a[int(NR * 0.99) + 1] / 1000 }'
done
cat /sys/kernel/debug/pvsched/engine

# 8. QEMU dies while its vCPU thread is registered and boosted: the
#    registration outlives the thread; VCPU_DEL/close must cope.
taskset -c 0 "$reg" "$tid" cs 5 >"$LAB_OUT/killed.txt" 2>&1 &
regpid=$!
sleep 1
kill -9 "$(lab_l2_pid g1)"
rc=0
wait "$regpid" || rc=$?
lab_log "helper exit status after QEMU died: $rc (expected nonzero: thread gone)"
lab_expect != "$rc" 0 "helper did not notice the thread exit"
trap - EXIT
lab_unload_pvsched
lab_check_dmesg
