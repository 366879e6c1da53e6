#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pvschedctl attach against a real QEMU (L2 under KVM in L1), issue 4
# acceptance 4: with 1 and with 4 vCPUs, attach registers every vCPU thread
# that QMP query-cpus-fast reports, "pvschedctl status -j" shows them (and
# the --params given), the region header carries the magic, QMP is free
# again for others; the session disappears (nothing pinned) when attach
# gets SIGTERM and when QEMU exits, and attach then exits 0.  The 4-vCPU VM
# is started with -S: attach must resume it; QMP quit ends it.  With the
# guest driver built, the 1-vCPU guest loads it and status must show the
# negotiated features (issue 5, acceptance 1).
# lab-timeout: 900
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"

ctl=$PVSCHEDCTL
[[ -x $ctl ]] || lab_fail "$ctl not built"
lab_load_pvsched

# region_magic SHM: the header's magic as hex.
region_magic() {
	od -A n -t x4 -N 4 "$1" | tr -d ' '
}

# json_attached LOG PID: LOG has the "attached" JSON line of attach; fails
# the test if attach (PID) has exited without it.
json_attached() {
	grep -q '"event":"attached"' "$1" 2>/dev/null && return 0
	kill -0 "$2" 2>/dev/null || { cat "$1" "$1.err" >&2; lab_fail "attach exited early"; }
	return 1
}

# wait_attached LOG PID: wait for the "attached" JSON line of attach.
wait_attached() {
	lab_wait_until 60 json_attached "$1" "$2" || lab_fail "attach did not report within 60 s"
}

# check_registered NAME EXPECTED_TIDS ATTACH_PID: status -j lists VM NAME
# with exactly these vCPU thread ids (cpu-index:tid pairs).
check_registered() {
	local name=$1 expected=$2 apid=$3 json
	json=$LAB_OUT/status-$name.json
	"$ctl" -j status >"$json" || lab_fail "status -j failed ($?)"
	python3 -m json.tool "$json" >/dev/null || lab_fail "status -j is not JSON"
	python3 - "$json" "$name" "$expected" "$apid" <<'PY' || lab_fail "status -j does not show $name as expected"
import json, sys
d = json.load(open(sys.argv[1]))
name, expected, apid = sys.argv[2], sys.argv[3].split(), int(sys.argv[4])
vms = [v for v in d["vms"] if v.get("name") == name]
assert len(vms) == 1, "vm %s: %d entries" % (name, len(vms))
vm = vms[0]
got = sorted("%d:%d" % (c["vcpu_id"], c["tid"]) for c in vm["vcpus"])
print("status: vm", vm["id"], name, "vcpus", got, "expected", sorted(expected))
assert got == sorted(expected), "vcpus differ"
assert vm["nr_vcpus"] == len(expected)
assert vm["pid"] == apid, "session pid %s != attach pid %d" % (vm["pid"], apid)
assert vm["cs"]["policy"] == "fifo" and vm["cs"]["prio"] == 3, vm["cs"]
assert vm["attach"] and vm["attach"]["pid"] == apid, vm["attach"]
assert vm["guest"]["state"] in ("none", "active", "refused", "stopped"), vm["guest"]
for c in vm["vcpus"]:
    assert c["state"] in ("idle", "boosted", "throttled"), c
PY
}

check_gone() {
	local name=$1 json
	json=$LAB_OUT/status-$name-after.json
	"$ctl" -j status >"$json" || lab_fail "status -j failed after detach"
	python3 - "$json" "$name" <<'PY' || lab_fail "session of $name still listed after detach"
import json, sys
d = json.load(open(sys.argv[1]))
assert not [v for v in d["vms"] if v.get("name") == sys.argv[2]], d["vms"]
assert d["module"]["nr_vcpus"] == 0 and d["module"]["pinned_pages"] == 0, d["module"]
PY
	[[ -z $(ls /run/pvsched/ 2>/dev/null) ]] || lab_fail "state file left: $(ls /run/pvsched)"
}

