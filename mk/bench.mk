# SPDX-License-Identifier: GPL-2.0
#
# The latency benchmark (issue 6, docs/benchmarks.md).  Each run boots the
# lab (L1 KVM host under QEMU/TCG, one L2 guest under real KVM) and measures
# guest and host cyclictest, the vCPU thread's run delay and host hog
# throughput for the idle, busy and contended scenarios under the vanilla,
# static-RT and pvsched configurations, all in the same run.
#
#   make bench              full run: BENCH_REPS x BENCH_DUR s per cell
#                           (3 x 10 s) plus the per-VM-exit cost
#                           (tests/bench/exit-cost, its own lab boot);
#                           table + chart in build/bench/latency.*
#   make demo-bench         short run (1 x 5 s, exit cost with 2 reps) for
#                           the README's demo; build/bench/demo.*
#   make check-bench-smoke  seconds-long variant run by "make check"
#                           (tests/lab/tests/bench-smoke.sh); PASS/FAIL in
#                           build/results/bench.log; asserts no timing
#
# The pvsched configuration runs when host/pvsched.ko, guest/pvsched_guest.ko
# and tools/pvschedctl/pvschedctl are built (BENCH_PVSCHED=auto), else it is
# reported as pending; BENCH_PVSCHED=require makes that an error, =off skips it.
# BENCH_EXIT_COST=no skips the exit-cost part (its column then says n/a).

BENCH_OUT := $(BUILD)/bench
BENCH_REPS ?= 3
BENCH_DUR ?= 10
DEMO_REPS ?= 1
DEMO_DUR ?= 5
BENCH_SCENARIOS ?= idle busy contended
BENCH_CONFIGS ?= vanilla rt pvsched
BENCH_PVSCHED ?= auto
BENCH_EXIT_COST ?= yes
BENCH_EXIT_COST_RAW := $(BUILD)/lab/bench-exit-cost/out/exit-cost.raw

CHECK_SUITES += check-bench-smoke

# Until mk/lab.mk's LAB_KVER default is the installed kernel's name (Debian's
# headers say 6.1.192 in kernel.release, /boot has 6.1.0-56-amd64), let
# tests/lab/run pick the kernel itself when LAB_KVER is just $(KVER).
BENCH_LAB_ENV = $(if $(filter $(KVER),$(LAB_KVER)),env -u LAB_KVER,env)

.PHONY: bench demo-bench check-bench-smoke bench-build

# Build what the pvsched configuration needs; a failed build only leaves
# that configuration pending (the others need nothing from the tree).
bench-build:
	@$(MAKE) --no-print-directory all || \
		echo "bench: build failed; the pvsched configuration will be reported as pending" >&2
	@$(MAKE) --no-print-directory vmm || \
		echo "bench: tests/vmm build failed; no exit-cost figures" >&2

# bench_exit_cost REPS: the per-VM-exit cost benchmark (a failure only
# leaves the exit-cost column n/a).
define bench_exit_cost
	@rm -f $(BENCH_EXIT_COST_RAW)
	@if [ "$(BENCH_EXIT_COST)" = yes ] && [ -x $(TOP)/tests/bench/exit-cost ]; then \
		echo "bench: per-VM-exit cost ($(1) reps)"; \
		$(BENCH_LAB_ENV) PVSCHED_BENCH_REPS=$(1) $(TOP)/tests/bench/exit-cost || \
			echo "bench: exit-cost benchmark failed; its column will say n/a" >&2; \
	fi
endef

# bench_run NAME REPS DUR: run the lab test bench-latency, then print the
# table and where the chart is.  The lab timeout allows ~4x the nominal
# time of each measurement plus 90 s, and 10 minutes for the boots (the
# lab is slow when others share the machine).
define bench_run
	@echo "bench: $(1): $(2) repetition(s) x $(3) s, scenarios '$(BENCH_SCENARIOS)', configurations '$(BENCH_CONFIGS)'"
	@t0=$$(date +%s); rc=0; \
	$(BENCH_LAB_ENV) LAB_BENCH_REPS=$(2) LAB_BENCH_DUR=$(3) LAB_BENCH_NAME=$(1) \
	LAB_BENCH_SCENARIOS="$(BENCH_SCENARIOS)" LAB_BENCH_CONFIGS="$(BENCH_CONFIGS)" \
	LAB_BENCH_PVSCHED=$(BENCH_PVSCHED) LAB_BENCH_OUT=$(BENCH_OUT) \
	LAB_BENCH_EXIT_COST=$(BENCH_EXIT_COST_RAW) \
	LAB_TIMEOUT=$$((600 + $(2) * 9 * ($(3) * 4 + 90))) \
		$(TOP)/tests/lab/run bench-latency || rc=$$?; \
	echo; \
	if [ -s $(BENCH_OUT)/$(1).md ]; then \
		awk '/^## Run/ { exit } /^\| Scenario/ { p = 1 } p' $(BENCH_OUT)/$(1).md; \
		echo "Table: $(BENCH_OUT)/$(1).md"; \
		echo "Chart: $(BENCH_OUT)/$(1).svg"; \
	fi; \
	echo "Logs:  $(BUILD)/lab/bench-latency/ (raw results in out/bench/)"; \
	echo "bench: $(1) took $$(( $$(date +%s) - t0 ))s"; \
	exit $$rc
endef

bench: deps bench-build
	$(call bench_exit_cost,5)
	$(call bench_run,latency,$(BENCH_REPS),$(BENCH_DUR))

demo-bench: deps bench-build
	$(call bench_exit_cost,2)
	$(call bench_run,demo,$(DEMO_REPS),$(DEMO_DUR))

check-bench-smoke:
	@mkdir -p $(RESULTS)
	-@$(MAKE) --no-print-directory bench-build >/dev/null 2>&1
	@if $(BENCH_LAB_ENV) LAB_BENCH_SMOKE=1 $(TOP)/tests/lab/run bench-smoke; then r=PASS; else r=FAIL; fi; \
		echo "$$r bench-smoke" >>$(RESULTS)/bench.log
