# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for the hostile-* lab tests (tests/lab/tests/hostile-*.sh), sourced
# after tests/lab/lib.sh inside L1.  The hostile guests are played by
# build/hostile/pvsched-hostile (tests/hostile/pvsched-hostile.c, built on
# the build machine by "make hostile-tool", a prerequisite of lab-prereqs
# and of each test's .pre step).

HOSTILE=${PVSCHED_HOSTILE:-$PVSCHED_SRC/build/hostile/pvsched-hostile}

# Admin caps every hostile test loads pvsched.ko with: the guests ask for
# far more (FIFO 99, nice -20, SCHED_DEADLINE...) and must never get it.
HOSTILE_CAPS=(max_policy=rr max_rt_prio=10 min_nice=-5)
# Session params within those caps (pvsched-hostile -p).
# shellcheck disable=SC2034 # used by the tests
HOSTILE_PARAMS=rr:10:-5

# hostile_setup: check the tool, load pvsched.ko with HOSTILE_CAPS.
hostile_setup() {
	[[ -x $HOSTILE ]] || lab_fail "$HOSTILE missing (make hostile-tool)"
	[[ -c /dev/kvm ]] || lab_fail "/dev/kvm missing"
	lab_load_pvsched "${HOSTILE_CAPS[@]}"
}

# hostile_val FILE KEY: the value of KEY=VALUE in pvsched-hostile output.
hostile_val() {
	local v
	v=$(grep -a -o -E "(^| )$2=[^ ]*" "$1" | head -n1 | sed 's/^ //')
	[[ -n $v ]] || lab_fail "no $2= in $1"
	echo "${v#*=}"
}

# hostile_run NAME ARGS...: run pvsched-hostile, output in $LAB_OUT/NAME.out;
# fails the test if it exits non-zero (a cap violation or an error).
hostile_run() {
	local name=$1 rc=0
	shift
	"$HOSTILE" "$@" >"$LAB_OUT/$name.out" 2>&1 || rc=$?
	hostile_check "$name" "$rc"
}

# hostile_check NAME RC: fail on a non-zero status or a cap violation.
hostile_check() {
	local name=$1 rc=$2 out=$LAB_OUT/$1.out
	if [[ $rc != 0 ]]; then
		tail -n 40 "$out" >&2
		lab_fail "pvsched-hostile ($name) exited with $rc"
	fi
	lab_assert_eq "$(hostile_val "$out" violations)" 0 "$name: cap violations"
	lab_log "$name: no cap violation in $(hostile_val "$out" vcpu0.samples) samples of vCPU 0 (max rt prio $(hostile_val "$out" vcpu0.max_rt_prio), min nice $(hostile_val "$out" vcpu0.min_nice))"
}

# hostile_sum FILE STAT: sum of stat.vcpuN.STAT over all vCPUs.
hostile_sum() {
	grep -a -E "^stat\.vcpu[0-9]+\.$2=" "$1" | awk -F= '{ s += $2 } END { printf "%.0f\n", s }'
}

# hostile_cpu_ticks PID: utime + stime of PID in clock ticks.
hostile_cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}
