#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/pvschedctl/tests/check-cli.sh PVSCHEDCTL WORKDIR
#
# Userspace tests of pvschedctl (no module needed): help at every level and
# the man page agree, -j output parses, exit codes, prefix matching, caps
# against a fake sysfs, status against a fake /dev/pvsched (tests/fake-dev.so,
# LD_PRELOAD: GET_INFO and DUMP answered from a description file) and attach
# state, JSON escaping, --watch stopping on SIGINT, attach --qmp and --pid
# against fake QEMUs (tests/fake-qemu.py: honest, lying about its vCPU
# threads, failing a query) with that fake device checking whose threads
# are registered, the --shm checks, install.  Prints PASS/FAIL lines; exit
# 0 even on failures (the log says).
set -uo pipefail

ctl=$(realpath "$1")
work=$2
src=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$work" && mkdir -p "$work"
fakelib=$src/tests/fake-dev.so
unset PVSCHED_SYSFS_ROOT PVSCHED_DEV PVSCHED_RUN_DIR

result() { # result NAME STATUS(0=pass) [DETAIL]
	if [[ $2 == 0 ]]; then
		echo "PASS $1"
	else
		echo "FAIL $1${3:+ ($3)}"
	fi
}

# t NAME EXPECTED_RC CMD...: run CMD, compare its exit status.
t() {
	local name=$1 want=$2 rc=0
	shift 2
	"$@" >"$work/out" 2>"$work/err" || rc=$?
	if [[ $rc == "$want" ]]; then
		result "$name" 0
	else
		result "$name" 1 "exit $rc, expected $want: $(head -c 200 "$work/err")"
	fi
}

isjson() { python3 -m json.tool "$1" >/dev/null 2>&1; }

# --- fake roots ------------------------------------------------------------
nomod=$work/nomod
mkdir -p "$nomod/sys/module"
fake=$work/fake
params=$fake/sys/module/pvsched/parameters
mkdir -p "$params" "$fake/run"
for kv in max_policy=fifo max_rt_prio=49 min_nice=-10 max_vcpus_per_vm=256 \
	max_vms=64 max_boost_cap_us=1000000 min_throttle_us=1000 \
	max_duty_pct=70 cpu_share_pct=50 cpu_share_window_us=100000 \
	default_boost_policy=rr default_boost_prio=8 default_max_boost_us=20000 \
	default_throttle_us=10000; do
	echo "${kv#*=}" >"$params/${kv%%=*}"
done
# The module's state for fake-dev.so: GET_INFO, then DUMP's sessions (our
# own, 9, has no vCPU and is not shown); a name with a quote, a space and
# a backslash; policies as numbers (1 fifo, 2 rr).
cat >"$fake/dev" <<'DEV'
info version=0.1.0 abi=1.2 tp_family=1 tp_events=0x07 nr_vcpus=2 pinned_pages=1 vm_id=9
vm id=7 pid=1234 cs=2:8:0 intr=1:3:-5 max_boost_ns=20000000 throttle_ns=10000000 flags=1 name=we"b 1\x
vcpu id=0 tid=1240 state=0 status=0x01 cur=0:0:0 base=0:0:0 exits=10 entries=11 halts=2 injections=3 boosts_cs=1 unboosts=1 boosted_ns=100 apply_direct=1 irq_holds=5
vcpu id=3 tid=1243 state=1 status=0x12 cur=2:8:0 base=0:0:0 exits=99
vm id=9 pid=4444 cs=2:8:-10 intr=2:8:-10 max_boost_ns=20000000 throttle_ns=10000000
DEV
# attach state + a region file whose guest accepted bits 0,1 and claims 3
python3 - "$fake/region" <<'PY'
import struct, sys
# magic, abi 1.0, 4 slots of 64 at 64; host 0x7, guest 0xB; guest ABI 1.0,
# state active, generation 1, reserved
hdr = struct.pack("<6I2Q6I", 0x48435650, 1, 0, 4, 64, 64, 0x7, 0xB, 1, 0, 1, 1, 0, 0)
assert len(hdr) == 64
open(sys.argv[1], "wb").write(hdr + bytes(4 * 64))
PY
sleep 1000 &
fakeattach=$!
cat >"$fake/run/7.state" <<EOF2
vm_id=7
name=web
attach_pid=$fakeattach
qemu_pid=4321
qmp=/run/vm.qmp
shm=$fake/region
nr_slots=4
host_features=0x7
guest_state=none
guest_abi=0.0
guest_generation=0
guest_features=0x0
refused_features=0x0
ignored_features=0x0
EOF2
fakeenv=(env PVSCHED_SYSFS_ROOT="$fake/sys" PVSCHED_RUN_DIR="$fake/run" PVSCHED_DEV="$fake/nodev")
noenv=(env PVSCHED_SYSFS_ROOT="$nomod/sys" PVSCHED_RUN_DIR="$nomod/run" PVSCHED_DEV="$nomod/nodev")
# status: the fake /dev/pvsched
devenv=(env LD_PRELOAD="$fakelib" PVSCHED_SYSFS_ROOT="$fake/sys" PVSCHED_RUN_DIR="$fake/run" PVSCHED_DEV="$fake/dev")

