#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pvsched's libvirt hook with a real libvirtd in L1 (issue 21): the lab's L2
# guest (2 vCPUs, guest driver) as a libvirt domain with a pvsched shmem
# device and <pvsched:params> in its metadata.  A domain whose metadata has
# an unknown key does not start, with the hook's reason.  "virsh define" +
# "virsh start": the hook attaches the domain ("pvschedctl attach --pid",
# detached, not libvirtd's child) with the metadata's params; the guest's
# SCHED_FIFO 20 task shows as its vCPU thread's priority on the host.
# Restarting libvirtd while the domain runs keeps the session (same attach,
# same session).  An attach killed while the domain runs returns every
# vCPU thread to its base; the next libvirtd start ("reconnect") attaches
# the domain again.  "virsh destroy": the attach and the session are gone,
# nothing pinned, no thread left off its base.  L1 has no systemd: this is
# the hook's double-fork path (the systemd one: tools/libvirt/tests/hook-test).
# lab-timeout: 900
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../l2/guest-lib.sh
. "$PVSCHED_SRC/tests/lab/l2/guest-lib.sh"
# shellcheck source=../l2/libvirt-lib.sh
. "$PVSCHED_SRC/tests/lab/l2/libvirt-lib.sh"

libvirt_need
guest_need_module
guest_need_helpers
trap 'guest_save_logs; libvirt_save_logs' EXIT
hook=$PVSCHED_SRC/tools/libvirt/pvsched-hook
dom=lv
shm=/dev/shm/pvsched-$dom
params="cs_policy='fifo' cs_prio='5' intr_policy='fifo' intr_prio='5'"

# The guest's FIFO 20 task mapped 1:1 (the default RT ceiling, 4, would
# show it as FIFO 4): the caps before the host-wide bound.
lab_load_pvsched "${lab_unbounded_caps[@]}"
libvirt_setup

