#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The posted-interrupt boost on a real vCPU (issue 19).  With APICv or AVIC,
# KVM delivers an interrupt to a vCPU that is not in guest mode by calling
# kvm_vcpu_wake_up(), which wakes nothing for a thread that is runnable but
# preempted; pvsched's kprobe on it (PVSCHED_EV_WAKE) boosts such a vCPU.
# The lab's emulated SVM has no AVIC and KVM never calls the function there
# (docs/design.md), so a test module (tests/engine/wakemod, built by
# engine-posted.pre) makes the call KVM would make, on a vCPU of the test
# VMM (tests/vmm/pvsched-vmm), through a descriptor of its vCPU file:
#  - the vCPU halted (blocked in KVM, not preempted): the calls wake it
#    (kvm_vcpu_wake_up() returns true) and pvsched counts no posted wake,
#    nothing else in the lab calls the function either (stats wakes 0, or
#    at most the calls that saw the thread preempted);
#  - the vCPU spinning in the guest, its thread sharing L1 CPU 1 with two
#    CPU hogs (preempted most of the time), a call each time the module sees
#    KVM's vcpu->preempted set: pvsched counts them (wakes, at least half
#    of the calls and never more), boosts the vCPU (kick_boosts, boosts
#    intr; trace pvsched_kick boosted=1 and pvsched_boost reason=intr for
#    its thread) and its worker applies the interrupt boost (pvsched_apply
#    deferred attr=2/8/0);
#  - then MSIs from the VMM (KVM_SIGNAL_MSI) to a vCPU beside the same
#    hogs: on SVM without AVIC they take KVM's kick path, so kicks and kick
#    boosts are counted and no posted wake.
# lab-timeout: 300
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../../vmm/lab-helpers.sh
. "$PVSCHED_SRC/tests/vmm/lab-helpers.sh"

KO=$LAB_DIR/wakemod/pvsched_wake_test.ko
WAKE=/sys/kernel/debug/pvsched_wake_test/wake
[[ -f $KO ]] || lab_fail "$KO not built (engine-posted.pre)"

vmm=
cleanup() {
	lab_hogs_stop
	[[ -n $vmm ]] && kill -TERM "$vmm" 2>/dev/null
	wait 2>/dev/null || true
	rmmod pvsched_wake_test 2>/dev/null || true
}
trap cleanup EXIT

# its worker applies the default boost of the caps before the host-wide
# bound, rr/8 (lab_unbounded_caps), checked in the trace below
lab_load_pvsched "${lab_unbounded_caps[@]}"
insmod "$KO" || lab_fail "insmod $KO failed"
info=$("$VMM" --info) || lab_fail "pvsched-vmm --info failed"
tp=$(sed -n 's/.* tp_events=\(0x[0-9a-f]*\).*/\1/p' <<<"$info")
[[ -n $tp ]] || lab_fail "no tp_events in pvsched-vmm --info: $info"
lab_log "pvsched events attached: $tp"
lab_expect -ne $((tp & 0x40)) 0 "no kprobe on kvm_vcpu_wake_up (PVSCHED_EV_WAKE missing from tp_events $tp)"

# wake_calls PID CALLS GAP_MS MODE: the test module calls
# kvm_vcpu_wake_up() on vCPU 0 of the VMM PID (pidfd_getfd(2) on its
# "anon_inode:kvm-vcpu:0" descriptor); prints its result line.
wake_calls() {
	python3 - "$@" "$WAKE" <<'PY'
import ctypes, os, sys

pid, calls, gap, mode, path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
target = None
for n in os.listdir("/proc/%d/fd" % pid):
    try:
        if os.readlink("/proc/%d/fd/%s" % (pid, n)) == "anon_inode:kvm-vcpu:0":
            target = int(n)
    except OSError:
        pass
if target is None:
    sys.exit("no kvm-vcpu:0 descriptor in process %d" % pid)
libc = ctypes.CDLL(None, use_errno=True)
SYS_pidfd_getfd = 438
fd = libc.syscall(SYS_pidfd_getfd, os.pidfd_open(pid), target, 0)
if fd < 0:
    sys.exit("pidfd_getfd: " + os.strerror(ctypes.get_errno()))
w = os.open(path, os.O_RDWR)
os.write(w, ("%d %s %s %s" % (fd, calls, gap, mode)).encode())
os.lseek(w, 0, os.SEEK_SET)
print(os.read(w, 256).decode().strip())
PY
}

# field LINE KEY: KEY's value in a "key=value ..." line.
field() {
	tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"
}

# --- a halted vCPU: woken, not a posted wake ------------------------------------
L=$LAB_OUT/halted.log
"$VMM" --cpu 1 --name halted --iters 20 --period-us 500000 halt >"$L" 2>&1 &
vmm=$!
wait_line "$L" '^phase vcpu=0 phase=halt'
res=$(wake_calls "$vmm" 20 10 any) || lab_fail "the test module's calls failed"
lab_log "halted vCPU: $res"
wait "$vmm" || lab_fail "pvsched-vmm halt failed (see halted.log)"
vmm=
wakes=$(kv "$L" '^stats vcpu=0 at=end' wakes)
lab_log "halted vCPU: posted wakes counted $wakes"
lab_assert_eq "$(field "$res" calls)" 20 "calls made on the halted vCPU"
lab_expect -ge "$(field "$res" woke)" 10 "kvm_vcpu_wake_up() woke the halted vCPU only $(field "$res" woke) times in 20"
lab_expect -le "$wakes" "$(field "$res" preempted)" "posted wakes counted for a vCPU that was not preempted"

