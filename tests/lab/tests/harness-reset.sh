#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Harness self-test: an L1 that resets itself by a triple fault, printing
# nothing of it, must fail its test with the verdict "L1 reset itself", and
# l1-watch must have caught the CPUs stopped at the reset (reset.log).  The
# kernel's "triple" reboot method loads an empty IDT and traps: a genuine
# triple fault, which is how an emulator's failed exception delivery ends.
# "lab-expect: l1-reset" turns exactly that outcome into PASS.
# lab-expect: l1-reset
# lab-timeout: 120
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"

[[ -w /sys/kernel/reboot/type ]] || lab_fail "no /sys/kernel/reboot/type in this kernel"
echo triple >/sys/kernel/reboot/type
lab_log "rebooting by triple fault (sysrq b, reboot type $(cat /sys/kernel/reboot/type))"
# sysrq-b restarts at once: no sync, no reboot notifier, no console line
# after sysrq's own.
echo b >/proc/sysrq-trigger
sleep 30
lab_fail "L1 did not reset"
