# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The latency benchmark's driver, sourced inside L1 by the lab tests
# tests/lab/tests/bench-latency.sh (make bench / make demo) and
# tests/lab/tests/bench-smoke.sh (make check), after tests/lab/lib.sh.
#
# One L2 guest (1 vCPU, pinned to L1 CPU 1; QEMU's other threads pinned to
# L1 CPU 0, like libvirt's emulatorpin) runs
#     cyclictest --mlockall -q -p 8 --policy=rr -i 1000 -D DUR
# while L1 runs the same cyclictest beside it, for every
#   scenario       idle       nothing else on L1
#                  busy       the seed's stress-ng --cpu 2 --iomix 1 --vm 1
#                             --vm-bytes 128M --fork 1 on L1
#                  contended  the guest also runs a SCHED_OTHER busy loop
#                             and two L1 CPU hogs are pinned to the vCPU's CPU
#   configuration  vanilla    nothing
#                  rt         only the vCPU threads at SCHED_RR 8 (chrt)
#                  pvsched    pvsched.ko + pvschedctl attach + guest driver
#                  pvsched-0.1  the same with the 0.2 mechanisms off
#                             (kick_boost=0,idle_hold=0,irq_hold=0): the
#                             0.1 policy (boosts end at the next VM exit)
#                  pvsched-nolazy  pvsched with lazy_demote=0: a demotion
#                             at a VM exit applied there, not at the next
#                             entry (the lazy demotion's own share of the
#                             result)
#                  pvsched-lazy  the guest driver with exit_demote=0: its
#                             unboost exit inside the switch, and the host's
#                             lazy demotion for it (ABI 1.2's behaviour, the
#                             default before PVSCHED_F_EXIT_DEMOTE)
#                  pvsched-nodriver  pvsched.ko + pvschedctl attach, and no
#                             guest driver: what the host side alone gives
#                             a guest that never loads pvsched_guest.ko (a
#                             Windows guest, an old kernel)
#                  pvsched-nodriver-nohold  the same with irq_hold=0: an
#                             interrupt boost ends at the next VM exit, as
#                             every boost of a guest without the driver did
#                             before its interrupt hold (the hold's share)
# and every repetition.  Each measurement appends one line of key=value
# pairs to $LAB_OUT/bench/raw.txt; tests/bench/latency-report.py turns them
# into the table and the chart on the build machine.
#
# Settings (environment, passed through by tests/lab/run):
#   BENCH_DUR        seconds per measurement (10)
#   BENCH_REPS       repetitions (3)
#   BENCH_SCENARIOS  "idle busy contended"
#   BENCH_CONFIGS    "vanilla rt pvsched"
#   BENCH_PVSCHED    "auto" (run pvsched if its pieces are built),
#                        "off" (record it as pending), "require" (fail if
#                        a piece is missing)
#   BENCH_TRACE      seconds (0: none): after the measurements, one more
#                        run per scenario and configuration under ftrace
#                        (sched_switch/sched_wakeup of the vCPU thread,
#                        kvm_vcpu_kick, kvm_inj_virq, pvsched:*), analysed
#                        by tests/bench/wakeup-trace.py into
#                        $LAB_OUT/bench/trace/; not counted in raw.txt

B_DUR=${BENCH_DUR:-10}
B_REPS=${BENCH_REPS:-3}
B_SCENARIOS=${BENCH_SCENARIOS:-idle busy contended}
B_CONFIGS=${BENCH_CONFIGS:-vanilla rt pvsched}
B_PVSCHED=${BENCH_PVSCHED:-auto}
B_TRACE=${BENCH_TRACE:-0}
B_VM=bench
B_VCPU_CPU=1
B_EMU_CPU=0
B_OUT=$LAB_OUT/bench
B_RAW=$B_OUT/raw.txt
B_SHM=/dev/shm/pvsched-bench
# stress-ng's working directory (its iomix files), on L1's tmpfs: under
# /run/lab, which is L1's own, never a checkout's (one at /tmp/bench, bound
# back read-only over L1's /tmp, once made every measurement fail)
B_WORK=/run/lab/bench
B_PVSCHED_PENDING=
B_ATTACH_PID=
B_DRIVER=1

