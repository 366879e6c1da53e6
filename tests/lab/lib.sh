# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by lab tests (tests/lab/tests/*.sh), which run as root inside L1
# under bash.  Sets "set -euo pipefail".
#
# Environment provided by the harness:
#   PVSCHED_SRC        absolute path of the checkout (same path as on the
#                      build machine; read-only in L1)
#   PVSCHED_KO         host module (host/pvsched.ko)
#   PVSCHED_GUEST_KO   guest module (guest/pvsched_guest.ko)
#   PVSCHEDCTL         tools/pvschedctl/pvschedctl
#   LAB_OUT            writable directory carried back to build/lab/TEST/out
#   LAB_KVER           kernel version of L1 (and L2)
#   LAB_TEST, LAB_DIR  test name; build/lab/TEST (read-only in L1)
#
# Exit status of a test: 0 PASS, 4 SKIP (lab_skip; kselftest's KSFT_SKIP),
# anything else FAIL.
# The harness also fails the test if L1's dmesg shows kernel trouble
# (tests/lab/dmesg-patterns).  A command that fails outside a condition
# ends the test (set -e) with a FAIL line naming it and its line.
set -euo pipefail
trap 'lab_err_exit $? "$BASH_COMMAND" "${BASH_SOURCE[0]:-$0}" "$LINENO"' ERR

lab_home=$PVSCHED_SRC/tests/lab
lab_l2_root=/run/lab/l2
LAB_L2_SMP=${LAB_L2_SMP:-1}
LAB_L2_MEM=${LAB_L2_MEM:-256}
# XSAVE off: with the TCG-emulated AMD CPU of L1, "-cpu host" gives L2 an
# XSAVE size in CPUID that its kernel WARNs about at boot (xstate.c:606).
# Without XSAVE the OS cannot enable the AVX state, but QEMU keeps the AVX
# family in CPUID, and 7.3's built-in lib/crypto trusts the AVX bit alone
# (gf128hash: polyval_mul_pclmul_avx, #UD at boot): hide that family too.
lab_l2_cpu=host,-xsave,-xsaveopt,-xsavec,-xsaves,-avx,-avx2,-fma,-f16c,-vaes,-vpclmulqdq
lab_l2_machine=pc,accel=kvm
lab_l2_bios=/usr/share/qemu/qboot.rom
lab_l2_run_timeout=120

# The ERR trap's: set -e is about to end the test at a command that
# failed outside a condition.
lab_err_exit() {
	echo "FAIL: '$2' exited with $1 (${3##*/} line $4)" >&2
}

lab_log() {
	echo "[$(date +%T.%3N)] $*"
}

# lab_fail MSG: fail the test now.  Whatever the failure, an L2 guest
# that reset itself meanwhile (its QEMU ended with status 0, no panic or
# power-off on its console, no quit asked for) is named with lab_l2_died's
# explanation: the failure may be only that (the verdict's l2-silent-reset,
# tests/lab/emulator-signatures), e.g. a status check that no longer finds
# the guest's VM.
lab_fail() {
	echo "FAIL: $*" >&2
	lab_l2_explain_resets >&2
	exit 1
}

lab_l2_explain_resets() {
	local dir name
	for dir in "$lab_l2_root"/*/; do
		dir=${dir%/}
		name=${dir##*/}
		[[ -e $dir/explained ]] && continue
		if grep -q 'KVM internal error' "$dir/qemu.log" 2>/dev/null; then
			lab_l2_internal_error "$name"
			continue
		fi
		[[ -e $dir/pid && -e $dir/exit-status && ! -e $dir/quit-asked ]] || continue
		lab_l2_reset_exit "$name" && lab_l2_died "$name"
	done
	return 0
}

# lab_skip REASON: skip the test (exit 4, kselftest's KSFT_SKIP); REASON
# lands in the results.
lab_skip() {
	echo "SKIP: $*" >&2
	echo "$*" >"$LAB_OUT/skip-reason"
	exit 4
}

# lab_assert CMD...: run CMD, fail the test if it fails.
lab_assert() {
	"$@" || lab_fail "assertion failed ($?): $*"
}

# lab_assert_eq ACTUAL EXPECTED MSG
lab_assert_eq() {
	[[ "$1" == "$2" ]] || lab_fail "${3:-values differ}: got '$1', expected '$2'"
}

# lab_expect OP A B WHAT: fail the test, printing both values, unless
# "A OP B": OP is an integer comparison (-eq -ne -lt -le -gt -ge, both
# sides must be integers) or a string one (== != =~, B a bash regex).
lab_expect() {
	local op=$1 a=$2 b=$3 what=${4:-lab_expect}
	case $op in
	-eq | -ne | -lt | -le | -gt | -ge)
		[[ $a =~ ^-?[0-9]+$ && $b =~ ^-?[0-9]+$ ]] ||
			lab_fail "$what: expected integers for $op, got '$a' and '$b'"
		[ "$a" "$op" "$b" ]
		;;
	==) [[ $a == "$b" ]] ;;
	!=) [[ $a != "$b" ]] ;;
	=~) [[ $a =~ $b ]] ;;
	*) lab_fail "lab_expect: unknown operator '$op' ($what)" ;;
	esac || lab_fail "$what: expected $a $op $b (got '$a', '$b')"
}

