#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The host-wide bound with pvsched's default caps (issue 20, item 2).
# Three hostile VMs (pvsched-hostile, 2 vCPUs each, spinning guests that
# set every critical-section flag once and keep it: cs-forever) have all
# their vCPU threads pinned to L1 CPU 1 and ask to be boosted all the time,
# each session at the RT ceiling (RR max_rt_prio) with a duty cycle just
# within max_duty_pct and boost periods that differ, so that their own
# throttle windows do not line up: without a bound above the sessions, one
# of them is nearly always boosted.  Beside them on CPU 1: a SCHED_OTHER
# busy loop (the hog) and cyclictest at SCHED_FIFO max_rt_prio + 1, a host
# RT task above the ceiling.  The VMs run at nice 19, so at their base the
# hog gets nearly all the fair time.
# Asserted, over a 10 s window:
#   - the hog keeps at least 60 % of what the share leaves to the fair
#     class: hog / (hog + every vCPU thread) CPU time >= 0.6 * (100 -
#     cpu_share_pct) %.  Each thread's own run time, the first field of
#     /proc/PID/task/TID/schedstat (a ratio of CPU times: the lab's
#     emulated L1 runs at no fixed speed).  Not /proc/TID/stat: for a
#     thread that is not its process's leader that is the process's view,
#     every thread of it summed, which the first run of this test read
#     (each VMM's time counted twice, its sampler threads on CPU 0 with
#     it: "15 %").  Expected about 40 %: the vCPUs' RT time is about the
#     share (50 %), cyclictest above the ceiling takes a few percent of
#     the CPU, and the six vCPU threads at nice 19 take ~8 % of the fair
#     time that is left.  Without the bound the hog gets what the kernel
#     reserves for the fair class, ~5 %, and the moments when all three
#     sessions are throttled at once, ~3 %;
#   - the vCPUs' RT-boosted time as pvsched charged it to CPU 1's share
#     (boosted_cpu_ns of debugfs "vms", at both ends of the window) is at
#     most cpu_share_pct + 3 % of the window: what a window runs over its
#     share is charged to the next one (the first run, which forgave it,
#     measured 55 %);
#   - boosts were refused by the share (share_throttles, debugfs "share")
#     and the vCPUs did run boosted (RT samples in every VM);
#   - no vCPU thread is ever seen at an RT priority above max_rt_prio (the
#     sampler of pvsched-hostile, against GET_INFO's), i.e. never at or
#     above the host FIFO task, which therefore always preempts them: its
#     wake-up latencies with and without the VMs are logged, not asserted
#     (wall clock in an emulated L1).
# Where CPU 1's time goes, whatever the verdict, in cpu1-breakdown.txt (and
# on the output): each thread's run time over the window (schedstat), the
# engine's charges, CPU 1's line of /proc/stat, each vCPU thread's
# /proc/PID/task/TID/sched at both ends (sched-start.txt, sched-end.txt,
# summed up: run time, policy, prio, switches), the autogroup and cgroup
# of the hog and of each VMM (groups.txt: the fair split above assumes one
# group), and 2 s of CPU 1 traced inside the window (sched_switch,
# pvsched_apply, pvsched_share; trace-cpu1.txt) broken down by
# tests/lab/cpu-breakdown.py: each thread's time at RT and fair, the vCPUs'
# RT time per share window, the delay from a share decision to the
# demotion and the RT time run meanwhile, the worker's delays.
# lab-timeout: 600
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../../hostile/lib.sh
. "$PVSCHED_SRC/tests/hostile/lib.sh"

CPU=1
WINDOW_S=10
TRACE_S=2
params=/sys/module/pvsched/parameters
ti=/sys/kernel/tracing/instances/pvsched-share