# --- help ------------------------------------------------------------------
for h in help -h --help; do
	t "cli-help-top-$h" 0 "$ctl" "$h"
done
for o in version status caps attach trace; do
	for h in help -h --help; do
		t "cli-help-$o-$h" 0 "$ctl" "$o" "$h"
	done
done
t cli-help-caps-show 0 "$ctl" caps show help
t cli-help-caps-set 0 "$ctl" caps set help
rc=0
python3 "$src/tests/help-vs-man.py" "$ctl" "$src/pvschedctl.8" >"$work/hvm" 2>&1 || rc=$?
result cli-help-matches-man "$rc" "$(tr '\n' ';' <"$work/hvm")"
rc=0
groff -man -ww -z "$src/pvschedctl.8" >"$work/groff" 2>&1 || rc=$?
[[ -s $work/groff ]] && rc=1
result cli-man-renders "$rc" "$(head -c 200 "$work/groff")"
rc=0
bash -n "$src/bash-completion/pvschedctl" || rc=$?
result cli-bash-completion-syntax "$rc"

# --- version ---------------------------------------------------------------
t cli-dash-V 0 "$ctl" -V
grep -q "pvschedctl $(cat "$src/../../VERSION")" "$work/out"
result cli-dash-V-version $?
t cli-version-nomod-exit2 2 "${noenv[@]}" "$ctl" -j version
isjson "$work/out" && python3 -c '
import json,sys; d=json.load(open(sys.argv[1]))
assert d["tool"]["version"] and d["tool"]["abi"]["major"] == 1 and d["module"]["loaded"] is False' "$work/out"
result cli-version-nomod-json $?
t cli-version-nomod-plain 2 "${noenv[@]}" "$ctl" version
grep -q 'not loaded' "$work/out"
result cli-version-nomod-says-so $?
t cli-version-nodev-exit2 2 "${fakeenv[@]}" "$ctl" version

