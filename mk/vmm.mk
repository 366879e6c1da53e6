# SPDX-License-Identifier: GPL-2.0
#
# The pvsched test VMM (tests/vmm/): a userspace program the lab tests run
# inside L1.  L1 sees this machine's / read-only, so it is built here, in
# tree (git-ignored), before any lab test boots.
#
#   make vmm          build tests/vmm/pvsched-vmm
#   make bench-exit-cost   run the per-VM-exit cost benchmark in the lab

# Whatever the including Makefile's default goal is, it is not "vmm".
vmm_default_goal_ := $(.DEFAULT_GOAL)

VMM_DIR_ := $(TOP)/tests/vmm
VMM_BIN := $(VMM_DIR_)/pvsched-vmm
VMM_CFLAGS := -O2 -g -Wall -Wextra -Werror -std=gnu11 -pthread

.PHONY: vmm vmm-clean bench-exit-cost

vmm: $(VMM_BIN)

# The guest: 32-bit flat binary linked at GUEST_CODE (guest.h), embedded in
# the VMM with .incbin.
$(VMM_DIR_)/guest.o: $(VMM_DIR_)/guest.S $(VMM_DIR_)/guest.h
	$(CC) -m32 -c -o $@ $<
$(VMM_DIR_)/guest.bin: $(VMM_DIR_)/guest.o
	$(LD) -m elf_i386 -Ttext=0x1000 -e _start --oformat binary -o $@ $<
$(VMM_DIR_)/guest-blob.o: $(VMM_DIR_)/guest-blob.S $(VMM_DIR_)/guest.bin
	$(CC) -c -I$(VMM_DIR_) -o $@ $<
$(VMM_BIN): $(VMM_DIR_)/pvsched-vmm.c $(VMM_DIR_)/guest.h $(VMM_DIR_)/guest-blob.o \
		$(TOP)/tests/include/pvsched-test.h $(TOP)/uapi/linux/pvsched.h
	$(CC) $(VMM_CFLAGS) -o $@ $(VMM_DIR_)/pvsched-vmm.c $(VMM_DIR_)/guest-blob.o

vmm-clean:
	rm -f $(VMM_BIN) $(VMM_DIR_)/guest.o $(VMM_DIR_)/guest.bin $(VMM_DIR_)/guest-blob.o

clean: vmm-clean

# Lab tests run the VMM: build it before any of them boots L1.
lab lab-one check-lab lab-prereqs: vmm

bench-exit-cost: modules vmm
	$(TOP)/tests/bench/exit-cost

.DEFAULT_GOAL := $(vmm_default_goal_)