# --- a preempted vCPU: boosted ----------------------------------------------------
L=$LAB_OUT/preempted.log
"$VMM" --cpu 1 --name preempted --cs-flags 0 --sample-us 1000 cs-forever >"$L" 2>&1 &
vmm=$!
wait_line "$L" '^phase vcpu=0 phase=cs'
tid=$(kv "$L" '^vcpu vcpu=0' tid)
lab_hogs 1 2
lab_log "vCPU thread $tid on CPU 1 beside hogs ${lab_hog_pids[*]}"
sleep 1
snaps=0
# stats KEY...: the vCPU's counters now (the VMM's GET_STATS at SIGUSR1).
stats() {
	local k out=()
	snaps=$((snaps + 1))
	kill -USR1 "$vmm"
	wait_count "$L" '^snapshot-done' "$snaps"
	for k in "$@"; do
		out+=("$(kv "$L" '^stats vcpu=0 at=signal' "$k")")
	done
	echo "${out[*]}"
}
s=$(stats wakes kick_boosts boost_intr)
read -r w0 k0 b0 <<<"$s"
trace_start
res=$(wake_calls "$vmm" 10 50 preempted) || lab_fail "the test module's calls failed"
s=$(stats wakes kick_boosts boost_intr)
read -r w1 k1 b1 <<<"$s"
trace_stop posted
kill -TERM "$vmm"
wait "$vmm" || lab_fail "pvsched-vmm cs-forever failed (see preempted.log)"
vmm=
calls=$(field "$res" calls)
lab_log "preempted vCPU: $res; wakes $w0 -> $w1, kick_boosts $k0 -> $k1, boosts intr $b0 -> $b1"
lab_assert_eq "$(field "$res" timeout)" 0 "the module timed out waiting for the vCPU thread to be preempted"
lab_assert_eq "$(field "$res" preempted)" "$calls" "calls made while the vCPU thread was preempted"
lab_expect -ge "$calls" 5 "too few calls"
lab_expect -ge $(((w1 - w0) * 2)) "$calls" "posted wakes counted for fewer than half the calls on a preempted vCPU"
lab_expect -le $((w1 - w0)) "$calls" "more posted wakes than calls (something else calls kvm_vcpu_wake_up)"
lab_expect -gt $((k1 - k0)) 0 "no boost from a posted wake (kick_boosts)"
lab_expect -gt $((b1 - b0)) 0 "no interrupt boost from a posted wake (boosts intr)"
kick=$(trace_count posted pvsched_kick "tid=$tid preempted boosted=1")
boost=$(trace_count posted pvsched_boost "tid=$tid $(reason_re intr)")
apply=$(trace_count posted pvsched_apply "tid=$tid deferred .* attr=2/8/0 ret=0")
lab_log "trace: pvsched_kick boosted=1 $kick, pvsched_boost intr $boost, pvsched_apply deferred rr/8 $apply"
lab_expect -gt "$kick" 0 "no pvsched_kick boosted=1 for tid $tid (see posted.trace)"
lab_expect -gt "$boost" 0 "no pvsched_boost reason=intr for tid $tid (see posted.trace)"
lab_expect -gt "$apply" 0 "the worker never applied rr/8 to tid $tid (see posted.trace)"

# --- MSIs from the VMM (KVM_SIGNAL_MSI) to the same kind of vCPU -----------------
# On SVM without AVIC they take KVM's kick path, never kvm_vcpu_wake_up():
# the kick boost, no posted wake (docs/design.md, "userspace-delivered").
L=$LAB_OUT/msi.log
"$VMM" --cpu 1 --name msi --iters 100 --period-us 20000 --ms 200 inject >"$L" 2>&1 ||
	lab_fail "pvsched-vmm inject failed (see msi.log)"
lab_hogs_stop
kicks=$(kv "$L" '^stats vcpu=0 at=end' kicks)
kb=$(kv "$L" '^stats vcpu=0 at=end' kick_boosts)
wakes=$(kv "$L" '^stats vcpu=0 at=end' wakes)
lab_log "MSIs to a vCPU beside two hogs: kicks $kicks, kick_boosts $kb, posted wakes $wakes"
lab_expect -gt "$kicks" 0 "no kick counted for MSIs to a preempted vCPU"
lab_expect -gt "$kb" 0 "no kick boost for MSIs to a preempted vCPU"
lab_assert_eq "$wakes" 0 "posted wakes on SVM without AVIC"

rmmod pvsched_wake_test || lab_fail "rmmod pvsched_wake_test failed"
lab_unload_pvsched
lab_check_dmesg