# cyclictest for L2: L2's busybox initramfs has no dynamic loader or
# libraries, so bench_l2_install copies cyclictest and the libraries it
# needs from L1's / (mounted at /host in L2) into L2's /tmp once, and
# runs it through the loader.  (Running it from /host directly works too but
# loads it over nested 9p at every start, which delays the start by seconds.)
B_L2_CT=/tmp/ct
B_L2_CYCLICTEST="$B_L2_CT/ld-linux-x86-64.so.2 --library-path $B_L2_CT $B_L2_CT/cyclictest"
B_CYCLICTEST_ARGS="--mlockall -q -p 8 --policy=rr -i 1000"

bench_l2_install() {
	local lib cmd bin
	bin=$(readlink -f "$(command -v cyclictest)")
	cmd="mkdir -p $B_L2_CT && cp /host$bin $B_L2_CT/cyclictest"
	for lib in $(ldd "$(command -v cyclictest)" | awk '$1 ~ /^\// { print $1 } $3 ~ /^\// { print $3 }'); do
		cmd+=" && cp /host$(readlink -f "$lib") $B_L2_CT/${lib##*/}"
	done
	lab_l2_run "$B_VM" "$cmd"
	lab_l2_run "$B_VM" "$B_L2_CYCLICTEST --help >/dev/null 2>&1; test \$? -le 1" ||
		lab_fail "cyclictest does not run in L2"
}

bench_log() {
	lab_log "bench: $*"
}

# bench_meta KEY VALUE: one line of run metadata for the report.
bench_meta() {
	printf '%s=%s\n' "$1" "$2" >>"$B_OUT/meta.txt"
}

# bench_parse_cyclictest FILE PREFIX: prints "PREFIX_avg=.. PREFIX_max=..
# PREFIX_cycles=.." from cyclictest -q output (the "T: 0 (...) ... C: N
# Min: .. Act: .. Avg: .. Max: .." line), or nothing.
bench_parse_cyclictest() {
	# Fields may touch ("Avg:16324"), so match with regexes.
	awk -v p="$2" 'function f(re,   s) {
		if (!match($0, re "[ ]*[0-9]+")) return ""
		s = substr($0, RSTART, RLENGTH); sub(re "[ ]*", "", s); return s
	}
	/^T: *0 / {
		c = f("C:"); a = f("Avg:"); m = f("Max:")
		if (a != "" && m != "") printf "%s_avg=%s %s_max=%s %s_cycles=%s", p, a, p, m, p, c
	}' "$1"
}

# bench_rundelay TIDS...: sum of the threads' run delay (ns runnable but
# waiting; second field of /proc/PID/task/TID/schedstat).
bench_rundelay() {
	local pid t sum=0 v
	pid=$(lab_l2_pid "$B_VM")
	for t in "$@"; do
		v=$(awk '{ print $2 }' "/proc/$pid/task/$t/schedstat")
		sum=$((sum + v))
	done
	echo "$sum"
}

# bench_cpu_bogo FILE: the cpu stressor's "bogo ops/s (real time)" from a
# stress-ng --metrics-brief report, or nothing.
bench_cpu_bogo() {
	awk '/stress-ng: (info|metrc): +\[[0-9]+\] +cpu +[0-9]/ {
		for (i = 1; i <= NF; i++) if ($i == "cpu") { print $(i + 5); exit }
	}' "$1"
}

bench_vcpu_tids() {
	lab_l2_vcpu_tids "$B_VM" | awk '{ print $2 }'
}