[[ -x $HOSTILE ]] || lab_fail "$HOSTILE missing (make hostile-tool)"
[[ -c /dev/kvm ]] || lab_fail "/dev/kvm missing"
command -v cyclictest >/dev/null || lab_fail "cyclictest missing (rt-tests; run scripts/setup)"
# the module's own defaults: what the README documents
lab_load_pvsched
ceil=$(cat $params/max_rt_prio)
share=$(cat $params/cpu_share_pct)
duty=$(cat $params/max_duty_pct)
window_us=$(cat $params/cpu_share_window_us)
lab_log "caps: RT ceiling (max_rt_prio) $ceil, max_duty_pct $duty, cpu_share_pct $share of $window_us us"
lab_expect -lt "$share" 100 "cpu_share_pct $share: no host-wide share to test"

pids=()
hog=
ct=
cleanup() {
	local p
	for p in "${pids[@]}" $ct; do
		kill -TERM "$p" 2>/dev/null || true
	done
	[[ -z $hog ]] || kill -KILL "$hog" 2>/dev/null || true
	wait 2>/dev/null || true
	if [[ -d $ti ]]; then
		echo 0 >"$ti/tracing_on" 2>/dev/null || true
		rmdir "$ti" 2>/dev/null || true
	fi
}
trap cleanup EXIT

taskset -c $CPU sh -c 'while :; do :; done' &
hog=$!
lab_log "hog pid $hog on CPU $CPU"

