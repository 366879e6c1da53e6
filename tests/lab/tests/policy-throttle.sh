#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Issue 3, acceptance 3: throttling.  A guest spins forever with its
# critical-section flag set (tests/vmm/pvsched-vmm cs-forever) and makes no
# VM exit of its own (only the host's timer interrupts exit it).  Its vCPU
# thread and a CPU hog share L1 CPU 1.  With max_boost M and throttle T the
# vCPU is boosted (rr/8) for M, dropped to its base for T, and so on; during
# T the two share the CPU fairly, so the hog should get about T/(M+T)/2 of
# the CPU.  Asserted:
#   - pvsched_throttle and pvsched_unthrottle trace events and the
#     throttles counter grow over the window (about one per M+T);
#   - the hog's share, from CPU time (schedstat) of the hog and of the
#     vCPU thread over a few seconds, is within [0.5x, 2x] of T/(M+T)/2;
#   - with the throttle effectively disabled (max_boost 10 s, the admin cap
#     raised), the hog gets much less (RT bandwidth, 5 %, is then its only
#     source of CPU), and the throttled share is at least twice that.
# Shares are ratios of CPU times, never wall-clock assertions.
# lab-timeout: 300
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../../vmm/lab-helpers.sh
. "$PVSCHED_SRC/tests/vmm/lab-helpers.sh"

MAX_BOOST_US=${PVSCHED_TEST_MAX_BOOST_US:-20000}
THROTTLE_US=${PVSCHED_TEST_THROTTLE_US:-10000}
WINDOW_S=${PVSCHED_TEST_WINDOW_S:-4}
CPU=1

# RR 8 / 1 s boosts and their numbers predate the host-wide bound
lab_load_pvsched "${lab_unbounded_caps[@]}"

hog=
vmm=
cleanup() {
	[[ -n $vmm ]] && kill -TERM "$vmm" 2>/dev/null
	[[ -n $hog ]] && kill -KILL "$hog" 2>/dev/null
	wait 2>/dev/null || true
}
trap cleanup EXIT

taskset -c $CPU bash -c 'while :; do :; done' &
hog=$!
lab_log "hog pid $hog on CPU $CPU"

# measure NAME MAX_BOOST_US THROTTLE_US: runs cs-forever beside the hog,
# sets SHARE (hog share in ppm), THROTTLES (during the window), EXITS_PS.
measure() {
	local name=$1 mb=$2 th=$3 L=$LAB_OUT/$1.log tid h0 h1 v0 v1 s0 s1 e0 e1 t0 t1
	trace_start
	"$VMM" --cpu $CPU --cs-boost rr/8 --max-boost-us "$mb" --throttle-us "$th" \
		--sample-us 1000 cs-forever >"$L" 2>&1 &
	vmm=$!
	wait_line "$L" '^phase vcpu=0 phase=cs'
	tid=$(kv "$L" '^vcpu vcpu=0' tid)
	sleep 1 # settle
	kill -USR1 $vmm
	wait_count "$L" '^snapshot-done' 1
	h0=$(runtime_ns $hog) v0=$(runtime_ns "$tid") t0=$(date +%s%N)
	sleep "$WINDOW_S"
	h1=$(runtime_ns $hog) v1=$(runtime_ns "$tid") t1=$(date +%s%N)
	kill -USR1 $vmm
	wait_count "$L" '^snapshot-done' 2
	kill -TERM $vmm
	wait $vmm || lab_fail "$name: pvsched-vmm failed: $(tail -n 20 "$L")"
	vmm=
	trace_stop "$name"
	sed "s/^/    [$name] /" "$L"
	s0=$(grep -E '^stats vcpu=0 at=signal' "$L" | head -n1 | tr ' ' '\n' | sed -n 's/^throttles=//p')
	s1=$(kv "$L" '^stats vcpu=0 at=signal' throttles)
	e0=$(grep -E '^stats vcpu=0 at=signal' "$L" | head -n1 | tr ' ' '\n' | sed -n 's/^exits=//p')
	e1=$(kv "$L" '^stats vcpu=0 at=signal' exits)
	THROTTLES=$((s1 - s0))
	EXITS_PS=$(((e1 - e0) * 1000000000 / (t1 - t0)))
	SHARE=$(((h1 - h0) * 1000000 / ((h1 - h0) + (v1 - v0))))
	THR_NS=$(($(kv "$L" '^stats vcpu=0 at=signal' throttled_ns) -
		$(grep -E '^stats vcpu=0 at=signal' "$L" | head -n1 | tr ' ' '\n' | sed -n 's/^throttled_ns=//p')))
	BOOST_NS=$(($(kv "$L" '^stats vcpu=0 at=signal' boosted_ns) -
		$(grep -E '^stats vcpu=0 at=signal' "$L" | head -n1 | tr ' ' '\n' | sed -n 's/^boosted_ns=//p')))
	# Between the two GET_STATS (not the same window as the CPU times).
	st0=$(grep -E '^stats vcpu=0 at=signal' "$L" | head -n1 | tr ' ' '\n' | sed -n 's/^t=//p')
	st1=$(kv "$L" '^stats vcpu=0 at=signal' t)
	lab_log "$name: GET_STATS over $(awk -v a="$st0" -v b="$st1" 'BEGIN { printf "%.0f", (b - a) * 1000 }') ms:" \
		"boosted_ns +$((BOOST_NS / 1000000)) ms, throttled_ns +$((THR_NS / 1000000)) ms"
	lab_log "$name: hog ${SHARE} ppm of CPU $CPU (hog $(((h1 - h0) / 1000000)) ms, vCPU" \
		"$(((v1 - v0) / 1000000)) ms), $THROTTLES throttles, $EXITS_PS exits/s" \
		"over $(((t1 - t0) / 1000000)) ms"
}