# lab_wait_until SECS CMD...: run CMD every 0.2 s until it succeeds (0) or
# SECS seconds have passed (1, and a line on stderr saying what never
# became true).  CMD's output goes to stdout as usual.
lab_wait_until() {
	local secs=$1 deadline
	shift
	deadline=$((${EPOCHREALTIME/./} + secs * 1000000))
	while :; do
		"$@" && return 0
		((${EPOCHREALTIME/./} < deadline)) || break
		lab_pause 0.2
	done
	echo "lab_wait_until: '$*' still failing after ${secs}s" >&2
	return 1
}

# lab_thread_sched TID: sets lab_sched to "POLICY RT_PRIORITY" of thread
# TID (fields 41 and 40 of /proc/TID/stat: 0 SCHED_OTHER, 1 SCHED_FIFO,
# 2 SCHED_RR...) with bash builtins only: no fork, so that a loop can
# sample every ~10 ms under TCG.  1 if the thread is gone.
lab_thread_sched() {
	local stat
	read -r stat <"/proc/$1/stat" 2>/dev/null || return 1
	stat=${stat##*) }
	# shellcheck disable=SC2086 # the fields
	set -- $stat
	# $1 here is field 3 (state)
	lab_sched="${39} ${38}"
}

# lab_pause SECS: sleep without a fork ("read -t" on a FIFO nobody
# writes, lab_never in L1's /run/lab), or with sleep(1) where there is no
# such FIFO.
lab_never=/run/lab/never
lab_pause() {
	if [[ -z ${lab_never_fd:-} ]]; then
		lab_never_fd=none
		if [[ -p $lab_never ]] || mkfifo "$lab_never" 2>/dev/null; then
			# braces: a redirection of exec itself would stay for good
			{ exec {lab_never_fd}<>"$lab_never"; } 2>/dev/null || lab_never_fd=none
		fi
	fi
	if [[ $lab_never_fd == none ]]; then
		sleep "$1"
	else
		read -r -t "$1" -u "$lab_never_fd" _ || true
	fi
}

# lab_wait_sched TID SECS "POLICY RT_PRIORITY": sample thread TID about every
# 10 ms until it is seen at that policy and priority (0), for at most
# SECS seconds (1); lab_samples is the number of samples taken.  A fork per
# check (chrt -p every 0.2 s) missed a vCPU thread that was at FIFO 20 for
# 20-70 % of the time (guest-host on 6.12-rt, 2026-12-07).
lab_wait_sched() {
	local tid=$1 end=$((${EPOCHREALTIME/./} + $2 * 1000000)) want=$3
	lab_samples=0
	while ((${EPOCHREALTIME/./} < end)); do
		lab_thread_sched "$tid" || return 1
		((++lab_samples))
		[[ $lab_sched != "$want" ]] || return 0
		lab_pause 0.01
	done
	return 1
}

# lab_load_pvsched [PARAM=VALUE...]: insmod $PVSCHED_KO (after its
# dependencies, kvm is already loaded) and check it is live.
lab_load_pvsched() {
	[[ -f $PVSCHED_KO ]] || lab_fail "$PVSCHED_KO not built (run make)"
	insmod "$PVSCHED_KO" "$@" || lab_fail "insmod $PVSCHED_KO $* failed"
	[[ "$(cat /sys/module/pvsched/initstate 2>/dev/null)" == live ]] ||
		lab_fail "pvsched loaded but /sys/module/pvsched/initstate is not live"
	# For tests/lab/l1-snapshot, should L1 hang from here on.
	echo "pvsched $(cat /sys/module/pvsched/sections/.text 2>/dev/null) $PVSCHED_KO" \
		>>"$LAB_OUT/modules.txt"
	lab_log "pvsched loaded${*:+ with $*}"
}

# The admin caps of pvsched before its host-wide bound (issue 20): RT
# priorities up to 49, new sessions boosted at RR 8, no duty-cycle cap, no
# per-CPU share.  For the tests of the per-vCPU policy whose numbers (RR 8
# and FIFO 20 boosts, max_boost 1 s, boosts held for seconds) predate the
# bound, which tests/lab/tests/hostile-host-share.sh and the ioctl test
# cover: lab_load_pvsched "${lab_unbounded_caps[@]}".
# shellcheck disable=SC2034 # used by the tests
lab_unbounded_caps=(max_rt_prio=49 default_boost_prio=8 max_duty_pct=100 cpu_share_pct=100)

# lab_unload_pvsched: rmmod and check it is gone.
lab_unload_pvsched() {
	rmmod pvsched || lab_fail "rmmod pvsched failed"
	[[ ! -e /sys/module/pvsched ]] || lab_fail "/sys/module/pvsched still present after rmmod"
	lab_log "pvsched unloaded"
}

# lab_module_build_id NAME: the GNU build ID of the loaded module NAME, in
# hex (empty if the kernel shows none): the note's 16-byte header (sizes,
# type, "GNU\0") skipped.  Tells two builds of the same sources apart,
# which srcversion does not.
lab_module_build_id() {
	local note=/sys/module/$1/notes/.note.gnu.build-id
	[[ -r $note ]] || return 0
	od -An -tx1 -v -j16 "$note" | tr -d ' \n'
}

# lab_check_dmesg: fail now if L1's kernel log already shows trouble (the
# harness checks again after the test anyway).
lab_check_dmesg() {
	local hits
	if hits=$(dmesg | grep -a -E -f <(grep -v -e '^#' -e '^[[:space:]]*$' "$lab_home/dmesg-patterns")); then
		lab_fail "kernel trouble in L1 dmesg:"$'\n'"$hits"
	fi
}

# lab_hogs CPU N: start N CPU hogs (busy shell loops) pinned to L1 CPU CPU,
# e.g. to keep a vCPU thread there preempted; lab_hogs_stop ends them all.
lab_hog_pids=()
lab_hogs() {
	local i
	for ((i = 0; i < $2; i++)); do
		taskset -c "$1" bash -c 'while :; do :; done' &
		lab_hog_pids+=($!)
	done
}

lab_hogs_stop() {
	local p
	for p in "${lab_hog_pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	lab_hog_pids=()
}

# ---------------------------------------------------------------------------
# L2 guests.  lab_l2_start boots the lab kernel under real KVM inside L1
# with a busybox initramfs (tests/lab/l2/init).  Per guest, in $L2_DIR =
# /run/lab/l2/NAME (L1 tmpfs):
#   qmp.sock     QMP socket          console.log  L2 serial console
#   pid          QEMU's pid          share/       9p share "lab" = /lab in L2
# Commands: lab_l2_run writes share/cmd/N.sh; L2's init polls share/cmd/,
# runs each script with sh, writes N.out (stdout+stderr) and then N.rc.
# L1's / is also visible read-only at /host in L2 (e.g. chroot /host cmd).
# The guest module, if built, is at /lib/pvsched/pvsched_guest.ko in L2;
# helper scripts from tests/lab/l2/ are in /lab-l2/.
# ---------------------------------------------------------------------------

lab_l2_dir() {
	echo "$lab_l2_root/$1"
}

# lab_l2_start [--smp N] [--mem MB] [--append ARGS] NAME [extra qemu args...]
#   N defaults to $LAB_L2_SMP (1), MB to $LAB_L2_MEM (256).  Returns once
#   QEMU runs; use lab_l2_wait NAME ready to wait for the guest's init.
lab_l2_start() {
	local smp=$LAB_L2_SMP mem=$LAB_L2_MEM append= name dir
	while [[ $# -gt 0 ]]; do
		case "$1" in
		--smp) smp=$2; shift 2 ;;
		--mem) mem=$2; shift 2 ;;
		--append) append=$2; shift 2 ;;
		*) break ;;
		esac
	done
	name=${1:?lab_l2_start: NAME missing}
	shift
	dir=$(lab_l2_dir "$name")
	[[ -e $dir/pid ]] && lab_fail "L2 guest $name already started"
	[[ -r $LAB_L2_INITRD ]] || lab_fail "L2 initramfs $LAB_L2_INITRD missing"
	rm -rf "$dir"
	mkdir -p "$dir/share/cmd"
	# for lab_l2_wait's one restart of a guest that reset while booting
	printf '%q ' --smp "$smp" --mem "$mem" --append "$append" "$name" "$@" >"$lab_l2_root/.$name.args"
	# qboot starts a -kernel much faster than SeaBIOS under nested KVM.
	local bios=()
	[[ -r $lab_l2_bios ]] && bios=(-bios "$lab_l2_bios")
	# Legacy virtio (disable-modern=on): notifications are port I/O, not
	# MMIO.  Under the emulator an L2 MMIO exit can carry an "event being
	# delivered" (EXITINTINFO) that a real CPU would not report for a
	# fault of the instruction itself, and KVM after 6.12 refuses to
	# emulate an MMIO access then (KVM internal error, suberror 3): the L2
	# QEMU stops at its first 9p request: 12 of 17 boots on 7.3 (2 of 4
	# without pvsched loaded; tests/lab/README.md).  Port I/O takes KVM's
	# fast path, which that check does not cover: 8 of 8 boots.
	# Not -daemonize: that sends QEMU's stderr to /dev/null.  A subshell
	# keeps QEMU's pid, its stderr and its exit status.
	(
		rc=0
		qemu-system-x86_64 -name "$name,debug-threads=on" \
			-machine "$lab_l2_machine" -enable-kvm -cpu "$lab_l2_cpu" -m "$mem" -smp "$smp" \
			"${bios[@]}" \
			-kernel "$LAB_L2_KERNEL" -initrd "$LAB_L2_INITRD" \
			-append "console=ttyS0 quiet panic=-1 mitigations=off pci=noearly lab.name=$name $append" \
			-display none -no-reboot -nodefaults -monitor none \
			-serial "file:$dir/console.log" \
			-qmp "unix:$dir/qmp.sock,server=on,wait=off" \
			-fsdev "local,id=lab,path=$dir/share,security_model=none,multidevs=remap" \
			-device virtio-9p-pci,fsdev=lab,mount_tag=lab,disable-modern=on \
			-fsdev local,id=host,path=/,security_model=none,readonly=on,multidevs=remap \
			-device virtio-9p-pci,fsdev=host,mount_tag=host,disable-modern=on \
			"$@" </dev/null >"$dir/qemu.log" 2>&1 &
		echo $! >"$dir/pid.tmp"
		mv "$dir/pid.tmp" "$dir/pid"
		wait $! || rc=$?
		echo "$rc" >"$dir/exit-status"
	) </dev/null >/dev/null 2>&1 &
	local i
	for ((i = 0; i < 300; i++)); do
		[[ -e $dir/pid ]] && break
		sleep 0.1
	done
	[[ -e $dir/pid ]] || lab_fail "L2 $name: QEMU did not start"
	for ((i = 0; i < 600; i++)); do
		[[ -S $dir/qmp.sock ]] && break
		if [[ -e $dir/exit-status ]]; then
			cp "$dir/qemu.log" "$LAB_OUT/l2-$name-qemu.log"
			lab_fail "cannot start L2 guest $name (status $(cat "$dir/exit-status")): $(cat "$dir/qemu.log")"
		fi
		sleep 0.1
	done
	lab_log "L2 $name started (pid $(cat "$dir/pid"), $smp vCPU, ${mem} MB)"
}

