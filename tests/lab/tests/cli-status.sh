#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pvschedctl version, status, caps and trace against the real pvsched.ko
# (no VM): versions agree with debugfs, caps show matches the module
# parameters, caps set changes them and reports the kernel's refusal
# (exit 3), status reports the tracepoint family and needs no debugfs
# (GET_INFO and DUMP), trace leaves no tracing instance behind, and every
# command exits 2 once the module is unloaded.
# lab-timeout: 240
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"

ctl=$PVSCHEDCTL
[[ -x $ctl ]] || lab_fail "$ctl not built"
params=/sys/module/pvsched/parameters

# expect_rc RC CMD...: run CMD (output to $LAB_OUT/last.{out,err}).
expect_rc() {
	local want=$1 rc=0
	shift
	"$@" >"$LAB_OUT/last.out" 2>"$LAB_OUT/last.err" || rc=$?
	cat "$LAB_OUT/last.out" "$LAB_OUT/last.err"
	lab_expect '==' "$rc" "$want" "'$*' exited $rc, expected $want"
}

lab_load_pvsched

# version
expect_rc 0 "$ctl" version
expect_rc 0 "$ctl" -j version
python3 - "$LAB_OUT/last.out" <<'PY' || lab_fail "version -j does not match debugfs info"
import json, sys
d = json.load(open(sys.argv[1]))
info = dict(l.strip().split("=", 1) for l in open("/sys/kernel/debug/pvsched/info") if "=" in l)
assert d["module"]["loaded"] is True
assert d["module"]["version"] == info["version"], (d["module"], info)
m = d["module"]["abi"]
assert "%d.%d" % (m["major"], m["minor"]) == info["abi"], (m, info)
assert d["abi_compatible"] is True
assert d["module"]["features"] != 0
PY

# status: module, tracepoints, no VM
expect_rc 0 "$ctl" status
grep -q '^pvsched.ko: loaded, version' "$LAB_OUT/last.out" || lab_fail "status: no module line"
expect_rc 0 "$ctl" -p status
python3 - "$LAB_OUT/last.out" <<'PY' || lab_fail "status -p content"
import json, sys
d = json.load(open(sys.argv[1]))
m = d["module"]
assert m["loaded"] and m["tp_family"] == "stock", m
assert "vmenter" in m["tp_event_names"] and "vmexit" in m["tp_event_names"], m
assert m["nr_vms"] == 0 and m["nr_vcpus"] == 0 and m["pinned_pages"] == 0, m
assert d["vms"] == [], d["vms"]
assert d["caps"]["max_rt_prio"] == int(open("/sys/module/pvsched/parameters/max_rt_prio").read())
# the host-wide bound's defaults, and the block probe attached
assert d["caps"]["max_rt_prio"] == 4 and d["caps"]["max_duty_pct"] == 70, d["caps"]
assert d["caps"]["cpu_share_pct"] == 50 and d["caps"]["cpu_share_window_us"] == 100000, d["caps"]
assert "block" in m["tp_event_names"], m
PY

# caps show = the parameters
expect_rc 0 "$ctl" -j caps show
python3 - "$LAB_OUT/last.out" "$params" <<'PY' || lab_fail "caps show differs from the module parameters"
import json, os, sys
d = json.load(open(sys.argv[1]))
for k, v in d.items():
    real = open(os.path.join(sys.argv[2], k)).read().strip()
    assert str(v) == real, (k, v, real)
assert len(d) == 14, sorted(d)
PY
old_prio=$(cat $params/max_rt_prio)
old_policy=$(cat $params/max_policy)
expect_rc 0 "$ctl" caps set max_rt_prio=20 max_policy=rr
lab_assert_eq "$(cat $params/max_rt_prio)" 20 "max_rt_prio after caps set"
lab_assert_eq "$(cat $params/max_policy)" rr "max_policy after caps set"
expect_rc 3 "$ctl" caps set max_rt_prio=200
grep -q '^pvschedctl: caps set max_rt_prio=200: Invalid argument$' "$LAB_OUT/last.err" ||
	lab_fail "caps set refusal not reported with its errno"
lab_assert_eq "$(cat $params/max_rt_prio)" 20 "max_rt_prio after a refused set"
expect_rc 1 "$ctl" caps set max_rt_prio=30 no_such_cap=1
lab_assert_eq "$(cat $params/max_rt_prio)" 20 "nothing written when a key is unknown"
expect_rc 0 "$ctl" caps set "max_rt_prio=$old_prio" "max_policy=$old_policy"

# trace: runs for its duration and removes its instance
expect_rc 0 "$ctl" -j trace --kvm --duration 2
ls /sys/kernel/tracing/instances/ | grep -q pvschedctl && lab_fail "trace left its tracing instance behind"

# debugfs not mounted: status reads the module through /dev/pvsched
umount /sys/kernel/debug
expect_rc 0 "$ctl" status
mount -t debugfs debugfs /sys/kernel/debug

lab_unload_pvsched
expect_rc 2 "$ctl" version
grep -q 'pvsched.ko: not loaded' "$LAB_OUT/last.out" || lab_fail "version does not say 'not loaded'"
expect_rc 2 "$ctl" -j status
grep -q '"loaded":false' "$LAB_OUT/last.out" || lab_fail "status -j without the module"
expect_rc 2 "$ctl" caps show
expect_rc 2 "$ctl" trace --duration 1
lab_check_dmesg
