#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest driver end to end with the host side (issue 5 acceptance 1, 2, 3):
# pvsched.ko on L1, one L2 guest (2 vCPUs) with an ivshmem-plain region set
# up by "pvschedctl attach".  The guest driver binds and negotiates (ACTIVE
# and the accepted features in the region, the VM in "pvschedctl status");
# an idle guest's boosts are reported; guest interrupt activity brings
# critical-section boosts; a SCHED_FIFO 20 busy loop on guest CPU 1 puts
# the vCPU 1 host thread at FIFO 20 while it runs and back after.  Two
# guests at once and killing one: guest-two-vms.  One guest keeps this
# test lighter: nested SVM on TCG fails runs on its own, more often with
# more busy L2 vCPUs (tests/lab/README.md); CI also runs it on the debug
# kernel.
# Skipped until pvsched.ko and "pvschedctl attach" exist (engine, ctl, cli).
# lab-timeout: 600
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../l2/attach-lib.sh
. "$PVSCHED_SRC/tests/lab/l2/attach-lib.sh"

# a guest FIFO 20 task translated 1:1 needs the RT ceiling above 20
attach_begin "${lab_unbounded_caps[@]}"

attach_vms a

# --- idle guest: report what the host boosts for (timer ticks, HALT) ---
cs0=$(vm_counter a boosts_cs) task0=$(vm_counter a boosts_task)
halt0=$(vm_counter a boosts_halt) intr0=$(vm_counter a boosts_intr)
sleep 5
lab_log "idle 5 s, vm-a boosts: cs +$(($(vm_counter a boosts_cs) - cs0)) task +$(($(vm_counter a boosts_task) - task0)) halt +$(($(vm_counter a boosts_halt) - halt0)) intr +$(($(vm_counter a boosts_intr) - intr0))"

# --- guest interrupt activity (virtio 9p reads): critical-section boosts ---
cs0=$(vm_counter a boosts_cs)
lab_l2_run a "head -c 4000000 /host$LAB_L2_KERNEL >/dev/null"
cs1=$(vm_counter a boosts_cs)
lab_log "9p reads in vm-a: critical-section boosts $cs0 -> $cs1"
lab_expect -gt "$cs1" "$cs0" "no critical-section boost from guest interrupt activity"
task0=$(vm_counter a boosts_task)

# --- RT task in guest a, CPU 1: the vCPU 1 thread goes real-time ---
tid=$(lab_l2_vcpu_tids a | awk '$1 == 1 { print $2 }')
[[ -n $tid ]] || lab_fail "no vCPU 1 thread id for a"
# The test on L1 CPU 0, the vCPU 1 thread on CPU 1: a check that shares a
# CPU with that thread runs only while the thread is not at FIFO 20 there,
# and then never sees it (2026-12-07, 6.12-rt: 3 of 9 runs failed so while
# the trace had the thread at FIFO 20 for 20-70 % of each quarter second).
taskset -p -c 0 $$ >/dev/null || lab_fail "cannot pin the test to L1 CPU 0"
taskset -p -c 1 "$tid" >/dev/null || lab_fail "cannot pin vCPU 1 thread $tid to L1 CPU 1"
# vcpu1_sched: the thread's policy and priority on one line; a thread
# that is gone fails the test (naming an L2 that reset itself), not errexit
vcpu1_sched() {
	local out
	out=$(chrt -p "$tid" 2>&1) || lab_fail "vCPU 1 thread $tid of a is gone: $out"
	tr '\n' ' ' <<<"$out"
}
base=$(vcpu1_sched)
lab_log "vCPU 1 of a (tid $tid) before: $base"
tr=/sys/kernel/tracing
# vCPU 1's events only, in a buffer that holds the whole step: both
# vCPUs' boosts overwrote 28,000 events of a 1.4 MB buffer in 30 s
echo 8192 >"$tr/buffer_size_kb" || true
for ev in pvsched_boost pvsched_apply; do
	echo "tid == $tid" >"$tr/events/pvsched/$ev/filter" || lab_fail "cannot filter $ev by tid"
	echo 1 >"$tr/events/pvsched/$ev/enable" || lab_fail "no $ev trace event"