# Explain why an L2 guest is gone: QEMU's status, stderr and console tail.
lab_l2_died() {
	local dir i
	dir=$(lab_l2_dir "$1")
	# the subshell of lab_l2_start writes QEMU's status just after it ends
	for ((i = 0; i < 30; i++)); do
		[[ -e $dir/exit-status ]] && break
		sleep 0.1
	done
	: >"$dir/explained"
	echo "L2 $1 is not running (QEMU exit status: $(cat "$dir/exit-status" 2>/dev/null || echo unknown))"
	[[ -s $dir/qemu.log ]] && sed 's/^/  qemu: /' "$dir/qemu.log"
	tail -n 20 "$dir/console.log" | sed 's/^/  console: /'
	if lab_l2_reset_exit "$1"; then
		echo "  (QEMU exited normally and L2 printed no panic and no power-off: a guest reset, e.g. a triple fault)"
	fi
	lab_kvm_recorder_dump "$1"
	return 0
}

# lab_l2_internal_error NAME: NAME's QEMU reported a KVM internal error
# (KVM_RUN failed, the guest is stopped): print its report.  Suberror 3 on
# an #NPF (exit reason 0x400) is the emulator's stale EXITINTINFO
# (tests/lab/emulator-signatures: l2-kvm-delivery-ev).
lab_l2_internal_error() {
	local dir
	dir=$(lab_l2_dir "$1")
	: >"$dir/explained"
	echo "L2 $1 stopped by a KVM internal error (its QEMU's report):"
	grep -a -A 6 'KVM internal error' "$dir/qemu.log" | sed 's/^/  qemu: /'
	cp "$dir/qemu.log" "$LAB_OUT/l2-$1-qemu.log" 2>/dev/null || true
}

