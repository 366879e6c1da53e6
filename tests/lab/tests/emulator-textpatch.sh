#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Not a test: a probe of the emulator (issue 23), run with
# PVSCHED_EMULATOR_PROBE=1 (e.g. PVSCHED_EMULATOR_PROBE=1 tests/lab/run
# emulator-textpatch); skipped otherwise.  No pvsched module on either
# side: an L2 guest (2 vCPUs) under guest-hotplug's load (flipping loops
# pinned to each CPU, one unpinned, a shell waking every 20 ms) enables and
# disables, PVSCHED_PROBE_ROUNDS times (default 15), the trace events on
# the tracepoints the guest driver hooks.  Each switch patches L2's kernel
# text (static keys) while both its CPUs run that code.  An L2 that resets
# itself here (verdict l2-silent-reset) does so with nothing of ours
# loaded: the evidence behind that signature (tests/lab/README.md).
# lab-timeout: 420
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../l2/guest-lib.sh
. "$PVSCHED_SRC/tests/lab/l2/guest-lib.sh"

[[ ${PVSCHED_EMULATOR_PROBE:-0} == 1 ]] || lab_skip "emulator probe: run with PVSCHED_EMULATOR_PROBE=1"
rounds=${PVSCHED_PROBE_ROUNDS:-15}
guest_need_helpers
[[ ! -e /sys/module/pvsched ]] || lab_fail "pvsched.ko is loaded in L1: this probe runs without it"

lab_l2_start --smp 2 --append "nowatchdog rcupdate.rcu_cpu_stall_suppress=1" g1
lab_l2_wait g1 ready 300
lab_l2_run g1 "$(guest_flip cpu0 0); $(guest_flip cpu1 1); $(guest_flip any -1);" \
	"(while :; do usleep 20000; done) >/dev/null 2>&1 &"

events="irq/irq_handler_entry irq/irq_handler_exit irq/softirq_entry irq/softirq_exit
	irq_vectors/local_timer_entry irq_vectors/local_timer_exit
	irq_vectors/reschedule_entry irq_vectors/reschedule_exit
	irq_vectors/call_function_entry irq_vectors/call_function_exit
	irq_vectors/call_function_single_entry irq_vectors/call_function_single_exit
	sched/sched_switch sched/sched_wakeup sched/sched_wakeup_new"
# switch 0|1: one L2 command that sets every event's enable file
switch() {
	local e cmd=
	for e in $events; do
		cmd+="echo $1 > /sys/kernel/tracing/events/$e/enable; "
	done
	echo "$cmd"
}
for ((r = 1; r <= rounds; r++)); do
	lab_l2_run g1 "$(switch 1)"
	sleep 2
	lab_l2_run g1 "$(switch 0)"
	sleep 2
	lab_log "round $r: events on and off, L2 alive"
done
lab_l2_check_dmesg g1
lab_l2_stop g1
lab_check_dmesg
