# SPDX-License-Identifier: GPL-2.0
#
# Control plane (/dev/pvsched) test programs, built on the build machine
# before the lab boots (L1 sees this tree read-only):
#
#   make ctl-tests    build/ctl/pvsched-ioctl-test, build/ctl/pvsched-fuzz
#
# Lab tests using them: tests/lab/tests/ctl-{ioctl,kill9,fuzz}.sh (their
# .pre steps also run "make ctl-tests", so "tests/lab/run ctl-ioctl" works
# on its own).

CTL_BUILD := $(BUILD)/ctl
CTL_CFLAGS := -O2 -g -Wall -Wextra -Werror -std=gnu11 \
	-I$(TOP)/uapi -pthread
CTL_PROGS := $(CTL_BUILD)/pvsched-ioctl-test $(CTL_BUILD)/pvsched-fuzz

.PHONY: ctl-tests
ctl-tests: $(CTL_PROGS)

$(CTL_BUILD)/pvsched-ioctl-test: $(TOP)/tests/ioctl/pvsched-ioctl-test.c \
		$(TOP)/uapi/linux/pvsched.h
	@mkdir -p $(@D)
	$(CC) $(CTL_CFLAGS) -o $@ $< -pthread

$(CTL_BUILD)/pvsched-fuzz: $(TOP)/tests/fuzz/pvsched-fuzz.c \
		$(TOP)/uapi/linux/pvsched.h
	@mkdir -p $(@D)
	$(CC) $(CTL_CFLAGS) -o $@ $< -pthread

# The lab targets run the programs inside L1: build them first.
lab lab-one check-lab: ctl-tests