# Pin the vCPU threads to B_VCPU_CPU and every other QEMU thread to
# B_EMU_CPU (again before each run: QEMU creates worker threads on demand).
bench_pin() {
	local t
	for t in $B_TIDS; do
		taskset -p -c "$B_VCPU_CPU" "$t" >/dev/null || lab_fail "taskset vCPU $t"
	done
	lab_l2_pin_emulator "$B_VM" "$B_EMU_CPU"
}

# bench_policy TID: "RR 8", "OTHER 0", ... as the kernel reports it.
bench_policy() {
	chrt -p "$1" | awk -F': *' '/policy/ { sub(/^SCHED_/, "", $2); p = $2 }
		/priority/ { print p, $2 }'
}

# --- pvsched configuration ------------------------------------------------

bench_pvsched_check() {
	local missing=()
	[[ $B_PVSCHED == off ]] && { B_PVSCHED_PENDING="disabled (BENCH_PVSCHED=off)"; return; }
	[[ -f $PVSCHED_KO ]] || missing+=("host/pvsched.ko")
	[[ -x $PVSCHEDCTL ]] || missing+=("tools/pvschedctl/pvschedctl")
	[[ -f $PVSCHED_GUEST_KO ]] || missing+=("guest/pvsched_guest.ko")
	if [[ ${#missing[@]} -gt 0 ]]; then
		B_PVSCHED_PENDING="not built: ${missing[*]}"
	elif ! "$PVSCHEDCTL" help 2>&1 | grep -q attach; then
		B_PVSCHED_PENDING="pvschedctl has no attach command yet"
	fi
	if [[ -n $B_PVSCHED_PENDING && $B_PVSCHED == require ]]; then
		lab_fail "pvsched configuration required but $B_PVSCHED_PENDING"
	fi
}

# bench_pvsched_guest_state: the guest state pvschedctl reports for our VM.
bench_pvsched_guest_state() {
	"$PVSCHEDCTL" -j status 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
vms = [v for v in d.get("vms", []) if v.get("name") == sys.argv[1]]
print(vms[0]["guest"]["state"] if vms and vms[0].get("guest") else "none")' "$B_VM" 2>/dev/null
}

# The pvsched counters bench_pvsched_counters reports, in its order.
B_PV_KEYS="boosted_ns throttled_ns boosts throttles kicks kick_boosts idle_holds irq_holds"

# bench_pvsched_counters: the B_PV_KEYS counters summed over our VM's vCPUs
# (pvschedctl -j status), NA where missing.
bench_pvsched_counters() {
	"$PVSCHEDCTL" -j status 2>/dev/null | python3 -c '
import json, sys
keys = sys.argv[2].split()
try:
    d = json.load(sys.stdin)
    vm = [v for v in d["vms"] if v.get("name") == sys.argv[1]][0]
    c = vm["vcpus"]
except Exception:
    print(" ".join("NA" for _ in keys))
    sys.exit(0)
def total(k):
    if k == "boosts":
        ks = ("boosts_cs", "boosts_task", "boosts_halt", "boosts_intr")
    else:
        ks = (k,)
    try:
        return str(sum(x[j] for x in c for j in ks))
    except Exception:
        return "NA"
print(" ".join(total(k) for k in keys))' "$B_VM" "$B_PV_KEYS" 2>/dev/null || true
}

# bench_is_pvsched CONFIG: a configuration that loads pvsched.
bench_is_pvsched() {
	[[ $1 == pvsched || $1 == pvsched-* ]]
}

# The pvsched configurations: host module, pvschedctl attach (default
# caps and parameters: boost SCHED_RR 1 under the RT ceiling 4, below the
# host's RR 8 cyclictest, and the per-CPU share; the seed's RR 8 shared
# round-robin slices with it; ARGS... extra attach arguments), then the
# guest driver; on only once the guest has negotiated (guest state
# "active").
bench_pvsched_on() {
	local i state= driver=1 gparams=()
	while :; do
		case ${1:-} in
		--no-driver) driver=0 ;;
		--guest) gparams+=("$2"); shift ;;
		*) break ;;
		esac
		shift
	done
	lab_load_pvsched
	"$PVSCHEDCTL" attach --qmp "$(lab_l2_dir "$B_VM")/qmp-pvsched.sock" --shm "$B_SHM" \
		--name "$B_VM" "$@" >"$B_OUT/attach.log" 2>&1 &
	B_ATTACH_PID=$!
	for ((i = 0; i < 300; i++)); do
		grep -q '^attached vm' "$B_OUT/attach.log" && break
		kill -0 "$B_ATTACH_PID" 2>/dev/null || lab_fail "pvschedctl attach exited: $(cat "$B_OUT/attach.log")"
		sleep 0.1
	done
	grep -q '^attached vm' "$B_OUT/attach.log" || lab_fail "pvschedctl attach did not attach within 30 s"
	B_DRIVER=$driver
	if ((!driver)); then
		lab_expect == "$(bench_pvsched_guest_state)" none "guest state of VM $B_VM without its driver"
		"$PVSCHEDCTL" status >>"$B_OUT/pvsched-status.txt" 2>&1 || true
		return
	fi
	lab_l2_run "$B_VM" /lab-l2/load-guest-module --one-cpu "${gparams[@]}"
	for ((i = 0; i < 300; i++)); do
		state=$(bench_pvsched_guest_state)
		[[ $state == active ]] && break
		sleep 0.1
	done
	lab_assert_eq "$state" active "guest state of VM $B_VM after loading the guest driver"
	"$PVSCHEDCTL" status >>"$B_OUT/pvsched-status.txt" 2>&1 || true
}