# --- usage errors ------------------------------------------------------------
t cli-usage-noargs 1 "$ctl"
t cli-usage-bad-object 1 "$ctl" frobnicate
t cli-usage-bad-option 1 "$ctl" --frob status
t cli-usage-ambiguous-command 1 "${fakeenv[@]}" "$ctl" caps s
t cli-usage-caps-bad-key 1 "${fakeenv[@]}" "$ctl" caps set frob=1
t cli-usage-caps-no-value 1 "${fakeenv[@]}" "$ctl" caps set max_rt_prio
t cli-usage-status-extra 1 "${fakeenv[@]}" "$ctl" status extra
t cli-usage-status-watch-0 1 "${fakeenv[@]}" "$ctl" status --watch 0
t cli-usage-attach-missing 1 "$ctl" attach --qmp /x
t cli-usage-attach-qmp-and-pid 1 "$ctl" attach --qmp /x --pid 1 --shm /y
grep -q 'exclude each other' "$work/err"
result cli-usage-attach-qmp-and-pid-message $?
t cli-usage-attach-no-source 1 "$ctl" attach --shm /y
t cli-usage-attach-bad-pid 1 "$ctl" attach --pid 12x --shm /y
t cli-usage-attach-pid-zero 1 "$ctl" attach --pid 0 --shm /y
t cli-usage-attach-keep-qmp-pid 1 "$ctl" attach --pid 1 --shm /y --keep-qmp
t cli-usage-attach-bad-param 1 "$ctl" attach --qmp /x --shm /y --params frob=1
t cli-usage-attach-bad-value 1 "$ctl" attach --qmp /x --shm /y --params cs_prio=100
t cli-usage-attach-bad-policy 1 "$ctl" attach --qmp /x --shm /y --params cs_policy=deadline
t cli-usage-attach-long-name 1 "$ctl" attach --qmp /x --shm /y --name 0123456789012345678901234567890123
t cli-usage-attach-bad-name 1 "$ctl" attach --qmp /x --shm /y --name "$(printf 'a\tb')"
t cli-usage-trace-duration 1 "$ctl" trace --duration x
t cli-attach-nomod-exit2 2 "${noenv[@]}" "$ctl" attach --qmp /x --shm /y
t cli-trace-nomod-exit2 2 "${noenv[@]}" "$ctl" trace --duration 1
t cli-status-nomod-exit2 2 "${noenv[@]}" "$ctl" -j status
isjson "$work/out" && grep -q '"loaded":false' "$work/out"
result cli-status-nomod-json $?
t cli-caps-nomod-exit2 2 "${noenv[@]}" "$ctl" caps show

# --- prefixes ----------------------------------------------------------------
"${fakeenv[@]}" "$ctl" caps show >"$work/a" 2>&1
"${fakeenv[@]}" "$ctl" ca sh >"$work/b" 2>&1
cmp -s "$work/a" "$work/b" && [[ -s $work/a ]]
result cli-prefix-caps-show $?
"${devenv[@]}" "$ctl" -j status >"$work/a" 2>&1
"${devenv[@]}" "$ctl" -j st >"$work/b" 2>&1
cmp -s "$work/a" "$work/b" && [[ -s $work/a ]]
result cli-prefix-status $?
t cli-prefix-version 2 "${noenv[@]}" "$ctl" v

# --- caps on the fake sysfs --------------------------------------------------
t cli-caps-show-json 0 "${fakeenv[@]}" "$ctl" -j caps show
isjson "$work/out" && python3 -c '
import json,sys; d=json.load(open(sys.argv[1]))
assert d["max_rt_prio"] == 49 and d["min_nice"] == -10 and d["max_policy"] == "fifo", d
assert d["max_duty_pct"] == 70 and d["cpu_share_pct"] == 50 and d["cpu_share_window_us"] == 100000, d
assert len(d) == 14' "$work/out"
result cli-caps-show-values $?
# -j: one line, no spaces (scripts and the lab grep '"key":value')
grep -qxF '{"max_policy":"fifo","max_rt_prio":49,"min_nice":-10,"max_vcpus_per_vm":256,"max_vms":64,"max_boost_cap_us":1000000,"min_throttle_us":1000,"max_duty_pct":70,"cpu_share_pct":50,"cpu_share_window_us":100000,"default_boost_policy":"rr","default_boost_prio":8,"default_max_boost_us":20000,"default_throttle_us":10000}' "$work/out" &&
	[[ $(wc -l <"$work/out") == 1 ]]
