#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every /dev/pvsched ioctl's success path and each documented error
# (tests/ioctl/pvsched-ioctl-test.c, TAP), including callers without
# CAP_SYS_NICE, as a 64-bit and (if built) a 32-bit program for the compat
# path; then the module unloads with nothing pinned.
# lab-timeout: 300
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"

prog=$PVSCHED_SRC/build/ctl/pvsched-ioctl-test
[[ -x $prog ]] || lab_fail "$prog not built (make ctl-tests)"

lab_load_pvsched
rc=0
"$prog" | tee "$LAB_OUT/ioctl-test.tap" || rc=$?
grep -a '^not ok' "$LAB_OUT/ioctl-test.tap" || true
lab_expect '==' "$rc" 0 "pvsched-ioctl-test exited with $rc"

# The same test as a 32-bit program (compat_ioctl), where it was built.
prog32=$PVSCHED_SRC/build/ctl/pvsched-ioctl-test32
if [[ -x $prog32 ]]; then
	rc=0
	"$prog32" | tee "$LAB_OUT/ioctl-test32.tap" || rc=$?
	grep -a '^not ok' "$LAB_OUT/ioctl-test32.tap" || true
	lab_expect '==' "$rc" 0 "pvsched-ioctl-test32 (compat) exited with $rc"
else
	lab_log "no 32-bit build of the test (gcc-multilib missing): compat path not tested"
fi

pinned=$(cat /sys/kernel/debug/pvsched/pinned_pages)
lab_assert_eq "$pinned" 0 "pinned_pages after the test"
lab_unload_pvsched
lab_check_dmesg
