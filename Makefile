# SPDX-License-Identifier: GPL-2.0
#
# pvsched: paravirtual scheduling for KVM.
#
#   make              build host/pvsched.ko, guest/pvsched_guest.ko and
#                     tools/pvschedctl/pvschedctl
#   make check        install what is missing, then run every test suite
#                     (uapi, unit, build/style, lab) and print
#                     "N passed, N failed"
#   make demo         the short benchmark (see docs/benchmarks.md)
#   make deps         install the Debian packages the project needs
#   make KDIR=...     build against another kernel tree
#
# KDIR defaults to the running kernel's build dir, else Debian's default
# kernel (linux-headers-amd64's), never simply the newest headers installed
# (scripts/kernels default-kdir); make prints which and why.  The other
# kernels of the matrix: scripts/kernels (make check-matrix).

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

ifeq ($(origin KDIR),undefined)
KDIR_CHOICE_ := $(shell $(TOP)/scripts/kernels default-kdir 2>&1)
KDIR := $(firstword $(KDIR_CHOICE_))
KDIR_WHY_ := $(wordlist 2,99,$(KDIR_CHOICE_))
else
KDIR_WHY_ := KDIR given
endif
# The package release (6.1.0-56-amd64), not kernel.release (6.1.192).
KVER ?= $(patsubst linux-headers-%,%,$(notdir $(realpath $(KDIR))))
export KDIR KVER

.DEFAULT_GOAL := all

BUILD := $(TOP)/build
RESULTS := $(BUILD)/results

# Suites run by "make check"; fragments in mk/ append to it.  Those in
# CHECK_SUITES_LAST run after all of them (the debug-kernel lab: under a
# CI time budget it is the part that gives way, see scripts/check-debug).
CHECK_SUITES := check-uapi check-unit check-build
CHECK_SUITES_LAST :=

# Fragments (mk/*.mk) add targets and append to CHECK_SUITES, the list
# make check's loop below runs.
-include $(sort $(wildcard $(TOP)/mk/*.mk))
.PHONY: all modules tools clean deps check demo bench help \
	install install-udev install-libvirt \
	check-uapi check-build style sparse

all: modules tools

modules:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || \
		{ echo "pvsched: no kernel build dir: $(KDIR_CHOICE_)" >&2; exit 1; }
	@echo "pvsched: building the modules for $(KVER) ($(KDIR_WHY_)); KDIR=... for another"
	$(MAKE) -C $(KDIR) M=$(TOP) modules

tools:
	$(MAKE) -C $(TOP)/tools/pvschedctl

deps:
	@$(TOP)/scripts/setup

# pvschedctl (binary, man page, bash completion), the udev rule and the
# libvirt hook with its systemd unit; the modules are installed with DKMS
# (see README.md), all of it by the Debian packages (make deb).  DESTDIR
# and PREFIX work.
PREFIX ?= /usr/local
UDEVDIR ?= /etc/udev/rules.d
install: install-udev install-libvirt
	$(MAKE) -C $(TOP)/tools/pvschedctl install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

install-libvirt:
	$(MAKE) -C $(TOP)/tools/libvirt install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

install-udev:
	install -D -m 0644 $(TOP)/udev/60-pvsched.rules $(DESTDIR)$(UDEVDIR)/60-pvsched.rules

# The short latency benchmark (mk/bench.mk): table on stdout, chart path.
demo: demo-bench

help:
	@sed -n '3,16p' $(TOP)/Makefile | sed 's/^# \{0,1\}//'

# --- tests -----------------------------------------------------------------

# Each suite in turn, timed: build/results/durations.txt, which
# scripts/summarize prints (CI's budget is the sum).  A suite's failures
# are in its results log; make goes on to the next one either way.
check: deps
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	-@for s in $(CHECK_SUITES) $(CHECK_SUITES_LAST); do \
		t0=$$(date +%s); \
		$(MAKE) --no-print-directory -k $$s; \
		printf '%-22s %5ds\n' "$$s" $$(($$(date +%s) - t0)) >>$(RESULTS)/durations.txt; \
	done
	@$(TOP)/scripts/summarize

# The ABI header on its own: C99 and C++ with -Wall -Wextra -Werror, plus
# the layout checks (sizes and offsets) compiled and run.
check-uapi:
	@mkdir -p $(RESULTS)
	@$(TOP)/tests/uapi/run $(BUILD)/uapi >> $(RESULTS)/uapi.log

# Build with no warnings, checkpatch and sparse on the C sources.
check-build:
	@mkdir -p $(RESULTS)
	@$(TOP)/scripts/check-build $(BUILD)/check-build >> $(RESULTS)/build.log

style:
	@$(TOP)/scripts/check-build --style-only $(BUILD)/check-build

sparse:
	$(MAKE) -C $(KDIR) M=$(TOP) C=2 modules

clean:
	-$(MAKE) -C $(KDIR) M=$(TOP) clean
	-$(MAKE) -C $(TOP)/tools/pvschedctl clean
	rm -rf $(BUILD)
