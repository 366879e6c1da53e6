# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared by the guest driver's lab tests (tests/lab/tests/guest-*.sh), which
# source it after tests/lab/lib.sh.  Runs in L1.
#
# Regions are plain files under $GUEST_REGIONS (L1 tmpfs) backing
# ivshmem-plain devices; tests/lab/l2/guest-region.py writes and reads them.

# shellcheck disable=SC2034 # used by the tests that source this file
GUEST_REGIONS=/run/lab/regions
GUEST_PY=$PVSCHED_SRC/tests/lab/l2/guest-region.py
# Static helpers built by mk/guest.mk, seen by L2 through /host.
# shellcheck disable=SC2034 # used by the tests that source this file
GUEST_BIN=/host$PVSCHED_SRC/build/guest
# shellcheck disable=SC2034 # used by the tests that source this file
GUEST_DBG=/sys/kernel/debug/pvsched_guest

guest_region() {
	python3 "$GUEST_PY" "$@"
}

# guest_region_file NAME: path of region NAME.
guest_region_file() {
	echo "$GUEST_REGIONS/$1"
}

# guest_make_region NAME NR_SLOTS [key=value...]: a 1 MiB region file.
guest_make_region() {
	mkdir -p "$GUEST_REGIONS"
	guest_region init "$(guest_region_file "$1")" 1048576 "${@:2}"
}

# guest_ivshmem_args NAME PCI_SLOT: QEMU args for an ivshmem-plain device
# backed by region NAME at 0000:00:PCI_SLOT.0.
guest_ivshmem_args() {
	echo "-object memory-backend-file,id=mem-$1,share=on,mem-path=$(guest_region_file "$1"),size=1M" \
		"-device ivshmem-plain,memdev=mem-$1,addr=$2"
}

# guest_hdr NAME KEY: one header field of region NAME.
guest_hdr() {
	guest_region header "$(guest_region_file "$1")" | awk -v k="$2" '$1 == k { print $2 }'
}

# guest_slot NAME I KEY: one field of slot I (guest or host area).
guest_slot() {
	guest_region slot "$(guest_region_file "$1")" "$2" | awk -v k="$3" '$1 == k { print $2 }'
}

# guest_need_helpers: the static L2 helpers must have been built.
guest_need_helpers() {
	[[ -x $PVSCHED_SRC/build/guest/guest-rt ]] ||
		lab_fail "build/guest/guest-rt missing: run make guest-helpers (make lab does)"
}

# guest_need_module: skip if the guest module was not built.
guest_need_module() {
	[[ -f $PVSCHED_GUEST_KO ]] || lab_skip "guest module not built"
}

# guest_wait_slot NAME I FIELD VALUE [TRIES=100]: poll slot I's FIELD
# (from "slot") until it equals VALUE; prints the last value on failure.
guest_wait_slot() {
	local name=$1 i=$2 key=$3 want=$4 tries=${5:-100} v n
	for ((n = 0; n < tries; n++)); do
		v=$(guest_slot "$name" "$i" "$key")
		[[ $v == "$want" ]] && return 0
		sleep 0.1
	done
	echo "slot $i $key is $v, wanted $want" >&2
	return 1
}

# guest_wait_state NAME STATE [TRIES=100]
guest_wait_state() {
	local n v
	for ((n = 0; n < ${3:-100}; n++)); do
		v=$(guest_hdr "$1" guest_state)
		[[ $v == "$2" ]] && return 0
		sleep 0.1
	done
	echo "guest_state is $v, wanted $2" >&2
	return 1
}

# On any exit, keep every L2 console and the region files for the log.
guest_save_logs() {
	local d
	for d in /run/lab/l2/*/; do
		[[ -e $d/console.log ]] && cp "$d/console.log" "$LAB_OUT/l2-$(basename "$d")-console.log"
		[[ -s $d/qemu.log ]] && cp "$d/qemu.log" "$LAB_OUT/l2-$(basename "$d")-qemu.log"
		[[ -e $d/exit-status ]] && cp "$d/exit-status" "$LAB_OUT/l2-$(basename "$d")-exit-status"
	done
	[[ -d $GUEST_REGIONS ]] && for d in "$GUEST_REGIONS"/*; do
		[[ -f $d ]] && python3 "$GUEST_PY" brief "$d" >"$LAB_OUT/region-$(basename "$d").txt" 2>&1
	done
	return 0
}
trap guest_save_logs EXIT

# guest_wait_fields NAME I TRIES KEY=VALUE...: poll slot I until one
# consistent snapshot has every KEY at VALUE.
guest_wait_fields() {
	local name=$1 i=$2 tries=$3 snap kv n ok
	shift 3
	for ((n = 0; n < tries; n++)); do
		snap=$(guest_region slot "$(guest_region_file "$name")" "$i")
		ok=1
		for kv in "$@"; do
			grep -q -x "${kv%%=*} ${kv#*=}" <<<"$snap" || ok=
		done
		[[ -n $ok ]] && return 0
		sleep 0.1
	done
	echo "slot $i never had $*; last: $(tr '\n' ' ' <<<"$snap")" >&2
	return 1
}
