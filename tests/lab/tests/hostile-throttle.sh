#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Throttle bounds against two hostile guests, each spinning on one vCPU
# pinned with a CPU hog to L1 CPU 1, session params RR 10, max_boost 20 ms,
# throttle 20 ms:
#   cs-forever  every critical-section flag set once and never cleared
#   toggle      the flags word flipped as fast as a CPU (CPU 0) can
# The hog's share of CPU 1 is measured from its utime+stime.  With the
# throttle it should keep about throttle/(max_boost+throttle)/2 = 25% (half
# of each throttle window); without it, an RR vCPU spinning forever would
# leave it only the kernel's RT-throttling 5%.  Bound asserted: >= 10%.
# The unregistered spinning guest (fair sharing, ~50%) is the reference.
# lab-timeout: 240
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../../hostile/lib.sh
. "$PVSCHED_SRC/tests/hostile/lib.sh"

hostile_setup

taskset -c 1 sh -c 'while :; do :; done' &
hog=$!
trap 'kill $hog 2>/dev/null' EXIT
hz=$(getconf CLK_TCK)

# share NAME ARGS...: run pvsched-hostile for SECS (the -t value, last
# argument pair) and print the hog's share of CPU 1 in percent.
share() {
	local name=$1 secs=$2 t0 t1 w0 w1
	shift 2
	"$HOSTILE" "$@" -t "$secs" >"$LAB_OUT/$name.out" 2>&1 &
	local pid=$!
	sleep 1 # registration and the first boost
	t0=$(hostile_cpu_ticks "$hog")
	w0=$(date +%s%N)
	sleep $((secs - 2))
	t1=$(hostile_cpu_ticks "$hog")
	w1=$(date +%s%N)
	local rc=0
	wait "$pid" || rc=$?
	hostile_check "$name" "$rc" >&2
	awk -v t=$((t1 - t0)) -v hz="$hz" -v ns=$((w1 - w0)) \
		'BEGIN { printf "%.1f", 100 * t / hz / (ns / 1e9) }'
}

base=$(share baseline 8 -N -g spin -c 1 -w 0)
lab_log "hog share of CPU 1 beside an unregistered spinning guest: ${base}%"
for mode in cs-forever toggle; do
	s=$(share "$mode" 10 -m "$mode" -g spin -c 1 -w 0 -p "$HOSTILE_PARAMS" -b 20000:20000)
	out=$LAB_OUT/$mode.out
	lab_log "$mode: hog keeps ${s}% of CPU 1 (bound 10%, expected ~25%);" \
		"throttles $(hostile_val "$out" stat.vcpu0.throttles)," \
		"boosted $(($(hostile_val "$out" stat.vcpu0.boosted_ns) / 1000000)) ms," \
		"throttled $(($(hostile_val "$out" stat.vcpu0.throttled_ns) / 1000000)) ms," \
		"rt samples $(hostile_val "$out" vcpu0.rt_samples)/$(hostile_val "$out" vcpu0.samples)"
	echo "$mode hog_share_pct=$s baseline_pct=$base" >>"$LAB_OUT/bounds.txt"
	awk -v s="$s" 'BEGIN { exit !(s >= 10) }' ||
		lab_fail "$mode: the hog kept only ${s}% of CPU 1 (bound 10%)"
	[[ $mode != cs-forever ]] || (($(hostile_val "$out" stat.vcpu0.throttles) > 0)) ||
		lab_fail "cs-forever: never throttled"
done
lab_check_dmesg