# cyclictest_start NAME SECS: the host RT task above the ceiling, on CPU, in
# the background (pid in $ct); cyclictest_result NAME waits for it (in this
# shell: its child) and sets ct_avg and ct_max, in us.
cyclictest_start() {
	cyclictest -m -q -p $((ceil + 1)) --policy=fifo -i 1000 -a $CPU -t 1 \
		-D "$2" >"$LAB_OUT/cyclictest-$1.txt" 2>&1 &
	ct=$!
}
cyclictest_result() {
	wait "$ct" || lab_fail "cyclictest ($1) failed: $(tail -n 5 "$LAB_OUT/cyclictest-$1.txt")"
	ct=
	read -r ct_avg ct_max < <(awk '/Avg:/ { for (i = 1; i < NF; i++) { if ($i == "Avg:") a = $(i + 1); if ($i == "Max:") m = $(i + 1) } }
	     END { print (a == "" ? "?" : a), (m == "" ? "?" : m) }' "$LAB_OUT/cyclictest-$1.txt")
}

cyclictest_start alone 5
cyclictest_result alone
base_avg=$ct_avg base_max=$ct_max
lab_log "host FIFO $((ceil + 1)) task beside the hog alone: avg ${base_avg} us, max ${base_max} us"

# Three sessions, each a duty cycle just within max_duty_pct, periods apart:
# max_boost M and the shortest throttle T with M / (M + T) <= duty.
vm=0
for boost_us in 100000 70000 50000; do
	throttle_us=$(((boost_us * (100 - duty) + duty - 1) / duty + 100))
	nice -n 19 "$HOSTILE" -m cs-forever -g spin -n 2 -c $CPU -w 0 -R -s 1000 \
		-p "rr:$ceil:-5" -b "$boost_us:$throttle_us" -t 600 \
		>"$LAB_OUT/vm$vm.out" 2>&1 &
	pids+=($!)
	lab_log "vm$vm: pid ${pids[vm]}, max_boost $boost_us us, throttle $throttle_us us"
	vm=$((vm + 1))
done
for vm in 0 1 2; do
	lab_wait_until 60 grep -q '^vcpu1.tid=' "$LAB_OUT/vm$vm.out" ||
		lab_fail "vm$vm did not start within 60 s: $(tail -n 5 "$LAB_OUT/vm$vm.out")"
done
# each vCPU thread: its id, its process (the VMM) and a name
tids=() tpids=() tnames=()
for vm in 0 1 2; do
	for k in 0 1; do
		tids+=("$(hostile_val "$LAB_OUT/vm$vm.out" vcpu$k.tid)")
		tpids+=("${pids[vm]}")
		tnames+=("vm$vm.vcpu$k")
	done
done
lab_log "vCPU threads on CPU $CPU: ${tids[*]}"

# The fair split the bound expects needs the hog and the VMs in one
# autogroup and one cgroup (same session, nothing moved them).
files=()
for p in "$hog" "${pids[@]}"; do
	files+=("/proc/$p/autogroup" "/proc/$p/cgroup")
done
grep -H '' "${files[@]}" >"$LAB_OUT/groups.txt" 2>&1 || true
ngroups=$(awk '{ f = $0; sub(/:.*/, "", f); v = substr($0, length(f) + 2)
	       if (f ~ /autogroup$/) g[f] = v; else c[f] = c[f] ";" v }
	END { for (f in g) if (!(g[f] in ng)) { ng[g[f]] = 1; n++ }
	      for (f in c) if (!(c[f] in nc)) { nc[c[f]] = 1; m++ }
	      print n + 0 "/" m + 0 }' "$LAB_OUT/groups.txt")
lab_log "the hog and the VMMs: autogroups/cgroups $ngroups (groups.txt; 1/1 expected)"

# The trace of CPU 1, ready before the window and started inside it: an
# instance of its own, the mono clock (that of the share's windows).
mkdir "$ti" || lab_fail "cannot create the tracing instance $ti"
echo 0 >"$ti/tracing_on"
grep -qw mono "$ti/trace_clock" || lab_fail "no mono trace clock: $(cat "$ti/trace_clock")"
echo mono >"$ti/trace_clock"
echo 4096 >"$ti/buffer_size_kb"
for e in sched/sched_switch pvsched/pvsched_apply pvsched/pvsched_share; do
	echo 1 >"$ti/events/$e/enable" || lab_fail "no trace event $e"
done
: >"$ti/trace"

# cpu_sample FILE: the time (us) and the run time so far (ns, the first
# field of schedstat: se.sum_exec_runtime) of the hog, of each vCPU thread
# and of cyclictest's threads, and CPU's line of /proc/stat; builtins only,
# so the reads are a moment apart (a fork costs tens of ms in the emulated
# L1).  Sets sample_us.
cpu_sample() {
	local i ns line f
	sample_us=${EPOCHREALTIME/./}
	{
		echo "t_us $sample_us"
		read -r ns _ <"/proc/$hog/task/$hog/schedstat" || lab_fail "the hog is gone"
		echo "hog $hog $ns"
		for i in "${!tids[@]}"; do
			read -r ns _ <"/proc/${tpids[i]}/task/${tids[i]}/schedstat" ||
				lab_fail "${tnames[i]} (tid ${tids[i]}) is gone"
			echo "vcpu ${tids[i]} $ns ${tnames[i]}"
		done
		for f in /proc/"$ct"/task/*/schedstat; do
			read -r ns _ <"$f" || continue
			f=${f%/schedstat}
			echo "ct ${f##*/} $ns"
		done
		while read -r line; do
			[[ $line != "cpu$CPU "* ]] || echo "stat $line"
		done </proc/stat
	} >"$1"
}
# sched_sample NAME: each vCPU thread's /proc/PID/task/TID/sched and the
# engine's counters (debugfs vms), to NAME files.
sched_sample() {
	local i files=()
	for i in "${!tids[@]}"; do
		files+=("/proc/${tpids[i]}/task/${tids[i]}/sched")
	done
	grep -H '' "${files[@]}" >"$LAB_OUT/sched-$1.txt" || lab_fail "cannot read the vCPU threads' sched files"
	cat /sys/kernel/debug/pvsched/vms >"$LAB_OUT/vms-$1.txt" || lab_fail "no debugfs vms"
}

sleep 2 # settle: every session boosted, throttled, refused at least once
cyclictest_start vms $((WINDOW_S + 3))
sleep 1 # its measuring thread started
cpu_sample "$LAB_OUT/sample-start.txt"
t0_us=$sample_us
sched_sample start
sleep 3
echo 1 >"$ti/tracing_on"
sleep "$TRACE_S"
echo 0 >"$ti/tracing_on"
left_us=$((t0_us + WINDOW_S * 1000000 - ${EPOCHREALTIME/./}))
if ((left_us > 0)); then
	printf -v left_s '%d.%06d' $((left_us / 1000000)) $((left_us % 1000000))
	sleep "$left_s"
