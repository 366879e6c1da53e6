#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest's unboost exits without storms, for every base of the vCPU
# thread (issue 19: "an exit-rate test with base RT, nice -5 and BATCH vCPU
# threads, CPUID exits per second with and without guest fair tasks").
# One stock-QEMU L2 guest, 1 vCPU, its thread on L1 CPU 1 and QEMU's other
# threads on CPU 0.  For each base, set on the host before the thread is
# registered (SCHED_FIFO 10, SCHED_OTHER nice -5, SCHED_BATCH, SCHED_IDLE),
# a new "pvschedctl attach" session with the default boosts (SCHED_RR 8:
# above nice -5, BATCH and IDLE, below FIFO 10) and the guest driver bound
# again; then
# windows of WINDOW_S seconds with the guest idle ("idle") and with two
# fair tasks switching on its CPU ("switch": pipe ping-pong bursts), each
# with the driver following the host's word (boost_state=1, slot.host_boost)
# and with the inference of pvsched 0.2 (boost_state=0).  Counted per
# window: the guest driver's switches and unboost_exits (debugfs counters),
# the host's exits, quiet exits, boosts started and unboosts of the vCPU
# (pvschedctl status).  Checked:
#  - boost_state=1, idle and switching, every base: each unboost exit ends
#    a boost the host started (unboost exits <= boosts + 2), so the rate
#    stays near zero when nothing is boosted, whatever the base;
#  - boost_state=0, switching, every base but IDLE: the storm (an unboost
#    exit for at least every other switch), so a driver without the host's
#    word fails.  An IDLE base is below the nice-0 request of any guest task,
#    so the host keeps such a vCPU boosted to it (throttled now and then),
#    at SCHED_NORMAL, which the inference takes for "not boosted": its
#    storm shows only while throttled, and is printed, not checked; with
#    boost_state=1 the driver must not exit for that boost either;
#  - every unboost exit is a VM exit the host counted (exits >= them);
#  - nice -5 in a session with lazy_demote=0, boost_state=1: no storm either
#    (a demotion applied at the exit itself must publish "not boosted").
# Rates per second and unboost exits per 1000 switches of every window are
# printed and saved in exit-rate.txt.
# lab-timeout: 600
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../l2/attach-lib.sh
. "$PVSCHED_SRC/tests/lab/l2/attach-lib.sh"

WINDOW_S=3
# the defaults of a new session: boosts SCHED_RR 8
ATTACH_PARAMS=max_boost_us=20000
PP=$PVSCHED_SRC/build/guest/guest-overhead-pingpong
BS_PARAM=/sys/module/pvsched_guest/parameters/boost_state
RATES=$LAB_OUT/exit-rate.txt

# the boosts and the numbers of this test predate the host-wide bound
attach_begin "${lab_unbounded_caps[@]}"
[[ -x $PP ]] || lab_fail "$PP missing: run make guest-helpers (make lab does)"
# this script and what it starts stay off the vCPU's CPU: a FIFO 10 vCPU
# would make them wait there
taskset -p -c 0 $$ >/dev/null || lab_fail "cannot pin the test to L1 CPU 0"

shm=$(guest_region_file a)
mkdir -p "$GUEST_REGIONS"
: >"$shm"
truncate -s 1M "$shm"
lab_l2_start --smp 1 a \
	-object "memory-backend-file,id=pvsched,share=on,mem-path=$shm,size=1M" \
	-device ivshmem-plain,memdev=pvsched,addr=0x10
lab_l2_wait a ready 300
tid=$(lab_l2_vcpu_tids a | awk '$1 == 0 { print $2 }')
[[ -n $tid ]] || lab_fail "no vCPU 0 thread id for a"
taskset -p -c 1 "$tid" >/dev/null || lab_fail "taskset vCPU thread $tid"
lab_l2_pin_emulator a 0
# the ping-pong from the guest's tmpfs: no 9p reads while it runs
lab_l2_run a "cp /host$PP /tmp/pp"

# set_base NAME: the vCPU thread's own attributes (pvsched saves them at
# registration as the base it never goes below).
set_base() {
	case $1 in
	fifo10) chrt -f -p 10 "$tid" ;;
	nice-5) chrt -o -p 0 "$tid" && renice -n -5 -p "$tid" >/dev/null ;;
	batch) renice -n 0 -p "$tid" >/dev/null && chrt -b -p 0 "$tid" ;;
	idle) renice -n 0 -p "$tid" >/dev/null && chrt -i -p 0 "$tid" ;;
	*) lab_fail "set_base: unknown base $1" ;;
	esac || lab_fail "cannot give vCPU thread $tid the base $1"
}

# base_of: vCPU 0's base as pvschedctl status shows it, policy:prio:nice.
base_of() {
	"$PVSCHEDCTL" -j status | python3 -c '
import json, sys
d = json.load(sys.stdin)
vm = [v for v in d["vms"] if v.get("name") == "vm-a"][0]
b = vm["vcpus"][0]["base"]
print("%s:%s:%s" % (b["policy"], b["prio"], b["nice"]))' || lab_fail "pvschedctl -j status: no vm-a"
}

# session BASE PARAMS: vCPU thread at BASE, registered in a new session
# with PARAMS, the guest driver bound to it with PVSCHED_F_BOOST_STATE.
session() {
	local want
	__lab_l2_run a "rmmod pvsched_guest 2>/dev/null" >/dev/null || true
	# the old session ends first: it restores the thread's base
	attach_end
	set_base "$1"
	attach_again a "$2"
	lab_wait_until 40 attach_has_magic a || lab_fail "pvschedctl attach wrote no region header"
	lab_l2_run a /lab-l2/load-guest-module --one-cpu
	lab_assert guest_wait_state a 1
	lab_expect -eq $(($(guest_hdr a guest_features) & 16)) 16 "PVSCHED_F_BOOST_STATE not accepted"
	case $1 in
	fifo10) want=fifo:10:0 ;;
	nice-5) want=normal:0:-5 ;;
	batch) want=batch:0:0 ;;
	idle) want=idle:0:0 ;;
	esac
	lab_assert_eq "$(base_of)" "$want" "vCPU 0's base in pvschedctl status"
	lab_log "session for base $1 ($want), --params $2"
}