bench_pvsched_off() {
	"$PVSCHEDCTL" status >>"$B_OUT/pvsched-status.txt" 2>&1 || true
	((B_DRIVER)) && lab_l2_run "$B_VM" rmmod pvsched_guest
	if [[ -n $B_ATTACH_PID ]]; then
		kill -TERM "$B_ATTACH_PID" 2>/dev/null || true
		wait "$B_ATTACH_PID" 2>/dev/null || true
		B_ATTACH_PID=
	fi
	lab_unload_pvsched
}

# --- one configuration -----------------------------------------------------

bench_config_on() {
	local t
	case "$1" in
	vanilla) ;;
	rt)
		for t in $B_TIDS; do
			chrt -r -p 8 "$t" || lab_fail "chrt -r -p 8 $t"
			lab_assert_eq "$(bench_policy "$t")" "RR 8" "vCPU thread $t policy under static RT"
		done
		;;
	pvsched) bench_pvsched_on ;;
	pvsched-0.1) bench_pvsched_on --params kick_boost=0,idle_hold=0,irq_hold=0 ;;
	pvsched-nolazy) bench_pvsched_on --params lazy_demote=0 ;;
	pvsched-nodriver) bench_pvsched_on --no-driver ;;
	pvsched-nodriver-nohold) bench_pvsched_on --no-driver --params irq_hold=0 ;;
	pvsched-lazy) bench_pvsched_on --guest exit_demote=0 ;;
	*) lab_fail "unknown configuration '$1'" ;;
	esac
}

bench_config_off() {
	local t
	case "$1" in
	vanilla) ;;
	rt)
		for t in $B_TIDS; do
			chrt -o -p 0 "$t" || lab_fail "chrt -o -p 0 $t"
		done
		;;
	pvsched | pvsched-*) bench_pvsched_off ;;
	esac
	for t in $B_TIDS; do
		lab_assert_eq "$(bench_policy "$t")" "OTHER 0" "vCPU thread $t policy after $1"
	done
}

