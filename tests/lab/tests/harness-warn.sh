#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Harness self-test: a module that WARNs on load must make the harness fail
# the test through its kernel-log scan (with panic_on_warn=1 the WARN also
# panics L1, so no exit code comes back).  "lab-expect: kernel-fail" turns
# exactly that outcome into PASS and anything else into FAIL.
# lab-expect: kernel-fail
# lab-timeout: 120
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"

lab_log "loading lab_warn.ko (WARNs in its init)"
insmod "$LAB_DIR/warnmod/lab_warn.ko" || true
# Only reached without panic_on_warn: the dmesg scan must still fail us.
exit 0
