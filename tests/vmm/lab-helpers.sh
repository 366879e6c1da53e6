# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for the lab tests that drive tests/vmm/pvsched-vmm
# (tests/lab/tests/policy-*.sh, bench-exit-cost.sh).  Source after
# tests/lab/lib.sh.  The VMM prints one "key=value" record per line; see
# the head of tests/vmm/pvsched-vmm.c.

VMM=$PVSCHED_SRC/tests/vmm/pvsched-vmm
[[ -x $VMM ]] || lab_fail "$VMM not built (make vmm)"
TRACEFS=/sys/kernel/tracing
PVPARAM=/sys/module/pvsched/parameters

# vmm_run NAME ARGS...: run the VMM to completion, output in
# $LAB_OUT/NAME.log (also shown); fails the test unless it exits 0.
vmm_run() {
	local name=$1 rc=0
	shift
	lab_log "pvsched-vmm $*"
	"$VMM" "$@" >"$LAB_OUT/$name.log" 2>&1 || rc=$?
	sed "s/^/    [$name] /" "$LAB_OUT/$name.log"
	[[ $rc == 0 ]] || lab_fail "$name: pvsched-vmm $* exited with $rc"
}

# kv FILE LINE-REGEX KEY: KEY's value on the last line of FILE matching
# LINE-REGEX (empty if none).
kv() {
	grep -E -- "$2" "$1" | tail -n1 | tr ' ' '\n' | sed -n "s/^$3=//p" | head -n1
}

# sampled FILE VCPU PHASE ATTR: how many sched_getattr samples of the vCPU
# thread in PHASE showed ATTR (e.g. rr/8); 0 if none.
sampled() {
	local v
	v=$(grep -E "^sample vcpu=$2 phase=$3 " "$1" | tr ' ' '\n' | sed -n "s|^$4=||p" | head -n1)
	echo "${v:-0}"
}

# assert_ge NAME VALUE MIN
assert_ge() {
	[[ -n $2 && $2 -ge $3 ]] || lab_fail "$1 is '${2}', want >= $3"
	lab_log "ok: $1 = $2 (>= $3)"
}

# assert_eq NAME VALUE WANT
assert_eq() {
	[[ "$2" == "$3" ]] || lab_fail "$1 is '$2', want '$3'"
	lab_log "ok: $1 = $2"
}

# trace_start: record the pvsched: events from now on (clears the buffer).
trace_start() {
	[[ -d $TRACEFS/events/pvsched ]] || lab_fail "no $TRACEFS/events/pvsched (module tracepoints)"
	echo 0 >"$TRACEFS/tracing_on"
	echo 4096 >"$TRACEFS/buffer_size_kb"
	: >"$TRACEFS/trace"
	echo 1 >"$TRACEFS/events/pvsched/enable"
	echo 1 >"$TRACEFS/tracing_on"
}

# trace_stop NAME: stop and save the buffer to $LAB_OUT/NAME.trace.
trace_stop() {
	echo 0 >"$TRACEFS/tracing_on"
	echo 0 >"$TRACEFS/events/pvsched/enable"
	cat "$TRACEFS/trace" >"$LAB_OUT/$1.trace"
	lab_log "trace $1: $(grep -c 'pvsched_' "$LAB_OUT/$1.trace" || true) pvsched events"
}

# trace_count NAME EVENT [FIELD-REGEX]: events EVENT (pvsched_boost, ...)
# in the saved trace whose text also matches FIELD-REGEX.
trace_count() {
	local n
	n=$(grep -E -- " $2: " "$LAB_OUT/$1.trace" | grep -c -E -- "${3:-.}" || true)
	echo "${n:-0}"
}

# param NAME [VALUE]: read or write a pvsched module parameter.
param() {
	if [[ $# == 2 ]]; then
		echo "$2" >"$PVPARAM/$1" || lab_fail "cannot set pvsched parameter $1=$2"
		lab_log "pvsched parameter $1=$(cat "$PVPARAM/$1")"
	else
		cat "$PVPARAM/$1"
	fi
}

# thread_attr TID: "policy/value" as the sampler prints it, from chrt -p
# (independent of the VMM's own sched_getattr).
thread_attr() {
	local out pol prio nice
	out=$(chrt -p "$1") || return 1
	pol=$(sed -n "s/.*scheduling policy: SCHED_\([A-Z]*\).*/\1/p" <<<"$out" | tr 'A-Z' 'a-z')
	prio=$(sed -n "s/.*scheduling priority: \([0-9]*\).*/\1/p" <<<"$out")
	case $pol in
	fifo | rr) echo "$pol/$prio" ;;
	other | batch | idle)
		# nice is field 19 of stat; skip "pid (comm) " first.
		nice=$(sed 's/.*) //' "/proc/$1/stat" | awk '{ print $17 }')
		echo "normal/$nice" ;;
	*) echo "$pol/$prio" ;;
	esac
}

# runtime_ns TID: CPU time of a thread (schedstat, ns).
runtime_ns() {
	awk '{ print $1 }' "/proc/$1/schedstat"
}

# wait_line FILE REGEX [TIMEOUT=30]: wait for a line in a growing file.
wait_line() {
	local i
	for ((i = 0; i < ${3:-30} * 10; i++)); do
		grep -q -E -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$1" >&2 || true
	lab_fail "no line matching '$2' in $1 within ${3:-30}s"
}

# reason_re NAME: a regex for a pvsched trace event's reason field, by name
# (cs, prio, halt, intr) or by its PVSCHED_REASON_* number.
reason_re() {
	local num alt
	case $1 in
	cs) num=0 alt='cs|crit_section|crit|critical_section' ;;
	prio) num=1 alt='prio|task_prio' ;;
	halt) num=2 alt='halt' ;;
	intr) num=3 alt='intr|inject|interrupt' ;;
	*) lab_fail "reason_re: unknown reason $1" ;;
	esac
	echo "reason=($alt|$num)([^0-9A-Za-z_]|\$)"
}

# wait_count FILE REGEX N [TIMEOUT=30]: wait for N lines matching REGEX.
wait_count() {
	local i
	for ((i = 0; i < ${4:-30} * 10; i++)); do
		[[ $(grep -c -E -- "$2" "$1" 2>/dev/null) -ge $3 ]] && return 0
		sleep 0.1
	done
	cat "$1" >&2 || true
	lab_fail "fewer than $3 lines matching '$2' in $1 within ${4:-30}s"
}
