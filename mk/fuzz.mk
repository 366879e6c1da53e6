# SPDX-License-Identifier: GPL-2.0
#
# pvschedctl's QMP reader under libFuzzer (tools/pvschedctl/fuzz/qmp-fuzz.c:
# the bytes of a hostile QMP socket, read whole, in pieces and with a small
# line cap; ASan, UBSan, LSan).
#
#   make check-fuzz-qmp            the suite for "make check": build, replay
#                                  the seed corpus, then fuzz for
#                                  FUZZ_CHECK_TIME seconds (default 60).
#                                  Results: build/results/fuzz.log, the
#                                  fuzzer's output in build/fuzz/qmp-fuzz.log
#   make fuzz-qmp FUZZ_TIME=600    a long run on the terminal (default 600 s;
#                                  FUZZ_JOBS=2: two processes, libFuzzer's
#                                  -fork mode)
#
# The corpus grows in build/fuzz/qmp-corpus (kept between runs; the seeds
# are tools/pvschedctl/fuzz/corpus); a crash is saved as
# build/fuzz/qmp-crash-<sha1>: replay it with "build/fuzz/qmp-fuzz FILE".
# Needs clang with libFuzzer (Debian: clang, libclang-rt-14-dev).

CHECK_SUITES += check-fuzz-qmp

FUZZ_BUILD := $(BUILD)/fuzz
FUZZ_CC ?= clang
FUZZ_TIME ?= 600
FUZZ_CHECK_TIME ?= 60
FUZZ_JOBS ?= 1
QMP_FUZZ := $(FUZZ_BUILD)/qmp-fuzz
QMP_FUZZ_DIR := $(TOP)/tools/pvschedctl/fuzz
QMP_FUZZ_SRC := $(QMP_FUZZ_DIR)/qmp-fuzz.c $(TOP)/tools/pvschedctl/qmp.c
QMP_FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -D_GNU_SOURCE \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -I$(TOP)/uapi \
	$(shell pkg-config --cflags json-c 2>/dev/null || echo -I/usr/include/json-c)
QMP_FUZZ_LIBS := $(shell pkg-config --libs json-c 2>/dev/null || echo -ljson-c)
# inputs up to 8 KiB (the 61-byte cap of the third pass reaches the
# overlong-line path); no input may take a second or 2 GiB
QMP_FUZZ_OPTS := -dict=$(QMP_FUZZ_DIR)/qmp.dict -max_len=8192 -timeout=10 \
	-rss_limit_mb=2048 -artifact_prefix=$(FUZZ_BUILD)/qmp-crash- \
	-print_final_stats=1

.PHONY: fuzz-qmp check-fuzz-qmp qmp-fuzz

qmp-fuzz: $(QMP_FUZZ)

$(QMP_FUZZ): $(QMP_FUZZ_SRC) $(TOP)/tools/pvschedctl/qmp.h \
		$(TOP)/tools/pvschedctl/errmsg.h \
		$(TOP)/uapi/linux/pvsched.h $(TOP)/mk/fuzz.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(QMP_FUZZ_CFLAGS) -o $@ $(QMP_FUZZ_SRC) $(QMP_FUZZ_LIBS)

fuzz-qmp: $(QMP_FUZZ)
	@mkdir -p $(FUZZ_BUILD)/qmp-corpus
	cd $(FUZZ_BUILD) && $(QMP_FUZZ) $(QMP_FUZZ_OPTS) \
		-max_total_time=$(FUZZ_TIME) \
		$(if $(filter-out 1,$(FUZZ_JOBS)),-fork=$(FUZZ_JOBS)) \
		$(FUZZ_BUILD)/qmp-corpus $(QMP_FUZZ_DIR)/corpus

# PASS/FAIL lines: qmp-fuzz-build, qmp-fuzz-seeds (each seed once),
# qmp-fuzz-<N>s (the timed run: no crash, leak, timeout or OOM).
check-fuzz-qmp:
	@mkdir -p $(RESULTS) $(FUZZ_BUILD)/qmp-corpus
	@if ! $(MAKE) --no-print-directory qmp-fuzz \
			>$(FUZZ_BUILD)/qmp-fuzz-build.log 2>&1; then \
		echo "FAIL qmp-fuzz-build (see build/fuzz/qmp-fuzz-build.log)" >>$(RESULTS)/fuzz.log; \
	else \
		echo "PASS qmp-fuzz-build" >>$(RESULTS)/fuzz.log; \
		if $(QMP_FUZZ) $(QMP_FUZZ_DIR)/corpus/* \
				>$(FUZZ_BUILD)/qmp-fuzz-seeds.log 2>&1; then \
			echo "PASS qmp-fuzz-seeds" >>$(RESULTS)/fuzz.log; \
		else \
			echo "FAIL qmp-fuzz-seeds (see build/fuzz/qmp-fuzz-seeds.log)" >>$(RESULTS)/fuzz.log; \
		fi; \
		if $(QMP_FUZZ) $(QMP_FUZZ_OPTS) -max_total_time=$(FUZZ_CHECK_TIME) \
				$(FUZZ_BUILD)/qmp-corpus $(QMP_FUZZ_DIR)/corpus \
				>$(FUZZ_BUILD)/qmp-fuzz.log 2>&1; then \
			echo "PASS qmp-fuzz-$(FUZZ_CHECK_TIME)s" >>$(RESULTS)/fuzz.log; \
		else \
			echo "FAIL qmp-fuzz-$(FUZZ_CHECK_TIME)s (see build/fuzz/qmp-fuzz.log)" >>$(RESULTS)/fuzz.log; \
		fi; \
	fi
