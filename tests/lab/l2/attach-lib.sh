# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by the end-to-end lab tests (guest-host, guest-two-vms) after
# lib.sh: stock QEMU L2 guests attached to pvsched.ko with "pvschedctl
# attach", the guest driver bound to their ivshmem region.

# shellcheck source=guest-lib.sh
. "$PVSCHED_SRC/tests/lab/l2/guest-lib.sh"

# attach_begin [PARAM=V...]: skip unless the guest module, its helpers,
# pvschedctl with attach and pvsched.ko are built; then load pvsched.ko
# (with PARAMS).
attach_begin() {
	guest_need_module
	guest_need_helpers
	[[ -x $PVSCHEDCTL ]] || lab_skip "pvschedctl not built"
	"$PVSCHEDCTL" attach --help >/dev/null 2>&1 || lab_skip "pvschedctl has no attach command yet"
	[[ -f $PVSCHED_KO ]] || lab_skip "pvsched.ko not built"
	lab_load_pvsched "$@"
}

# Boosts for critical sections and interrupts at FIFO 3 (below the default
# RT ceiling, 4), so a FIFO 20 seen on a vCPU thread can only come from a
# guest task's request.
ATTACH_PARAMS=cs_policy=fifo,cs_prio=3,intr_policy=fifo,intr_prio=3
# vCPUs per guest
ATTACH_SMP=${ATTACH_SMP:-2}
attach_pids=()

# attach_has_magic NAME: region NAME's header carries the pvsched magic.
attach_has_magic() {
	[[ $(guest_hdr "$1" magic) == $((0x48435650)) ]]
}

# attach_vms NAME...: start one L2 guest per NAME (ATTACH_SMP vCPUs, a 1 MiB region
# file on ivshmem-plain), attach each as VM "vm-NAME", load the guest
# driver and check both sides: the driver ACTIVE with every offered
# feature it knows accepted, and "pvschedctl -j status" showing the VM
# active with those features and 2 vCPUs.
attach_vms() {
	local vm shm offered
	mkdir -p "$GUEST_REGIONS"
	for vm in "$@"; do
		shm=$(guest_region_file "$vm")
		: >"$shm"
		truncate -s 1M "$shm"
		lab_l2_start --smp "$ATTACH_SMP" "$vm" \
			-object "memory-backend-file,id=pvsched,share=on,mem-path=$shm,size=1M" \
			-device ivshmem-plain,memdev=pvsched,addr=0x10
	done
	for vm in "$@"; do
		lab_l2_wait "$vm" ready 300
		"$PVSCHEDCTL" attach --qmp "$(lab_l2_dir "$vm")/qmp.sock" \
			--shm "$(guest_region_file "$vm")" --name "vm-$vm" \
			--params "$ATTACH_PARAMS" >"$LAB_OUT/attach-$vm.log" 2>&1 &
		attach_pids+=($!)
	done
	for vm in "$@"; do
		lab_wait_until 40 attach_has_magic "$vm" ||
			lab_fail "pvschedctl attach wrote no region header for $vm"
		lab_l2_run "$vm" /lab-l2/load-guest-module --one-cpu
		lab_assert guest_wait_state "$vm" 1
		offered=$(guest_hdr "$vm" host_features)
		lab_assert_eq "$(guest_hdr "$vm" guest_features)" $((offered & 63)) "$vm: guest_features"
	done
	"$PVSCHEDCTL" status
	"$PVSCHEDCTL" -j status >"$LAB_OUT/status-attached.json" || lab_fail "status -j failed"
	for vm in "$@"; do
		python3 -S - "$LAB_OUT/status-attached.json" "vm-$vm" "$ATTACH_SMP" <<'PY' || lab_fail "pvschedctl status: vm-$vm not active with the accepted features"
import json, sys
d = json.load(open(sys.argv[1]))
vm = [v for v in d["vms"] if v.get("name") == sys.argv[2]][0]
g = vm["guest"]
print(sys.argv[2], "guest", g)
acc = g["accepted"] if isinstance(g["accepted"], int) else int(g["accepted"], 0)
off = g["offered"] if isinstance(g["offered"], int) else int(g["offered"], 0)
assert g["state"] == "active", g
assert acc == off & 63 and acc != 0, g
assert len(vm["vcpus"]) == int(sys.argv[3]), vm["vcpus"]
PY
	done
}

