#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest driver, issue 5 acceptance 2 and 3 (driver side, seen from L1 in
# the shared region, no host module needed): a SCHED_FIFO 20 busy loop on
# guest CPU 1 publishes policy 1 / rt_prio 20 in slot 1 while it runs and
# SCHED_NORMAL after; SCHED_RR and nice are published 1:1; guest
# interrupt activity (virtio 9p reads, timer) counts hard-IRQ and softirq
# critical sections; an NMI injected with QMP is bracketed (counted, the
# NMI bit is clear afterwards); an idle guest's flags are mostly clear.
# lab-timeout: 900
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../l2/guest-lib.sh
. "$PVSCHED_SRC/tests/lab/l2/guest-lib.sh"

guest_need_module
guest_need_helpers
guest_make_region pv 2
pv=$(guest_region_file pv)
# shellcheck disable=SC2046 # word splitting wanted
lab_l2_start --smp 2 g1 $(guest_ivshmem_args pv 0x10)
lab_l2_wait g1 ready 300
lab_l2_run g1 /lab-l2/load-guest-module --one-cpu
lab_assert guest_wait_state pv 1

# sum of one column of the debugfs counters over all CPUs
counter() {
	lab_l2_run g1 cat "$GUEST_DBG/counters" |
		awk -v c="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next } { s += $k } END { printf "%.0f\n", s }'
}

lab_log "idle guest, slot 0 flags: $(guest_region sample "$pv" 0 20000)"

# A task running alone on CPU 1 at POLICY PRIO for 10 s: while it runs its
# request shows in slot 1 (one consistent snapshot); once it has exited
# the slot is back to SCHED_NORMAL nice 0.  (RT throttling lets CFS run
# 5 % of the time, so a single read may catch that instead: we poll.)
# task_request LABEL CPU POLICY PRIO KEY=VALUE...
task_request() {
	local label=$1 cpu=$2 policy=$3 prio=$4 pid
	shift 4
	lab_l2_run g1 "$GUEST_BIN/guest-rt $cpu $policy $prio 10" &
	pid=$!
	lab_assert guest_wait_fields pv "$cpu" 300 "$@"
	lab_log "$label running: $(guest_region brief "$pv")"
	wait "$pid" || lab_fail "guest-rt $cpu $policy $prio failed"
	lab_assert guest_wait_fields pv "$cpu" 300 sched_policy=0 sched_nice=0 rt_prio=0
	lab_log "$label gone: $(guest_region brief "$pv")"
}
task_request "FIFO 20 task on CPU 1" 1 fifo 20 sched_policy=1 rt_prio=20
task_request "RR 7 task on CPU 0" 0 rr 7 sched_policy=2 rt_prio=7
task_request "nice -7 task on CPU 1" 1 other -7 sched_policy=0 sched_nice=-7

# --- interrupts: virtio (9p reads) and timer ---
hard0=$(counter hardirqs)
soft0=$(counter softirqs)
lab_l2_run g1 "cat /host/boot/vmlinuz-* /host/usr/bin/python3* >/dev/null" &
reader=$!
lab_log "guest reading over 9p, slot 0 flags: $(guest_region sample "$pv" 0 20000)"
lab_log "guest reading over 9p, slot 1 flags: $(guest_region sample "$pv" 1 20000)"
wait "$reader" || lab_fail "reading files in L2 failed"
hard1=$(counter hardirqs)
soft1=$(counter softirqs)
lab_log "hard IRQs $hard0 -> $hard1, softirqs $soft0 -> $soft1"
lab_expect -gt "$hard1" $((hard0 + 10)) "hard-IRQ sections not counted ($hard0 -> $hard1)"
lab_expect -gt "$soft1" $((soft0 + 10)) "softirq sections not counted ($soft0 -> $soft1)"
lab_l2_run g1 grep -E "'virtio|LOC'" /proc/interrupts

# --- NMI ---
nmi0=$(counter nmis)
lab_l2_qmp g1 inject-nmi >/dev/null
sleep 2
nmi1=$(counter nmis)
lab_log "NMIs $nmi0 -> $nmi1"
lab_expect -gt "$nmi1" "$nmi0" "injected NMI not seen ($nmi0 -> $nmi1)"
for i in 0 1; do
	f=$(guest_slot pv $i flags)
	lab_expect -eq $((f & 4)) 0 "slot $i: NMI bit still set after the NMI (flags $f)"
done
lab_l2_run g1 cat "$GUEST_DBG/counters"
unmatched=$(counter unmatched)
lab_log "exits without a seen entry: $unmatched (probe registration window only)"

lab_l2_run g1 rmmod pvsched_guest
lab_assert_eq "$(guest_hdr pv guest_state)" 3 "guest_state after rmmod"
lab_l2_check_dmesg g1
lab_l2_stop g1
lab_check_dmesg
