#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Throttle bounds against two hostile guests, each spinning on one vCPU
# pinned with a CPU hog to L1 CPU 1, session params RR 10, max_boost 20 ms,
# throttle 20 ms:
#   cs-forever  every critical-section flag set once and never cleared
#   toggle      the flags word flipped as fast as a CPU (CPU 0) can
# The hog's share of CPU 1 is hog / (hog + vCPU thread) CPU time (a ratio
# of CPU times, so L0's load does not skew it).  With the
# throttle it should keep about throttle/(max_boost+throttle)/2 = 25% (half
# of each throttle window); without it, an RR vCPU spinning forever would
# leave it only the kernel's RT-throttling 5%.  Bound asserted: >= 10%.
# The unregistered spinning guest (fair sharing, ~50%) is the reference.
# lab-timeout: 600
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../../hostile/lib.sh
. "$PVSCHED_SRC/tests/hostile/lib.sh"

hostile_setup

taskset -c 1 sh -c 'while :; do :; done' &
hog=$!
trap 'kill $hog 2>/dev/null' EXIT

# share NAME SECS ARGS...: run pvsched-hostile ARGS for SECS with -S (it
# measures hog / (hog + vCPU thread) CPU time itself, from schedstat, over
# the run minus its first second) and print the hog's share in percent.
share() {
	local name=$1 secs=$2
	shift 2
	hostile_run "$name" "$@" -S "$hog" -t "$secs" >&2
	hostile_val "$LAB_OUT/$name.out" share.hog_pct
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
	[[ $mode != cs-forever ]] ||
		lab_expect -gt "$(hostile_val "$out" stat.vcpu0.throttles)" 0 "cs-forever: never throttled"
done
lab_check_dmesg