# bench_measure REP SCENARIO CONFIG: one measurement, one line in raw.txt.
bench_measure() {
	local rep=$1 scen=$2 conf=$3 tag hog_pid='' host_pid rd0 rd1 t0 t1 line g h bogo='' rc=0 expect gcmd
	local pv0='' pv1='' trace=${4:-0} tr_pid=''
	tag=$B_WORK/$rep-$scen-$conf
	gcmd="$B_L2_CYCLICTEST $B_CYCLICTEST_ARGS -D $B_DUR"
	bench_pin
	case "$scen" in
	idle) ;;
	busy)
		(cd "$B_WORK" && exec stress-ng --cpu 2 --iomix 1 --vm 1 --vm-bytes 128M --fork 1 \
			--metrics-brief -t $((B_DUR + 4))) >"$tag.hog" 2>&1 &
		hog_pid=$!
		;;
	contended)
		(cd "$B_WORK" && exec taskset -c "$B_VCPU_CPU" stress-ng --cpu 2 \
			--metrics-brief -t $((B_DUR + 4))) >"$tag.hog" 2>&1 &
		hog_pid=$!
		# The guest's batch work: a SCHED_OTHER busy loop started with
		# cyclictest in the same L2 command; "kill" fails (and the
		# measurement is marked) if the loop did not last the whole run.
		gcmd="sh -c 'while :; do :; done' & b=\$!; $gcmd; rc=\$?; kill \$b || rc=99; exit \$rc"
		;;
	esac
	[[ -n $hog_pid ]] && sleep 1
	bench_is_pvsched "$conf" && pv0=$(bench_pvsched_counters)
	[[ $trace -gt 0 ]] && { bench_trace_start; tr_pid=1; }
	# shellcheck disable=SC2086 # tid list
	rd0=$(bench_rundelay $B_TIDS)
	t0=$(date +%s%N)
	# shellcheck disable=SC2086 # argument list
	cyclictest $B_CYCLICTEST_ARGS -D "$B_DUR" >"$tag.host" 2>&1 &
	host_pid=$!
	__lab_l2_run "$B_VM" "$gcmd" >"$tag.guest" 2>&1 || rc=$?
	t1=$(date +%s%N)
	# shellcheck disable=SC2086 # tid list
	rd1=$(bench_rundelay $B_TIDS)
	[[ -n $tr_pid ]] && bench_trace_stop "$tag.trace"
	bench_is_pvsched "$conf" && pv1=$(bench_pvsched_counters)
	wait "$host_pid" || bench_log "host cyclictest exited with $?"
	if [[ -n $hog_pid ]]; then
		# (stress-ng's iomix may report EINTR from fallocate as it stops.)
		wait "$hog_pid" || bench_log "stress-ng exited with $?: $(grep -a -m1 -E 'fail|error' "$tag.hog")"
		bogo=$(bench_cpu_bogo "$tag.hog")
	fi
	g=$(bench_parse_cyclictest "$tag.guest" guest)
	h=$(bench_parse_cyclictest "$tag.host" host)
	expect=$((B_DUR * 1000))
	line="rep=$rep scenario=$scen config=$conf dur=$B_DUR expect_cycles=$expect"
	line+=" elapsed_ns=$((t1 - t0)) rundelay_ns=$((rd1 - rd0))"
	line+=" t_start=$((t0 / 1000000000)) t_end=$((t1 / 1000000000))"
	line+=" ${g:-guest_avg=NA guest_max=NA guest_cycles=NA}"
	line+=" ${h:-host_avg=NA host_max=NA host_cycles=NA}"
	line+=" hog_bogo=${bogo:-NA} guest_rc=$rc"
	if bench_is_pvsched "$conf"; then
		# pvsched's own view of the run: boosted and throttled time, number
		# of boosts, throttles, kicks... (deltas of its per-vCPU counters).
		line+=$(awk -v a="$pv0" -v b="$pv1" -v keys="$B_PV_KEYS" 'BEGIN {
			n = split(a, x); split(b, y); nk = split(keys, k)
			for (i = 1; i <= nk; i++)
				if (n == nk && x[i] != "NA" && y[i] != "NA")
					printf " pv_%s=%.0f", k[i], y[i] - x[i]
				else
					printf " pv_%s=NA", k[i]
		}')
	fi
	if [[ $trace -gt 0 ]]; then
		# a traced run: its figures go with the trace, not into the table
		echo "$line" >"$B_OUT/trace/$scen-$conf.line"
		bench_trace_analyse "$tag.trace" "$scen" "$conf"
		cp "$tag".* "$B_OUT/logs/" 2>/dev/null || true
		return
	fi
	echo "$line" >>"$B_RAW"
	bench_log "$line"
	if [[ -z $g ]]; then
		bench_log "guest cyclictest output ($rc):"
		cat "$tag.guest"
	fi
	[[ -n $h ]] || { bench_log "host cyclictest output:"; cat "$tag.host"; }
	if bench_is_pvsched "$conf"; then
		"$PVSCHEDCTL" -j status >"$tag.pvsched.json" 2>&1 || true
	fi
	cp "$tag".* "$B_OUT/logs/" 2>/dev/null || true
}