# lab_l2_reset_exit NAME: true if NAME's QEMU ended with status 0 and its
# console shows no panic, reboot or power-off: -no-reboot turned a guest
# reset (a triple fault) into QEMU's normal exit.
lab_l2_reset_exit() {
	local dir
	dir=$(lab_l2_dir "$1")
	[[ $(cat "$dir/exit-status" 2>/dev/null) == 0 ]] &&
		! grep -a -q -E -e 'Kernel panic|reboot: (Power down|Restarting)' "$dir/console.log"
}

lab_l2_pid() {
	cat "$(lab_l2_dir "$1")/pid"
}

# lab_l2_wait NAME PATTERN [TIMEOUT=60]: wait for a line matching PATTERN
# (grep -E) on the L2 serial console.  "ready" is printed by L2's init once
# it takes commands ("lab-l2: ready").
#
# A guest that resets itself while booting (QEMU exits 0 with no panic on
# the console: a triple fault under nested SVM on TCG, seen with no pvsched
# module loaded, tests/lab/README.md) is started again once, with a log
# line and its first console kept as l2-NAME-console.reset.log.
lab_l2_wait() {
	local name=$1 pattern=$2 timeout=${3:-60} dir end boot=
	dir=$(lab_l2_dir "$name")
	[[ $pattern == ready ]] && pattern='^lab-l2: ready' boot=1
	# seconds of wall time: a loop's turns take far longer than their
	# sleep when L2's vCPUs keep both L1 CPUs busy
	end=$((SECONDS + timeout))
	while ((SECONDS < end)); do
		if grep -a -q -E -e "$pattern" "$dir/console.log" 2>/dev/null; then
			# whose events the KVM recorder keeps (lab_kvm_recorder_dump)
			[[ -z $boot || -z ${lab_kvm_recorder:-} ]] ||
				lab_l2_vcpu_tids "$name" >"$dir/vcpu-tids" 2>/dev/null || true
			return 0
		fi
		# lab_fail prints QEMU's report (lab_l2_explain_resets)
		grep -q 'KVM internal error' "$dir/qemu.log" 2>/dev/null &&
			lab_fail "L2 $name stopped while waiting for '$pattern'"
		if ! kill -0 "$(lab_l2_pid "$name")" 2>/dev/null; then
			lab_l2_died "$name" >&2
			if [[ -n $boot && ! -e $lab_l2_root/.$name.restarted ]] &&
				lab_l2_reset_exit "$name"; then
				: >"$lab_l2_root/.$name.restarted"
				cp "$dir/console.log" "$LAB_OUT/l2-$name-console.reset.log" 2>/dev/null || true
				lab_log "L2 $name reset itself while booting; starting it again (once)"
				rm -f "$dir/pid"
				eval "lab_l2_start $(cat "$lab_l2_root/.$name.args")"
				end=$((SECONDS + timeout))
				continue
			fi
			lab_fail "L2 $name exited while waiting for '$pattern'"
		fi
		sleep 0.1
	done
	tail -n 30 "$dir/console.log" >&2
	# Why: where L2's CPUs are, whether its vCPU threads run in L1, and
	# what in L1 waits uninterruptibly (an L2 QEMU paging in its own code
	# over L1's 9p root waits there; guest-host on 7.3 in a CI simulation
	# of 2026-12-06 printed nothing for 300 s while L1 had a task in
	# p9_client_rpc)
	lab_l2_snapshot "$name" >&2 || true
	echo "L2 $name's vCPU threads in L1: $(lab_l1_thread_states "$(lab_l2_pid "$name")" 2>&1)" >&2
	lab_l1_blocked >&2
	lab_fail "L2 $name: no '$pattern' on its console within ${timeout}s"
}

