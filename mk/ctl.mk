# SPDX-License-Identifier: GPL-2.0
#
# Control plane (/dev/pvsched) test programs, built on the build machine
# before the lab boots (L1 sees this tree read-only):
#
#   make ctl-tests    build/ctl/pvsched-ioctl-test, pvsched-fuzz,
#                     pvsched-vmm-sim (a stand-in VMM) and, where -m32
#                     works, pvsched-ioctl-test32 (compat ioctls)
#
# Lab tests using them: tests/lab/tests/ctl-{ioctl,kill9,fuzz}.sh (their
# .pre steps also run "make ctl-tests", so "tests/lab/run ctl-ioctl" works
# on its own).

CTL_BUILD := $(BUILD)/ctl
CTL_CFLAGS := -O2 -g -Wall -Wextra -Werror -std=gnu11 \
	-I$(TOP)/uapi -pthread
CTL_PROGS := $(CTL_BUILD)/pvsched-ioctl-test $(CTL_BUILD)/pvsched-fuzz \
	$(CTL_BUILD)/pvsched-vmm-sim

$(CTL_BUILD)/pvsched-ioctl-test: $(TOP)/tests/ioctl/pvsched-ioctl-test.c \
		$(TOP)/tests/include/pvsched-test.h $(TOP)/uapi/linux/pvsched.h
	@mkdir -p $(@D)
	$(CC) $(CTL_CFLAGS) -o $@ $< -pthread

$(CTL_BUILD)/pvsched-fuzz: $(TOP)/tests/fuzz/pvsched-fuzz.c \
		$(TOP)/uapi/linux/pvsched.h
	@mkdir -p $(@D)
	$(CC) $(CTL_CFLAGS) -o $@ $< -pthread

$(CTL_BUILD)/pvsched-vmm-sim: $(TOP)/tests/ioctl/pvsched-vmm-sim.c \
		$(TOP)/tests/include/pvsched-test.h $(TOP)/uapi/linux/pvsched.h
	@mkdir -p $(@D)
	$(CC) $(CTL_CFLAGS) -o $@ $< -pthread

# The same test as a 32-bit program: exercises the compat ioctl path.
# Built only where the compiler can produce 32-bit programs (gcc-multilib).
CTL_M32 := $(shell echo 'int main(void){return 0;}' | \
	$(CC) -m32 -x c -o /dev/null - >/dev/null 2>&1 && echo y)
ifeq ($(CTL_M32),y)
CTL_PROGS += $(CTL_BUILD)/pvsched-ioctl-test32
endif

$(CTL_BUILD)/pvsched-ioctl-test32: $(TOP)/tests/ioctl/pvsched-ioctl-test.c \
		$(TOP)/tests/include/pvsched-test.h $(TOP)/uapi/linux/pvsched.h
	@mkdir -p $(@D)
	$(CC) -m32 $(CTL_CFLAGS) -o $@ $< -pthread

.PHONY: ctl-tests
ctl-tests: $(CTL_PROGS)

# The lab targets run the programs inside L1: build them first.
lab lab-one check-lab: ctl-tests
