#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The engine's attach layer (host/pvsched_tp.c): pvsched.ko attaches to the
# stock KVM family by name, detaches when kvm goes and re-attaches when it
# comes back, whatever the load order; unload with nothing registered is
# clean.  Checks the dmesg line "pvsched: attached tracepoint family ..."
# and /sys/kernel/debug/pvsched/{tracepoints,engine}.
# lab-kvm-unload: yes
# lab-timeout: 240
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"

dbg=/sys/kernel/debug/pvsched
events=(kvm_entry kvm_exit kvm_inj_virq kvm_vcpu_wakeup kvm_vcpu_halt kvm_vcpu_kick kvm_vcpu_block)

nr_attached_lines() {
	dmesg | grep -a -c 'pvsched: attached tracepoint family stock (' || true
}

# expect_attached STATE(attached|missing)
expect_events() {
	local state=$1 ev
	cat "$dbg/tracepoints"
	for ev in "${events[@]}"; do
		grep -q -E "^${ev}[[:space:]]+${state}\$" "$dbg/tracepoints" ||
			lab_fail "$dbg/tracepoints: $ev not $state"
	done
}

expect_family() {
	local fam
	fam=$(awk '$1 == "family" { print $2 }' "$dbg/engine")
	lab_assert_eq "$fam" "$1" "family in $dbg/engine"
}

# The dmesg line must list exactly what attached.
check_attach_line() {
	local line ev
	line=$(dmesg | grep -a -o 'pvsched: attached tracepoint family [a-z0-9_]* (.*)' | tail -n1)
	lab_log "$line"
	[[ $line == "pvsched: attached tracepoint family stock ("* ]] ||
		lab_fail "no stock attach line: '$line'"
	for ev in "${events[@]}"; do
		[[ " ${line#*(}" == *" $ev"[\ \)]* ]] || lab_fail "attach line does not list $ev: $line"
	done
}

lsmod | grep -q '^kvm_amd' || lab_skip "kvm_amd not loaded in L1"

# 1. kvm first, then pvsched.
n0=$(nr_attached_lines)
lab_load_pvsched
lab_assert_eq "$(nr_attached_lines)" $((n0 + 1)) "attach lines after insmod"
check_attach_line
expect_events attached
expect_family stock
cat "$dbg/engine"

# 2. kvm goes while pvsched is loaded: everything detached.
lab_log "rmmod kvm_amd kvm"
rmmod kvm_amd kvm || lab_fail "rmmod kvm_amd kvm failed (pvsched must not pin kvm)"
dmesg | grep -a -q 'pvsched: detached tracepoint family stock (kvm going)' ||
	lab_fail "no detach line in dmesg"
expect_events missing
expect_family none

# 3. kvm comes back: re-attached, one more attach line.
n1=$(nr_attached_lines)
lab_log "modprobe kvm_amd"
modprobe kvm_amd || lab_fail "modprobe kvm_amd failed"
lab_assert_eq "$(nr_attached_lines)" $((n1 + 1)) "attach lines after modprobe kvm_amd"
check_attach_line
expect_events attached
expect_family stock

# 4. pvsched first, then kvm.
lab_unload_pvsched
rmmod kvm_amd kvm || lab_fail "rmmod kvm_amd kvm failed"
lab_load_pvsched
expect_events missing
expect_family none
dmesg | grep -a -q 'pvsched: kvm not loaded' || lab_fail "no 'kvm not loaded' line"
n2=$(nr_attached_lines)
modprobe kvm_amd || lab_fail "modprobe kvm_amd failed"
lab_assert_eq "$(nr_attached_lines)" $((n2 + 1)) "attach lines after late modprobe"
check_attach_line
expect_events attached

# 5. Unload with nothing registered, twice.
lab_unload_pvsched
[[ ! -e $dbg ]] || lab_fail "$dbg still present after rmmod"
lab_load_pvsched
lab_unload_pvsched
lab_check_dmesg
