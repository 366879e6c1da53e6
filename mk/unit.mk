# SPDX-License-Identifier: GPL-2.0
#
# Unit tests of the policy core: host/pvsched_policy.c compiled unchanged in
# userspace with ASan/UBSan and gcov (tests/unit/run).
#
#   make unit          run them, details on the terminal
#   make check-unit    the suite for "make check": PASS/FAIL lines (one per
#                      test group, plus unit-coverage: >= 90 % of the lines
#                      of pvsched_policy.c) in build/results/unit.log
#
# check-unit is listed in CHECK_SUITES by the top Makefile.

.PHONY: unit check-unit

unit:
	$(TOP)/tests/unit/run $(BUILD)/unit

check-unit:
	@mkdir -p $(RESULTS)
	-@$(TOP)/tests/unit/run $(BUILD)/unit >> $(RESULTS)/unit.log