# guest_active JSON NAME: "status -j", saved in JSON, shows NAME's guest
# active.
guest_active() {
	"$ctl" -j status >"$1" || return 1
	python3 -c '
import json, sys
vm = [v for v in json.load(open(sys.argv[1]))["vms"] if v["name"] == sys.argv[2]][0]
sys.exit(vm["guest"]["state"] != "active")' "$1" "$2"
}

# check_guest NAME ATTACH_LOG: load the guest driver in L2; attach logs the
# negotiation and status shows the guest's accepted features (issue 5,
# acceptance 1).
check_guest() {
	local name=$1 log=$2 json=$LAB_OUT/status-$1-guest.json
	lab_l2_run "$name" /lab-l2/load-guest-module --one-cpu
	# the check below reads the last status saved in $json
	lab_wait_until 60 guest_active "$json" "$name" || true
	"$ctl" status
	python3 - "$json" "$name" <<'PY' || lab_fail "status does not show the guest's accepted features"
import json, sys
vm = [v for v in json.load(open(sys.argv[1]))["vms"] if v["name"] == sys.argv[2]][0]
g = vm["guest"]
print("guest:", g)
assert g["live"] and g["state"] == "active" and g["abi_major"] == 1, g
assert g["accepted"] == g["offered"] & 63 and g["accepted"] != 0, g
assert g["ignored"] == 0 and g["generation"] >= 1, g
PY
	lab_wait_until 20 grep -q 'guest active, ABI 1' "$log" ||
		lab_fail "attach did not log the guest's negotiation"
}

# plain_attached LOG PID: LOG has the "attached vm" line of a plain-output
# attach; fails the test if attach (PID) has exited without it.
plain_attached() {
	grep -q '^attached vm' "$1" && return 0
	kill -0 "$2" 2>/dev/null || { cat "$1" >&2; lab_fail "second attach exited early"; }
	return 1
}

# pid_gone PID: process PID is gone.
pid_gone() {
	! kill -0 "$1" 2>/dev/null
}

