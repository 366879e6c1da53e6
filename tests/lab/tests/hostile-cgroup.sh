#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# How RT-boosted time meets cgroup v2 cpu.max and cpu.weight (issue 20,
# item 2; docs/design.md "Boosted time, cgroup cpu.max and cpu.weight"
# reasons it from the kernel sources, this measures it).  Hostile VMs
# (pvsched-hostile, one vCPU spinning on L1 CPU 1, its guest asking to be
# boosted all the time: cs-forever) in cgroups of their own, pvsched.ko at
# its default share, duty cycle and session times.  Each phase runs once
# with the VMs not registered (-N: what the cgroup alone does) and once
# registered, and measures over a WINDOW_S window each vCPU thread's run
# time (schedstat), its RT-boosted time as pvsched charged it (debugfs vms
# boosted_cpu_ns) and its cgroup's cpu.stat.  Asserted:
#   cpu.max, one VM in a cgroup with cpu.max 20 % of each 100 ms:
#     - not registered, the vCPU runs at most CAP_PCT + 10 % of the window
#       and the cgroup is throttled (nr_throttled grows);
#     - registered, its boosted time does not count against the quota: the
#       vCPU runs more than CAP_PCT + 10 %, its time less the boosted time
#       (its fair time) stays within CAP_PCT + 10 %, and the cgroup's
#       usage_usec counts the boosted time too (>= 90 % of the thread's
#       run time, so the reported usage exceeds cpu.max);
#   cpu.weight, two VMs on the same CPU in cgroups of weight 100 and 1000:
#     - not registered, the heavy one runs at least 4 times the light one;
#     - registered, both are boosted and their fair times still follow the
#       weights (>= 3x).  How their boosted time splits is logged, not
#       asserted: both VMs' boosts start together (their throttles end at
#       the same share window), at the same RR priority, and the vCPU that
#       holds the CPU at that moment, the heavy one 10 times out of 11 by
#       weight, runs first while the other's boost clock (wall time) runs
#       out behind it.  Measured heavy/light boosted 10.3x and 7.1x on a quiet
#       build machine, 2.6-4.7x with a kernel build beside the lab VM: it follows
#       the weights more or less closely with the timing, never evenly.
# The figures are logged and kept in cgroup.txt, and TRACE_S seconds of
# CPU 1 (sched_switch, sched_wakeup, pvsched:*) in trace-PHASE.txt;
# docs/design.md quotes them.
# lab-timeout: 420
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../../hostile/lib.sh
. "$PVSCHED_SRC/tests/hostile/lib.sh"

CPU=1
WINDOW_S=6
CAP_PCT=20
CG=/sys/fs/cgroup
VMS=/sys/kernel/debug/pvsched/vms
TRACE_S=2
TI=/sys/kernel/tracing/instances/pvsched-cgroup

mounted=
cgs=()
pids=()
declare -A vmpid vmtid vmcg

cleanup() {
	local p c
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	for c in "${cgs[@]}"; do
		rmdir "$CG/$c" 2>/dev/null || true
	done
	[[ -z $mounted ]] || umount "$CG" 2>/dev/null || true
	if [[ -d $TI ]]; then
		echo 0 >"$TI/tracing_on" 2>/dev/null || true
		rmdir "$TI" 2>/dev/null || true
	fi
}
trap cleanup EXIT

# pvsched.ko at its defaults, the tool's checks: what the README documents
lab_load_pvsched
[[ -x $HOSTILE ]] || lab_fail "$HOSTILE missing (make hostile-tool)"
[[ -c /dev/kvm ]] || lab_fail "/dev/kvm missing"
[[ -r $VMS ]] || lab_fail "no $VMS (debugfs)"
params=/sys/module/pvsched/parameters
lab_log "pvsched defaults: cpu_share_pct $(cat $params/cpu_share_pct) of $(cat $params/cpu_share_window_us) us," \
	"max_duty_pct $(cat $params/max_duty_pct), max_rt_prio $(cat $params/max_rt_prio)"

if [[ $(stat -f -c %T "$CG") != cgroup2fs ]]; then
	mount -t cgroup2 cgroup2 "$CG" || lab_fail "cannot mount cgroup2 on $CG"
	mounted=1
fi
grep -qw cpu "$CG/cgroup.controllers" ||
	lab_fail "no cpu controller in $CG/cgroup.controllers: $(cat "$CG/cgroup.controllers")"
echo +cpu >"$CG/cgroup.subtree_control" || lab_fail "cannot enable the cpu controller in $CG"

# mkcg NAME FILE VALUE: a cgroup under the root with FILE set to VALUE.
mkcg() {
	mkdir "$CG/$1" || lab_fail "cannot create the cgroup $CG/$1"
	cgs+=("$1")
	echo "$3" >"$CG/$1/$2" || lab_fail "cannot write '$3' to $CG/$1/$2"
}

