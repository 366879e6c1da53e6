#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside L1, chrooted into the build machine's / (read-only 9p), as
# root.  $1 is the writable out share (LAB_OUT); $1/lab.env, written by
# tests/lab/run, names the test.  Sets up the mounts a normal system has,
# loads kvm_amd, runs the test with bash and writes back:
#   $LAB_OUT/output.log   the test's stdout+stderr (also on the console)
#   $LAB_OUT/exitcode     the test's exit status (0 pass, 4 skip, else fail)
#   $LAB_OUT/dmesg.log    L1's kernel log after the test
set -u
LAB_OUT=$1
say() { echo "lab-l1: $*"; }

# set -a: every variable of lab.env (the harness's and the caller's other
# LAB_* / PVSCHED_* settings) reaches the test.  Read before the mounts
# below, which may hide it (LAB_OUT under a checkout in /tmp).
set -a
# shellcheck source=/dev/null
. "$LAB_OUT/lab.env" || { say "cannot read $LAB_OUT/lab.env"; exit 1; }
set +a

# The mounts below (devtmpfs on /dev, tmpfs on /dev/shm, /tmp and /run)
# hide what the build machine has there: a checkout (or LAB_BUILD, or a
# PVSCHED_KO=...) under /tmp, /run or /dev/shm would vanish.  So every
# directory under those that lab.env names (the checkout, LAB_BUILD,
# LAB_OUT, the directories of files such as PVSCHED_KO) is pinned by an
# open descriptor first, and bind-mounted back at its own (physical) path
# in the new tmpfs afterwards if a mount hid it (expose_pinned).
pin_fds=() pin_dirs=()
# No subshell or external command where a builtin does (here and up to
# the test): a process costs ~0.1 s under TCG, ~0.2 s on the debug
# kernel, and every lab test boots L1.
pin_dir() {
	local d=$1 fd i
	[[ -d $d ]] || d=${d%/*}
	[[ -d $d ]] || return 0
	cd -P -- "$d" 2>/dev/null || return 0
	d=$PWD
	cd / || return 0
	case $d in
	/run/lock | /run/lock/* | /run/lab | /run/lab/*) return 0 ;; # L1's own
	/tmp/?* | /run/?* | /dev/shm/?*) ;;
	*) return 0 ;;
	esac
	for i in "${pin_dirs[@]}"; do
		[[ $i != "$d" ]] || return 0
	done
	exec {fd}<"$d" || return 0
	pin_fds+=("$fd") pin_dirs+=("$d")
}
pin_lab_dirs() {
	local v
	pin_dir "$LAB_OUT"
	for v in $(compgen -e); do
		case $v in
		LAB_* | PVSCHED_*) [[ ${!v} == /?* ]] && pin_dir "${!v}" ;;
		esac
	done
}
# Parents first: a checkout bound back with its submounts (the out share)
# brings its subdirectories along.
expose_pinned() {
	local i j k d fd order=()
	# indices by path length (an insertion sort)
	for j in "${!pin_dirs[@]}"; do
		k=${#order[@]}
		while ((k > 0)) && ((${#pin_dirs[order[k - 1]]} > ${#pin_dirs[j]})); do
			order[k]=${order[k - 1]}
			((k--))
		done
		order[k]=$j
	done
	for i in "${order[@]}"; do
		d=${pin_dirs[i]} fd=${pin_fds[i]}
		# same device and inode: still visible
		[[ /proc/self/fd/$fd -ef $d ]] && continue
		# -c: mount(2) itself follows the descriptor's /proc link to
		# the hidden directory (canonicalized, the path would name
		# the new empty one).
		if mkdir -p "$d" && mount -c --rbind "/proc/self/fd/$fd" "$d"; then
			say "$d: hidden by L1's mounts, bind-mounted back"
		else
			say "cannot bind-mount $d back (hidden by L1's mounts)"
			expose_failed+="$d "
		fi
	done
	for fd in "${pin_fds[@]}"; do
		exec {fd}<&-
	done
	pin_fds=() pin_dirs=()
}
expose_failed=
pin_lab_dirs

# /proc first (mount reads /proc/self/mountinfo), then the rest of
# l1-fstab in one mount -a, which creates /dev/shm and /dev/pts
mount -t proc proc /proc
mount -a -T "$PVSCHED_SRC/tests/lab/l1-fstab" || say "mount -a -T l1-fstab failed"
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr
expose_pinned
mkdir -p /run/lock /run/lab
echo lab-l1 2>/dev/null >/proc/sys/kernel/hostname

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

# A harness problem in L1 (not the test's fault): recorded as the reason.
harness_error() {
	say "$*"
	echo "$*" >"$LAB_OUT/harness-error"
	finish 1
}

if [[ -n $expose_failed ]]; then
	harness_error "cannot bind-mount back $expose_failed(hidden by L1's tmpfs on /tmp, /run or /dev/shm)"
fi
if [[ "$(uname -r)" != "$LAB_KVER" ]]; then
	harness_error "running kernel $(uname -r) but LAB_KVER=$LAB_KVER"
fi

# A kernel that is not installed on the build machine (the debug kernel)
# brings its modules in LAB_MODULES_ROOT/lib/modules: make modprobe find them.
if [[ -n ${LAB_MODULES_ROOT:-} ]]; then
	mount --bind "$LAB_MODULES_ROOT/lib/modules" /lib/modules ||
		{ say "cannot bind-mount $LAB_MODULES_ROOT/lib/modules"; finish 1; }
fi

# KVM on the emulated AMD CPU (TCG's -cpu max has svm + npt).
# LAB_KVM_AMD: kvm_amd's parameters (the emulator study: which of KVM's
# uses of the emulated SVM features the emulator gets wrong).
# One modprobe: kvm_amd brings kvm, irqbypass and (if built) ccp.
# shellcheck disable=SC2206 # PARAM=VALUE words wanted
params=(${LAB_KVM_AMD:-})
modprobe kvm_amd "${params[@]}" || say "modprobe kvm_amd ${params[*]} failed"
[[ -z ${LAB_KVM_AMD:-} ]] || say "kvm_amd loaded with $LAB_KVM_AMD:" \
	"$(grep -H . /sys/module/kvm_amd/parameters/* 2>/dev/null | sed 's|.*/||' | tr '\n' ' ')"
[[ -c /dev/kvm ]] || harness_error "/dev/kvm missing after modprobe kvm_amd"
# One idle VM (no vCPU) for the whole run: the first VM of a boot enables
# the preempt notifiers' static key, which patches __schedule, and the
# emulator sometimes runs a stale int3 there on the other CPU (the
# l1-stale-int3 signatures, tests/lab/README.md).  Patched now, on a quiet
# L1, it stays patched while the test creates and destroys its VMs.  A
# test that unloads kvm says "# lab-kvm-unload: yes" and gets none (the VM
# would hold the module).
# build/lab-tools/kvm-holder (make lab-prereqs) starts in ~20 ms here;
# without it, the same in python3, which takes about 1 s under TCG.  Its
# first line ("ready" or an error) is read from a pipe: no polling.
kvm_holder=''
holder=()
holder_bin=$PVSCHED_SRC/build/lab-tools/kvm-holder
kvm_unload=0
while read -r line && [[ $line == '#'* ]]; do
	[[ $line != '# lab-kvm-unload: yes' ]] || kvm_unload=1
done <"$PVSCHED_SRC/tests/lab/tests/$LAB_TEST.sh"
if ((kvm_unload)); then
	:
elif [[ -x $holder_bin ]]; then
	holder=("$holder_bin")
else
	holder=(python3 -c '
import fcntl, os, signal, sys, time
kvm = os.open("/dev/kvm", os.O_RDWR)
vm = fcntl.ioctl(kvm, 0xAE01, 0)  # KVM_CREATE_VM
signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
print("ready", flush=True)
while True:
    time.sleep(3600)
')
fi
if ((${#holder[@]})); then
	exec {holder_fd}< <(exec "${holder[@]}" </dev/null 2>&1)
	kvm_holder=$!
	holder_said=
	read -r -t 10 -u "$holder_fd" holder_said || true
	exec {holder_fd}<&-
	[[ $holder_said == ready ]] || say "no idle VM for the run: ${holder_said:-no answer in 10 s}"
fi
# Where module text is, for tests/lab/l1-snapshot should L1 hang.  One
# modinfo for all the modules (one each took 1.6 s for 14 modules under
# TCG), its files matched back to the names ("-" and "_" are one).
lab_modules_txt() {
	local m f k names=()
	local -A file=()
	for m in /sys/module/*/sections/.text; do
		m=${m#/sys/module/}
		names+=("${m%%/*}")
	done
	while read -r f; do
		k=${f##*/}
		k=${k%%.ko*}
		file[${k//-/_}]=$f
	done < <(modinfo -n "${names[@]}" 2>/dev/null)
	for m in "${names[@]}"; do
		echo "$m $(<"/sys/module/$m/sections/.text") ${file[${m//-/_}]:-}"
	done >"$LAB_OUT/modules.txt" 2>/dev/null
}
lab_modules_txt
# The kernel's own text symbols, once per kernel (Debian's System.map is
# a stub): tests/lab/run keeps the first copy in LAB_BUILD.
if [[ ! -s $LAB_BUILD/kallsyms-$LAB_KVER ]]; then
	grep -E '^[0-9a-f]+ [tTwW] [^ ]+$' /proc/kallsyms >"$LAB_OUT/kallsyms" 2>/dev/null
fi
say "kvm_amd loaded, /dev/kvm ok; running $LAB_TEST"

cd /run/lab || harness_error "cannot cd to /run/lab"
# Every 30 s, where L1's threads are (scheduling class, CPU, state, the
# kernel function they wait in), at SCHED_FIFO 99 so that it still runs
# when the test starves the CPUs: a test that times out leaves its last
# picture in $LAB_OUT/threads.txt (tests/lab/run shows its tail).
(
	exec </dev/null >/dev/null 2>&1
	chrt -f -p 99 "$BASHPID" || true
	while sleep 30; do
		{
			date '+%T'
			ps -eLo pid,tid,cls,rtprio,ni,psr,stat,wchan:28,comm --sort=psr
		} >"$LAB_OUT/threads.txt.tmp" && mv "$LAB_OUT/threads.txt.tmp" "$LAB_OUT/threads.txt"
	done
) &
threads_pid=$!
# (a benchmark keeps it off the CPU it measures: tests/bench/latency-lib.sh)
echo "$threads_pid" >/run/lab/threads.pid
start=${EPOCHREALTIME/./}
# The test's output goes through tee from a FIFO, not a pipeline: a
# process the test left running keeps the pipe open, and a pipeline would
# wait for it until the test's timeout.  Such processes carry lab_test_run
# in their environment: once the test has exited they are named (in its
# output) and killed; L2 guests are stopped below.  LAB_XTRACE=1 runs
# the test under bash -x (a test that exits without a FAIL line).
mkfifo /run/lab/test-output
tee "$LAB_OUT/output.log" </run/lab/test-output &
tee_pid=$!
lab_test_run=$$ bash ${LAB_XTRACE:+-x} "$PVSCHED_SRC/tests/lab/tests/$LAB_TEST.sh" </dev/null \
	>/run/lab/test-output 2>&1
rc=$?
echo $(((${EPOCHREALTIME/./} - start) / 1000)) >"$LAB_OUT/test-ms"
guests=" $(cat /run/lab/l2/*/pid 2>/dev/null | tr '\n' ' ') "
left=()
# One grep over every environment: a tr and a grep per process took 7 s
# of each test's run under the emulator (ctl-ioctl: 13.4 s to 20.6 s).
while read -r e; do
	p=${e#/proc/}
	p=${p%/environ}
	[[ $guests == *" $p "* ]] || left+=("$p")
done < <(grep -l -z -x "lab_test_run=$$" /proc/[0-9]*/environ 2>/dev/null)
msgs=()
for p in "${left[@]}"; do
	msgs+=("lab-l1: $LAB_TEST left process $p ($(cat "/proc/$p/comm" 2>/dev/null)) running: killed")
done
((${#left[@]} == 0)) || kill -KILL "${left[@]}" 2>/dev/null || true
wait "$tee_pid" || true
for m in "${msgs[@]}"; do
	echo "$m" | tee -a "$LAB_OUT/output.log"
done
# A test that failed without lab_fail (errexit: a command that no longer
# finds a guest's thread) still names an L2 guest that reset itself, as
# lab_fail would: the verdict's l2-silent-reset reads it from the output.
if ((rc != 0 && rc != 4)); then
	(
		# shellcheck source=lib.sh
		. "$PVSCHED_SRC/tests/lab/lib.sh"
		set +e
		trap - ERR
		lab_l2_explain_resets
	) 2>&1 | tee -a "$LAB_OUT/output.log"
fi
say "$LAB_TEST exited with $rc"

kill "$threads_pid" 2>/dev/null || true
[[ -z $kvm_holder ]] || kill "$kvm_holder" 2>/dev/null || true
# Leftover L2 guests would otherwise be cut off mid-write by the poweroff.
for pidfile in /run/lab/l2/*/pid; do
	[[ -e $pidfile ]] && kill -TERM "$(cat "$pidfile")" 2>/dev/null && sleep 1
done
finish "$rc"