fi
cpu_sample "$LAB_OUT/sample-end.txt"
sched_sample end
cat /sys/kernel/debug/pvsched/share >"$LAB_OUT/share.txt" || lab_fail "no debugfs share"
cat "$LAB_OUT/share.txt"
cat "$ti/trace" >"$LAB_OUT/trace-cpu$CPU.txt"
echo 0 >"$ti/events/enable"
rmdir "$ti" || lab_log "could not remove the tracing instance $ti"
cyclictest_result vms
vms_avg=$ct_avg vms_max=$ct_max

for p in "${pids[@]}"; do
	kill -TERM "$p"
done
for vm in 0 1 2; do
	rc=0
	wait "${pids[vm]}" || rc=$?
	hostile_check "vm$vm" "$rc"
done
pids=()

# The window: each thread's run time, the engine's charges, CPU's line of
# /proc/stat (user nice system idle iowait irq softirq steal, in 1/100 s),
# as "key value" lines for the verdict, then a table.
awk -v cpu="$CPU" '
	FILENAME ~ /sample-start\.txt$/ { if ($1 == "stat") for (i = 3; i <= 10; i++) s0[i] = $i; else if ($1 != "t_us") r0[$1 " " $2] = $3; else t0 = $2; next }
	FILENAME ~ /sample-end\.txt$/ {
		if ($1 == "t_us") { t1 = $2; next }
		if ($1 == "stat") { for (i = 3; i <= 10; i++) s1[i] = $i; next }
		d = $3 - r0[$1 " " $2]; sum[$1] += d
		if ($1 == "vcpu") { name[$2] = $4; run[$2] = d; order[++n] = $2 }
		next
	}
	FILENAME ~ /vms-(start|end)\.txt$/ && $1 == "vcpu" {
		for (i = 4; i <= NF; i++) {
			if ($i ~ /^tid=/) tid = substr($i, 5)
			if ($i ~ /^boosted_cpu_ns=/) b = substr($i, 16)
		}
		if (FILENAME ~ /vms-start\.txt$/) b0[tid] = b; else charged[tid] = b - b0[tid]
		next
	}
	END {
		dt = (t1 - t0) * 1000
		for (i = 3; i <= 10; i++) { st[i] = (s1[i] - s0[i]) * 10000000; tot += st[i] }
		busy = tot - st[6] - st[7]
		for (t in charged) rt += charged[t]
		# %.0f: mawk prints %d through a C long of its own choosing
		printf "window_ns %.0f\nhog_ns %.0f\nvcpu_ns %.0f\nct_ns %.0f\nrt_ns %.0f\n", dt, sum["hog"], sum["vcpu"], sum["ct"], rt
		printf "table Window: %.2f s; CPU %d by /proc/stat (ticks): %.2f s, busy %.2f s, idle %.2f s, irq+softirq %.2f s\n", dt / 1e9, cpu, tot / 1e9, busy / 1e9, (st[6] + st[7]) / 1e9, (st[8] + st[9]) / 1e9
		printf "table Run time over the window (schedstat), %% of the window, and RT-boosted time charged by pvsched (debugfs vms):\n"
		printf "table   %-12s %8s %10s %6s %12s\n", "thread", "tid", "ms", "%", "charged ms"
		printf "table   %-12s %8s %10.1f %6.1f\n", "hog", "", sum["hog"] / 1e6, 100 * sum["hog"] / dt
		for (i = 1; i <= n; i++) { t = order[i]
			printf "table   %-12s %8s %10.1f %6.1f %12.1f\n", name[t], t, run[t] / 1e6, 100 * run[t] / dt, charged[t] / 1e6 }
		printf "table   %-12s %8s %10.1f %6.1f %12.1f\n", "vCPUs", "", sum["vcpu"] / 1e6, 100 * sum["vcpu"] / dt, rt / 1e6
		printf "table   %-12s %8s %10.1f %6.1f\n", "cyclictest", "", sum["ct"] / 1e6, 100 * sum["ct"] / dt
		rest = busy - sum["hog"] - sum["vcpu"] - sum["ct"]
		printf "table   %-12s %8s %10.1f %6.1f   (busy by /proc/stat less the above)\n", "rest", "", rest / 1e6, 100 * rest / dt
	}' "$LAB_OUT/sample-start.txt" "$LAB_OUT/sample-end.txt" "$LAB_OUT/vms-start.txt" "$LAB_OUT/vms-end.txt" \
	>"$LAB_OUT/window.txt"