# vm_start NAME CGROUP ARGS...: a hostile VM whose process enters CGROUP
# before it starts (so every thread it makes is in it); waits for its vCPU.
vm_start() {
	local name=$1 cg=$2
	shift 2
	# shellcheck disable=SC2016 # expanded by the inner shell
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$CG/$cg" \
		"$HOSTILE" -m cs-forever -g spin -c $CPU -w 0 -R -s 5000 -t 120 "$@" \
		>"$LAB_OUT/$name.out" 2>&1 &
	pids+=($!)
	vmpid[$name]=$!
	vmcg[$name]=$cg
	lab_wait_until 60 grep -q '^vcpu0.tid=' "$LAB_OUT/$name.out" ||
		lab_fail "$name did not start within 60 s: $(tail -n 5 "$LAB_OUT/$name.out")"
	vmtid[$name]=$(hostile_val "$LAB_OUT/$name.out" vcpu0.tid)
	grep -qx "${vmpid[$name]}" "$CG/$cg/cgroup.procs" ||
		lab_fail "$name (pid ${vmpid[$name]}) is not in $CG/$cg"
}

# vm_stop NAME...: SIGTERM, then the tool's own checks (no cap violation).
vm_stop() {
	local n rc
	for n in "$@"; do
		kill -TERM "${vmpid[$n]}"
	done
	for n in "$@"; do
		rc=0
		wait "${vmpid[$n]}" || rc=$?
		hostile_check "$n" "$rc"
	done
	pids=()
}

# sample FILE NAME...: the time and, per VM, its vCPU thread's run time
# (ns), pvsched's charged boosted time (ns, 0 when not registered) and its
# cgroup's cpu.stat usage_usec and nr_throttled.
sample() {
	local f=$1 n ns
	shift
	{
		echo "t_us ${EPOCHREALTIME/./}"
		for n in "$@"; do
			read -r ns _ <"/proc/${vmpid[$n]}/task/${vmtid[$n]}/schedstat" ||
				lab_fail "$n's vCPU thread ${vmtid[$n]} is gone"
			echo "$n.run_ns $ns"
			awk -v n="$n" '$1 == "usage_usec" || $1 == "nr_throttled" { print n "." $1, $2 }' \
				"$CG/${vmcg[$n]}/cpu.stat"
			awk -v n="$n" -v t="tid=${vmtid[$n]}" '
				$1 == "vcpu" { hit = 0; b = 0
					for (i = 4; i <= NF; i++) { if ($i == t) hit = 1; if ($i ~ /^boosted_cpu_ns=/) b = substr($i, 16) }
					if (hit) { print n ".boosted_ns", b; found = 1 } }
				END { if (!found) print n ".boosted_ns 0" }' "$VMS"
		done
	} >"$f"
}

# trace_on, trace_off FILE: TRACE_S seconds of CPU's scheduling and
# pvsched's decisions, inside each window, kept for whoever reads why.
trace_on() {
	local e
	mkdir "$TI" || lab_fail "cannot create the tracing instance $TI"
	echo 0 >"$TI/tracing_on"
	echo mono >"$TI/trace_clock"
	echo 4096 >"$TI/buffer_size_kb"
	printf '%x\n' $((1 << CPU)) >"$TI/tracing_cpumask"
	for e in sched/sched_switch sched/sched_wakeup pvsched; do
		echo 1 >"$TI/events/$e/enable" || lab_fail "no trace event $e"
	done
	echo 1 >"$TI/tracing_on"
}
trace_off() {
	echo 0 >"$TI/tracing_on"
	cat "$TI/trace" >"$1"
	echo 0 >"$TI/events/enable"
	rmdir "$TI" || lab_fail "cannot remove the tracing instance $TI"
}

