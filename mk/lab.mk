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
#   make check-lab-kernels the host-policy, control-plane, kick-boost and
#                          end-to-end tests (LAB_KERNEL_TESTS) on the other
#                          lab kernels of the matrix CI runs (LAB_KERNELS:
#                          6.12-rt 7.3); results in build/results/lab-NAME.log
#   make check-matrix      both modules for every kernel of the matrix
#                          (scripts/kernels), then LAB_KERNEL_TESTS on every
#                          lab kernel (6.1 6.12 6.12-rt 7.3; LAB_KERNEL_TESTS=all:
#                          the whole suite)
#
# Variables (environment or command line): LAB_KVER (a release or a matrix
# name, 6.12-rt; default: the kernel the modules are built for, see
# scripts/kernels default-kdir; for another one make builds the modules for
# it first), LAB_TESTS, LAB_SKIP, LAB_VERBOSE=1, LAB_PARALLEL=1 (no
# machine-wide lab lock: lab VMs of several runs at once; see
# tests/lab/README.md).

# Whatever the including Makefile's default goal is, it is not "lab".
lab_default_goal_ := $(.DEFAULT_GOAL)

lab_home_ := $(or $(TOP),$(CURDIR))/tests/lab
KERNELS_ := $(or $(TOP),$(CURDIR))/scripts/kernels
ifneq ($(LAB_KVER),)
export LAB_KVER
endif
# The lab kernels CI tests beside the default one, and what runs there:
# end to end (guest-host), a guest RT task's priority on a PREEMPT_RT
# guest, whose fair server preempts it after nearly every tick
# (guest-rt-hold), kick boost (engine-kick), host policy
# (policy-translate, -throttle, -pi-futex, -rmmod) and control plane
# (ctl-ioctl), most telling first, as CI's deadline cuts a list's tail;
# then the trace event format (policy-events), the test VMM on KVM without
# pvsched.ko (policy-vmm) and the chardev's teardown and hostile input
# (ctl-kill9, ctl-fuzz), back since L1 boots faster: 97-106 s more a
# kernel (2026-12-07; the CI simulation of that day, without them, took
# 62 minutes).  Left to the full suite on 6.1 and LAB_KERNEL_TESTS=all: the
# guest-* tests but guest-host and guest-rt-hold, and the rest.
LAB_KERNELS ?= 6.12-rt 7.3
LAB_KERNEL_TESTS ?= guest-host guest-rt-hold engine-kick policy-translate policy-throttle \
	policy-pi-futex ctl-ioctl policy-rmmod policy-events policy-vmm \
	ctl-kill9 ctl-fuzz

CHECK_SUITES += check-lab check-lab-anypath check-lab-kernels

.PHONY: lab lab-one lab-modules check-lab check-lab-anypath check-lab-kernels check-matrix

# The modules for the lab kernel: the default build, and for another
# LAB_KVER also build/kbuild/RELEASE (scripts/kernels build).
lab-modules: modules
	@if [ -n "$(LAB_KVER)" ] && \
	    [ "$$($(KERNELS_) release $(LAB_KVER))" != "$(KVER)" ]; then \
		$(KERNELS_) build $(LAB_KVER); \
	fi

lab: lab-modules
	$(lab_home_)/run-all

lab-one: lab-modules
	@test -n "$(T)" || { echo "usage: make lab-one T=<test name>" >&2; exit 2; }
	$(lab_home_)/run $(T)

check-lab:
	-@$(lab_home_)/selftest/harness-check
	@$(MAKE) --no-print-directory lab-modules || \
		echo "check-lab: module build failed; the lab tests will record failures"
	-@$(lab_home_)/run-all

# run_kernel_tests_ NAME TESTS: TESTS (or every test for "all") on kernel
# NAME, results in build/results/lab-NAME.log.
run_kernel_tests_ = \
	if $(KERNELS_) build $(1) >/dev/null 2>&1 || $(KERNELS_) build $(1); then \
		LAB_KVER=$(1) LAB_RESULTS=$(RESULTS)/lab-$(1).log \
		LAB_TESTS="$(filter-out all,$(2))" $(lab_home_)/run-all; \
	else \
		echo "FAIL build-for-lab-$(1)" >>$(RESULTS)/lab-$(1).log; \
	fi

check-lab-kernels: lab-prereqs
	@mkdir -p $(RESULTS)
	-@$(foreach k,$(LAB_KERNELS),$(call run_kernel_tests_,$(k),$(LAB_KERNEL_TESTS));)

check-matrix: lab-prereqs
	@mkdir -p $(RESULTS)
	-@$(KERNELS_) build --sparse
	-@$(foreach k,$(shell $(KERNELS_) list | awk '$$5 == "lab" { print $$1 }'),\
		$(call run_kernel_tests_,$(k),$(LAB_KERNEL_TESTS));)

check-lab-anypath:
	-@$(lab_home_)/selftest/anypath $(RESULTS)/lab-anypath.log

.DEFAULT_GOAL := $(lab_default_goal_)

# The idle-VM holder that tests/lab/l1-stage2.sh starts in L1 before each
# test (without it, a slower python3 one).
KVM_HOLDER_BIN := $(BUILD)/lab-tools/kvm-holder
.PHONY: lab-tools
lab-tools: $(KVM_HOLDER_BIN)
lab lab-one check-lab lab-prereqs: lab-tools
$(KVM_HOLDER_BIN): $(TOP)/tests/lab/tools/kvm-holder.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -Werror -o $@ $<
