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
	python3 -S "$GUEST_PY" "$@"
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

# guest_flip NAME CPU: the L2 command line that starts a loop on CPU (-1:
# any) spinning about 1 ms, flipping its nice between 0 and 5 and sleeping
# 1 ms, its pid in /tmp/flip-NAME; guest_unflip NAME: the one that ends it.
guest_flip() {
	echo "$GUEST_BIN/guest-rt $2 flip 5 3600 >/dev/null 2>&1 & echo \$! >/tmp/flip-$1"
}
guest_unflip() {
	echo "kill \$(cat /tmp/flip-$1)"
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

# guest_slot_is NAME I FIELD VALUE: slot I's FIELD (from "slot") is VALUE.
guest_slot_is() {
	[[ $(guest_slot "$1" "$2" "$3") == "$4" ]]
}

# guest_wait_slot NAME I FIELD VALUE [TRIES=100]: poll slot I's FIELD
# (from "slot") until it equals VALUE, for TRIES x 0.4 s (a check runs
# python under TCG: the old loop of TRIES 0.1-s sleeps took about that);
# prints the last value on failure.
guest_wait_slot() {
	local name=$1 i=$2 key=$3 want=$4 tries=${5:-100}
	lab_wait_until $(((tries * 4 + 9) / 10)) guest_slot_is "$name" "$i" "$key" "$want" && return 0
	echo "slot $i $key is $(guest_slot "$name" "$i" "$key"), wanted $want" >&2
	return 1
}

# guest_state_is NAME STATE: region NAME's guest_state is STATE.
guest_state_is() {
	[[ $(guest_hdr "$1" guest_state) == "$2" ]]
}

# guest_wait_state NAME STATE [TRIES=100]: for TRIES x 0.4 s.
guest_wait_state() {
	lab_wait_until $(((${3:-100} * 4 + 9) / 10)) guest_state_is "$1" "$2" && return 0
	echo "guest_state is $(guest_hdr "$1" guest_state), wanted $2" >&2
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
		[[ -f $d ]] && python3 -S "$GUEST_PY" brief "$d" >"$LAB_OUT/region-$(basename "$d").txt" 2>&1
	done
	return 0
}
trap guest_save_logs EXIT

# guest_slot_has NAME I KEY=VALUE...: one consistent snapshot of slot I
# has every KEY at VALUE.
guest_slot_has() {
	local name=$1 i=$2 snap kv
	shift 2
	snap=$(guest_region slot "$(guest_region_file "$name")" "$i") || return 1
	for kv in "$@"; do
		grep -q -x "${kv%%=*} ${kv#*=}" <<<"$snap" || return 1
	done
}

# guest_wait_fields NAME I TRIES KEY=VALUE...: poll slot I, for TRIES
# x 0.4 s, until one consistent snapshot has every KEY at VALUE.
guest_wait_fields() {
	local name=$1 i=$2 tries=$3
	shift 3
	lab_wait_until $(((tries * 4 + 9) / 10)) guest_slot_has "$name" "$i" "$@" && return 0
	echo "slot $i never had $*; last: $(guest_region slot "$(guest_region_file "$name")" "$i" | tr '\n' ' ')" >&2
	return 1
}

# guest_where_args NAME: the "--where" arguments of "guest_region expect"
# for L2 guest NAME, its guest module loaded: a slot that stops moving is
# then explained by where NAME's CPUs are (tests/lab/l1-snapshot on its QMP
# socket, into $LAB_OUT/l2-NAME-where.N.txt), with the guest module's text
# as L2 placed it and the kernel's symbols as L1 has them, which name L2's
# addresses only when L2 runs the same kernel booted with nokaslr (else
# only the module's code is named).
guest_where_args() {
	local name=$1 dir l2 text
	dir=$(lab_l2_dir "$1")
	: >"$dir/kallsyms"
	l2=$(lab_l2_run "$name" 'uname -rv; grep -o -w nokaslr /proc/cmdline || true')
	if [[ $l2 == "$(uname -rv)"$'\n'nokaslr ]]; then
		awk 'NF == 3 && $2 ~ /^[tTwW]$/' /proc/kallsyms >"$dir/kallsyms"
	fi
	text=$(lab_l2_run "$name" cat /sys/module/pvsched_guest/sections/.text)
	echo "pvsched_guest $text $PVSCHED_GUEST_KO" >"$dir/modules.txt"
	echo "--where $dir/qmp.sock $dir/kallsyms $dir/modules.txt $LAB_OUT/l2-$name-where"
}