# --- the wake-up trace (BENCH_TRACE) -------------------------------------

B_TRACEFS=/sys/kernel/tracing
B_TRACE_INST=$B_TRACEFS/instances/pvsched-bench
B_TRACE_CPU_INST=$B_TRACEFS/instances/pvsched-bench-cpu

# bench_trace_start: an ftrace instance with the events of one vCPU thread's
# wake-ups (one vCPU in this benchmark): its switches and wake-ups, every
# kvm_vcpu_kick (a kprobe event), its interrupt injections and pvsched's own
# events.  Plain tracefs writes: no recorder threads compete with the vCPU
# while it runs; the buffer is read once the run is over.
bench_trace_start() {
	local t=$B_TIDS
	bench_trace_clear
	echo 'p:pvsched_bench/kick kvm_vcpu_kick vcpu=%di:x64' >>"$B_TRACEFS/kprobe_events" ||
		lab_fail "cannot add the kvm_vcpu_kick kprobe event"
	mkdir "$B_TRACE_INST" || lab_fail "cannot create $B_TRACE_INST"
	echo 65536 >"$B_TRACE_INST/buffer_size_kb"
	echo "prev_pid == $t || next_pid == $t" >"$B_TRACE_INST/events/sched/sched_switch/filter"
	echo "pid == $t" >"$B_TRACE_INST/events/sched/sched_wakeup/filter"
	echo "common_pid == $t" >"$B_TRACE_INST/events/kvm/kvm_inj_virq/filter"
	echo 1 >"$B_TRACE_INST/events/sched/sched_switch/enable"
	echo 1 >"$B_TRACE_INST/events/sched/sched_wakeup/enable"
	echo 1 >"$B_TRACE_INST/events/kvm/kvm_inj_virq/enable"
	echo 1 >"$B_TRACE_INST/events/pvsched_bench/kick/enable"
	if [[ -d $B_TRACE_INST/events/pvsched ]]; then
		echo 1 >"$B_TRACE_INST/events/pvsched/enable"
	fi
	# A second instance, on the vCPU's CPU only: every switch there and
	# the fair tasks' runtime records (their vruntime before 6.8), so that
	# a long wait names who had the CPU and how far ahead the vCPU's
	# vruntime was (wakeup-trace.py --cpu-trace).
	mkdir "$B_TRACE_CPU_INST" || lab_fail "cannot create $B_TRACE_CPU_INST"
	printf '%x\n' $((1 << B_VCPU_CPU)) >"$B_TRACE_CPU_INST/tracing_cpumask"
	echo 32768 >"$B_TRACE_CPU_INST/buffer_size_kb"
	echo 1 >"$B_TRACE_CPU_INST/events/sched/sched_switch/enable"
	echo 1 >"$B_TRACE_CPU_INST/events/sched/sched_stat_runtime/enable"
	echo 1 >"$B_TRACE_CPU_INST/tracing_on"
	echo 1 >"$B_TRACE_INST/tracing_on"
}

