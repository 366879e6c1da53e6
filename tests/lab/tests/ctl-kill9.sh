#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# VMM death: 100 times, a stand-in VMM (pvsched-vmm-sim, forked by
# "pvsched-vmm-sim kill9") maps its slots (a /dev/shm file or anonymous
# shared memory), registers 1-4 threads of its own (and, every third time,
# a thread of another process, as "pvschedctl attach" does with QEMU's),
# then is killed with SIGKILL.  After each kill: its session is gone from
# debugfs vms, pinned_pages is 0, and the other process is alive with its
# scheduling attributes (SCHED_BATCH, nice 4) untouched.  At the end that
# thread can be registered again, nothing is pinned, no session is left.
# lab-timeout: 600
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# Pass-through settings are in lab.env but not exported by l1-stage2.sh.
# shellcheck disable=SC1090
. <(grep '^PVSCHED_KILL9_' "$LAB_OUT/lab.env" || true)

sim=$PVSCHED_SRC/build/ctl/pvsched-vmm-sim
[[ -x $sim ]] || lab_fail "$sim not built (make ctl-tests)"
cycles=${PVSCHED_KILL9_CYCLES:-100}
dbg=/sys/kernel/debug/pvsched

lab_load_pvsched

# The bystander: another process, SCHED_BATCH nice 4.  Background
# processes keep no stdout: the harness waits for it to close.
sleep 100000 </dev/null >/dev/null 2>&1 &
bys=$!
vmm_pid=
trap 'kill -9 $bys $vmm_pid 2>/dev/null || true' EXIT
chrt -b -p 0 "$bys" >/dev/null
renice -n 4 -p "$bys" >/dev/null
lab_assert_eq "$("$sim" attr "$bys")" "3 0 4" "bystander attributes"

"$sim" kill9 "$cycles" "$bys" || lab_fail "kill9 cycles failed"
lab_assert_eq "$("$sim" attr "$bys")" "3 0 4" "bystander attributes after $cycles cycles"

# The bystander is free again: a new session can register it (no -EBUSY).
"$sim" vmm 0 "$bys" </dev/null >"$LAB_OUT/vmm.out" 2>&1 &
vmm_pid=$!
vmm_ready_or_gone() { grep -q '^ready ' "$LAB_OUT/vmm.out" || ! kill -0 "$vmm_pid" 2>/dev/null; }
lab_wait_until 60 vmm_ready_or_gone || true
grep -q '^ready .* vcpus=1$' "$LAB_OUT/vmm.out" ||
	lab_fail "bystander not registrable again: $(cat "$LAB_OUT/vmm.out")"
kill -9 "$vmm_pid"
wait "$vmm_pid" 2>/dev/null || true

lab_assert_eq "$(cat $dbg/pinned_pages)" 0 "pinned_pages at the end"
if grep -q '^vm ' $dbg/vms; then
	lab_fail "sessions left: $(cat $dbg/vms)"
fi
cat $dbg/info
grep -q '^nr_vcpus=0$' $dbg/info || lab_fail "$dbg/info: nr_vcpus not 0"
lab_log "$cycles kill -9 cycles: pinned_pages 0, no session left, bystander unaffected"
kill "$bys"
lab_unload_pvsched
lab_check_dmesg
