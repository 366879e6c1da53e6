# SPDX-License-Identifier: GPL-2.0
#
# The latency benchmark (issues 6 and 10, docs/benchmarks.md).  Each run
# boots the lab (L1 KVM host under QEMU/TCG, one L2 guest under real KVM)
# and measures guest and host cyclictest, the vCPU thread's run delay and
# host hog throughput for the idle, busy and contended scenarios under the
# vanilla, static-RT and pvsched configurations, all in the same run.
#
#   make bench              full run: BENCH_REPS x BENCH_DUR s per cell
#                           (5 x 10 s) plus the per-VM-exit cost
#                           (tests/bench/exit-cost, its own lab boot);
#                           build/bench/latency.md (table, issue 10's
#                           targets met / not met) and the charts
#                           latency{,-tradeoff,-rundelay}.{png,svg}
#   make demo-bench         short run (1 x 5 s, exit cost with 2 reps) for
#                           the README's demo; build/bench/demo.*
#   make check-bench-report the report's unit tests (synthetic runs, no
#                           VM; tests/bench/test_latency_report.py); PASS/FAIL
#                           in build/results/bench-report.log
#   make check-bench-smoke  seconds-long variant run by "make check"
#                           (tests/lab/tests/bench-smoke.sh); PASS/FAIL in
#                           build/results/bench.log; asserts no timing
#
# The build machine's load: a benchmark run on a machine that others load
# measures them, not pvsched.  "make bench" refuses to start when the 1-min
# load average is above 1.5 (it prints the load), unless BENCH_FORCE=1;
# "make demo" only warns, because it is the README's first command on any
# machine and one short repetition makes no headline figures anyway.
# During the lab run tests/bench/loadavg-sampler writes the load every 2 s
# to build/bench/NAME.loadavg (the kernel's load average, and the load of
# everything but this run's own lab VM); the report flags (table and
# charts) every cell one of whose measurements saw the latter above 1.5.
#
# The pvsched configuration runs when host/pvsched.ko, guest/pvsched_guest.ko
# and tools/pvschedctl/pvschedctl are built (BENCH_PVSCHED=auto), else it is
# reported as pending; BENCH_PVSCHED=require makes that an error, =off skips it.
# BENCH_EXIT_COST=no skips the exit-cost part (its column then says n/a).
# The report and the sampler run with Debian's /usr/bin/python3, where
# python3-matplotlib is (a python3 of its own first on PATH lacks it); without
# matplotlib the table is still written and says the charts were skipped.

BENCH_OUT := $(BUILD)/bench
BENCH_REPS ?= 5
BENCH_DUR ?= 10
DEMO_REPS ?= 1
DEMO_DUR ?= 5
BENCH_SCENARIOS ?= idle busy contended
BENCH_CONFIGS ?= vanilla rt pvsched
BENCH_PVSCHED ?= auto
BENCH_EXIT_COST ?= yes
BENCH_EXIT_COST_RAW := $(BUILD)/lab/bench-exit-cost/out/exit-cost.raw
BENCH_FORCE ?=
BENCH_PYTHON := $(or $(wildcard /usr/bin/python3),python3)
# What bench-load-check does above the limit: refuse (make bench) or warn
# (make demo, see above).
BENCH_LOAD_CHECK := refuse

CHECK_SUITES += check-bench-report check-bench-smoke

.PHONY: bench demo-bench check-bench-report check-bench-smoke bench-build bench-load-check

# The build machine's 1-min load before anything starts (the module build
# that follows raises it itself).
bench-load-check:
	@load=$$(cut -d' ' -f1 /proc/loadavg); \
	if awk -v l="$$load" 'BEGIN { exit !(l > 1.5) }'; then \
		echo "bench: the build machine's 1-min load average is $$load (above 1.5): other work competes with the lab VM for the CPUs, and the figures would measure it rather than pvsched" >&2; \
		if [ "$(BENCH_LOAD_CHECK)" = warn ]; then \
			echo "bench: running the demo anyway; cells measured under load are flagged in the table" >&2; \
		elif [ "$(BENCH_FORCE)" = 1 ]; then \
			echo "bench: running anyway (BENCH_FORCE=1); cells measured under load are flagged in the table" >&2; \
		else \
			echo "bench: not starting; wait until 'uptime' shows a 1-min load below 1.5, or run with BENCH_FORCE=1" >&2; \
			exit 1; \
		fi; \
	else \
		echo "bench: build machine 1-min load average $$load"; \
	fi

# Build what the pvsched configuration needs; a failed build only leaves
# that configuration pending (the others need nothing from the tree).
bench-build:
	@$(MAKE) --no-print-directory all lab-modules || \
		echo "bench: build failed; the pvsched configuration will be reported as pending" >&2
	@$(MAKE) --no-print-directory vmm || \
		echo "bench: tests/vmm build failed; no exit-cost figures" >&2