measure throttled "$MAX_BOOST_US" "$THROTTLE_US"
expect=$((THROTTLE_US * 1000000 / (MAX_BOOST_US + THROTTLE_US) / 2))
shareon=$SHARE
lab_log "throttled: expected hog share ${expect} ppm, measured ${SHARE} ppm"
echo "throttle max_boost_us=$MAX_BOOST_US throttle_us=$THROTTLE_US expected_ppm=$expect" \
	"measured_ppm=$SHARE throttles=$THROTTLES exits_per_s=$EXITS_PS" >"$LAB_OUT/result-throttled.txt"
# At least a third of the windows expected in the measured time (tolerant
# of the lab's slow, emulated timers); the guest itself makes no exits, so
# the throttle runs on the module's timers and the host tick's exits.
assert_ge "throttled: throttles in ${WINDOW_S}s" "$THROTTLES" \
	$((WINDOW_S * 1000000 / (MAX_BOOST_US + THROTTLE_US) / 3))
# The guest makes no exit of its own: only interrupts exit it, the host
# tick (HZ: 250 on Debian's kernel, 1000 on the debug kernel) and the
# throttle's own kicks; a guest exiting by itself (PIO at ~35 us an exit)
# could make over 20,000 a second.
lab_expect -lt "$EXITS_PS" 2000 "throttled: $EXITS_PS exits/s, the guest was meant to make none"
lab_log "ok: $EXITS_PS exits/s while throttled on time (host timer exits only)"
assert_ge "throttled: trace pvsched_throttle" "$(trace_count throttled pvsched_throttle)" 3
assert_ge "throttled: trace pvsched_unthrottle" "$(trace_count throttled pvsched_unthrottle)" 3
assert_ge "throttled: samples at rr/8 (boosted between windows)" \
	"$(sampled "$LAB_OUT/throttled.log" 0 cs rr/8)" 1
assert_ge "throttled: samples at normal/0 (throttle windows)" \
	"$(sampled "$LAB_OUT/throttled.log" 0 cs normal/0)" 1
lab_expect -ge "$SHARE" $((expect / 2)) "throttled: hog share $SHARE ppm outside [0.5x, 2x] of expected $expect ppm"
lab_expect -le "$SHARE" $((expect * 2)) "throttled: hog share $SHARE ppm outside [0.5x, 2x] of expected $expect ppm"
lab_log "ok: hog share within [0.5x, 2x] of the expected share"

# The throttle effectively off: max_boost 10 s (admin cap raised to allow it).
param max_boost_cap_us 10000000
measure unthrottled 10000000 "$THROTTLE_US"
echo "unthrottled max_boost_us=10000000 measured_ppm=$SHARE throttles=$THROTTLES" \
	>>"$LAB_OUT/result-throttled.txt"
# max_boost 10 s: at most a throttle or two while the slow lab shell runs.
lab_expect -le "$THROTTLES" 3 "unthrottled: $THROTTLES throttles with max_boost 10 s"
lab_expect -ge "$shareon" $((2 * SHARE)) \
	"throttled share $shareon ppm is not at least twice the unthrottled $SHARE ppm"
lab_log "ok: throttled share $shareon ppm >= 2 x unthrottled $SHARE ppm"

cleanup
trap - EXIT
hog= vmm=
lab_unload_pvsched
lab_check_dmesg
