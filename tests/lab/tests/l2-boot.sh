#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# An L2 guest with 2 vCPUs boots under real KVM (kvm_amd in L1), runs a
# command, reports its vCPU thread ids over QMP, can be sampled where its
# vCPUs are (lab_l2_snapshot), has a clean kernel log and powers off
# cleanly.
# lab-timeout: 480
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"

trap 'lab_l2_stop g1' EXIT

t0=$(date +%s%N)
lab_l2_start --smp 2 g1
lab_l2_wait g1 ready 90
lab_log "L2 boot to ready: $((($(date +%s%N) - t0) / 1000000)) ms"

ncpu=$(lab_l2_run g1 nproc)
lab_assert_eq "$ncpu" 2 "vCPUs seen by L2"
kver=$(lab_l2_run g1 uname -r)
lab_assert_eq "$kver" "$LAB_KVER" "L2 kernel"
lab_l2_run g1 'grep -q hypervisor /proc/cpuinfo'

# A failing command reports its status.
rc=0
__lab_l2_run g1 'echo to-stderr >&2; exit 3' >/dev/null || rc=$?
lab_assert_eq "$rc" 3 "exit status of a failing L2 command"

# L1's / is visible read-only in L2.
lab_l2_run g1 "test -e /host$PVSCHED_SRC/tests/lab/lib.sh"

tids=$(lab_l2_vcpu_tids g1)
echo "$tids"
lab_assert_eq "$(wc -l <<<"$tids")" 2 "vCPU thread count"
pid=$(lab_l2_pid g1)
while read -r idx tid; do
	comm=$(cat "/proc/$pid/task/$tid/comm")
	lab_assert_eq "$comm" "CPU $idx/KVM" "thread name of vCPU $idx"
done <<<"$tids"
lab_log "emulator threads: $(lab_l2_emulator_tids g1 | tr '\n' ' ')"
lab_l2_pin_emulator g1 0

# Where its vCPUs are, as a command that never finishes reports it: each
# named by a function of L2's kernel (its KASLR slide found), not "?", in
# one sample at least (the summary names the last, and an idle guest's
# vCPU is sometimes sampled in a user process: "? (moving)", in CI).
snap=$(lab_l2_snapshot g1)
lab_log "$snap"
for cpu in 0 1; do
	grep -Eq "^sample [0-9]+ cpu$cpu rip=[0-9a-f]+ [A-Za-z_][A-Za-z0-9_.]*\+0x[0-9a-f]+" "$LAB_OUT/l2-g1-stuck.log" ||
		lab_fail "lab_l2_snapshot named no L2 function for vCPU $cpu in any sample: $snap (see l2-g1-stuck.log)"
done

lab_l2_check_dmesg g1
t0=$(date +%s%N)
lab_l2_stop g1
lab_log "L2 poweroff: $((($(date +%s%N) - t0) / 1000000)) ms"
grep -q '^lab-l2: poweroff' "$LAB_OUT/l2-g1-console.log" || lab_fail "L2 did not power off cleanly"
trap - EXIT
