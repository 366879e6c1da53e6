# SPDX-License-Identifier: GPL-2.0
#
# Lab tests: each test boots an L1 VM (QEMU/TCG with an emulated AMD CPU)
# that loads kvm_amd and the freshly built modules.  See tests/lab/README.md.
#
#   make lab               run every tests/lab/tests/*.sh
#   make lab-one T=smoke   run one test (T may list several: T="smoke l2-boot")
#   make check-lab         the lab suite for "make check": results go to
#                          build/results/lab.log; failures never stop make
#
# Variables (environment or command line): LAB_KVER (default: $(KVER), the
# kernel the modules are built for), LAB_TIMEOUT, LAB_TESTS, LAB_SKIP,
# LAB_VERBOSE=1.

LAB_HOME_ := $(or $(TOP),$(CURDIR))/tests/lab
LAB_KVER ?= $(KVER)
export LAB_KVER

CHECK_SUITES += check-lab

.PHONY: lab lab-one check-lab

lab: modules
	$(LAB_HOME_)/run-all

lab-one: modules
	@test -n "$(T)" || { echo "usage: make lab-one T=<test name>" >&2; exit 2; }
	$(LAB_HOME_)/run $(T)

check-lab:
	@$(MAKE) --no-print-directory modules || \
		echo "check-lab: module build failed; the lab tests will record failures"
	-@$(LAB_HOME_)/run-all
