#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Harness self-test for the PREEMPT_RT debug kernel (make check-debug
# DEBUG_FLAVOUR=rt): loads pvsched_dbgtest.ko mode=rtlock, which takes a
# spinlock_t under a raw spinlock with IRQs off; on PREEMPT_RT spinlock_t
# sleeps, so "BUG: sleeping function called from invalid context at
# kernel/locking/spinlock_rt.c".  Passes only if the harness's dmesg scan
# fails the run; scripts/check-debug also checks that the reported line
# comes from the RT spinlock.  Skips on a kernel without PREEMPT_RT (which
# reports nothing) and on any kernel the self-test module was not built for
# (PVSCHED_DBGTEST_KO unset).
# lab-expect: kernel-fail
# lab-timeout: 120
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"

[[ -n ${PVSCHED_DBGTEST_KO:-} && -f $PVSCHED_DBGTEST_KO ]] ||
	lab_skip "debug-kernel self-test: PVSCHED_DBGTEST_KO not set (run by make check-debug only)"
# init/Makefile puts PREEMPT_RT into the version string of an RT kernel.
uname -v | grep -q -w PREEMPT_RT ||
	lab_skip "not a PREEMPT_RT kernel ($(uname -v)): a spinlock_t does not sleep here"
insmod "$PVSCHED_DBGTEST_KO" mode=rtlock || lab_log "insmod returned $?"
sleep 1
dmesg | grep -a -m1 -e 'invalid context at kernel/locking/spinlock_rt.c' ||
	lab_fail "no 'sleeping function called from invalid context at kernel/locking/spinlock_rt.c' in dmesg"