# window PHASE NAME...: sample, WINDOW_S seconds, sample; sets, per VM,
# run_pm, boost_pm, fair_pm and usage_pm (per mille of the window) and
# throttled (cpu.max periods throttled), and appends them to cgroup.txt.
declare -A run_pm boost_pm fair_pm usage_pm throttled
window() {
	local phase=$1 n r b u t
	shift
	sleep 1 # every VM boosted, throttled and refused at least once
	sample "$LAB_OUT/$phase-start.txt" "$@"
	trace_on
	sleep "$TRACE_S"
	trace_off "$LAB_OUT/trace-$phase.txt"
	sleep $((WINDOW_S - TRACE_S))
	sample "$LAB_OUT/$phase-end.txt" "$@"
	for n in "$@"; do
		read -r r b u t < <(awk -v n="$n" '
			FNR == NR { a[$1] = $2; next }
			{ b[$1] = $2 }
			END {
				dt = (b["t_us"] - a["t_us"]) * 1000
				d = n ".run_ns"; run = b[d] - a[d]
				d = n ".boosted_ns"; bo = b[d] - a[d]
				d = n ".usage_usec"; us = (b[d] - a[d]) * 1000
				d = n ".nr_throttled"; th = b[d] - a[d]
				printf "%d %d %d %d\n", 1000 * run / dt, 1000 * bo / dt, 1000 * us / dt, th
			}' "$LAB_OUT/$phase-start.txt" "$LAB_OUT/$phase-end.txt")
		run_pm[$n]=$r boost_pm[$n]=$b usage_pm[$n]=$u throttled[$n]=$t
		fair_pm[$n]=$((run_pm[$n] - boost_pm[$n]))
		echo "$phase $n cgroup=${vmcg[$n]} run_pm=${run_pm[$n]} boosted_pm=${boost_pm[$n]} fair_pm=${fair_pm[$n]}" \
			"usage_pm=${usage_pm[$n]} nr_throttled=${throttled[$n]}" | tee -a "$LAB_OUT/cgroup.txt" >&2
	done
}

pm() { printf '%d.%d %%' $(($1 / 10)) $(($1 % 10)); }
cap_pm=$((CAP_PCT * 10))
slack_pm=100

# --- cpu.max ---------------------------------------------------------------
mkcg pvsched-lab-cap cpu.max "$((CAP_PCT * 1000)) 100000"
lab_log "cpu.max: $(cat "$CG/pvsched-lab-cap/cpu.max") in $CG/pvsched-lab-cap"

vm_start capped0 pvsched-lab-cap -N
window cap-base capped0
vm_stop capped0
n=capped0
lab_log "cpu.max $CAP_PCT %, not registered: vCPU ran $(pm "${run_pm[$n]}"), cgroup usage $(pm "${usage_pm[$n]}")," \
	"${throttled[$n]} periods throttled"
lab_expect -le "${run_pm[$n]}" $((cap_pm + slack_pm)) "cpu.max $CAP_PCT %: the unregistered vCPU ran $(pm "${run_pm[$n]}") of the window"
lab_expect -gt "${throttled[$n]}" 0 "cpu.max $CAP_PCT %: the cgroup of the unregistered vCPU was never throttled"

vm_start capped pvsched-lab-cap
window cap capped
vm_stop capped
n=capped
lab_log "cpu.max $CAP_PCT %, registered: vCPU ran $(pm "${run_pm[$n]}"), of it boosted $(pm "${boost_pm[$n]}")," \
	"fair $(pm "${fair_pm[$n]}"); cgroup usage $(pm "${usage_pm[$n]}"), ${throttled[$n]} periods throttled"
lab_expect -gt "${boost_pm[$n]}" 0 "cpu.max $CAP_PCT %: the registered vCPU was never boosted"
lab_expect -gt "${run_pm[$n]}" $((cap_pm + slack_pm)) "cpu.max $CAP_PCT %: boosted time is held to the quota (ran $(pm "${run_pm[$n]}"))"
lab_expect -le "${fair_pm[$n]}" $((cap_pm + slack_pm)) "cpu.max $CAP_PCT %: the vCPU's fair time $(pm "${fair_pm[$n]}") exceeds the quota"
lab_expect -ge $((10 * usage_pm[$n])) $((9 * run_pm[$n])) "cpu.max $CAP_PCT %: cpu.stat usage $(pm "${usage_pm[$n]}") does not count the vCPU's $(pm "${run_pm[$n]}")"

# --- cpu.weight ------------------------------------------------------------
mkcg pvsched-lab-light cpu.weight 100
mkcg pvsched-lab-heavy cpu.weight 1000

vm_start light0 pvsched-lab-light -N
vm_start heavy0 pvsched-lab-heavy -N
window weight-base light0 heavy0
vm_stop light0 heavy0
lab_log "cpu.weight 100 vs 1000, not registered: light ran $(pm "${run_pm[light0]}"), heavy $(pm "${run_pm[heavy0]}")"
lab_expect -ge "${run_pm[heavy0]}" $((4 * run_pm[light0])) "cpu.weight 100 vs 1000 without pvsched: the weights do not show"

vm_start light pvsched-lab-light
vm_start heavy pvsched-lab-heavy
window weight light heavy
vm_stop light heavy
lab_log "cpu.weight 100 vs 1000, registered: light ran $(pm "${run_pm[light]}") (boosted $(pm "${boost_pm[light]}"), fair $(pm "${fair_pm[light]}"))," \
	"heavy $(pm "${run_pm[heavy]}") (boosted $(pm "${boost_pm[heavy]}"), fair $(pm "${fair_pm[heavy]}"))"
lab_expect -gt "${boost_pm[light]}" 0 "cpu.weight: the light VM was never boosted"
lab_expect -gt "${boost_pm[heavy]}" 0 "cpu.weight: the heavy VM was never boosted"
lab_expect -ge "${fair_pm[heavy]}" $((3 * fair_pm[light])) "cpu.weight: fair time no longer follows the weights (heavy $(pm "${fair_pm[heavy]}"), light $(pm "${fair_pm[light]}"))"

cleanup
trap - EXIT
lab_unload_pvsched
lab_check_dmesg
