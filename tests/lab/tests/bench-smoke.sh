#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Smoke run of the latency benchmark (make check): 1 repetition of 2 s of
# the contended scenario under every configuration, so the harness
# cannot rot.  bench-smoke.post
# checks on the build machine that the table is complete and the SVG is
# valid XML with one bar group per configuration.  No timing is asserted.
# lab-timeout: 900
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck disable=SC2034 # read by latency-lib.sh
BENCH_DUR=${BENCH_SMOKE_DUR:-2}
# shellcheck disable=SC2034
BENCH_SCENARIOS=${BENCH_SMOKE_SCENARIOS:-contended}
# shellcheck disable=SC2034
BENCH_REPS=1
# shellcheck source=../../bench/latency-lib.sh
. "$PVSCHED_SRC/tests/bench/latency-lib.sh"

bench_main
