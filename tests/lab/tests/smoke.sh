#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pvsched.ko loads and unloads cleanly on the kvm_amd host, creates
# /dev/pvsched with mode 0660, and reports the KVM tracepoints it attached
# to (dmesg line + /sys/kernel/debug/pvsched/tracepoints).
# lab-timeout: 180
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"

lab_load_pvsched

[[ -c /dev/pvsched ]] || lab_fail "/dev/pvsched missing or not a character device"
mode=$(stat -c %a /dev/pvsched)
lab_assert_eq "$mode" 660 "/dev/pvsched mode"
lab_log "/dev/pvsched: $(stat -c '%A %U:%G' /dev/pvsched)"

line=$(dmesg | grep -a -o 'pvsched: attached tracepoint family [a-z0-9_]* (.*)' | tail -n1) ||
	lab_fail "no 'pvsched: attached tracepoint family ...' line in dmesg"
lab_log "$line"
[[ $line == *kvm_entry* && $line == *kvm_exit* ]] ||
	lab_fail "tracepoint family line does not name kvm_entry and kvm_exit: $line"

tp=/sys/kernel/debug/pvsched/tracepoints
[[ -r $tp ]] || lab_fail "$tp missing"
cat "$tp"
for ev in kvm_entry kvm_exit; do
	grep -q -E "^${ev}[[:space:]]+attached$" "$tp" || lab_fail "$tp: $ev not attached"
done

lab_unload_pvsched
[[ ! -e /dev/pvsched ]] || lab_fail "/dev/pvsched still present after rmmod"
[[ ! -e /sys/kernel/debug/pvsched ]] || lab_fail "debugfs dir still present after rmmod"

# A second load/unload cycle catches leaks of registrations.
lab_load_pvsched
lab_unload_pvsched
lab_check_dmesg
