# SPDX-License-Identifier: GPL-2.0
#
# tests/README.md maps every promise of README.md, uapi/linux/pvsched.h and
# pvschedctl(8) to the tests that prove it.  tests/readme-check keeps that
# page honest (no tree to build, nothing to boot):
#
#   make check-readme   the suite for "make check": every test the page
#                       names exists (file, and the check inside it), every
#                       promise names one, every lab test and unit group is
#                       in the page.  Results: build/results/readme.log,
#                       details in build/readme-check.log
#   make readme-check   the same on the terminal

CHECK_SUITES += check-readme

.PHONY: check-readme readme-check

readme-check:
	$(TOP)/tests/readme-check

# Its own PASS/FAIL lines; a crash of the script adds one FAIL.
check-readme:
	@mkdir -p $(RESULTS)
	@rc=0; $(TOP)/tests/readme-check >$(BUILD)/readme-check.out \
		2>$(BUILD)/readme-check.log || rc=$$?; \
	cat $(BUILD)/readme-check.out >>$(RESULTS)/readme.log; \
	if [ $$rc != 0 ] && ! grep -q '^FAIL' $(BUILD)/readme-check.out; then \
		echo "FAIL readme-check (exit $$rc, see build/readme-check.log)" >>$(RESULTS)/readme.log; \
	fi