win() { awk -v k="$1" '$1 == k { print $2 }' "$LAB_OUT/window.txt"; }
dt_ns=$(win window_ns) hog_ns=$(win hog_ns) vcpu_ns=$(win vcpu_ns) rt_ns=$(win rt_ns)

# Each vCPU thread's sched file at both ends: run time, policy and prio,
# switches (the kernel's own view, beside schedstat's).
sched_summary() {
	awk '{ f = $0; sub(/:.*/, "", f); split(f, p, "/"); tid = p[5]
	       line = substr($0, length(f) + 2); split(line, kv, ":"); k = kv[1]; v = kv[2]
	       gsub(/[ \t]/, "", k); gsub(/[ \t]/, "", v)
	       if (!(tid in seen)) { seen[tid] = 1; order[++n] = tid }
	       val[FILENAME, tid, k] = v; files[FILENAME] = 1 }
	END {
		printf "/proc/PID/task/TID/sched at the start -> end of the window:\n"
		printf "  %8s %26s %12s %12s %16s %16s\n", "tid", "se.sum_exec_runtime ms", "policy", "prio", "nr_switches", "involuntary"
		for (i = 1; i <= n; i++) { t = order[i]
			printf "  %8s %12.1f->%12.1f %5s->%5s %5s->%5s %7s->%7s %7s->%7s\n", t,
				val[ARGV[1], t, "se.sum_exec_runtime"], val[ARGV[2], t, "se.sum_exec_runtime"],
				val[ARGV[1], t, "policy"], val[ARGV[2], t, "policy"],
				val[ARGV[1], t, "prio"], val[ARGV[2], t, "prio"],
				val[ARGV[1], t, "nr_switches"], val[ARGV[2], t, "nr_switches"],
				val[ARGV[1], t, "nr_involuntary_switches"], val[ARGV[2], t, "nr_involuntary_switches"] }
	}' "$LAB_OUT/sched-start.txt" "$LAB_OUT/sched-end.txt"
}

# 2 s of CPU 1 traced: tests/lab/cpu-breakdown.py, the share's windows
# aligned on debugfs share's window_start_ns.
read -r wns sns wstart < <(awk -v c="$CPU" '$1 == "cpu" && $2 == c {
	for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	print v["window_ns"], v["share_ns"], v["window_start_ns"] }' "$LAB_OUT/share.txt")
args=(--cpu "$CPU" --window-ns "$wns" --share-ns "$sns" --align-ns "$wstart" --hog "$hog")
for i in "${!tids[@]}"; do
	args+=(--vcpu "${tids[i]}=${tnames[i]}")
done
breakdown_rc=0
{
	echo "Where CPU $CPU's time goes (hostile-host-share; share $share % of $window_us us, RT ceiling $ceil)"
	sed -n 's/^table //p' "$LAB_OUT/window.txt"
	echo "The hog and the VMMs: autogroups/cgroups $ngroups (groups.txt)"
	sched_summary
	echo "Trace of CPU $CPU, $TRACE_S s from 3 s into the window (trace-cpu$CPU.txt):"
	python3 "$PVSCHED_SRC/tests/lab/cpu-breakdown.py" "$LAB_OUT/trace-cpu$CPU.txt" "${args[@]}" || breakdown_rc=$?
} >"$LAB_OUT/cpu$CPU-breakdown.txt" 2>&1
cat "$LAB_OUT/cpu$CPU-breakdown.txt"

