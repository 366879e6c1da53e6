#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Harness self-test for the debug kernel (make check-debug): loads
# pvsched_dbgtest.ko mode=lockdep, which triggers an AB-BA spinlock order;
# lockdep must report "possible circular locking dependency". Passes only if
# the harness's dmesg scan fails the run; scripts/check-debug also checks
# that the reported line is the expected kind.  Skips on any kernel the
# self-test module was not built for (PVSCHED_DBGTEST_KO unset).
# lab-expect: kernel-fail
# lab-timeout: 120
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"

[[ -n ${PVSCHED_DBGTEST_KO:-} && -f $PVSCHED_DBGTEST_KO ]] ||
	lab_skip "debug-kernel self-test: PVSCHED_DBGTEST_KO not set (run by make check-debug only)"
insmod "$PVSCHED_DBGTEST_KO" mode=lockdep || lab_log "insmod returned $?"
sleep 1
dmesg | grep -a -m1 -e 'possible circular locking dependency' ||
	lab_fail "no 'possible circular locking dependency' report in dmesg"
