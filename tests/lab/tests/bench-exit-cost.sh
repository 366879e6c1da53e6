#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark (asserts no timing): per-VM-exit cost on the L1 KVM host with
#   absent        pvsched.ko not loaded
#   loaded        pvsched.ko loaded, the VM not registered
#   registered    the VM's vCPU registered (asking for nothing)
# all in this one L1 boot.  Each repetition (PVSCHED_BENCH_REPS, 4) runs the
# VMM once without the module (PVSCHED_BENCH_ROUNDS rounds, 6) and, after
# insmod, once with --toggle-register (2 x rounds, alternating unregistered
# and registered rounds in the same VM, so those two are interleaved within
# milliseconds); each round is PVSCHED_BENCH_EXITS exits (500), for two
# kinds of exit:
#   cpuid   handled inside KVM (kvm_exit/kvm_entry probes only)
#   pio     an out to a port, returned to the VMM (a full userspace round trip)
# Prints a Markdown table (min/median/max ns per exit over all rounds, ratios
# of min and of median to "absent") and saves it to $LAB_OUT/exit-cost.md.
# Fails only if a run fails.  Run it with tests/bench/exit-cost.
# lab-timeout: 900
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../../vmm/lab-helpers.sh
. "$PVSCHED_SRC/tests/vmm/lab-helpers.sh"

REPS=${PVSCHED_BENCH_REPS:-4}
ROUNDS=${PVSCHED_BENCH_ROUNDS:-6}
EXITS=${PVSCHED_BENCH_EXITS:-500}
KINDS=${PVSCHED_BENCH_KINDS:-"cpuid pio"}
CONFIGS="absent loaded registered"
RAW=$LAB_OUT/exit-cost.raw
: >"$RAW"

# run MODE KIND REP: MODE absent (no module) or toggle (module loaded).
run() {
	local args=(--cpu 1 --iters "$EXITS" --exit-kind "$2" -q) L=$LAB_OUT/run.log
	if [[ $1 == absent ]]; then
		args+=(--no-register --rounds "$ROUNDS")
	else
		args+=(--toggle-register --rounds $((2 * ROUNDS)))
	fi
	"$VMM" "${args[@]}" exits >"$L" 2>&1 || lab_fail "pvsched-vmm ${args[*]} exits: $(cat "$L")"
	grep '^exits vcpu=0 ' "$L" | tr ' ' '\n' | awk -v m="$1" -v k="$2" -v r="$3" -F= '
		$1 == "ns_per_exit" { ns = $2 }
		$1 == "registered" {
			c = (m == "absent") ? "absent" : ($2 == 1 ? "registered" : "loaded")
			print c, k, r, ns
		}' | tee -a "$RAW"
}

for ((rep = 1; rep <= REPS; rep++)); do
	for kind in $KINDS; do
		run absent "$kind" "$rep"
	done
	lab_load_pvsched >/dev/null
	for kind in $KINDS; do
		run toggle "$kind" "$rep"
	done
	lab_unload_pvsched >/dev/null
done

# Table: min/median/max per (config, kind), ratios vs absent.
{
	echo "Per-VM-exit cost, L1 KVM host (QEMU TCG, kernel $(uname -r)), $REPS reps," \
		"$ROUNDS rounds of $EXITS exits per config and rep, vCPU pinned to CPU 1"
	echo
	echo "| exit kind | pvsched | rounds | min ns | median ns | max ns | min / absent | median / absent |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|"
	for kind in $KINDS; do
		bmin= bmed=
		for cfg in $CONFIGS; do
			read -r n mn md mx < <(awk -v c="$cfg" -v k="$kind" '$1 == c && $2 == k { print $4 }' "$RAW" |
				sort -g | awk '{ v[NR] = $1 } END {
					m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
					printf "%d %.0f %.0f %.0f\n", NR, v[1], m, v[NR] }')
			[[ -n $bmin ]] || { bmin=$mn; bmed=$md; }
			case $cfg in
			absent) label="absent" ;;
			loaded) label="loaded, VM not registered" ;;
			registered) label="loaded, vCPU registered" ;;
			esac
			awk -v k="$kind" -v l="$label" -v n="$n" -v mn="$mn" -v md="$md" -v mx="$mx" \
				-v bmin="$bmin" -v bmed="$bmed" 'BEGIN {
				printf "| %s | %s | %d | %d | %d | %d | %.3f | %.3f |\n", k, l, n, mn, md, mx, mn / bmin, md / bmed }'
		done
	done
} >"$LAB_OUT/exit-cost.md"
cat "$LAB_OUT/exit-cost.md"
lab_check_dmesg