# vm_counters VM KEY...: each KEY summed over VM's vCPUs in "pvschedctl -j
# status", on one line.  A VM missing from status fails the test with why:
# its attach log (the reason "pvschedctl attach" ended) and, if QEMU is
# gone, its exit status and console (an L2 triple fault under nested TCG
# ends QEMU with status 0).
vm_counters() {
	local json n
	json=$("$PVSCHEDCTL" -j status) || lab_fail "pvschedctl -j status failed"
	if ! n=$(python3 -S -c '
import json, sys
d = json.load(sys.stdin)
vm = [v for v in d["vms"] if v.get("name") == sys.argv[1]]
if not vm:
    sys.exit(1)
print(*(sum(int(c.get(k, 0)) for c in vm[0]["vcpus"]) for k in sys.argv[2:]))' "vm-$1" "${@:2}" <<<"$json"); then
		{
			echo "vm-$1 is no longer in pvschedctl status; its attach log:"
			sed 's/^/  attach: /' "$LAB_OUT/attach-$1.log"
			kill -0 "$(lab_l2_pid "$1")" 2>/dev/null || lab_l2_died "$1"
		} >&2
		lab_fail "vm-$1 left pvschedctl status during the test"
	fi
	echo "$n"
}

# vm_counter VM KEY: KEY summed over VM's vCPUs (vm_counters).
vm_counter() {
	vm_counters "$1" "$2"
}

# attach_again VM PARAMS: (tests of one VM) end VM's "pvschedctl attach",
# if one runs, and attach VM again as a new session with --params PARAMS;
# returns once it logged "attached vm".  The region header is written
# anew, so a guest driver bound before must be bound again.  The previous
# session's log is kept as attach-VM.N.log.
attach_sessions=0
attach_again() {
	local vm=$1 log=$LAB_OUT/attach-$1.log
	attach_end
	attach_sessions=$((attach_sessions + 1))
	[[ -e $log ]] && mv "$log" "$LAB_OUT/attach-$vm.$attach_sessions.log"
	"$PVSCHEDCTL" attach --qmp "$(lab_l2_dir "$vm")/qmp.sock" --shm "$(guest_region_file "$vm")" \
		--name "vm-$vm" --params "$2" >"$log" 2>&1 &
	attach_pids=($!)
	lab_wait_until 30 attach_logged "$vm" || lab_fail "attach of $vm with --params $2 did not attach"
}

# attach_end: (tests of one VM) end its "pvschedctl attach", if one runs:
# the session closes, the vCPU threads are back at their base.
attach_end() {
	if ((${#attach_pids[@]})); then
		kill "${attach_pids[0]}" 2>/dev/null || true
		wait "${attach_pids[0]}" 2>/dev/null || true
	fi
	attach_pids=()
}

# attach_logged VM: VM's attach logged "attached vm"; fails the test if it
# has exited.
attach_logged() {
	grep -q '^attached vm' "$LAB_OUT/attach-$1.log" && return 0
	kill -0 "${attach_pids[0]}" 2>/dev/null || lab_fail "attach of $1 exited: $(cat "$LAB_OUT/attach-$1.log")"
	return 1
}

# attach_finish NAME...: unload the guest driver in each L2 still running,
# check its dmesg, power it off, end every "pvschedctl attach".
attach_finish() {
	local vm p
	for vm in "$@"; do
		lab_l2_run "$vm" rmmod pvsched_guest
		lab_l2_check_dmesg "$vm"
		lab_l2_stop "$vm"
	done
	for p in "${attach_pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}
