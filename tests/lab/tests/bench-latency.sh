#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The latency benchmark (make bench, make demo): guest and host cyclictest,
# vCPU run delay and host hog throughput for the idle, busy and contended
# scenarios under the vanilla, static-RT and pvsched configurations.  See
# tests/bench/latency-lib.sh for the settings (LAB_BENCH_*) and
# docs/benchmarks.md for what the figures mean.  Raw results go to
# $LAB_OUT/bench/raw.txt; bench-latency.post writes the table and chart.
# No timing is asserted: this fails only if the harness itself fails.
# (No lab-timeout directive: mk/bench.mk sets LAB_TIMEOUT from the run's size.)
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../../bench/latency-lib.sh
. "$PVSCHED_SRC/tests/bench/latency-lib.sh"

bench_main