# run_one SMP EXTRA...: one VM, attach, checks, SIGTERM, re-attach, QEMU exit.
run_one() {
	local smp=$1 name=att$1 shm dir expected nr apid rc
	shift
	shm=/dev/shm/pvsched-$name
	lab_l2_start --smp "$smp" "$name" \
		-object "memory-backend-file,id=pvsched,share=on,mem-path=$shm,size=1M" \
		-device ivshmem-plain,memdev=pvsched "$@"
	dir=$(lab_l2_dir "$name")
	expected=$(lab_l2_vcpu_tids "$name" | awk '{ print $1 ":" $2 }' | tr '\n' ' ')
	lab_log "query-cpus-fast: $expected"
	nr=$(wc -w <<<"$expected")
	lab_expect '==' "$nr" "$smp" "QMP reports $nr vCPUs, expected $smp"

	# 1. attach, then SIGTERM: the session goes, QEMU keeps running
	"$ctl" -j attach --qmp "$dir/qmp.sock" --shm "$shm" --name "$name" \
		--params cs_policy=fifo,cs_prio=3 >"$LAB_OUT/$name-1.log" 2>"$LAB_OUT/$name-1.log.err" &
	apid=$!
	wait_attached "$LAB_OUT/$name-1.log" "$apid"
	cat "$LAB_OUT/$name-1.log"
	if [[ " $* " == *" -S "* ]]; then
		grep -q '"resumed":true' "$LAB_OUT/$name-1.log" || lab_fail "attach did not resume the -S VM"
		lab_l2_qmp "$name" query-status | grep -q '"running": *true' || lab_fail "VM not running after attach"
	fi
	lab_assert_eq "$(region_magic "$shm")" 48435650 "region magic while attached"
	check_registered "$name" "$expected" "$apid"
	"$ctl" status
	# QMP is free for other clients while attach watches QEMU
	lab_l2_vcpu_tids "$name" >/dev/null || lab_fail "QMP not usable while attached"
	# trace: kvm events of this VM's vCPU threads, one JSON object a line
	"$ctl" -j trace --kvm --duration 3 >"$LAB_OUT/$name-trace.json" ||
		lab_fail "trace exited $?"
	python3 - "$LAB_OUT/$name-trace.json" "$expected" <<'PY' || lab_fail "trace -j: no kvm events of the vCPU threads"
import json, sys
tids = set(int(x.split(":")[1]) for x in sys.argv[2].split())
n = {}
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("pid") in tids:
        n[e["event"]] = n.get(e["event"], 0) + 1
print("trace: events of the vCPU threads:", n)
assert n.get("kvm_entry", 0) + n.get("kvm_exit", 0) > 0
PY
	ls /sys/kernel/tracing/instances/ | grep -q pvschedctl && lab_fail "trace left its instance behind"
	kill -TERM "$apid"
	rc=0
	wait "$apid" || rc=$?
	lab_assert_eq "$rc" 0 "attach exit status after SIGTERM"
	grep -q '"event":"detached"' "$LAB_OUT/$name-1.log" || lab_fail "no detached line after SIGTERM"
	lab_assert_eq "$(region_magic "$shm")" 00000000 "region magic after detach"
	check_gone "$name"
	kill -0 "$(lab_l2_pid "$name")" || lab_fail "QEMU died with attach"

	# 2. attach again (plain output), then QEMU exits: attach exits 0
	"$ctl" attach --qmp "$dir/qmp.sock" --shm "$shm" --params cs_policy=fifo,cs_prio=3 \
		--name "$name" >"$LAB_OUT/$name-2.log" 2>&1 &
	apid=$!
	lab_wait_until 60 plain_attached "$LAB_OUT/$name-2.log" "$apid" || true
	cat "$LAB_OUT/$name-2.log"
	check_registered "$name" "$expected" "$apid"
	if [[ $smp == 1 ]]; then
		# the guest boots, binds the driver, then powers off
		lab_l2_wait "$name" ready 180
		[[ -f $PVSCHED_GUEST_KO ]] && check_guest "$name" "$LAB_OUT/$name-2.log"
	else
		# QMP is free: quit QEMU from there (no need to wait for the boot)
		lab_l2_qmp "$name" quit >/dev/null || lab_fail "QMP quit failed"
	fi
	lab_l2_stop "$name" 60
	rc=0
	lab_wait_until 30 pid_gone "$apid" || lab_fail "attach still running 30 s after QEMU exited"
	wait "$apid" || rc=$?
	cat "$LAB_OUT/$name-2.log"
	lab_assert_eq "$rc" 0 "attach exit status after QEMU exit"
	grep -q 'QEMU (pid [0-9]*) exited; session closed' "$LAB_OUT/$name-2.log" ||
		lab_fail "attach did not report QEMU's exit"
	check_gone "$name"
	rm -f "$shm"
}

run_one 1
run_one 4 -S

# A region too small for the vCPUs is refused with a clear message (exit 3).
lab_l2_start --smp 2 small -S \
	-object "memory-backend-file,id=pvsched,share=on,mem-path=/dev/shm/small,size=4K" \
	-device ivshmem-plain,memdev=pvsched
# ivshmem needs a power-of-two size >= 4K; shrink the file behind QEMU's back
truncate -s 100 /dev/shm/small
rc=0
"$ctl" attach --qmp "$(lab_l2_dir small)/qmp.sock" --shm /dev/shm/small 2>"$LAB_OUT/small.err" || rc=$?
cat "$LAB_OUT/small.err"
lab_assert_eq "$rc" 3 "attach exit status for a small region"
grep -q 'too small for 2 vCPU slots' "$LAB_OUT/small.err" || lab_fail "no clear message for a small region"
lab_l2_qmp small quit >/dev/null 2>&1 || true
sleep 1
rm -f "$(lab_l2_dir small)/qemu.pid"

lab_assert_eq "$(cat /sys/kernel/debug/pvsched/pinned_pages)" 0 "pinned_pages at the end"
lab_unload_pvsched
lab_check_dmesg
