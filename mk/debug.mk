# SPDX-License-Identifier: GPL-2.0
#
# The lab on a debug kernel (lockdep, DEBUG_ATOMIC_SLEEP, KASAN): see
# docs/debug-kernel.md.
#
#   make debug-kernel    build build/debug-kernel/ from linux-source-6.1 (~11 min
#                        on 2 idle cores; reused while its config is unchanged)
#   make check-debug     debug kernel + modules built against it + lab tests
#                        on it; results in build/results/lab-debug.log
#                        (names prefixed "debug:"), timings in
#                        build/lab-debug/timings.txt
#   make check-debug DEBUG_LAB_TESTS="smoke policy-basic"   a subset
#                        (DEBUG_LAB_TESTS=all: every lab test)
#
# "make check" runs check-debug only when PVSCHED_DEBUG_KERNEL=1, or when CI
# is set (unless PVSCHED_DEBUG_KERNEL=0).

.PHONY: debug-kernel check-debug lab-prereqs

# Hook for userspace programs lab tests need (built before L1 boots); other
# fragments may add prerequisites to it.
lab-prereqs:

debug-kernel:
	@$(TOP)/scripts/setup --debug-kernel
	@$(TOP)/scripts/debug-kernel

check-debug:
	@$(TOP)/scripts/setup --debug-kernel >/dev/null || \
		echo "check-debug: scripts/setup --debug-kernel failed"
	@$(MAKE) --no-print-directory all lab-prereqs || \
		echo "check-debug: the normal build failed; the lab tests will record failures"
	-@DEBUG_LAB_TESTS="$(DEBUG_LAB_TESTS)" $(TOP)/scripts/check-debug

ifeq ($(PVSCHED_DEBUG_KERNEL),1)
CHECK_SUITES += check-debug
else ifneq ($(CI),)
ifneq ($(PVSCHED_DEBUG_KERNEL),0)
CHECK_SUITES += check-debug
endif
endif

# The hostile-guest VMM for the hostile-* lab tests (tests/hostile/).
HOSTILE_BIN := $(BUILD)/hostile/pvsched-hostile
.PHONY: hostile-tool
hostile-tool: $(HOSTILE_BIN)
lab-prereqs: hostile-tool
$(HOSTILE_BIN): $(TOP)/tests/hostile/pvsched-hostile.c $(TOP)/uapi/linux/pvsched.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -Wextra -Werror -pthread -o $@ $<