# lab_l1_blocked: L1's tasks in uninterruptible sleep (state D) and the
# kernel function they wait in, sampled twice 5 s apart: one that is there
# both times with no context switch in between waits for something that
# does not come (a 9p request L0's QEMU never answered).
lab_l1_blocked() {
	local first second t
	first=$(lab_l1_d_tasks)
	sleep 5
	second=$(lab_l1_d_tasks)
	echo "L1 tasks in D state: ${first:-none}"
	echo "L1 tasks in D state 5 s later: ${second:-none}"
	while read -r t; do
		[[ -n $t ]] && grep -q -x -F -e "$t" <<<"$first" &&
			echo "L1 task blocked for 5 s or more, no context switch: $t"
	done <<<"$second"
	return 0
}

# One line per task in state D: "TID COMM WCHAN SWITCHES" (voluntary and
# involuntary context switches: unchanged means the same wait).
lab_l1_d_tasks() {
	local st tid comm wchan sw
	for st in /proc/[0-9]*/task/[0-9]*/stat; do
		read -r tid comm <<<"$(sed -n 's/^\([0-9]*\) (\(.*\)) D .*/\1 \2/p' "$st" 2>/dev/null)"
		[[ -n $tid ]] || continue
		wchan=$(cat "${st%/stat}/wchan" 2>/dev/null)
		sw=$(awk '/ctxt_switches/ { s += $2 } END { print s + 0 }' "${st%/stat}/status" 2>/dev/null)
		echo "$tid ${comm// /_} ${wchan:-?} $sw"
	done
}