result cli-caps-show-json-compact $?
# -p: one member a line, "key": value
t cli-caps-show-pretty 0 "${fakeenv[@]}" "$ctl" -p caps show
isjson "$work/out" && [[ $(wc -l <"$work/out") == 16 ]] &&
	grep -qx ' *"max_rt_prio": 49,' "$work/out"
result cli-caps-show-pretty-json $?
t cli-caps-show-plain 0 "${fakeenv[@]}" "$ctl" caps
grep -q '^max_boost_cap_us *1000000 us$' "$work/out" &&
	grep -q '^cpu_share_pct *50 %$' "$work/out"
result cli-caps-show-plain-units $?
t cli-caps-set 0 "${fakeenv[@]}" "$ctl" caps set max_rt_prio=20 max_policy=rr
[[ $(cat "$params/max_rt_prio") == 20 && $(cat "$params/max_policy") == rr ]]
result cli-caps-set-written $?
echo 49 >"$params/max_rt_prio"
t cli-caps-set-badkey-writes-nothing 1 "${fakeenv[@]}" "$ctl" caps set max_rt_prio=30 frob=1
[[ $(cat "$params/max_rt_prio") == 49 ]]
result cli-caps-set-badkey-nothing-written $?
mv "$params/min_nice" "$params/min_nice.f" && mkdir "$params/min_nice"
t cli-caps-set-refused-exit3 3 "${fakeenv[@]}" "$ctl" -j caps set min_nice=-5
grep -q '^pvschedctl: caps set min_nice=-5: ' "$work/err" && isjson "$work/out"
result cli-caps-set-refused-errno $?
rmdir "$params/min_nice" && mv "$params/min_nice.f" "$params/min_nice"

# --- status on the fake /dev/pvsched ------------------------------------------
t cli-status-json 0 "${devenv[@]}" "$ctl" -j status
cp "$work/out" "$work/status.json"
isjson "$work/status.json" && python3 - "$work/status.json" "$src/../../uapi/linux/pvsched_counters.h" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
counters = re.findall(r"^PVSCHED_COUNTER\((\w+),", open(sys.argv[2]).read(), re.M)
m = d["module"]
assert m["loaded"] and m["version"] == "0.1.0" and m["abi"] == "1.2", m
assert m["tp_family"] == "stock" and m["tp_events"] == 7, m
assert m["tp_event_names"] == ["vmenter", "vmexit", "halt"], m
assert m["nr_vms"] == 1 and m["nr_vcpus"] == 2 and m["pinned_pages"] == 1, m
assert d["caps"]["max_vms"] == 64
vm, = d["vms"]  # our own session (9) is not shown
assert vm["id"] == 7 and vm["name"] == 'we"b 1\\x', repr(vm["name"])
assert vm["nr_vcpus"] == 2 and vm["pid"] == 1234
assert vm["cs"] == {"policy": "rr", "prio": 8, "nice": 0}
assert vm["intr"] == {"policy": "fifo", "prio": 3, "nice": -5}
assert vm["max_boost_ns"] == 20000000 and vm["throttle_ns"] == 10000000
assert (vm["kick_boost"], vm["idle_hold"], vm["irq_hold"]) == (0, 1, 1), vm
assert [c["vcpu_id"] for c in vm["vcpus"]] == [0, 3]
c0, c3 = vm["vcpus"]
assert c0["tid"] == 1240 and c0["state"] == "idle" and c0["status"] == 1
assert c0["apply_direct"] == 1 and c0["irq_holds"] == 5 and c0["boosts_cs"] == 1
assert c0["base"] == {"policy": "normal", "prio": 0, "nice": 0}
assert c3["tid"] == 1243 and c3["state"] == "boosted" and c3["status"] == 0x12
assert c3["policy"] == "rr" and c3["prio"] == 8 and c3["exits"] == 99
# every counter of the table, by its name, in its order, after the head
head = ["vcpu_id", "tid", "state", "status", "policy", "prio", "nice", "base"]
assert len(counters) == 33 and list(c0) == head + counters, list(c0)
a = vm["attach"]
assert a["qemu_pid"] == 4321 and a["nr_slots"] == 4, a
# a state file of before --pid: attached via QMP
assert a["via"] == "qmp" and a["qmp"] == "/run/vm.qmp", a
g = vm["guest"]
assert g["live"] is True and g["state"] == "active" and g["generation"] == 1, g
assert g["offered"] == 7 and g["accepted"] == 3 and g["refused"] == 4 and g["ignored"] == 8, g
assert g["accepted_names"] == ["crit_section", "task_prio"], g
assert g["ignored_names"] == ["idle_hint"], g
PY
result cli-status-json-content $?
t cli-status-pretty 0 "${devenv[@]}" "$ctl" -p status
isjson "$work/out" && [[ $(wc -l <"$work/out") -gt 50 ]]
result cli-status-pretty-json $?
t cli-status-plain 0 "${devenv[@]}" "$ctl" status
grep -q '^  vcpu 3 tid=1243 state=boosted status=0x12 policy=rr prio=8 nice=0 base=normal:0:0$' "$work/out" &&
	grep -q '^vm 7 name=we"b 1\\x pid=1234 vcpus=2 cs=rr:8:0 intr=fifo:3:-5 max_boost_ns=20000000 throttle_ns=10000000 kick_boost=0 idle_hold=1 irq_hold=1 timer_boost=1 lazy_demote=1$' "$work/out" &&
	grep -q '^      exits=10 entries=11 halts=2 injections=3$' "$work/out" &&
	grep -q 'guest: active, ABI 1.0, generation 1, offered crit_section,task_prio,host_area, accepted crit_section,task_prio, refused host_area, ignored idle_hint' "$work/out" &&
	grep -q '^tracepoints: stock (vmenter,vmexit,halt)' "$work/out" &&
	grep -q '^vms 1, vcpus 2, pinned pages 1$' "$work/out" &&
	grep -q "^  attach: pid $fakeattach, via qmp, qemu pid 4321, qmp /run/vm.qmp, shm $fake/region, 4 slots\$" "$work/out" &&
	! grep -q '^vm 9 ' "$work/out"