# bench_trace_stop FILE: stop, save the buffers to FILE and FILE.cpu,
# remove the instances.
bench_trace_stop() {
	echo 0 >"$B_TRACE_INST/tracing_on"
	echo 0 >"$B_TRACE_CPU_INST/tracing_on"
	cat "$B_TRACE_INST/trace" >"$1"
	cat "$B_TRACE_CPU_INST/trace" >"$1.cpu"
	grep -a -c . "$1" | xargs -I{} printf 'bench: trace %s: {} lines\n' "$1"
	grep -a -c . "$1.cpu" | xargs -I{} printf 'bench: trace %s: {} lines\n' "$1.cpu"
	bench_trace_clear
}

bench_trace_clear() {
	[[ -d $B_TRACE_INST ]] && rmdir "$B_TRACE_INST"
	[[ -d $B_TRACE_CPU_INST ]] && rmdir "$B_TRACE_CPU_INST"
	if grep -q pvsched_bench "$B_TRACEFS/kprobe_events" 2>/dev/null; then
		echo '-:pvsched_bench/kick' >>"$B_TRACEFS/kprobe_events"
	fi
	return 0
}

# bench_trace_analyse FILE SCENARIO CONFIG: the wake-up breakdown.
bench_trace_analyse() {
	python3 "$PVSCHED_SRC/tests/bench/wakeup-trace.py" --tid "$B_TIDS" \
		--cpu-trace "$1.cpu" --scenario "$2" --config "$3" --json "$B_OUT/trace/$2-$3.json" "$1" \
		>"$B_OUT/trace/$2-$3.txt" 2>&1 ||
		bench_log "wake-up trace analysis of $2/$3 failed: $(tail -n 3 "$B_OUT/trace/$2-$3.txt")"
	cat "$B_OUT/trace/$2-$3.txt"
}

bench_cleanup() {
	bench_trace_clear 2>/dev/null
	[[ -n $B_ATTACH_PID ]] && kill -TERM "$B_ATTACH_PID" 2>/dev/null
	lab_l2_stop "$B_VM"
}