# bench_exit_cost REPS: the per-VM-exit cost benchmark (a failure only
# leaves the exit-cost column n/a).
define bench_exit_cost
	@rm -f $(BENCH_EXIT_COST_RAW)
	@if [ "$(BENCH_EXIT_COST)" = yes ] && [ -x $(TOP)/tests/bench/exit-cost ]; then \
		echo "bench: per-VM-exit cost ($(1) reps)"; \
		PVSCHED_BENCH_REPS=$(1) $(TOP)/tests/bench/exit-cost || \
			echo "bench: exit-cost benchmark failed; its column will say n/a" >&2; \
	fi
endef

# bench_run NAME REPS DUR: run the lab test bench-latency with the load
# sampler beside it (stopped on every way out: the EXIT trap, and the
# sampler stops by itself when this shell is gone), then print the table,
# the targets and where the charts are.  The lab timeout (bench-latency's
# "# lab-timeout: 600" times LAB_TIMEOUT_SCALE) allows ~4x the nominal time
# of each measurement plus 90 s per cell and repetition (one more for the
# traced runs of BENCH_TRACE, if any), and 10 minutes for the boots (the
# lab is slow when others share the machine).
define bench_run
	@echo "bench: $(1): $(2) repetition(s) x $(3) s, scenarios '$(BENCH_SCENARIOS)', configurations '$(BENCH_CONFIGS)'"
	@t0=$$(date +%s); rc=0; la=$(BENCH_OUT)/$(1).loadavg; \
	mkdir -p $(BENCH_OUT) && rm -f $$la; \
	$(BENCH_PYTHON) $(TOP)/tests/bench/loadavg-sampler --tree $$$$ $$la & sampler=$$!; \
	trap 'kill $$sampler 2>/dev/null; wait $$sampler 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM HUP; \
	BENCH_REPS=$(2) BENCH_DUR=$(3) BENCH_NAME=$(1) \
	BENCH_SCENARIOS="$(BENCH_SCENARIOS)" BENCH_CONFIGS="$(BENCH_CONFIGS)" \
	BENCH_PVSCHED=$(BENCH_PVSCHED) BENCH_OUT=$(BENCH_OUT) \
	BENCH_EXIT_COST_RAW=$(BENCH_EXIT_COST_RAW) BENCH_LOADAVG=$$la \
	LAB_TIMEOUT_SCALE=$$(((600 + ($(2) + ($${BENCH_TRACE:-0} > 0)) * $(words $(BENCH_SCENARIOS)) * $(words $(BENCH_CONFIGS)) * ($(3) * 4 + 90) + 599) / 600)) \
		$(TOP)/tests/lab/run bench-latency || rc=$$?; \
	echo; \
	if [ -s $(BENCH_OUT)/$(1).md ]; then \
		awk '/^## Run/ { exit } /^(L0 |\| Scenario)/ { p = 1 } p' $(BENCH_OUT)/$(1).md; \
		echo; \
		echo "Table: $(BENCH_OUT)/$(1).md"; \
		for c in $(1) $(1)-tradeoff $(1)-rundelay; do \
			[ ! -s $(BENCH_OUT)/$$c.svg ] || echo "Chart: $(BENCH_OUT)/$$c.svg (and .png)"; \
		done; \
		grep '^Charts ' $(BENCH_OUT)/$(1).md || true; \
	fi; \
	echo "Load:  $$la"; \
	echo "Logs:  $(BUILD)/lab/bench-latency/ (raw results in out/bench/)"; \
	echo "bench: $(1) took $$(( $$(date +%s) - t0 ))s"; \
	exit $$rc
endef

bench: bench-load-check deps bench-build
	$(call bench_exit_cost,5)
	$(call bench_run,latency,$(BENCH_REPS),$(BENCH_DUR))

demo-bench: BENCH_LOAD_CHECK := warn
demo-bench: bench-load-check deps bench-build
	$(call bench_exit_cost,2)
	$(call bench_run,demo,$(DEMO_REPS),$(DEMO_DUR))

# The report's unit tests: PASS/FAIL/SKIP lines, or one FAIL if the test
# program itself did not run; unittest's details in build/bench-report/test.log.
check-bench-report:
	@mkdir -p $(RESULTS) $(BUILD)/bench-report
	@$(BENCH_PYTHON) $(TOP)/tests/bench/test_latency_report.py --results $(BUILD)/bench-report/work \
		>$(BUILD)/bench-report/results 2>$(BUILD)/bench-report/test.log; \
	if grep -q -E '^(PASS|FAIL|SKIP) ' $(BUILD)/bench-report/results; then \
		cat $(BUILD)/bench-report/results >>$(RESULTS)/bench-report.log; \
	else \
		echo "FAIL bench-report (no results; see build/bench-report/test.log)" >>$(RESULTS)/bench-report.log; \
	fi

check-bench-smoke:
	@mkdir -p $(RESULTS)
	-@$(MAKE) --no-print-directory bench-build >/dev/null 2>&1
	@if BENCH_SMOKE=1 $(TOP)/tests/lab/run bench-smoke; then r=PASS; else r=FAIL; fi; \
		echo "$$r bench-smoke" >>$(RESULTS)/bench.log