# session NAME: "VM_ID ATTACH_PID QEMU_PID CPU:TID..." of session NAME in
# "pvschedctl -j status" (saved in $LAB_OUT/status.json), with the params
# the metadata asked for; status 1 if there is none, 2 if it differs.
session() {
	"$PVSCHEDCTL" -j status >"$LAB_OUT/status.json" || return 1
	python3 - "$LAB_OUT/status.json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
vms = [v for v in d["vms"] if v.get("name") == sys.argv[2]]
if not vms:
    sys.exit(1)
vm = vms[0]
if len(vms) != 1 or vm["cs"]["policy"] != "fifo" or vm["cs"]["prio"] != 5 \
        or vm["intr"]["policy"] != "fifo" or vm["intr"]["prio"] != 5 or not vm["attach"]:
    print("session %s: %d entries, first %s" % (sys.argv[2], len(vms), vm), file=sys.stderr)
    sys.exit(2)
print(vm["id"], vm["attach"]["pid"], vm["attach"]["qemu_pid"],
      " ".join("%d:%d" % (c["vcpu_id"], c["tid"]) for c in sorted(vm["vcpus"], key=lambda c: c["vcpu_id"])))
PY
}
has_session() { session "$1" >/dev/null 2>&1; }
no_session() {
	local rc=0
	session "$1" >/dev/null 2>&1 || rc=$?
	[[ $rc == 1 ]]
}
attach_pid() { awk '{ print $1 }' "$LIBVIRT_STATE/$dom.pid" 2>/dev/null; }
# stat_field PID N: field N (3 = state, 19 = nice) of /proc/PID/stat,
# counted after the command name, which may hold spaces ("CPU 1/KVM").
stat_field() {
	local st rest
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	rest=${st##*) }
	read -r -a sf <<<"$rest"
	echo "${sf[$2 - 3]}"
}
pid_gone() { [[ ! -e /proc/$1 || $(stat_field "$1" 3) == Z ]]; }
# at_base TID...: each thread is gone or SCHED_OTHER at nice 0 (the vCPU
# threads' base: libvirt starts QEMU with no scheduling settings here).
at_base() {
	local t
	for t in "$@"; do
		pid_gone "$t" && continue
		[[ $(chrt -p "$t" | tr '\n' ' ') == *SCHED_OTHER*"priority: 0"* ]] || return 1
		[[ $(stat_field "$t" 19) == 0 ]] || return 1
	done
}
# new_attach: the hook's pid file names a live attach other than $apid.
new_attach() {
	local p
	p=$(attach_pid)
	[[ -n $p && $p != "$apid" ]] && ! pid_gone "$p"
}
two_vcpus_listed() { [[ $(libvirt_vcpu_tids "$dom" | wc -l) == 2 ]]; }
# check_session EXPECTED_ATTACH_PID: the session of $dom has both vCPU
# threads by name, QEMU's pid from libvirt, that attach; prints its VM id.
check_session() {
	local s qpid tids
	s=$(session "$dom") || lab_fail "no pvsched session for $dom (rc $?); hook log: $(cat "$LIBVIRT_HOOK_LOG")"
	# Once, in a CI run, right after libvirtd's restart this listed no
	# vCPU thread while QEMU's pid read fine a moment before: wait until
	# libvirt's pid file and QEMU's thread names give both vCPUs, and say
	# what they held if they never do.
	lab_wait_until 20 two_vcpus_listed ||
		lab_fail "libvirt's view of $dom never named 2 vCPU threads: pid file '$(cat "/run/libvirt/qemu/$dom.pid" 2>&1)', threads: $(cat /proc/"$(cat "/run/libvirt/qemu/$dom.pid" 2>/dev/null)"/task/*/comm 2>&1 | tr '\n' ' ')"
	qpid=$(cat "/run/libvirt/qemu/$dom.pid")
	tids=$(libvirt_vcpu_tids "$dom" | awk '{ print $1 ":" $2 }' | tr '\n' ' ')
	lab_log "session: $s (libvirt: QEMU pid $qpid, vCPU threads $tids)"
	read -r -a f <<<"$s"
	lab_assert_eq "${f[1]}" "$1" "attach pid of $dom's session"
	lab_assert_eq "${f[2]}" "$qpid" "QEMU pid of $dom's session"
	lab_assert_eq "${f[*]:3}" "${tids% }" "vCPU threads of $dom's session (CPU:TID)"
	lab_expect -eq "$(wc -w <<<"$tids")" 2 "vCPU threads named CPU N/KVM"
	vm_id=${f[0]}
}

# --- a bad <pvsched:params> stops the start, with the hook's reason ---------
libvirt_prepare_l2 bad
libvirt_domain_xml bad 1 pvsched-bad "frob='1'" >"$LAB_OUT/bad.xml"
"${libvirt_virsh[@]}" define "$LAB_OUT/bad.xml" || lab_fail "virsh define bad failed"
rc=0
"${libvirt_virsh[@]}" start bad >"$LAB_OUT/bad-start.out" 2>&1 || rc=$?
cat "$LAB_OUT/bad-start.out"
lab_expect -ne "$rc" 0 "virsh start of a domain with <pvsched:params frob='1'>"
grep -q "pvsched: domain bad: <pvsched:params>: unknown attribute frob" "$LAB_OUT/bad-start.out" ||
	lab_fail "virsh start did not report the hook's reason"
lab_assert_eq "$("${libvirt_virsh[@]}" domstate bad | head -n1)" "shut off" "state of domain bad"
"${libvirt_virsh[@]}" undefine bad >/dev/null

# --- define + start: attached by the hook -------------------------------------
libvirt_prepare_l2 "$dom"
libvirt_domain_xml "$dom" 2 "pvsched-$dom" "$params" >"$LAB_OUT/$dom.xml"
"${libvirt_virsh[@]}" define "$LAB_OUT/$dom.xml" || lab_fail "virsh define $dom failed"
# libvirt keeps the metadata: the hook reads the same settings back
"${libvirt_virsh[@]}" dumpxml "$dom" >"$LAB_OUT/$dom-defined.xml"
plan=$(python3 "$hook" --check "$LAB_OUT/$dom-defined.xml") || lab_fail "hook --check on virsh dumpxml failed"
lab_log "$plan"
lab_assert_eq "$plan" "domain $dom: pvschedctl attach --pid QEMU_PID --shm $shm --name $dom --params cs_policy=fifo,cs_prio=5,intr_policy=fifo,intr_prio=5" \
	"the hook's plan for the defined domain"

t0=$(date +%s)
"${libvirt_virsh[@]}" start "$dom" || lab_fail "virsh start $dom failed"
lab_log "virsh start $dom took $(($(date +%s) - t0)) s"
libvirt_adopt_l2 "$dom"
lab_wait_until 60 libvirt_hook_logged "domain $dom: attach pid [0-9]+:" ||
	lab_fail "the hook did not attach $dom: $(cat "$LIBVIRT_HOOK_LOG" 2>/dev/null)"
apid=$(attach_pid)
lab_wait_until 60 has_session "$dom" || lab_fail "no session for $dom; attach log: $(cat "$LIBVIRT_STATE/$dom.log")"
check_session "$apid"
tr '\0' ' ' <"/proc/$apid/cmdline" | grep -q -- "attach --pid $(cat "/run/libvirt/qemu/$dom.pid") --shm $shm --name $dom" ||
	lab_fail "attach's command line: $(tr '\0' ' ' <"/proc/$apid/cmdline")"
# its own process: neither libvirtd's child nor in its session
lpid=$(cat "$libvirt_pidfile")
lab_expect -ne "$(stat_field "$apid" 4)" "$lpid" "attach's parent"
lab_expect -ne "$(ps -o sid= -p "$apid" | tr -d ' ')" "$(ps -o sid= -p "$lpid" | tr -d ' ')" "attach's session id"
lab_assert_eq "$(od -A n -t x4 -N 4 "$shm" | tr -d ' ')" 48435650 "region magic in $shm"
first_vm=$vm_id

# --- the guest's RT task shows on its vCPU thread --------------------------------
lab_l2_wait "$dom" ready 300
lab_l2_run "$dom" /lab-l2/load-guest-module --one-cpu
guest_active() {
	"$PVSCHEDCTL" -j status | python3 -c '
import json, sys
vm = [v for v in json.load(sys.stdin)["vms"] if v["name"] == sys.argv[1]][0]
sys.exit(vm["guest"]["state"] != "active")' "$dom"
}
lab_wait_until 60 guest_active || lab_fail "the guest driver is not active in $dom's session"
tid=$(libvirt_vcpu_tids "$dom" | awk '$1 == 1 { print $2 }')
lab_log "vCPU 1 of $dom (tid $tid) before: $(chrt -p "$tid" | tr '\n' ' ')"
lab_l2_run "$dom" "$GUEST_BIN/guest-rt 1 fifo 20 4 >/dev/null 2>&1 &"
# boosts for critical sections and interrupts are FIFO 5 (the metadata):
# FIFO 20 can only be the guest task's own request
vcpu1_at_fifo20() { [[ $(chrt -p "$tid" | tr '\n' ' ') == *SCHED_FIFO*"priority: 20"* ]]; }
lab_wait_until 30 vcpu1_at_fifo20 || lab_fail "vCPU 1 thread never at SCHED_FIFO 20 while the guest's FIFO 20 task ran: $(chrt -p "$tid" | tr '\n' ' ')"
lab_log "vCPU 1 of $dom while the guest's RT task runs: $(chrt -p "$tid" | tr '\n' ' ')"
vcpu1_not_at_20() { [[ $(chrt -p "$tid" | tr '\n' ' ') != *"priority: 20"* ]]; }
lab_wait_until 30 vcpu1_not_at_20 || lab_fail "vCPU 1 thread still at priority 20 after the guest's RT task ended"

# --- libvirtd restarts while the domain runs: the session stays -------------------
libvirt_stop
has_session "$dom" || lab_fail "the session went with libvirtd"
libvirt_start
lab_wait_until 120 libvirt_hook_logged "domain $dom: attach \\(pid $apid\\) still runs: session kept" ||
	lab_fail "no reconnect of $dom kept attach $apid: $(cat "$LIBVIRT_HOOK_LOG")"
lab_assert_eq "$("${libvirt_virsh[@]}" domstate "$dom" | head -n1)" running "state of $dom after the restart"
check_session "$apid"
lab_assert_eq "$vm_id" "$first_vm" "session id after libvirtd's restart"
lab_l2_run "$dom" true
guest_active || lab_fail "the guest is not active after libvirtd's restart"

# --- attach killed while the domain runs: threads at base; reconnect attaches ------
mapfile -t tids < <(libvirt_vcpu_tids "$dom" | awk '{ print $2 }')
kill -TERM "$apid"
lab_wait_until 30 pid_gone "$apid" || lab_fail "attach $apid still there 30 s after SIGTERM"
lab_wait_until 30 no_session "$dom" || lab_fail "session of $dom still there after its attach ended"
lab_wait_until 10 at_base "${tids[@]}" || lab_fail "vCPU threads not at their base after the session ended: $(for t in "${tids[@]}"; do chrt -p "$t"; done | tr '\n' ' ')"
lab_log "attach $apid ended: session gone, vCPU threads ${tids[*]} at their base"
libvirt_stop
libvirt_start
lab_wait_until 120 new_attach || lab_fail "reconnect did not attach $dom again: $(cat "$LIBVIRT_HOOK_LOG")"
apid=$(attach_pid)
lab_wait_until 60 has_session "$dom" || lab_fail "no session for $dom after reconnect; attach log: $(cat "$LIBVIRT_STATE/$dom.log")"
check_session "$apid"
lab_l2_check_dmesg "$dom"

# --- virsh destroy: attach and session gone, nothing left off its base ------------
mapfile -t tids < <(libvirt_vcpu_tids "$dom" | awk '{ print $2 }')
qpid=$(cat "/run/libvirt/qemu/$dom.pid")
"${libvirt_virsh[@]}" destroy "$dom" || lab_fail "virsh destroy $dom failed"
lab_wait_until 30 pid_gone "$qpid" || lab_fail "QEMU $qpid still there after virsh destroy"
lab_wait_until 30 pid_gone "$apid" || lab_fail "attach $apid still there after virsh destroy"
lab_wait_until 30 no_session "$dom" || lab_fail "session of $dom still there after virsh destroy"
at_base "${tids[@]}" || lab_fail "a vCPU thread outlived QEMU off its base"
python3 - "$LAB_OUT/status.json" <<'PY' || lab_fail "the module still holds vCPUs or pages after virsh destroy"
import json, sys
m = json.load(open(sys.argv[1]))["module"]
print("module after destroy:", m)
assert m["nr_vcpus"] == 0 and m["pinned_pages"] == 0 and not json.load(open(sys.argv[1]))["vms"]
PY
lab_assert_eq "$(ls /run/pvsched/ 2>/dev/null)" "" "attach state files left in /run/pvsched"
[[ ! -e $LIBVIRT_STATE/$dom.pid ]] || lab_fail "$LIBVIRT_STATE/$dom.pid left after release"
rm -f "$(lab_l2_dir "$dom")/pid"
cp "$(lab_l2_dir "$dom")/console.log" "$LAB_OUT/l2-$dom-console.log"

"${libvirt_virsh[@]}" undefine "$dom" >/dev/null
libvirt_stop
lab_assert_eq "$(cat /sys/kernel/debug/pvsched/pinned_pages)" 0 "pinned_pages at the end"
lab_unload_pvsched
lab_check_dmesg
