#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside L1, chrooted into the build machine's / (read-only 9p), as
# root.  $1 is the writable out share (LAB_OUT); $1/lab.env, written by
# tests/lab/run, names the test.  Sets up the mounts a normal system has,
# loads kvm_amd, runs the test with bash and writes back:
#   $LAB_OUT/output.log   the test's stdout+stderr (also on the console)
#   $LAB_OUT/exitcode     the test's exit status (0 pass, 77 skip, else fail)
#   $LAB_OUT/dmesg.log    L1's kernel log after the test
set -u
LAB_OUT=$1
say() { echo "lab-l1: $*"; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/shm /dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/lock /run/lab
hostname lab-l1 2>/dev/null

# shellcheck source=/dev/null
. "$LAB_OUT/lab.env" || { say "cannot read $LAB_OUT/lab.env"; exit 1; }
export PVSCHED_SRC PVSCHED_KO PVSCHED_GUEST_KO PVSCHEDCTL LAB_OUT LAB_KVER \
	LAB_TEST LAB_DIR LAB_BUILD LAB_L2_KERNEL LAB_L2_INITRD
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8

finish() {
	echo "$1" >"$LAB_OUT/exitcode.tmp" && mv "$LAB_OUT/exitcode.tmp" "$LAB_OUT/exitcode"
	dmesg >"$LAB_OUT/dmesg.log" 2>&1
	sync
	exit 0
}

if [[ "$(uname -r)" != "$LAB_KVER" ]]; then
	say "running kernel $(uname -r) but LAB_KVER=$LAB_KVER"
	finish 1
fi

# KVM on the emulated AMD CPU (TCG's -cpu max has svm + npt).
for m in irqbypass kvm ccp kvm_amd; do
	modprobe "$m" || say "modprobe $m failed"
done
if [[ ! -c /dev/kvm ]]; then
	say "/dev/kvm missing after modprobe kvm_amd"
	finish 1
fi
say "kvm_amd loaded, /dev/kvm ok; running $LAB_TEST"

cd /run/lab || finish 1
start=$(date +%s%N)
bash "$PVSCHED_SRC/tests/lab/tests/$LAB_TEST.sh" </dev/null 2>&1 | tee "$LAB_OUT/output.log"
rc=${PIPESTATUS[0]}
echo $((($(date +%s%N) - start) / 1000000)) >"$LAB_OUT/test-ms"
say "$LAB_TEST exited with $rc"

# Leftover L2 guests would otherwise be cut off mid-write by the poweroff.
for pidfile in /run/lab/l2/*/pid; do
	[[ -e $pidfile ]] && kill -TERM "$(cat "$pidfile")" 2>/dev/null && sleep 1
done
finish "$rc"