lab_expect -gt $((hog_ns + vcpu_ns)) 0 "no CPU time on CPU $CPU in the window"
lab_expect -gt "$dt_ns" 0 "no window"
# tenths of a percent
pm=$((1000 * hog_ns / (hog_ns + vcpu_ns)))
bound=$(((100 - share) * 6))
rt_pm=$((1000 * rt_ns / dt_ns))
rt_bound=$(((share + 3) * 10))
pct() { printf '%d.%d' $(($1 / 10)) $(($1 % 10)); }
lab_log "hog: $(pct $pm) % of hog + vCPUs on CPU $CPU (hog $((hog_ns / 1000000)) ms, 6 vCPU threads $((vcpu_ns / 1000000)) ms" \
	"in $((dt_ns / 1000000)) ms); the share leaves $((100 - share)) % to the fair class, bound $(pct $bound) %"
lab_log "vCPUs' RT time charged to CPU $CPU's share: $((rt_ns / 1000000)) ms, $(pct $rt_pm) % of the window (share $share %, bound $(pct $rt_bound) %)"
lab_log "host FIFO $((ceil + 1)) task beside the VMs: avg ${vms_avg} us, max ${vms_max} us (alone: avg ${base_avg}, max ${base_max})"
{
	echo "hog_pm=$pm bound_pm=$bound rt_pm=$rt_pm rt_bound_pm=$rt_bound cpu_share_pct=$share window_us=$window_us" \
		"window_ns=$dt_ns hog_ns=$hog_ns vcpu_ns=$vcpu_ns rt_ns=$rt_ns"
	echo "fifo_above_ceiling alone_avg_us=$base_avg alone_max_us=$base_max vms_avg_us=$vms_avg vms_max_us=$vms_max"
} >"$LAB_OUT/bounds.txt"
lab_expect -eq "$breakdown_rc" 0 "tests/lab/cpu-breakdown.py failed on trace-cpu$CPU.txt (cpu$CPU-breakdown.txt)"
lab_expect -ge "$pm" "$bound" "the hog kept $(pct $pm) % of CPU $CPU against the vCPUs, below $(pct $bound) % (60 % of the $((100 - share)) % the share leaves)"
lab_expect -le "$rt_pm" "$rt_bound" "the vCPUs ran $(pct $rt_pm) % of the window RT-boosted by pvsched's own charges, above $(pct $rt_bound) % (the share $share % + 3)"

throttles=0
for vm in 0 1 2; do
	out=$LAB_OUT/vm$vm.out
	st=$(hostile_sum "$out" share_throttles)
	rt=$(($(hostile_val "$out" vcpu0.rt_samples) + $(hostile_val "$out" vcpu1.rt_samples)))
	mx0=$(hostile_val "$out" vcpu0.max_rt_prio) mx1=$(hostile_val "$out" vcpu1.max_rt_prio)
	lab_log "vm$vm: share_throttles $st, own throttles $(hostile_sum "$out" throttles)," \
		"boosted CPU $(($(hostile_sum "$out" boosted_cpu_ns) / 1000000)) ms, RT samples $rt, max RT prio $mx0/$mx1"
	lab_expect -gt "$rt" 0 "vm$vm: its vCPUs were never seen boosted"
	lab_expect -le "$mx0" "$ceil" "vm$vm vCPU 0 seen at RT priority $mx0, above the ceiling $ceil"
	lab_expect -le "$mx1" "$ceil" "vm$vm vCPU 1 seen at RT priority $mx1, above the ceiling $ceil"
	throttles=$((throttles + st))
done
lab_expect -gt "$throttles" 0 "no boost refused by the share (share_throttles)"
cpu_thr=$(awk -v c="$CPU" '$1 == "cpu" && $2 == c { for (i = 3; i <= NF; i++) if ($i ~ /^throttles=/) { sub(/throttles=/, "", $i); print $i } }' "$LAB_OUT/share.txt")
lab_expect -gt "${cpu_thr:-0}" 0 "debugfs share: no refusal counted for CPU $CPU"

cleanup
trap - EXIT
hog=
lab_unload_pvsched
lab_check_dmesg