result cli-status-plain-content $?
# attached with --pid: status says so, and shows no QMP socket
cp "$fake/run/7.state" "$work/7.state.qmp"
sed -i 's/^qmp=.*/via=pid\nqmp=/' "$fake/run/7.state"
t cli-status-via-pid 0 "${devenv[@]}" "$ctl" -j status
python3 -c '
import json,sys; a = json.load(open(sys.argv[1]))["vms"][0]["attach"]
assert a["via"] == "pid" and a["qmp"] == "" and a["qemu_pid"] == 4321, a' "$work/out" &&
	"${devenv[@]}" "$ctl" status >"$work/out" 2>&1 &&
	grep -q "^  attach: pid $fakeattach, via pid, qemu pid 4321, shm $fake/region, 4 slots\$" "$work/out"
result cli-status-via-pid-shown $?
cp "$work/7.state.qmp" "$fake/run/7.state"
kill "$fakeattach" 2>/dev/null
wait "$fakeattach" 2>/dev/null
t cli-status-stale-state 0 "${devenv[@]}" "$ctl" -j status
python3 -c '
import json,sys; d=json.load(open(sys.argv[1])); assert d["vms"][0]["attach"] is None' "$work/out"
result cli-status-stale-state-ignored $?
# /dev/pvsched missing with the module loaded: a message, exit 2
t cli-status-nodev-exit2 2 "${fakeenv[@]}" "$ctl" status
grep -q "pvschedctl: $fake/nodev: No such file or directory" "$work/err"
result cli-status-nodev-message $?
# A module without DUMP (ABI 1.1): a message naming the ABI, exit 3
sed 's/abi=1.2/abi=1.1/; $a dump_errno 25' "$fake/dev" >"$fake/dev11"
t cli-status-old-module-exit3 3 env LD_PRELOAD="$fakelib" PVSCHED_SYSFS_ROOT="$fake/sys" PVSCHED_RUN_DIR="$fake/run" PVSCHED_DEV="$fake/dev11" "$ctl" status
grep -q 'pvschedctl: PVSCHED_IOC_DUMP: pvsched.ko ABI 1.1 has none (ABI 1.2 and later)' "$work/err"
result cli-status-old-module-message $?
# More vCPUs than GET_INFO said: DUMP says -ENOSPC and the size, status
# asks again with a buffer that large
{
	echo "info version=0.2.0 abi=1.2 tp_family=1 tp_events=0x07 nr_vcpus=0 vm_id=2"
	echo "vm id=1 pid=10 cs=2:8:0 intr=2:8:0 max_boost_ns=1 throttle_ns=1 name=big"
	for i in $(seq 0 59); do echo "vcpu id=$i tid=$((100 + i)) exits=$i"; done
} >"$fake/devbig"
t cli-status-dump-retry 0 env LD_PRELOAD="$fakelib" PVSCHED_SYSFS_ROOT="$fake/sys" PVSCHED_RUN_DIR="$fake/run" PVSCHED_DEV="$fake/devbig" "$ctl" -j status
python3 -c '
import json,sys; d=json.load(open(sys.argv[1])); vm, = d["vms"]
assert [c["exits"] for c in vm["vcpus"]] == list(range(60)), vm' "$work/out"
result cli-status-dump-retry-content $?

