#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/fuzz/pvsched-fuzz against pvsched.ko: at least 100,000 calls
# (bounded time), no oops or warning (the harness scans dmesg; L1 boots
# with panic_on_warn), 0 pinned pages and no session left afterwards, and
# the module unloads.  PVSCHED_FUZZ_SEED, PVSCHED_FUZZ_CALLS and
# PVSCHED_FUZZ_SECONDS override the defaults.
# lab-timeout: 900
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# Pass-through settings are in lab.env but not exported by l1-stage2.sh.
# shellcheck disable=SC1090
. <(grep '^PVSCHED_FUZZ_' "$LAB_OUT/lab.env" || true)

prog=$PVSCHED_SRC/build/ctl/pvsched-fuzz
[[ -x $prog ]] || lab_fail "$prog not built (make ctl-tests)"
calls=${PVSCHED_FUZZ_CALLS:-100000}
seconds=${PVSCHED_FUZZ_SECONDS:-600}
seed=${PVSCHED_FUZZ_SEED:-$(date +%s)}

lab_load_pvsched
rc=0
"$prog" -v -n "$calls" -t "$seconds" -s "$seed" | tee "$LAB_OUT/fuzz.log" || rc=$?
lab_expect '==' "$rc" 0 "pvsched-fuzz exited with $rc (seed $seed)"

done_calls=$(sed -n 's/^calls=\([0-9]*\) .*/\1/p' "$LAB_OUT/fuzz.log")
lab_expect -ge "$done_calls" "$calls" "only $done_calls of $calls calls in ${seconds}s (seed $seed)"
pinned=$(cat /sys/kernel/debug/pvsched/pinned_pages)
lab_assert_eq "$pinned" 0 "pinned_pages after the fuzzer"
grep -q '^vm ' /sys/kernel/debug/pvsched/vms && lab_fail "sessions left in debugfs vms"
lab_log "fuzz: $done_calls calls, seed $seed, pinned_pages $pinned"
lab_unload_pvsched
lab_check_dmesg
