# SPDX-License-Identifier: GPL-2.0
#
# pvschedctl (tools/pvschedctl): the userspace test suite and the lab hook.
#
#   make check-cli    build pvschedctl and run its userspace tests (no
#                     module needed): help at every level vs. the man page,
#                     JSON output, exit codes, prefixes, caps against a
#                     fake sysfs tree, status against a fake /dev/pvsched
#                     (tools/pvschedctl/tests/fake-dev.so), install; and
#                     tests/qmp-test (ASan/UBSan): the QMP client against
#                     hostile QMP peers (truncated \u escapes, overlong
#                     lines, NaN, out-of-range thread ids, deep nesting).
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
	@# its own PASS/FAIL lines; a crash (sanitizer report) adds one FAIL
	@if $(MAKE) --no-print-directory -C $(TOP)/tools/pvschedctl qmp-test \
			>$(BUILD)/cli-qmp-test-build.log 2>&1; then \
		rc=0; $(TOP)/tools/pvschedctl/tests/qmp-test >$(BUILD)/cli-qmp-test.out \
			2>$(BUILD)/cli-qmp-test.log || rc=$$?; \
		cat $(BUILD)/cli-qmp-test.out >>$(RESULTS)/cli.log; \
		if [ $$rc != 0 ] && ! grep -q '^FAIL' $(BUILD)/cli-qmp-test.out; then \
			echo "FAIL qmp-test (exit $$rc, see build/cli-qmp-test.log)" >>$(RESULTS)/cli.log; \
		fi; \
	else \
		echo "FAIL qmp-test-build (see build/cli-qmp-test-build.log)" >>$(RESULTS)/cli.log; \
	fi

# The lab runs pvschedctl inside L1 (read-only tree): build it first.
lab lab-one check-lab: pvschedctl