# --watch: refreshes, one JSON document per refresh, SIGINT ends with 0
"${devenv[@]}" "$ctl" -j status --watch 0.2 >"$work/watch" 2>&1 &
wpid=$!
sleep 1.5
kill -INT "$wpid"
rc=0
wait "$wpid" || rc=$?
n=$(wc -l <"$work/watch")
python3 -c '
import json,sys
for l in open(sys.argv[1]): json.loads(l)' "$work/watch" && [[ $rc == 0 && $n -ge 2 ]]
result cli-status-watch-sigint "$?" "rc $rc, $n refreshes"

# --- attach against fake QEMUs -----------------------------------------------------
# fake-dev.so takes attach's session and logs it (PVSCHED_FAKE_LOG), checking
# each VCPU_ADD's thread against the process of its pidfd as pvsched.ko does.
attrun=$work/attrun
fakelog=$work/fake.log
attenv=(env LD_PRELOAD="$fakelib" PVSCHED_SYSFS_ROOT="$fake/sys" PVSCHED_RUN_DIR="$attrun"
	PVSCHED_DEV="$fake/dev" PVSCHED_FAKE_LOG="$fakelog")
shm=/dev/shm/pvschedctl-cli-$$
truncate -s 4096 "$shm"
qemus=()

# start_qemu NAME ARGS...: a fake QEMU serving $work/NAME.sock; q=(PID TID0 TID1...)
start_qemu() {
	local name=$1 i
	shift
	rm -f "$work/$name.ready"
	python3 "$src/tests/fake-qemu.py" "$work/$name.sock" --ready "$work/$name.ready" \
		"$@" 2>"$work/$name.qemu.err" &
	qemus+=($!)
	for ((i = 0; i < 100; i++)); do
		[[ -s $work/$name.ready ]] && break
		sleep 0.1
	done
	read -r -a q <"$work/$name.ready"
}

# attached LOG: the attach writing LOG has reported "attached" (10 s at most).
attached() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q '"event":"attached"' "$1" && return 0
		sleep 0.1
	done
	return 1
}

