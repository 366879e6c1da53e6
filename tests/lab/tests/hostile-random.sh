#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hostile guest: random 8-byte stores over its whole shared region (region
# header, every slot's header, guest and host areas) as fast as a CPU can
# write, on 2 vCPUs, while a well-behaved VM runs beside it.  The host must
# not warn or crash (dmesg scan), must never give the hostile vCPU threads a
# policy or priority beyond the admin caps (sampled with sched_getattr by
# pvsched-hostile), must have actually read the garbage (torn reads, clamped
# or invalid requests counted), and must keep boosting the other VM.
# lab-timeout: 600
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"
# shellcheck source=../../hostile/lib.sh
. "$PVSCHED_SRC/tests/hostile/lib.sh"

hostile_setup

# The well-behaved VM: vCPU on CPU 1, its writer and sampler at FIFO 90.
# It runs until SIGTERM (then it reports), so it spans the hostile run.
"$HOSTILE" -m well -g io -c 1 -w 1 -R -p "$HOSTILE_PARAMS" -t 600 \
	>"$LAB_OUT/well.out" 2>&1 &
well=$!
lab_wait_until 60 grep -q '^vcpu0.tid=' "$LAB_OUT/well.out" ||
	lab_fail "the well-behaved VM did not start within 60 s (see well.out)"
# The hostile VM: 2 vCPUs and the writer on CPU 0.
hostile_run random -m random -g io -n 2 -c 0 -w 0 -p "$HOSTILE_PARAMS" -t 10
kill -TERM "$well"
rc=0
wait "$well" || rc=$?
hostile_check well "$rc"

out=$LAB_OUT/random.out
writes=$(hostile_val "$out" writes)
lab_log "hostile VM: $writes random stores in $(hostile_val "$out" secs)s"
lab_expect -gt "$writes" 1000000 "only $writes random stores"
exits=$(hostile_sum "$out" exits)
lab_expect -gt "$exits" 0 "the host saw no VM exit of the hostile vCPUs"
seen=$(($(hostile_sum "$out" torn_reads) + $(hostile_sum "$out" guest_clamped) +
	$(hostile_sum "$out" guest_invalid) + $(hostile_sum "$out" guest_refused)))
lab_log "hostile VM: exits $exits, torn reads $(hostile_sum "$out" torn_reads)," \
	"clamped $(hostile_sum "$out" guest_clamped), invalid $(hostile_sum "$out" guest_invalid)," \
	"refused $(hostile_sum "$out" guest_refused), boosts $(hostile_sum "$out" 'boosts\[0\]')"
lab_expect -gt "$seen" 0 "the host counted no torn, clamped, invalid or refused request from the random guest"

out=$LAB_OUT/well.out
cs=$(hostile_val "$out" well.critical_sections)
seen=$(hostile_val "$out" well.boosts_seen)
lab_log "well-behaved VM: $seen of $cs critical sections seen boosted," \
	"latency $(grep -a -o 'well.boost_latency_us.*' "$out" || echo none)"
lab_expect -gt "$cs" 0 "well-behaved VM boosted in only $seen of $cs critical sections"
lab_expect -ge $((seen * 2)) "$cs" "well-behaved VM boosted in only $seen of $cs critical sections"
lab_check_dmesg