bench_main() {
	local rep conf scen t ndone=0 extra=()
	mkdir -p "$B_OUT/logs" "$B_WORK"
	: >"$B_RAW"
	: >"$B_OUT/meta.txt"
	command -v cyclictest >/dev/null || lab_fail "cyclictest missing (rt-tests; run scripts/setup)"
	command -v stress-ng >/dev/null || lab_fail "stress-ng missing (run scripts/setup)"
	[[ " $B_CONFIGS " == *" pvsched "* ]] && bench_pvsched_check

	# The ivshmem device and a second QMP socket (pvschedctl attach keeps
	# one) are present in every configuration, so that configurations only
	# differ in what they are meant to differ in.
	rm -f "$B_SHM"
	# shellcheck disable=SC2054 # QEMU option strings, not array elements
	extra=(-object "memory-backend-file,id=pvsched,share=on,mem-path=$B_SHM,size=1M"
		-device ivshmem-plain,memdev=pvsched
		-qmp "unix:$(lab_l2_dir "$B_VM")/qmp-pvsched.sock,server=on,wait=off")
	trap bench_cleanup EXIT
	# The lab's snapshot of L1's threads (tests/lab/l1-stage2.sh) runs ps
	# at SCHED_FIFO 99 every 30 s: on the vCPU's CPU it took that CPU for
	# up to 105 ms in a traced run (a guest wait of 155 ms).  Its children
	# inherit the affinity set here: CPU 0, with QEMU's other threads.
	if [[ -s /run/lab/threads.pid ]]; then
		taskset -a -p -c "$B_EMU_CPU" "$(</run/lab/threads.pid)" >/dev/null ||
			bench_log "cannot pin the lab's thread snapshot to CPU $B_EMU_CPU"
	fi
	# shellcheck disable=SC2034 # read by lib.sh's __lab_l2_run
	lab_l2_run_timeout=$((B_DUR * 6 + 60))
	lab_l2_start --smp 1 "$B_VM" "${extra[@]}"
	lab_l2_wait "$B_VM" ready 120
	B_TIDS=$(bench_vcpu_tids)
	[[ -n $B_TIDS ]] || lab_fail "no vCPU thread ids from QMP"
	bench_pin
	bench_l2_install

	bench_meta dur "$B_DUR"
	bench_meta reps "$B_REPS"
	bench_meta scenarios "$B_SCENARIOS"
	bench_meta configs "$B_CONFIGS"
	bench_meta l1_kernel "$(uname -r)"
	bench_meta l1_cpus "$(nproc)"
	bench_meta l1_cpu_model "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
	bench_meta l2_kernel "$(lab_l2_run "$B_VM" uname -r)"
	bench_meta qemu "$(qemu-system-x86_64 --version | head -n1)"
	bench_meta cyclictest "cyclictest $B_CYCLICTEST_ARGS -D $B_DUR"
	bench_meta vcpu_tids "${B_TIDS//$'\n'/ }"
	[[ -n $B_PVSCHED_PENDING ]] && bench_meta pvsched_pending "$B_PVSCHED_PENDING"

	for ((rep = 1; rep <= B_REPS; rep++)); do
		for conf in $B_CONFIGS; do
			if bench_is_pvsched "$conf" && [[ -n $B_PVSCHED_PENDING ]]; then
				for scen in $B_SCENARIOS; do
					echo "rep=$rep scenario=$scen config=$conf pending=1" >>"$B_RAW"
				done
				continue
			fi
			bench_log "rep $rep/$B_REPS: configuration $conf"
			bench_config_on "$conf"
			for scen in $B_SCENARIOS; do
				bench_measure "$rep" "$scen" "$conf"
				ndone=$((ndone + 1))
			done
			bench_config_off "$conf"
		done
	done
	if [[ $B_TRACE -gt 0 ]]; then
		# one traced run per cell, after the measured ones
		mkdir -p "$B_OUT/trace"
		for conf in $B_CONFIGS; do
			bench_is_pvsched "$conf" && [[ -n $B_PVSCHED_PENDING ]] && continue
			bench_log "trace: configuration $conf"
			bench_config_on "$conf"
			for scen in $B_SCENARIOS; do
				B_DUR_SAVED=$B_DUR
				B_DUR=$B_TRACE
				bench_measure 0 "$scen" "$conf" "$B_TRACE"
				B_DUR=$B_DUR_SAVED
			done
			bench_config_off "$conf"
		done
	fi
	for t in $B_TIDS; do
		cat "/proc/$(lab_l2_pid "$B_VM")/task/$t/sched" >"$B_OUT/vcpu-$t-sched.txt" 2>/dev/null || true
	done
	# Kernel trouble in L2 is reported, not fatal: the guest driver's own
	# tests judge that; the benchmark records it next to its figures.
	if ! (lab_l2_check_dmesg "$B_VM") >"$B_OUT/l2-dmesg-check.txt" 2>&1; then
		bench_meta l2_dmesg_trouble "$(grep -a -m1 -E 'WARNING|BUG|Oops|sleeping|lockdep|scheduling while' "$B_OUT/l2-dmesg-check.txt" | head -c 200)"
		bench_log "L2 kernel log shows trouble (see $B_OUT/l2-dmesg-check.txt)"
	fi
	trap - EXIT
	lab_l2_stop "$B_VM"
	bench_log "$ndone measurements in $B_RAW"
	[[ $ndone -gt 0 ]] || lab_fail "no measurement ran"
}