# --shm: not a symbolic link, and on tmpfs or hugetlbfs
ln -sf "$shm" "$work/shm-link"
t cli-attach-shm-symlink 3 "${attenv[@]}" "$ctl" attach --qmp "$work/none.sock" --shm "$work/shm-link"
grep -q "attach: --shm $work/shm-link is a symbolic link: refused" "$work/err"
result cli-attach-shm-symlink-message $? "$(head -c 200 "$work/err")"
disk=
for d in "$work" /var/tmp "$HOME"; do
	case $(stat -f -c %T "$d" 2>/dev/null) in
	tmpfs | hugetlbfs | "") ;;
	*) disk=$d/pvschedctl-region-$$ && break ;;
	esac
done
if [[ -n $disk ]]; then
	truncate -s 4096 "$disk"
	t cli-attach-shm-not-tmpfs 3 "${attenv[@]}" "$ctl" attach --qmp "$work/none.sock" --shm "$disk"
	grep -q "attach: --shm $disk is not on tmpfs or hugetlbfs (filesystem type 0x" "$work/err"
	result cli-attach-shm-not-tmpfs-message $? "$(head -c 200 "$work/err")"
	rm -f "$disk"
else
	echo "SKIP cli-attach-shm-not-tmpfs (no directory outside tmpfs to put a file in)"
fi

# A lying QEMU: its vCPU 0 is another process's thread (a host daemon's)
sleep 1000 &
victim=$!
start_qemu liar --report "0:$victim"
: >"$fakelog"
t cli-attach-lying-qmp-foreign 3 "${attenv[@]}" "$ctl" attach --qmp "$work/liar.sock" --shm "$shm"
grep -q "attach: vCPU 0: thread $victim is not a thread of the QMP peer (pid ${q[0]}, python3): thread $victim is the main thread of process $victim (sleep) of user $(id -u); refusing to register any vCPU" "$work/err" &&
	! grep -q vcpu_add "$fakelog"
result cli-attach-lying-qmp-foreign-refused $? "$(head -c 300 "$work/err")"

# ... another VM's vCPU thread: nothing registered, not even its own vCPU 0
start_qemu vm2
vm2=("${q[@]}")
start_qemu liar2 --report "0:self0,1:${vm2[2]}"
: >"$fakelog"
t cli-attach-lying-qmp-other-vm 3 "${attenv[@]}" "$ctl" attach --qmp "$work/liar2.sock" --shm "$shm"
grep -q "attach: vCPU 1: thread ${vm2[2]} is not a thread of the QMP peer (pid ${q[0]}, python3): thread ${vm2[2]} (CPU 1/KVM) belongs to process ${vm2[0]} (python3) of user $(id -u); refusing" "$work/err" &&
	! grep -q vcpu_add "$fakelog"
result cli-attach-lying-qmp-other-vm-refused $? "$(head -c 300 "$work/err")"

# query-status failing is an error, not a VM taken as running
start_qemu sterr --status-error
: >"$fakelog"
t cli-attach-qmp-status-error 3 "${attenv[@]}" "$ctl" attach --qmp "$work/sterr.sock" --shm "$shm"
grep -q 'attach: QMP query-status: fake-qemu was told to fail query-status' "$work/err" &&
	! grep -q vcpu_add "$fakelog"
result cli-attach-qmp-status-error-message $? "$(head -c 200 "$work/err")"

# An honest QEMU over QMP: its threads registered with its pidfd, via=qmp,
# then it exits and attach with it
start_qemu vm1 -name guest=fakevm,debug-threads=on
vm1=("${q[@]}")
: >"$fakelog"
"${attenv[@]}" "$ctl" -j attach --qmp "$work/vm1.sock" --shm "$shm" >"$work/att1.out" 2>"$work/att1.err" &
apid=$!
attached "$work/att1.out"
result cli-attach-qmp-registers $? "$(cat "$work/att1.err")"
grep -qx "set_name fakevm" "$fakelog" &&
	grep -qx "vcpu_add vcpu=0 tid=${vm1[1]} owner=${vm1[0]}" "$fakelog" &&
	grep -qx "vcpu_add vcpu=1 tid=${vm1[2]} owner=${vm1[0]}" "$fakelog"