# boost_state 0|1: the guest driver's rule, checked in its debugfs state.
boost_state() {
	local want=used
	((${1})) || want="ignored (boost_state=0)"
	lab_l2_run a "echo $1 >$BS_PARAM"
	__lab_l2_run a "grep -q -x 'boost_state: $want' $GUEST_DBG/state" ||
		lab_fail "guest debugfs state does not say 'boost_state: $want'"
}

# The guest's half of a window, one L2 command: its uptime and counters,
# the load, its uptime and counters again ("up SECONDS", "c COUNTERS").
snap_cmd="echo up \$(cut -d' ' -f1 /proc/uptime); sed 's/^/c /' $GUEST_DBG/counters"
idle_cmd="sleep $WINDOW_S"
# bursts of 200 rounds with 50 ms pauses: the vCPU halts now and then
# (tests/lab/README.md: a vCPU that never halts can hold an L1 CPU)
switch_cmd="end=\$((\$(cut -d. -f1 /proc/uptime) + $WINDOW_S))
while [ \$(cut -d. -f1 /proc/uptime) -lt \$end ]; do /tmp/pp 0 200 >/dev/null || exit 1; usleep 50000; done"

# guest_deltas: from the window's guest output on stdin, "MS SWITCHES
# UNBOOST_EXITS" of guest CPU 0 between its two snapshots.
guest_deltas() {
	awk '
	$1 == "up" { split($2, t, "."); up[++n] = t[1] * 1000 + t[2] * 10 }
	$1 == "c" && $2 == "cpu" { for (i = 3; i <= NF; i++) col[$i] = i; next }
	$1 == "c" && $2 == "0" { k++; sw[k] = $col["switches"]; ue[k] = $col["unboost_exits"] }
	END { if (n == 2 && k == 2) print up[2] - up[1], sw[2] - sw[1], ue[2] - ue[1] }'
}

HOST_KEYS=(exits quiet_exits boosts_cs boosts_task boosts_halt boosts_intr unboosts)

# window BASE BOOST_STATE LOAD: one window; checks it and records its rates.
window() {
	local base=$1 bs=$2 load=$3 cmd out g hs h0 h1 t0 t1 i
	local ms sw ue hms exits quiet boosts unboosts
	[[ $load == idle ]] && cmd=$idle_cmd || cmd=$switch_cmd
	# the host's window holds the guest's
	t0=${EPOCHREALTIME/./}
	hs=$(vm_counters a "${HOST_KEYS[@]}")
	read -r -a h0 <<<"$hs"
	out=$(lab_l2_run a "$snap_cmd
$cmd
$snap_cmd")
	hs=$(vm_counters a "${HOST_KEYS[@]}")
	read -r -a h1 <<<"$hs"
	t1=${EPOCHREALTIME/./}
	g=$(guest_deltas <<<"$out")
	[[ -n $g ]] || lab_fail "no counters from the guest: $out"
	read -r ms sw ue <<<"$g"
	for i in "${!h1[@]}"; do
		h1[i]=$((h1[i] - h0[i]))
	done
	exits=${h1[0]} quiet=${h1[1]} unboosts=${h1[6]}
	boosts=$((h1[2] + h1[3] + h1[4] + h1[5]))
	hms=$(((t1 - t0) / 1000))
	((ms > 0 && hms > 0)) || lab_fail "window of $ms ms (guest), $hms ms (host)"
	printf '%-7s boost_state=%s %-6s %5d ms: unboost exits %6d (%5d/s, %4d per 1000 switches), switches %6d (%5d/s); host %5d ms: exits %6d (%5d/s), quiet %6d, boosts %5d, unboosts %5d\n' \
		"$base" "$bs" "$load" "$ms" "$ue" $((ue * 1000 / ms)) $((sw ? ue * 1000 / sw : 0)) \
		"$sw" $((sw * 1000 / ms)) "$hms" "$exits" $((exits * 1000 / hms)) "$quiet" "$boosts" "$unboosts" |
		tee -a "$RATES"
	lab_expect -ge "$exits" "$ue" "$base boost_state=$bs $load: the host counted fewer VM exits than the guest's unboost exits"
	if [[ $load == switch ]]; then
		lab_expect -ge "$sw" 100 "$base boost_state=$bs: the ping-pong made only $sw switches"
	fi
	if ((bs)); then
		lab_expect -le "$ue" $((boosts + 2)) "$base boost_state=1 $load: unboost exits beyond the boosts the host started (a storm)"
	elif [[ $load == switch && $base != idle ]]; then
		lab_expect -ge $((ue * 2)) "$sw" "$base boost_state=0 switch: no storm from the inference (unboost exits per switch)"
	fi
}

: >"$RATES"
for base in fifo10 nice-5 batch idle; do
	session "$base" "$ATTACH_PARAMS"
	for bs in 1 0; do
		boost_state "$bs"
		window "$base" "$bs" idle
		window "$base" "$bs" switch
	done
done
# a demotion at the exit itself: the next entry publishes "not boosted"
session nice-5 "$ATTACH_PARAMS,lazy_demote=0"
boost_state 1
window nice-5/lazy0 1 switch

lab_log "exit rates (also in exit-rate.txt):"
cat "$RATES"
attach_finish a
lab_unload_pvsched
lab_check_dmesg
