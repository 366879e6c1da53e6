# SPDX-License-Identifier: GPL-2.0
#
# Guest driver helpers: static programs the guest lab tests and the guest
# overhead benchmark run inside the L2 busybox guest (which sees this
# machine's / at /host).  Built under build/guest/ before any lab run.
#
#   make guest-helpers      build them
#   make bench-guest        guest overhead benchmark (tests/bench/guest-overhead)
#   make check-guest-region the unit test of the region reader the guest lab
#                           tests check slots with (tests/lab/l2/guest-region.py:
#                           a writer paused mid-update, a stalled slot
#                           explained by where the L2's CPUs are): PASS/FAIL
#                           in build/results/guest-region.log

GUEST_HELPERS := $(BUILD)/guest/guest-rt $(BUILD)/guest/guest-overhead-pingpong

CHECK_SUITES += check-guest-region

.PHONY: guest-helpers bench-guest check-guest-region

guest-helpers: $(GUEST_HELPERS)

$(BUILD)/guest/guest-rt: $(TOP)/tests/lab/l2/guest-rt.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -static -o $@ $<

$(BUILD)/guest/guest-overhead-pingpong: $(TOP)/tests/bench/guest-overhead-pingpong.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -static -o $@ $<

# The lab targets (mk/lab.mk, lab-prereqs for the debug lab and a plain
# tests/lab/run) run the guest tests: build the helpers first.
lab lab-one check-lab lab-prereqs: guest-helpers

bench-guest: modules guest-helpers
	$(TOP)/tests/bench/guest-overhead

# py_unit_: mk/wakeup-trace.mk
check-guest-region:
	@$(call py_unit_,guest-region,$(TOP)/tests/lab/test_guest_region.py)
