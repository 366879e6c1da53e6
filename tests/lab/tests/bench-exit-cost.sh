#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark (asserts no timing): per-VM-exit cost on the L1 KVM host with
#   absent        pvsched.ko not loaded
#   loaded        pvsched.ko loaded, the VM not registered
#   registered    the VM's vCPU registered (asking for nothing)
# all in this one L1 boot, interleaved, PVSCHED_BENCH_REPS repetitions (5) of
# PVSCHED_BENCH_EXITS exits (3000) each, for two kinds of exit:
#   cpuid   handled inside KVM (kvm_exit/kvm_entry probes only)
#   pio     an out to a port, returned to the VMM (a full userspace round trip)
# Prints a Markdown table (min/median/max ns per exit, ratio of medians to
# "absent") and saves it to $LAB_OUT/exit-cost.md.  Fails only if a run
# fails.  Run it with tests/bench/exit-cost.
# lab-timeout: 900
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../../vmm/lab-helpers.sh
. "$PVSCHED_SRC/tests/vmm/lab-helpers.sh"

REPS=${PVSCHED_BENCH_REPS:-5}
EXITS=${PVSCHED_BENCH_EXITS:-3000}
KINDS=${PVSCHED_BENCH_KINDS:-"cpuid pio"}
CONFIGS="absent loaded registered"
RAW=$LAB_OUT/exit-cost.raw
: >"$RAW"

one() { # CONFIG KIND REP
	local args=(--cpu 1 --iters "$EXITS" --exit-kind "$2" -q) L=$LAB_OUT/run.log ns
	[[ $1 == registered ]] || args+=(--no-register)
	"$VMM" "${args[@]}" exits >"$L" 2>&1 || lab_fail "pvsched-vmm ${args[*]} exits: $(cat "$L")"
	ns=$(kv "$L" '^exits vcpu=0' ns_per_exit)
	echo "$1 $2 $3 $ns" >>"$RAW"
	lab_log "rep $3 $1 $2: $ns ns/exit"
}

for ((rep = 1; rep <= REPS; rep++)); do
	for kind in $KINDS; do
		one absent "$kind" "$rep"
	done
	lab_load_pvsched >/dev/null
	for kind in $KINDS; do
		one loaded "$kind" "$rep"
		one registered "$kind" "$rep"
	done
	lab_unload_pvsched >/dev/null
done

# Table: min/median/max per (config, kind), ratio of medians vs absent.
{
	echo "Per-VM-exit cost, L1 KVM host (QEMU TCG, kernel $(uname -r)), $REPS reps x $EXITS exits, vCPU pinned to CPU 1"
	echo
	echo "| exit kind | pvsched | min ns | median ns | max ns | median / absent |"
	echo "|---|---|---:|---:|---:|---:|"
	for kind in $KINDS; do
		base=
		for cfg in $CONFIGS; do
			read -r mn md mx < <(awk -v c="$cfg" -v k="$kind" '$1 == c && $2 == k { print $4 }' "$RAW" |
				sort -g | awk '{ v[NR] = $1 } END {
					m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
					printf "%.0f %.0f %.0f\n", v[1], m, v[NR] }')
			[[ -n $base ]] || base=$md
			ratio=$(awk -v a="$md" -v b="$base" 'BEGIN { printf "%.3f", a / b }')
			case $cfg in
			absent) label="absent" ;;
			loaded) label="loaded, VM not registered" ;;
			registered) label="loaded, vCPU registered" ;;
			esac
			echo "| $kind | $label | $mn | $md | $mx | $ratio |"
		done
	done
} >"$LAB_OUT/exit-cost.md"
cat "$LAB_OUT/exit-cost.md"
lab_check_dmesg