done
: >"$tr/trace"
lab_l2_run a "(date +%s.%N; $GUEST_BIN/guest-rt 1 fifo 20 4; echo \"exit \$?\"; date +%s.%N) >/tmp/guest-rt.log 2>&1 &"
# boosts for critical sections and interrupts use FIFO 3 (--params), so
# FIFO 20 can only come from the guest's FIFO 20 request, translated 1:1
# (below the max_rt_prio cap of lab_unbounded_caps, 49)
rt_seen=
lab_wait_sched "$tid" 30 "1 20" && rt_seen=1
cur=$(vcpu1_sched)
lab_log "vCPU 1 of a while the guest RT task runs: ${rt_seen:+at FIFO 20 at sample $lab_samples; now }$cur"
# fifo20_explain: what the guest asked for and what the host did, for a
# FIFO 20 that never came
fifo20_explain() {
	local ev
	lab_log "slot 1 of a: $(guest_region slot "$(guest_region_file a)" 1 2>&1 | tr '\n' ' ')"
	lab_log "guest-rt in L2 (pid; start, exit, end; now): $(__lab_l2_run a 'pidof guest-rt; cat /tmp/guest-rt.log; date +%s.%N' 2>&1 | tr '\n' ' ')"
	lab_log "vCPU threads of a: $(lab_l1_thread_states "$(lab_l2_pid a)")"
	cat "$tr/trace" >"$LAB_OUT/trace-rt.txt" 2>/dev/null || true
	ev=$(grep -c "tid=$tid" "$LAB_OUT/trace-rt.txt" || true)
	lab_log "$ev trace events for tid $tid (trace-rt.txt), the last: $(grep "tid=$tid" "$LAB_OUT/trace-rt.txt" | tail -n 3 | tr -s ' ' | tr '\n' ';')"
	"$PVSCHEDCTL" status >"$LAB_OUT/status-fifo20.txt" 2>&1 || true
}
[[ -n $rt_seen ]] || fifo20_explain
[[ -n $rt_seen ]] || lab_fail "vCPU 1 thread never at SCHED_FIFO 20 while the guest FIFO 20 task ran"
lab_assert guest_wait_slot a 1 sched_policy 0 600
# back from the task request: base, or a FIFO 3 critical-section/HALT boost
vcpu1_not_at_prio20() { [[ $(vcpu1_sched) != *"priority: 20"* ]]; }
back=
lab_wait_until 30 vcpu1_not_at_prio20 && back=1
cur=$(vcpu1_sched)
lab_log "vCPU 1 of a after the RT task: $cur (base: $base)"
[[ -n $back ]] || lab_fail "vCPU 1 thread still at priority 20 after the guest RT task ended"
echo 0 >"$tr/events/pvsched/enable"
for ev in pvsched_boost pvsched_apply; do echo 0 >"$tr/events/pvsched/$ev/filter"; done
grep -E "pvsched_(boost|apply):" "$tr/trace" >"$LAB_OUT/trace-rt.txt" || true
boost_ev=$(grep -c -E "pvsched_boost: .* tid=$tid reason=task_prio old=.* new=1/20/" "$LAB_OUT/trace-rt.txt" || true)
apply_ev=$(grep -c -E "pvsched_apply: .* tid=$tid .* attr=1/20/-?[0-9]+ ret=0" "$LAB_OUT/trace-rt.txt" || true)
lab_log "trace events for vCPU 1 at FIFO 20: pvsched_boost (task_prio) $boost_ev, pvsched_apply $apply_ev"
lab_expect -gt "$boost_ev" 0 "no pvsched_boost task_prio event to FIFO 20 for tid $tid (see trace-rt.txt)"
lab_expect -gt "$apply_ev" 0 "no pvsched_apply event at FIFO 20 for tid $tid (see trace-rt.txt)"
task1=$(vm_counter a boosts_task)
lab_log "task-priority boosts of vm-a: $task0 -> $task1"
lab_expect -gt "$task1" "$task0" "no task-priority boost counted for the guest RT task"

attach_finish a
lab_unload_pvsched
lab_check_dmesg
