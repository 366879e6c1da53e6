#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pvschedctl attach --pid against a real QEMU (L2 under KVM in L1), the way
# libvirt's hook attaches a domain (issue 21): no QMP, the vCPU threads
# found by their names "CPU N/KVM" (lab_l2_start runs QEMU with
# -name NAME,debug-threads=on, as libvirt does).  With 3 vCPUs (-S: the
# threads exist before the guest runs): attach registers exactly the
# threads QMP's query-cpus-fast reports, each with its cpu-index, the
# session takes QEMU's -name, "status -j" shows it attached via pid with
# QEMU's pid and no QMP socket, QMP stays free (attach never connects); the
# session goes on SIGTERM, and when QEMU exits attach exits 0 with it.  A
# process without vCPU threads is refused with a message (exit 3).
# lab-timeout: 420
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"

ctl=$PVSCHEDCTL
[[ -x $ctl ]] || lab_fail "$ctl not built"
lab_load_pvsched

name=attpid
shm=/dev/shm/pvsched-$name
truncate -s 1M "$shm"
lab_l2_start --smp 3 "$name" -S \
	-object "memory-backend-file,id=pvsched,share=on,mem-path=$shm,size=1M" \
	-device ivshmem-plain,memdev=pvsched
qpid=$(lab_l2_pid "$name")
# QMP answers once the machine (and its vCPU threads) exists
expected=$(lab_l2_vcpu_tids "$name" | awk '{ print $1 ":" $2 }' | sort | tr '\n' ' ')
lab_log "QEMU pid $qpid, query-cpus-fast: $expected"
grep -H . /proc/"$qpid"/task/*/comm | sed 's/^/  /'

# attached LOG PID: the attach (PID) writing LOG has said "attached"
attached() {
	grep -q '"event":"attached"' "$1" && return 0
	kill -0 "$2" 2>/dev/null || { cat "$1" >&2; lab_fail "attach --pid exited early"; }
	return 1
}

gone() {
	! kill -0 "$1" 2>/dev/null
}

# check_status APID: status -j shows the VM registered as expected, via pid
check_status() {
	local json=$LAB_OUT/status-$1.json
	"$ctl" -j status >"$json" || lab_fail "status -j failed"
	"$ctl" status
	python3 - "$json" "$name" "$expected" "$1" "$qpid" <<'PY' || lab_fail "status -j does not show $name attached via pid"
import json, sys
d = json.load(open(sys.argv[1]))
name, expected, apid, qpid = sys.argv[2], sys.argv[3].split(), int(sys.argv[4]), int(sys.argv[5])
vm, = [v for v in d["vms"] if v["name"] == name]
got = sorted("%d:%d" % (c["vcpu_id"], c["tid"]) for c in vm["vcpus"])
print("status: vcpus", got, "expected", sorted(expected), "attach", vm["attach"])
assert got == sorted(expected), "vcpus differ"
assert vm["pid"] == apid, vm["pid"]
a = vm["attach"]
assert a["via"] == "pid" and a["qmp"] == "" and a["qemu_pid"] == qpid and a["pid"] == apid, a
PY
	"$ctl" status | grep -q "^  attach: pid $1, via pid, qemu pid $qpid, shm $shm, 3 slots\$" ||
		lab_fail "plain status does not say via pid"
}

# 1. attach --pid (no --name: QEMU's -name), then SIGTERM
"$ctl" -j attach --pid "$qpid" --shm "$shm" >"$LAB_OUT/attach-1.log" 2>&1 &
apid=$!
lab_wait_until 60 attached "$LAB_OUT/attach-1.log" "$apid" || lab_fail "attach --pid did not report within 60 s"
cat "$LAB_OUT/attach-1.log"
grep -q '"via":"pid"' "$LAB_OUT/attach-1.log" || lab_fail "attached line without via pid"
grep -q '"resumed":false' "$LAB_OUT/attach-1.log" || lab_fail "attach --pid must not resume (no QMP)"
lab_assert_eq "$(od -A n -t x4 -N 4 "$shm" | tr -d ' ')" 48435650 "region magic while attached"
check_status "$apid"
# attach never took QMP: it answers, and the VM is still stopped
lab_l2_qmp "$name" query-status | grep -q '"status": *"prelaunch"' || lab_fail "QMP busy or VM resumed"
kill -TERM "$apid"
rc=0
wait "$apid" || rc=$?
lab_assert_eq "$rc" 0 "attach --pid exit status after SIGTERM"
lab_assert_eq "$("$ctl" -j status | python3 -c 'import json, sys; print(json.load(sys.stdin)["module"]["nr_vcpus"])')" 0 \
	"vCPUs registered after SIGTERM"
lab_assert_eq "$(od -A n -t x4 -N 4 "$shm" | tr -d ' ')" 00000000 "region magic after detach"

# 2. again with --name and --params, then QEMU exits: attach exits 0
"$ctl" attach --pid "$qpid" --shm "$shm" --name "$name" --params cs_policy=fifo,cs_prio=3 \
	>"$LAB_OUT/attach-2.log" 2>&1 &
apid=$!
lab_wait_until 60 grep -q '^attached vm' "$LAB_OUT/attach-2.log" || lab_fail "second attach --pid: $(cat "$LAB_OUT/attach-2.log")"
check_status "$apid"
lab_l2_qmp "$name" quit >/dev/null || lab_fail "QMP quit failed"
lab_wait_until 30 gone "$apid" || lab_fail "attach --pid still running 30 s after QEMU exited"
rc=0
wait "$apid" || rc=$?
cat "$LAB_OUT/attach-2.log"
lab_assert_eq "$rc" 0 "attach --pid exit status after QEMU exit"
grep -q "QEMU (pid $qpid) exited; session closed" "$LAB_OUT/attach-2.log" ||
	lab_fail "attach --pid did not report QEMU's exit"
rm -f "$(lab_l2_dir "$name")/pid"

# 3. a process that is no QEMU: refused, nothing registered
sleep 600 &
other=$!
rc=0
"$ctl" attach --pid "$other" --shm "$shm" 2>"$LAB_OUT/not-qemu.err" || rc=$?
kill "$other"
cat "$LAB_OUT/not-qemu.err"
lab_assert_eq "$rc" 3 "attach --pid of a process without vCPU threads"
grep -q "has no thread named \"CPU N/KVM\"" "$LAB_OUT/not-qemu.err" || lab_fail "no clear message for a process without vCPU threads"

rm -f "$shm"
lab_assert_eq "$(cat /sys/kernel/debug/pvsched/pinned_pages)" 0 "pinned_pages at the end"
lab_unload_pvsched
lab_check_dmesg
