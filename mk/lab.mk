# SPDX-License-Identifier: GPL-2.0
#
# Lab tests: each test boots an L1 VM (QEMU/TCG with an emulated AMD CPU)
# that loads kvm_amd and the freshly built modules.  See tests/lab/README.md.
#
#   make lab               run every tests/lab/tests/*.sh
#   make lab-one T=smoke   run one test (T may list several: T="smoke l2-boot")
#   make check-lab         the lab suite for "make check": results go to
#                          build/results/lab.log (and harness.log: checks of
#                          the harness that boot nothing, selftest/
#                          harness-check); failures never stop make
#   make check-lab-anypath the lab from a fresh clone of HEAD under /tmp
#                          (selftest/anypath: make modules and run smoke
#                          there, then remove it); PASS/FAIL lab-anypath in
#                          build/results/lab-anypath.log, logs in
#                          build/lab-anypath/
#
# Variables (environment or command line): LAB_KVER (default: the installed
# kernel whose /lib/modules/<ver>/build is $(KDIR), i.e. the kernel the
# modules are built for; else the newest one), LAB_TIMEOUT, LAB_TESTS,
# LAB_SKIP, LAB_VERBOSE=1, LAB_PARALLEL=1 (no machine-wide lab lock: lab
# VMs of several runs at once; see tests/lab/README.md).

# Whatever the including Makefile's default goal is, it is not "lab".
lab_default_goal_ := $(.DEFAULT_GOAL)

LAB_HOME_ := $(or $(TOP),$(CURDIR))/tests/lab
# Not $(KVER): Debian's headers say 6.1.192 in kernel.release for the
# kernel installed as 6.1.0-56-amd64.
LAB_KVER ?= $(shell k=$$(readlink -f "$(KDIR)" 2>/dev/null); \
	for d in /lib/modules/*; do \
		v=$$(basename "$$d"); \
		[ -n "$$k" ] && [ "$$(readlink -f "$$d/build")" = "$$k" ] && \
			[ -e "/boot/vmlinuz-$$v" ] && echo "$$v"; \
	done | tail -n 1)
export LAB_KVER

CHECK_SUITES += check-lab check-lab-anypath

.PHONY: lab lab-one check-lab check-lab-anypath

lab: modules
	$(LAB_HOME_)/run-all

lab-one: modules
	@test -n "$(T)" || { echo "usage: make lab-one T=<test name>" >&2; exit 2; }
	$(LAB_HOME_)/run $(T)

check-lab:
	-@$(LAB_HOME_)/selftest/harness-check
	@$(MAKE) --no-print-directory modules || \
		echo "check-lab: module build failed; the lab tests will record failures"
	-@$(LAB_HOME_)/run-all

check-lab-anypath:
	-@$(LAB_HOME_)/selftest/anypath $(RESULTS)/lab-anypath.log

.DEFAULT_GOAL := $(lab_default_goal_)
