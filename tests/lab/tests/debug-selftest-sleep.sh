#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Harness self-test for the debug kernel (make check-debug): loads
# pvsched_dbgtest.ko mode=sleep, which triggers might_sleep() with
# preemption off; "BUG: sleeping function called from invalid context".
# Passes only if the harness's dmesg scan fails the run; scripts/check-debug
# also checks that the reported line is the expected kind.  Skips on any
# kernel the self-test module was not built for (PVSCHED_DBGTEST_KO unset).
# lab-expect: kernel-fail
# lab-timeout: 120
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"

[[ -n ${PVSCHED_DBGTEST_KO:-} && -f $PVSCHED_DBGTEST_KO ]] ||
	lab_skip "debug-kernel self-test: PVSCHED_DBGTEST_KO not set (run by make check-debug only)"
insmod "$PVSCHED_DBGTEST_KO" mode=sleep || lab_log "insmod returned $?"
sleep 1
dmesg | grep -a -m1 -e 'sleeping function called from invalid context' ||
	lab_fail "no 'sleeping function called from invalid context' report in dmesg"
