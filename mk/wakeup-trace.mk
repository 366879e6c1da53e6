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

CHECK_SUITES += check-wakeup-trace

.PHONY: check-wakeup-trace wakeup-table

check-wakeup-trace:
	@mkdir -p $(RESULTS) $(BUILD)
	@if python3 $(TOP)/tests/bench/test_wakeup_trace.py >$(BUILD)/wakeup-trace-test.log 2>&1; then \
		echo "PASS wakeup-trace-analysis" >>$(RESULTS)/wakeup-trace.log; \
	else \
		echo "FAIL wakeup-trace-analysis (see build/wakeup-trace-test.log)" >>$(RESULTS)/wakeup-trace.log; \
	fi

wakeup-table:
	@python3 $(TOP)/tests/bench/wakeup-trace.py --table $(BUILD)/lab/bench-latency/out/bench/trace
