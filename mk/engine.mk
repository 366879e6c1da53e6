# SPDX-License-Identifier: GPL-2.0
#
# Engine lab helpers, built on the build machine before the lab boots:
#
#   make engine-tests   build/engine/pvsched-engine-reg
#
# Used by tests/lab/tests/engine-*.sh (their .pre steps build it too).

ENGINE_BUILD := $(BUILD)/engine

.PHONY: engine-tests
engine-tests: $(ENGINE_BUILD)/pvsched-engine-reg

$(ENGINE_BUILD)/pvsched-engine-reg: $(TOP)/tests/engine/pvsched-engine-reg.c \
		$(TOP)/tests/include/pvsched-test.h $(TOP)/uapi/linux/pvsched.h
	@mkdir -p $(@D)
	$(CC) -O2 -g -Wall -Wextra -Werror -std=gnu11 -I$(TOP)/uapi -o $@ $<

lab lab-one check-lab: engine-tests
# The hook of mk/debug.mk (check-debug builds it before L1 boots).
lab-prereqs: engine-tests
