# SPDX-License-Identifier: GPL-2.0
#
# pvschedctl (tools/pvschedctl): the userspace test suite and the lab hook.
#
#   make check-cli    build pvschedctl and run its userspace tests (no
#                     module needed): help at every level vs. the man page,
#                     JSON output, exit codes, prefixes, caps against a
#                     fake sysfs tree, status against a fake /dev/pvsched
#                     (tools/pvschedctl/tests/fake-dev.so), attach against
#                     fake QMP peers and that fake device, install; and
#                     tests/qmp-test (ASan/UBSan): the QMP client against
#                     hostile QMP peers (truncated \u escapes, overlong
#                     lines, NaN, out-of-range thread ids, deep nesting,
#                     late replies, signals), tests/qmp-allocfail (each
#                     allocation failed in turn) and tests/owner-test
#                     (ASan/UBSan: whose threads attach registers).
#                     Results: build/results/cli.log
#
# Lab tests using pvschedctl: tests/lab/tests/cli-{attach,status}.sh (their
# .pre steps build it too, so "tests/lab/run cli-attach" works on its own).

CHECK_SUITES += check-cli

.PHONY: check-cli pvschedctl

pvschedctl:
	@$(MAKE) --no-print-directory -C $(TOP)/tools/pvschedctl

check-cli:
	@mkdir -p $(RESULTS)
	@if $(MAKE) --no-print-directory -C $(TOP)/tools/pvschedctl all fake-dev >$(BUILD)/cli-build.log 2>&1; then \
		echo "PASS cli-build" >>$(RESULTS)/cli.log; \
		$(TOP)/tools/pvschedctl/tests/check-cli.sh \
			$(TOP)/tools/pvschedctl/pvschedctl $(BUILD)/cli >>$(RESULTS)/cli.log; \
	else \
		echo "FAIL cli-build (see build/cli-build.log)" >>$(RESULTS)/cli.log; \
	fi
	@# each its own PASS/FAIL lines; a crash (sanitizer report) adds one FAIL
	@for t in qmp-test qmp-allocfail owner-test; do \
		if $(MAKE) --no-print-directory -C $(TOP)/tools/pvschedctl tests/$$t \
				>$(BUILD)/cli-$$t-build.log 2>&1; then \
			rc=0; $(TOP)/tools/pvschedctl/tests/$$t >$(BUILD)/cli-$$t.out \
				2>$(BUILD)/cli-$$t.log || rc=$$?; \
			cat $(BUILD)/cli-$$t.out >>$(RESULTS)/cli.log; \
			if [ $$rc != 0 ] && ! grep -q '^FAIL' $(BUILD)/cli-$$t.out; then \
				echo "FAIL $$t (exit $$rc, see build/cli-$$t.log)" >>$(RESULTS)/cli.log; \
			fi; \
		else \
			echo "FAIL $$t-build (see build/cli-$$t-build.log)" >>$(RESULTS)/cli.log; \
		fi; \
	done

# The lab runs pvschedctl inside L1 (read-only tree): build it first.
lab lab-one check-lab: pvschedctl