result cli-attach-qmp-pidfd-of-peer $? "$(tr '\n' ';' <"$fakelog")"
grep -qx 'via=qmp' "$attrun/9.state" && grep -qx "qemu_pid=${vm1[0]}" "$attrun/9.state" &&
	grep -qx "qmp=$work/vm1.sock" "$attrun/9.state" && grep -q '"via":"qmp"' "$work/att1.out"
result cli-attach-qmp-state-via $? "$(tr '\n' ';' <"$attrun/9.state" 2>&1)"
kill "${vm1[0]}"
rc=0
timeout 10 tail --pid="$apid" -f /dev/null || rc=$?
wait "$apid" || rc=$?
grep -q "\"reason\":\"QEMU (pid ${vm1[0]}) exited\"" "$work/att1.out" && [[ $rc == 0 && ! -e $attrun/9.state ]]
result cli-attach-qmp-qemu-exit $? "rc $rc: $(tail -c 200 "$work/att1.out")"

# attach --pid: the threads named "CPU N/KVM", -name from the command line
start_qemu vm3 --vcpus 3 -name vm3,debug-threads=on
vm3=("${q[@]}")
: >"$fakelog"
"${attenv[@]}" "$ctl" -j attach --pid "${vm3[0]}" --shm "$shm" >"$work/att3.out" 2>"$work/att3.err" &
apid=$!
attached "$work/att3.out"
result cli-attach-pid-registers $? "$(cat "$work/att3.err")"
grep -qx "set_name vm3" "$fakelog" &&
	grep -qx "vcpu_add vcpu=0 tid=${vm3[1]} owner=${vm3[0]}" "$fakelog" &&
	grep -qx "vcpu_add vcpu=1 tid=${vm3[2]} owner=${vm3[0]}" "$fakelog" &&
	grep -qx "vcpu_add vcpu=2 tid=${vm3[3]} owner=${vm3[0]}" "$fakelog" &&
	[[ $(grep -c vcpu_add "$fakelog") == 3 ]]
result cli-attach-pid-threads-by-name $? "$(tr '\n' ';' <"$fakelog")"
grep -qx 'via=pid' "$attrun/9.state" && grep -qx 'qmp=' "$attrun/9.state" &&
	grep -qx "qemu_pid=${vm3[0]}" "$attrun/9.state" && grep -q '"via":"pid"' "$work/att3.out"
result cli-attach-pid-state-via $? "$(tr '\n' ';' <"$attrun/9.state" 2>&1)"
kill -TERM "$apid"
rc=0
wait "$apid" || rc=$?
grep -q '"reason":"stopped by Terminated' "$work/att3.out" && [[ $rc == 0 && ! -e $attrun/9.state ]]
result cli-attach-pid-sigterm $? "rc $rc: $(tail -c 200 "$work/att3.out")"

# --pid of a process without vCPU threads
t cli-attach-pid-no-vcpus 3 "${attenv[@]}" "$ctl" attach --pid "$victim" --shm "$shm"
grep -q "attach: process $victim (sleep) has no thread named \"CPU N/KVM\"" "$work/err"
result cli-attach-pid-no-vcpus-message $? "$(head -c 200 "$work/err")"

for p in "${qemus[@]}" "$victim"; do
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
done
rm -f "$shm"

# --- install -------------------------------------------------------------------
rc=0
make -s -C "$src" install DESTDIR="$work/inst" PREFIX=/usr >"$work/inst.log" 2>&1 || rc=$?
[[ $rc == 0 && -x $work/inst/usr/sbin/pvschedctl && -f $work/inst/usr/share/man/man8/pvschedctl.8 &&
	-f $work/inst/usr/share/bash-completion/completions/pvschedctl ]]
result cli-install $? "$(tail -c 200 "$work/inst.log")"
exit 0
