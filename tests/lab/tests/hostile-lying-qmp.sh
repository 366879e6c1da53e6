#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A lying QMP peer, the confused deputy of issue 20 (item 1): a QEMU that
# lies (here tools/pvschedctl/tests/fake-qemu.py, as a guest that took
# QEMU over would) reports as its vCPU threads another user's thread (a
# process of nobody) and another VM's vCPU thread (a real L2 QEMU's, started
# -S, attached honestly first).  "pvschedctl attach" runs as root and must
# register nothing: exit status 3, a message naming the vCPU, the thread,
# whose thread it is and the QMP peer; the other VM's registration
# untouched.  Underneath, pvsched.ko itself: VCPU_ADD with a pidfd of
# process A for a thread of process B is refused with EPERM, so is another
# process's thread without a pidfd, each with its kernel message, while
# the pidfd of the thread's own process is accepted (uapi header, ABI 1.2).
# lab-timeout: 420
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"

ctl=$PVSCHEDCTL
fq=$PVSCHED_SRC/tools/pvschedctl/tests/fake-qemu.py
[[ -x $ctl ]] || lab_fail "$ctl not built"
lab_load_pvsched

pids=()
# Under set -e a failing kill (a process that already exited) would end
# the trap before the other processes are killed.
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
}
trap cleanup EXIT

# gone PID: process PID has exited.
gone() {
	! kill -0 "$1" 2>/dev/null
}

# nr_vcpus: vCPUs registered host-wide (pvschedctl -j status).
nr_vcpus() {
	"$ctl" -j status | python3 -c 'import json, sys; print(json.load(sys.stdin)["module"]["nr_vcpus"])'
}

# fake_qemu NAME ARGS...: a fake QEMU on /run/NAME.sock; q=(PID TID0 TID1)
fake_qemu() {
	local name=$1
	shift
	python3 "$fq" "/run/$name.sock" --ready "/run/$name.ready" "$@" 2>"$LAB_OUT/$name.err" &
	pids+=($!)
	lab_wait_until 30 test -s "/run/$name.ready" || lab_fail "fake QEMU $name did not start"
	read -r -a q <"/run/$name.ready"
}

# Another VM: a real QEMU, 2 vCPUs, stopped (-S), attached honestly.
shmb=/dev/shm/pvsched-vmb
truncate -s 1M "$shmb"
lab_l2_start --smp 2 vmb -S \
	-object "memory-backend-file,id=pvsched,share=on,mem-path=$shmb,size=1M" \
	-device ivshmem-plain,memdev=pvsched
read -r _ vmb_tid0 < <(lab_l2_vcpu_tids vmb | sort -n | head -n 1)
vmb_pid=$(lab_l2_pid vmb)
lab_log "vmb: QEMU pid $vmb_pid, vCPU 0 thread $vmb_tid0 ($(cat "/proc/$vmb_pid/task/$vmb_tid0/comm"))"

# Another user's thread: a process of nobody.
python3 -c 'import os, time; os.setgid(65534); os.setuid(65534); time.sleep(1000)' &
nobody=$!
pids+=("$nobody")
lab_wait_until 10 grep -q '^Uid:[[:space:]]*65534' "/proc/$nobody/status" || lab_fail "no process of nobody"

fake_qemu liar
liar=("${q[@]}")

# --- 1. the module: a pidfd admits only its own process's threads ----------
python3 - "${liar[0]}" "$vmb_pid" "$vmb_tid0" "$nobody" <<'PY' || lab_fail "VCPU_ADD ownership checks"
import ctypes, errno, fcntl, mmap, os, struct, sys

