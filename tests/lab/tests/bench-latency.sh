#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The latency benchmark (make bench, make demo): guest and host cyclictest,
# vCPU run delay and host hog throughput for the idle, busy and contended
# scenarios under the vanilla, static-RT and pvsched configurations.  See
# tests/bench/latency-lib.sh for the settings (BENCH_*) and
# docs/benchmarks.md for what the figures mean.  Raw results go to
# $LAB_OUT/bench/raw.txt; bench-latency.post writes the table and chart.
# No timing is asserted: this fails only if the harness itself fails.
# lab-timeout: 600
# (For one cell; mk/bench.mk scales it with LAB_TIMEOUT_SCALE to the run's
# size.)
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../../bench/latency-lib.sh
. "$PVSCHED_SRC/tests/bench/latency-lib.sh"

bench_main
