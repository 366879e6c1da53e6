# SPDX-License-Identifier: GPL-2.0
#
# The lab on a debug kernel (lockdep, DEBUG_ATOMIC_SLEEP, KASAN): see
# docs/debug-kernel.md.
#
#   make debug-kernel    build /var/cache/pvsched/debug-kernel/ from
#                        linux-source-6.1 (~22 min on 2 idle cores; every
#                        clone reuses it while its config is unchanged)
#   make check-debug     debug kernel + modules built against it + lab tests
#                        on it; results in build/results/lab-debug.log
#                        (names prefixed "debug:"), timings in
#                        build/lab-debug/timings.txt
#   make check-debug DEBUG_LAB_TESTS="smoke policy-basic"   a subset
#                        (DEBUG_LAB_TESTS=all: every lab test)
#   DEBUG_FLAVOUR=rt     either target on the PREEMPT_RT debug kernel (6.12,
#                        lockdep, no KASAN): /var/cache/pvsched/debug-kernel-rt/,
#                        build/results/lab-debug-rt.log ("debug-rt:"),
#                        build/lab-debug-rt/
#
# "make check" runs check-debug only when PVSCHED_DEBUG_KERNEL=1 (CI too:
# set it in .ci/run once the debug kernel's build and lab times are measured
# within the CI budget; see docs/debug-kernel.md).

.PHONY: debug-kernel check-debug lab-prereqs

# default or rt (scripts/debug-kernel); scripts/setup's option for it.
DEBUG_FLAVOUR ?= default
DEBUG_SETUP_OPT := --debug-kernel$(if $(filter-out default,$(DEBUG_FLAVOUR)),-$(DEBUG_FLAVOUR))

# Hook for userspace programs lab tests need (built before L1 boots); other
# fragments may add prerequisites to it.
lab-prereqs:

debug-kernel:
	@$(TOP)/scripts/setup $(DEBUG_SETUP_OPT)
	@$(TOP)/scripts/debug-kernel --flavour "$(DEBUG_FLAVOUR)"

# Builds the modules and the lab tests' userspace programs first, whichever
# fragments define them (recipes expand after every fragment is read); a
# build failure is reported and the lab still runs (tests record FAIL).
check-debug:
	@$(TOP)/scripts/setup $(DEBUG_SETUP_OPT) >/dev/null || \
		echo "check-debug: scripts/setup $(DEBUG_SETUP_OPT) failed"
	@$(MAKE) --no-print-directory -k all lab-prereqs $(HOSTILE_BIN) $(VMM_BIN) $(CTL_PROGS) || \
		echo "check-debug: part of the normal build failed; the lab tests will record failures"
	-@DEBUG_LAB_TESTS="$(DEBUG_LAB_TESTS)" DEBUG_FLAVOUR="$(DEBUG_FLAVOUR)" \
		$(TOP)/scripts/check-debug

ifeq ($(PVSCHED_DEBUG_KERNEL),1)
CHECK_SUITES_LAST += check-debug
endif

# The hostile-guest VMM for the hostile-* lab tests (tests/hostile/).
HOSTILE_BIN := $(BUILD)/hostile/pvsched-hostile
.PHONY: hostile-tool
hostile-tool: $(HOSTILE_BIN)
lab-prereqs: hostile-tool
lab lab-one check-lab: hostile-tool
$(HOSTILE_BIN): $(TOP)/tests/hostile/pvsched-hostile.c \
		$(TOP)/tests/include/pvsched-test.h $(TOP)/uapi/linux/pvsched.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -Wextra -Werror -pthread -o $@ $<
