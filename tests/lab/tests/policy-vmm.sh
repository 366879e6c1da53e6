#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The test VMM itself (tests/vmm/pvsched-vmm) on the L1 KVM host, without
# pvsched.ko: every guest program runs to completion, the guest's
# interrupts arrive, the guest area words it writes land in the slot, and
# the exit loop reports a plausible exit rate.  The policy-* tests build on
# this; if it fails, they cannot mean anything.
# lab-timeout: 240
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"

VMM=$PVSCHED_SRC/tests/vmm/pvsched-vmm
[[ -x $VMM ]] || lab_fail "$VMM not built (make vmm)"

# run NAME ARGS...: run the VMM, keep its output in $LAB_OUT/vmm-NAME.log.
run() {
	local name=$1 rc=0
	shift
	"$VMM" "$@" >"$LAB_OUT/vmm-$name.log" 2>&1 || rc=$?
	sed "s/^/    [$name] /" "$LAB_OUT/vmm-$name.log"
	lab_expect '==' "$rc" 0 "pvsched-vmm $* exited with $rc"
	grep -q '^result=ok' "$LAB_OUT/vmm-$name.log" || lab_fail "pvsched-vmm $*: no result=ok"
}

field() { # field FILE PREFIX-REGEX KEY
	grep -E "$2" "$1" | tail -n1 | tr ' ' '\n' | sed -n "s/^$3=//p"
}

# Without /dev/pvsched, registration is a skip, not a failure.
rc=0
"$VMM" idle >/dev/null 2>&1 || rc=$?
lab_assert_eq "$rc" 77 "pvsched-vmm without /dev/pvsched"

run idle --no-register --ms 100 idle
run halt --no-register --iters 5 --period-us 10000 halt
n=$(field "$LAB_OUT/vmm-halt.log" '^guest vcpu=0' interrupts)
lab_expect -ge "$n" 5 "halt: guest took $n interrupts, want >= 5"
run halt-timer --no-register --iters 5 --period-us 5000 --wake timer halt
run inject --no-register --iters 50 --period-us 1000 --ms 50 inject
n=$(field "$LAB_OUT/vmm-inject.log" '^guest vcpu=0' interrupts)
lab_expect -ge "$n" 1 "inject: guest took no interrupt"
run cs --no-register --ms 100 cs
run prio --no-register --policy fifo --rt-prio 20 --ms 50 prio
run smp --no-register -n 2 --iters 3 --period-us 10000 halt
run exits-pio --no-register --iters 20000 exits
run exits-cpuid --no-register --iters 20000 --exit-kind cpuid exits
for k in pio cpuid; do
	ns=$(field "$LAB_OUT/vmm-exits-$k.log" '^exits vcpu=0' ns_per_exit)
	lab_log "exit loop ($k): $ns ns per exit"
	[[ -n $ns ]] || lab_fail "no ns_per_exit for $k"
done
lab_check_dmesg