# __lab_l2_run NAME CMD...: run CMD (a shell command line, words joined
# with spaces) in L2 with busybox sh; prints its output, returns its status.
__lab_l2_run() {
	local name=$1 dir id end rc
	shift
	dir=$(lab_l2_dir "$name")/share/cmd
	id=$(date +%s%N)
	printf '%s\n' "$*" >"$dir/$id.tmp"
	mv "$dir/$id.tmp" "$dir/$id.sh"
	# wall time, as in lab_l2_wait: counted turns of this loop once took
	# longer than the test's 420 s cap (guest-slot-id in CI, both L1 CPUs
	# running L2), so the command's timeout and snapshot never came
	end=$((SECONDS + lab_l2_run_timeout))
	while ((SECONDS < end)); do
		if [[ -e $dir/$id.rc ]]; then
			cat "$dir/$id.out"
			rc=$(cat "$dir/$id.rc")
			rm -f "$dir/$id.out" "$dir/$id.rc"
			return "$rc"
		fi
		kill -0 "$(lab_l2_pid "$name")" 2>/dev/null || { lab_l2_died "$name" >&2; return 255; }
		sleep 0.05
	done
	echo "L2 $name: '$*' did not finish within ${lab_l2_run_timeout}s" >&2
	lab_l2_snapshot "$name" >&2
	echo "L2 $name: its vCPU threads in L1: $(lab_l1_thread_states "$(lab_l2_pid "$name")")" >&2
	return 124
}

# lab_l2_snapshot NAME: where L2 NAME's vCPUs are, sampled five times
# through its QMP socket (l1-snapshot, symbols of its kernel as L2 wrote
# them at boot; L1's own, /proc/kallsyms, for an address L2 cannot read);
# the samples go to $LAB_OUT/l2-NAME-stuck.log, its summary line to
# stdout.  For a command that never finished: a guest wedged with
# interrupts off and one that is merely slow look different here.
lab_l2_snapshot() {
	local name=$1 dir map out
	dir=$(lab_l2_dir "$name")
	out=$LAB_OUT/l2-$name-stuck.log
	map=$LAB_BUILD/kallsyms-$LAB_KVER
	[[ -s $map ]] || map=$LAB_OUT/kallsyms
	# L2 runs L1's kernel unless LAB_L2_KVER named another: no symbols then
	[[ $LAB_L2_KERNEL == *"$LAB_KVER"* ]] || map=/dev/null
	if "$lab_home/l1-snapshot" --runtime "$dir/share/kallsyms" \
		--host-kallsyms /proc/kallsyms "$dir/qmp.sock" "$map" /dev/null "$out"; then
		echo "L2 $name: $(grep '^summary:' "$out") (samples: $out)"
	else
		echo "L2 $name: QEMU did not answer a snapshot"
	fi
	lab_kvm_recorder_dump "$name"
}

# --- the KVM recorder -------------------------------------------------------
# lab_kvm_recorder_start [KB]: from now on L1 keeps its KVM's last events
# (each exit with the guest's RIP, each exception KVM injects, each exit to
# the VMM) in a ring buffer of its own (the tracefs instance lab-kvm, KB per
# CPU, default 1024), so that an L2 that dies or stops answering is told by
# what its vCPUs did last: lab_l2_died and lab_l2_snapshot print it.  An L2
# that reset itself (a triple fault: KVM's exit to the VMM is SHUTDOWN)
# shows the exits before it.  Opt-in, called before the L2 starts: every
# exit then writes a record, which a test measuring exits must not pay, and
# switching the events on patches L1's text (once, on a quiet L1).
lab_kvm_recorder_start() {
	local t=/sys/kernel/tracing/instances/lab-kvm e
	[[ -d $t ]] || mkdir "$t" || lab_fail "cannot create the tracefs instance $t"
	echo "${1:-1024}" >"$t/buffer_size_kb" || lab_fail "cannot size $t's buffer to ${1:-1024} KB"
	for e in kvm_exit kvm_inj_exception kvm_userspace_exit; do
		echo 1 >"$t/events/kvm/$e/enable" || lab_fail "cannot enable kvm:$e in $t"
	done
	echo 1 >"$t/tracing_on"
	lab_kvm_recorder=$t
}

# lab_kvm_recorder_dump NAME: with the recorder on, NAME's vCPU threads'
# recorded events into $LAB_OUT/l2-NAME-kvm.log and each vCPU's last six
# on stdout (every vCPU thread's when NAME's are not known).
lab_kvm_recorder_dump() {
	local t=${lab_kvm_recorder:-} dir log tids tid
	[[ -n $t ]] || return 0
	dir=$(lab_l2_dir "$1")
	log=$LAB_OUT/l2-$1-kvm.log
	tids=$(awk '{ print $2 }' "$dir/vcpu-tids" 2>/dev/null | paste -s -d '|')
	echo 0 >"$t/tracing_on"
	grep -a -E "CPU [0-9]+/KVM-(${tids:-[0-9]+}) " "$t/trace" >"$log" 2>/dev/null || true
	echo 1 >"$t/tracing_on"
	if [[ ! -s $log ]]; then
		echo "L2 $1: the KVM recorder holds no event of its vCPUs"
		return 0
	fi
	echo "L2 $1: its vCPUs' last KVM events in L1 (all: $log):"
	for tid in $(grep -a -o -E 'CPU [0-9]+/KVM-[0-9]+ ' "$log" | sort -u | grep -o -E '[0-9]+ $'); do
		grep -a -E "/KVM-$tid " "$log" | tail -n 6 | sed -E 's/^ +/  kvm: /'
	done
}

