#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Not a test: a probe of the emulator (issue 23), run with
# PVSCHED_EMULATOR_PROBE=1 (e.g. PVSCHED_EMULATOR_PROBE=1 tests/lab/run
# emulator-hotplug); skipped otherwise.  No pvsched module on either side:
# an L2 guest (2 vCPUs) under guest-hotplug's CPU-round load (a flipping
# loop pinned to each CPU, CPU 1's ended before it goes down and started
# again once it is back, a shell waking every 20 ms) takes its CPU 1
# offline and back online PVSCHED_PROBE_ROUNDS times (default 150).  Each online is an INIT and a SIPI to
# an L2 vCPU, after which L1's KVM runs it from real mode again: the step
# where guest-hotplug, guest-rt-hold and guest-host met an L2 CPU left at
# L1's own RIP (l2-at-l1-vmrun).  With LAB_KVM_AMD (kvm_amd's parameters,
# e.g. vgif=0) it compares KVM's settings (tests/lab/README.md, "The
# emulator").
# lab-timeout: 900
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../l2/guest-lib.sh
. "$PVSCHED_SRC/tests/lab/l2/guest-lib.sh"

[[ ${PVSCHED_EMULATOR_PROBE:-0} == 1 ]] || lab_skip "emulator probe: run with PVSCHED_EMULATOR_PROBE=1"
rounds=${PVSCHED_PROBE_ROUNDS:-150}
guest_need_helpers
[[ ! -e /sys/module/pvsched ]] || lab_fail "pvsched.ko is loaded in L1: this probe runs without it"
lab_log "kvm_amd: $(grep -H . /sys/module/kvm_amd/parameters/* 2>/dev/null |
	sed 's|.*/||' | tr '\n' ' ')"

# An L2 that resets itself or stops: the KVM recorder keeps what its vCPUs
# did last.
lab_kvm_recorder_start
lab_l2_start --smp 2 --append "nowatchdog rcupdate.rcu_cpu_stall_suppress=1 nokaslr" g1
lab_l2_wait g1 ready 300
lab_l2_run g1 "$(guest_flip cpu0 0); $(guest_flip cpu1 1);" \
	"(while :; do usleep 20000; done) >/dev/null 2>&1 &"
for ((r = 1; r <= rounds; r++)); do
	lab_l2_run g1 "echo 0 > /sys/devices/system/cpu/cpu1/online && $(guest_unflip cpu1)"
	lab_l2_run g1 "echo 1 > /sys/devices/system/cpu/cpu1/online"
	lab_l2_run g1 "$(guest_flip cpu1 1)"
	# CPU 1 runs again: a task pinned there ends (lab_l2_run's deadline
	# and snapshot otherwise)
	out=$(lab_l2_run g1 "taskset -c 1 cat /proc/self/stat")
	cpu=$(awk '{ print $39 }' <<<"$out")
	lab_expect -eq "$cpu" 1 "round $r: the CPU a task pinned to CPU 1 ran on"
	lab_log "round $r: CPU 1 offline, online, running"
done
lab_l2_check_dmesg g1
lab_l2_stop g1
lab_check_dmesg
