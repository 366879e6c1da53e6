#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Not a test: the guest overhead benchmark (issue 5 "Cost"), run by
# tests/bench/guest-overhead (make bench-guest) with PVSCHED_BENCH_GUEST=1;
# skipped otherwise.  In one L2 guest (2 vCPUs, pvsched region), a pipe
# ping-pong pinned to CPU 1 (two context switches and two wakeups per
# round) runs alternately without and with pvsched_guest bound, and the
# ratio of the medians is printed and saved in $LAB_OUT/guest-overhead.txt.
# lab-timeout: 1500
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../l2/guest-lib.sh
. "$PVSCHED_SRC/tests/lab/l2/guest-lib.sh"

# The harness writes the caller's PVSCHED_*/LAB_* settings to lab.env but
# l1-stage2.sh does not export them to the test: read them here.
# shellcheck source=/dev/null
. "$LAB_OUT/lab.env"
[[ ${PVSCHED_BENCH_GUEST:-0} == 1 ]] || lab_skip "benchmark: run tests/bench/guest-overhead"
guest_need_module
guest_need_helpers
PAIRS=${PVSCHED_BENCH_PAIRS:-7}
ROUNDS=${PVSCHED_BENCH_ROUNDS:-100000}

guest_make_region pv 2
# shellcheck disable=SC2046 # word splitting wanted
lab_l2_start --smp 2 g1 $(guest_ivshmem_args pv 0x10)
lab_l2_wait g1 ready 300

run() {
	lab_l2_run g1 "$GUEST_BIN/guest-overhead-pingpong 1 $ROUNDS" | awk '/^ns_per_round/ { print $2 }'
}

without=() with=()
run >/dev/null # warm-up
for ((p = 1; p <= PAIRS; p++)); do
	without+=("$(run)")
	lab_l2_run g1 /lab-l2/load-guest-module --one-cpu
	lab_assert guest_wait_state pv 1
	with+=("$(run)")
	lab_l2_run g1 rmmod pvsched_guest
	lab_log "pair $p: without ${without[-1]} ns/round, with ${with[-1]} ns/round"
done
median() {
	printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
mw=$(median "${without[@]}")
mp=$(median "${with[@]}")
{
	echo "guest pipe ping-pong, $ROUNDS rounds x $PAIRS pairs, ns per round (2 switches)"
	echo "without driver: ${without[*]} (median $mw)"
	echo "with driver:    ${with[*]} (median $mp)"
	awk -v a="$mw" -v b="$mp" 'BEGIN { printf "ratio with/without: %.4f (%+.2f %%)\n", b / a, (b / a - 1) * 100 }'
} | tee "$LAB_OUT/guest-overhead.txt"
lab_l2_check_dmesg g1
lab_l2_stop g1