# lab_l1_thread_states PID: one line on L1's side of L2 QEMU PID's vCPU
# threads (tid, state, policy/priority, CPU, kernel function it waits in);
# their kernel stacks and scheduler statistics are appended to
# $LAB_OUT/l1-vcpu-threads.txt.  A guest that makes no progress because
# its vCPU threads do not run (an L1 bug, ours included) and one whose
# vCPUs run but are wedged inside look different here.
lab_l1_thread_states() {
	local pid=$1 t comm line ps_out out=()
	ps_out=$(ps -o tid=,stat=,cls=,rtprio=,psr=,wchan:24= -L -p "$pid")
	for t in /proc/"$pid"/task/*; do
		comm=$(cat "$t/comm" 2>/dev/null) || continue
		[[ $comm == CPU*/KVM ]] || continue
		line=$(awk -v t="${t##*/}" '$1 == t { $1 = $1; print }' <<<"$ps_out")
		out+=("$comm: ${line:-gone}")
		{
			echo "== $(date +%T) $comm (tid ${t##*/})"
			cat "$t/stack" "$t/sched" 2>&1
		} >>"$LAB_OUT/l1-vcpu-threads.txt"
	done
	((${#out[@]})) || out=("no vCPU thread")
	printf '%s\n' "${out[@]}" | paste -s -d '|' | sed 's/|/ | /g'
}

# lab_l1_cpu_counts [INTERRUPTS [SCHEDSTAT]]: per L1 CPU, "CPU
# LOCAL_TIMER_IRQS SCHEDULES" (the LOC row of /proc/interrupts; schedstat's
# sched_count, its third number, or "-" without schedstat).  The files are
# parameters for the harness's self-check.
lab_l1_cpu_counts() {
	local files=("${1:-/proc/interrupts}") sched=${2:-/proc/schedstat}
	[[ -r $sched ]] && files+=("$sched")
	awk '
		FNR == 1 { f++ }
		f == 1 && $1 == "LOC:" { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) loc[i - 2] = $i; n = i - 2 }
		f == 2 && $1 ~ /^cpu[0-9]+$/ { sc[substr($1, 4) + 0] = $4 }
		END { for (c = 0; c < n; c++) print c, loc[c], (c in sc ? sc[c] : "-") }
	' "${files[@]}"
}

# lab_l1_cpu_line CPU LOC LOC2 SCHED SCHED2 TASKS: lab_l1_cpu_progress's
# lines for one CPU, from its counts 2 s apart and the tasks running there.
lab_l1_cpu_line() {
	local cpu=$1 loc=$2 loc2=$3 sched=$4 sched2=$5 tasks=$6 switches=-
	[[ $sched == - || $sched2 == - ]] || switches=$((sched2 - sched))
	echo "L1 cpu$cpu: $((loc2 - loc)) local timer interrupts, $switches schedules in 2 s; running: ${tasks:-nothing}"
	if [[ $loc2 == "$loc" && -n $tasks ]]; then
		echo "L1 cpu$cpu took no local timer interrupt in 2 s with a task running there ($tasks; pvsched.ko $([[ -e /sys/module/pvsched ]] && echo loaded || echo not loaded))"
	fi
}

# lab_l1_cpu_progress: whether each L1 CPU still takes its local timer
# interrupt and schedules, over 2 s, with the tasks running on it.  A CPU
# that runs a task takes the tick every 4 ms (HZ 250, no nohz_full in the
# lab): one that took none in 2 s has had interrupts off that long, or
# (running an L2 vCPU, where any host interrupt makes a #VMEXIT) no longer
# gets them, which tells an L2 QEMU that stopped answering QMP (its vCPU
# never leaves the guest for QEMU's kick) from one that is merely slow.
lab_l1_cpu_progress() {
	local first second cpu loc sched loc2 sched2 tasks
	first=$(lab_l1_cpu_counts)
	sleep 2
	second=$(lab_l1_cpu_counts)
	while read -r cpu loc sched; do
		read -r _ loc2 sched2 < <(awk -v c="$cpu" '$1 == c' <<<"$second") || true
		tasks=$(ps -e -L -o stat=,psr=,tid=,comm= |
			awk -v c="$cpu" '$1 ~ /^R/ && $2 == c && $4 != "ps" { $1 = $2 = ""; sub(/^ +/, ""); print }' |
			paste -s -d ',' | sed 's/,/, /g')
		lab_l1_cpu_line "$cpu" "$loc" "${loc2:-$loc}" "$sched" "${sched2:--}" "$tasks"
	done <<<"$first"
}

# lab_l2_fail NAME MESSAGE: lab_fail for a step that L2 NAME did not
# complete (a shared-region check that timed out): first, what L1 sees of
# it, as lab_l2_wait prints at its deadline (the vCPU threads, each L1
# CPU's progress, L1's blocked tasks, the KVM recorder's last events).
lab_l2_fail() {
	local name=$1
	shift
	# best effort: nothing here may end the test before its FAIL line
	(
		set +e
		echo "L2 $name's vCPU threads in L1: $(lab_l1_thread_states "$(lab_l2_pid "$name")" 2>&1)"
		lab_l1_cpu_progress
		lab_l1_blocked
		lab_kvm_recorder_dump "$name"
	) >&2 || true
	lab_fail "$@"
}

# lab_l2_run NAME CMD...: as __lab_l2_run, but fails the test on error.
lab_l2_run() {
	local rc=0
	__lab_l2_run "$@" || rc=$?
	[[ $rc == 0 ]] || lab_fail "L2 $1: '${*:2}' failed with status $rc"
}

# lab_l2_qmp NAME COMMAND [JSON-ARGS]: one QMP command, prints the reply's
# "return" value as JSON.
lab_l2_qmp() {
	# A quit marks the exit as asked for, so that lab_fail does not call
	# it a reset; not if QEMU is already gone (cli-attach once found its
	# 4-vCPU guest gone when it came to quit it, and said nothing more).
	if [[ ${2:-} == quit ]] && kill -0 "$(lab_l2_pid "$1")" 2>/dev/null; then
		: >"$(lab_l2_dir "$1")/quit-asked"
	fi
	python3 -S "$lab_home/qmp.py" "$(lab_l2_dir "$1")/qmp.sock" "${@:2}"
}

# lab_l2_vcpu_tids NAME: "CPU-INDEX THREAD-ID" per vCPU (QMP query-cpus-fast).
lab_l2_vcpu_tids() {
	python3 -S "$lab_home/qmp.py" --vcpu-tids "$(lab_l2_dir "$1")/qmp.sock"
}

# lab_l2_emulator_tids NAME: QEMU's other threads (main loop, I/O, RCU...).
lab_l2_emulator_tids() {
	local pid vcpus t
	pid=$(lab_l2_pid "$1")
	vcpus=" $(lab_l2_vcpu_tids "$1" | awk '{ print $2 }' | tr '\n' ' ') "
	for t in /proc/"$pid"/task/*; do
		t=${t##*/}
		[[ $vcpus == *" $t "* ]] || echo "$t"
	done
}