liar, vmb, vmb_tid, nobody = (int(x) for x in sys.argv[1:])
# _IOW(0xB8, 1, struct pvsched_vcpu_add): 32 bytes in ABI 1.2
VCPU_ADD = (1 << 30) | (32 << 16) | (0xB8 << 8) | 1
PIDFD = 1
region = mmap.mmap(-1, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
slot = ctypes.addressof(ctypes.c_char.from_buffer(region)) + 64

def add(fd, vcpu, tid, pidfd=None):
    arg = struct.pack("<IIQIIiI", vcpu, tid, slot + 64 * vcpu,
                      PIDFD if pidfd is not None else 0, 0,
                      pidfd if pidfd is not None else 0, 0)
    try:
        fcntl.ioctl(fd, VCPU_ADD, arg)
        return 0
    except OSError as e:
        return -e.errno

def expect(what, got, want):
    print("%s: %s (expected %s)" % (what, errno.errorcode.get(-got, got),
                                   errno.errorcode.get(-want, want)))
    assert got == want, what

dev = os.open("/dev/pvsched", os.O_RDWR)
liar_fd, vmb_fd = os.pidfd_open(liar), os.pidfd_open(vmb)
expect("pidfd of the liar (A), vCPU thread of vmb's QEMU (B)",
       add(dev, 0, vmb_tid, liar_fd), -errno.EPERM)
expect("pidfd of the liar (A), thread of nobody's process",
       add(dev, 0, nobody, liar_fd), -errno.EPERM)
expect("vmb's vCPU thread without a pidfd", add(dev, 0, vmb_tid), -errno.EPERM)
expect("pidfd of vmb's QEMU, its own vCPU thread", add(dev, 0, vmb_tid, vmb_fd), 0)
os.close(dev)  # unregisters it: vmb is attached below
PY
dmesg | grep -q "pvsched: VCPU_ADD by python3\[[0-9]*\]: thread $vmb_tid0 (CPU 0/KVM) of process $vmb_pid is not in process ${liar[0]} named by the pidfd: refused" ||
	lab_fail "no kernel message for the pidfd of another process"
dmesg | grep -q "pvsched: VCPU_ADD by python3\[[0-9]*\]: thread $vmb_tid0 (CPU 0/KVM) of process $vmb_pid is not the caller's and no pidfd names its VMM" ||
	lab_fail "no kernel message for another process's thread without a pidfd"
lab_assert_eq "$(nr_vcpus)" 0 "vCPUs registered after the ioctl checks"

# --- 2. pvschedctl attach, the deputy ----------------------------------------
"$ctl" -j attach --qmp "$(lab_l2_dir vmb)/qmp.sock" --shm "$shmb" --name vmb \
	>"$LAB_OUT/attach-vmb.log" 2>&1 &
apid=$!
pids+=("$apid")
lab_wait_until 60 grep -q '"event":"attached"' "$LAB_OUT/attach-vmb.log" ||
	lab_fail "vmb not attached: $(cat "$LAB_OUT/attach-vmb.log")"
lab_assert_eq "$(nr_vcpus)" 2 "vmb's vCPUs registered"
"$ctl" -j status >"$LAB_OUT/status-before.json"

shm=/dev/shm/pvsched-liar
truncate -s 1M "$shm"
# lie NAME EXPECTED...: attach to the fake QEMU NAME (started, lying) must
# exit 3, say each EXPECTED text, register nothing.
lie() {
	local name=$1 rc=0 want
	shift
	"$ctl" attach --qmp "/run/$name.sock" --shm "$shm" --name "$name" \
		>"$LAB_OUT/$name.out" 2>"$LAB_OUT/$name.msg" || rc=$?
	cat "$LAB_OUT/$name.msg"
	lab_assert_eq "$rc" 3 "$name: attach's exit status"
	for want in "$@"; do
		grep -qF -- "$want" "$LAB_OUT/$name.msg" || lab_fail "$name: attach did not say '$want'"
	done
	lab_assert_eq "$(nr_vcpus)" 2 "$name: vCPUs registered host-wide (vmb's only)"
}

# its own vCPU 0, and as vCPU 1 a thread of nobody's process
fake_qemu other-user --report "0:self0,1:$nobody"
lie other-user \
	"attach: vCPU 1: thread $nobody is not a thread of the QMP peer (pid ${q[0]}, python3)" \
	"thread $nobody is the main thread of process $nobody (python3) of user 65534" \
	"refusing to register any vCPU"
# its own vCPU 0, and as vCPU 1 the vCPU 0 thread of vmb (registered)
fake_qemu other-vm --report "0:self0,1:$vmb_tid0"
lie other-vm \
	"attach: vCPU 1: thread $vmb_tid0 is not a thread of the QMP peer (pid ${q[0]}, python3)" \
	"thread $vmb_tid0 (CPU 0/KVM) belongs to process $vmb_pid (qemu-system-x86) of user 0" \
	"refusing to register any vCPU"

# vmb's registration is what it was: same vCPUs, same threads, same session
"$ctl" -j status >"$LAB_OUT/status-after.json"
python3 - "$LAB_OUT/status-before.json" "$LAB_OUT/status-after.json" <<'PY' || lab_fail "vmb's registration changed"
import json, sys
def vms(path):
    return {v["id"]: (v["name"], sorted((c["vcpu_id"], c["tid"]) for c in v["vcpus"]))
            for v in json.load(open(path))["vms"] if v["vcpus"]}
before, after = vms(sys.argv[1]), vms(sys.argv[2])
print("registered before:", before, "after:", after)
assert before == after and len(after) == 1, (before, after)
PY

kill -TERM "$apid"
wait "$apid" || lab_fail "attach of vmb exited $?"
lab_l2_qmp vmb quit >/dev/null 2>&1 || true
lab_wait_until 30 gone "$vmb_pid" || lab_fail "vmb's QEMU did not quit"
rm -f "$(lab_l2_dir vmb)/pid" "$shm" "$shmb"
lab_assert_eq "$(nr_vcpus)" 0 "vCPUs registered at the end"
lab_unload_pvsched
lab_check_dmesg
