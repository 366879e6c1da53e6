# SPDX-License-Identifier: GPL-2.0
#
# The wake-up trace analysis (tests/bench/wakeup-trace.py): where a vCPU's
# wake-up time goes, from an ftrace capture of a benchmark run
# (BENCH_TRACE=SECONDS make bench; docs/benchmarks.md).
#
#   make check-wakeup-trace  its unit test on a hand-made trace: PASS/FAIL
#                            in build/results/wakeup-trace.log
#   make wakeup-table        the Markdown table of the last traced run
#                            (build/lab/bench-latency/out/bench/trace/)
#
# And the CPU breakdown (tests/lab/cpu-breakdown.py, on the same parser):
# where one host CPU's time goes, per thread, at RT and fair, per host-share
# window, from the trace hostile-host-share records inside L1.
#
#   make check-cpu-breakdown its unit test on a hand-made trace: PASS/FAIL
#                            in build/results/cpu-breakdown.log

CHECK_SUITES += check-wakeup-trace check-cpu-breakdown

.PHONY: check-wakeup-trace check-cpu-breakdown wakeup-table

# py_unit_ NAME SCRIPT: run the unittest SCRIPT, "PASS|FAIL NAME" in
# build/results/NAME.log, its output in build/NAME-test.log.
py_unit_ = \
	mkdir -p $(RESULTS) $(BUILD); \
	if python3 $(2) >$(BUILD)/$(1)-test.log 2>&1; then \
		echo "PASS $(1)-analysis" >>$(RESULTS)/$(1).log; \
	else \
		echo "FAIL $(1)-analysis (see build/$(1)-test.log)" >>$(RESULTS)/$(1).log; \
	fi

check-wakeup-trace:
	@$(call py_unit_,wakeup-trace,$(TOP)/tests/bench/test_wakeup_trace.py)

check-cpu-breakdown:
	@$(call py_unit_,cpu-breakdown,$(TOP)/tests/lab/test_cpu_breakdown.py)

wakeup-table:
	@python3 $(TOP)/tests/bench/wakeup-trace.py --table $(BUILD)/lab/bench-latency/out/bench/trace