# lab_l2_pin_emulator NAME CPULIST: pin QEMU's non-vCPU threads (like
# libvirt's emulatorpin), e.g. so RT vCPU threads cannot starve them.
lab_l2_pin_emulator() {
	local t
	for t in $(lab_l2_emulator_tids "$1"); do
		taskset -p -c "$2" "$t" >/dev/null || lab_fail "taskset $2 $t failed"
	done
}

# lab_l2_check_dmesg NAME: fail the test if L2's kernel log shows trouble.
# Reads dmesg through the command channel; if L2 no longer answers, scans
# its serial console instead.
lab_l2_check_dmesg() {
	local name=$1 log hits
	log=$(lab_l2_dir "$name")/dmesg.log
	if ! __lab_l2_run "$name" dmesg >"$log" 2>&1; then
		cp "$(lab_l2_dir "$name")/console.log" "$log"
	fi
	cp "$log" "$LAB_OUT/l2-$name-dmesg.log" 2>/dev/null || true
	if hits=$(grep -a -E -f <(grep -v -e '^#' -e '^[[:space:]]*$' "$lab_home/dmesg-patterns") "$log"); then
		lab_fail "kernel trouble in L2 $name:"$'\n'"$hits"
	fi
}

# lab_l2_stop NAME [TIMEOUT=20]: clean poweroff (L2's init syncs and powers
# off), then QMP quit, then SIGKILL.  Copies the console log to $LAB_OUT.
lab_l2_stop() {
	local name=$1 timeout=${2:-20} dir pid end
	dir=$(lab_l2_dir "$name")
	[[ -e $dir/pid ]] || return 0
	pid=$(cat "$dir/pid")
	: >"$dir/share/poweroff"
	end=$((SECONDS + timeout))
	while ((SECONDS < end)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		lab_log "L2 $name did not power off within ${timeout}s; quitting via QMP"
		lab_l2_qmp "$name" quit >/dev/null 2>&1 || true
		sleep 2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	cp "$dir/console.log" "$LAB_OUT/l2-$name-console.log" 2>/dev/null || true
	cp "$dir/qemu.log" "$LAB_OUT/l2-$name-qemu.log" 2>/dev/null || true
	rm -f "$dir/pid"
	lab_log "L2 $name stopped"
}
