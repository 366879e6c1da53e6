#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every /dev/pvsched ioctl's success path and each documented error
# (tests/ioctl/pvsched-ioctl-test.c, TAP), including callers without
# CAP_SYS_NICE; then the module unloads with nothing pinned.
# lab-timeout: 300
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"

prog=$PVSCHED_SRC/build/ctl/pvsched-ioctl-test
[[ -x $prog ]] || lab_fail "$prog not built (make ctl-tests)"

lab_load_pvsched
rc=0
"$prog" | tee "$LAB_OUT/ioctl-test.tap" || rc=$?
grep -a '^not ok' "$LAB_OUT/ioctl-test.tap" || true
[[ $rc == 0 ]] || lab_fail "pvsched-ioctl-test exited with $rc"

pinned=$(cat /sys/kernel/debug/pvsched/pinned_pages)
lab_assert_eq "$pinned" 0 "pinned_pages after the test"
lab_unload_pvsched
lab_check_dmesg
