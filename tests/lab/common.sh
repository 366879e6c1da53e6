# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Build-machine side helpers shared by tests/lab/run and tests/lab/run-all:
# choosing the lab kernel, building (and caching) the L1 and L2 initramfs
# images, and scanning kernel logs for trouble.  Never loads a module here:
# the build machine (L0) has no module loading and no hardware KVM.

# Physical paths (pwd -P): L1 sees the build machine's symlinks, but resolves
# an absolute one from the initramfs before it chroots.
lab_home=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
PVSCHED_SRC=$(cd "$lab_home/../.." && pwd -P)
LAB_BUILD=$(realpath -m -- "${LAB_BUILD:-$PVSCHED_SRC/build/lab}")
LAB_RESULTS=${LAB_RESULTS:-$PVSCHED_SRC/build/results/lab.log}

# A test (or its .pre step) that exits with this status is skipped:
# kselftest's KSFT_SKIP, as lab_skip in lib.sh exits.
lab_skip_code=4

# Modules the initramfs must load before it can mount 9p shares.
lab_initrd_modules="virtio_pci 9pnet_virtio 9p"

lab_die() {
	echo "lab: error: $*" >&2
	exit 1
}

# The emulator L1 boots under: LAB_QEMU names a version of
# scripts/emulators (7.2, 10.0, 10.0-lab, 11.1) or a qemu-system-x86_64
# path.  10.0-lab is QEMU 10.0.2 with tests/lab/qemu-patches: Debian's
# builds race another vCPU thread's FPU-state restore against CPU 0's
# nested-SVM flags, the cause of the lab's "emulator failures"
# (tests/lab/README.md, "The emulator").
lab_qemu_default=10.0-lab

# lab_qemu_cmd: sets the array lab_qemu to the command that runs it.
lab_qemu_cmd() {
	local out
	out=$("$PVSCHED_SRC/scripts/emulators" cmd "${LAB_QEMU:-$lab_qemu_default}") ||
		lab_die "no emulator for LAB_QEMU=${LAB_QEMU:-$lab_qemu_default} (scripts/emulators setup)"
	mapfile -t lab_qemu <<<"$out"
}

# The kernel "make" builds for by default (scripts/kernels default-kdir):
# its release.
lab_default_kver() {
	local kdir
	kdir=$("$PVSCHED_SRC/scripts/kernels" default-kdir | cut -f1) || return 1
	basename "$kdir" | sed 's/^linux-headers-//'
}

# The lab kernel: $LAB_KVER (a release, or a name of the kernel matrix:
# 6.1, 6.12, 6.12-rt, 7.3), else the kernel "make" builds for.
lab_pick_kver() {
	if [[ -n "${LAB_KVER:-}" ]]; then
		"$PVSCHED_SRC/scripts/kernels" release "$LAB_KVER" ||
			lab_die "no kernel '$LAB_KVER' (scripts/kernels list)"
		return
	fi
	lab_default_kver || lab_die "no default kernel (scripts/kernels default-kdir)"
}

# lab_kernel_env KVER: for a kernel other than the one "make" builds for,
# set what run needs and the caller did not (LAB_KERNEL, LAB_MODULES_ROOT,
# PVSCHED_KO, PVSCHED_GUEST_KO: scripts/kernels lab-env) and check its
# modules are built (scripts/kernels build, make check LAB_KVER=...).
lab_kernel_env() {
	local kver=$1 line var
	[[ $kver != "$(lab_default_kver 2>/dev/null)" ]] || return 0
	[[ -n ${LAB_KERNEL:-} && -n ${PVSCHED_KO:-} ]] && return 0
	while IFS= read -r line; do
		var=${line%%=*}
		[[ -n ${!var:-} ]] || export "$line"
	done < <("$PVSCHED_SRC/scripts/kernels" lab-env "$kver" || echo "LAB_KERNEL=")
	[[ -n ${LAB_KERNEL:-} ]] || lab_die "kernel $kver cannot boot in the lab (scripts/kernels list)"
	[[ -f $PVSCHED_KO && -f $PVSCHED_GUEST_KO ]] ||
		lab_die "modules for $kver not built ($PVSCHED_KO): scripts/kernels build $kver (make check LAB_KVER=$kver does)"
}

# lab_boot_image KERNEL NAME: what QEMU's -kernel should boot for the
# bzImage KERNEL: the vmlinux ELF inside it, extracted once into
# $LAB_BUILD/vmlinux-NAME-SIZE-MTIME by tests/lab/pvh-kernel, which QEMU
# starts at its PVH entry point without the decompression that took ~3.5 s
# of each L1 boot under TCG; KERNEL itself for a kernel without a PVH entry
# point (the debug kernel) or if the extraction fails (said on stderr).
lab_boot_image() {
	local img=$1 name=$2 key out rc
	key=$(stat -L -c %s-%Y "$img") || { echo "$img"; return 0; }
	out=$LAB_BUILD/vmlinux-$name-$key
	if [[ -s $out ]]; then
		echo "$out"
	elif [[ -e $out.none ]]; then
		echo "$img"
	else
		mkdir -p "$LAB_BUILD"
		rm -f "$LAB_BUILD/vmlinux-$name-"*
		rc=0
		"$lab_home/pvh-kernel" "$img" "$out" 2>"$out.err" || rc=$?
		if ((rc == 0)); then
			rm -f "$out.err"
			echo "$out"
			return 0
		fi
		# 3: no PVH entry point, which the next run need not find again
		((rc != 3)) || mv "$out.err" "$out.none"
		echo "lab: booting $img itself: $(cat "$out.err" "$out.none" 2>/dev/null)" >&2
		rm -f "$out.err"
		echo "$img"
	fi
}

# Print the .ko files (absolute, in load order, no duplicates) that
# modprobe would insmod for the given modules.  LAB_MODULES_ROOT (a
# directory holding lib/modules/KVER, e.g. the debug kernel's
# /var/cache/pvsched/debug-kernel/modroot) is used instead of / when set; modules built
# into that kernel print nothing.
lab_module_files() {
	local kver=$1
	shift
	local m root=()
	[[ -n ${LAB_MODULES_ROOT:-} ]] && root=(-d "$LAB_MODULES_ROOT")
	for m in "$@"; do
		modprobe "${root[@]}" -S "$kver" --show-depends "$m" ||
			lab_die "modprobe ${root[*]} -S $kver --show-depends $m failed"
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }'
}

# lab_mkinitramfs OUT KVER INIT [SRC:DEST ...]
#   Busybox initramfs with /init from INIT, the 9p/virtio modules for KVER
#   listed in load order in /modules.list, and extra files or directories
#   copied to DEST.  Rebuilt only when one of its inputs changed.
lab_mkinitramfs() {
	local out=$1 kver=$2 init=$3
	shift 3
	local busybox=/bin/busybox mods key spec src dest f stage
	"$busybox" --list 2>/dev/null | grep -x insmod >/dev/null ||
		lab_die "$busybox (busybox-static) missing or without insmod; run scripts/setup"
	# shellcheck disable=SC2086 # a list of module names
	mods=$(lab_module_files "$kver" $lab_initrd_modules)
	# shellcheck disable=SC2086
	key=$( {
		echo "$kver"
		sha256sum "$busybox" "$init" $mods
		for spec in "$@"; do
			src=${spec%%:*}
			echo "$spec"
			[[ -e $src ]] && find "$src" -type f -print0 | sort -z | xargs -0r sha256sum
		done
	} | sha256sum | cut -d' ' -f1)
	if [[ -s $out && "$(cat "$out.key" 2>/dev/null)" == "$key" ]]; then
		return 0
	fi
	stage=$(mktemp -d "${out}.stage.XXXXXX")
	mkdir -p "$stage"/{bin,dev,proc,sys,run,tmp,mnt,lib/modules}
	cp "$busybox" "$stage/bin/busybox"
	ln -s busybox "$stage/bin/sh"
	install -m 0755 "$init" "$stage/init"
	: >"$stage/modules.list"
	for f in $mods; do
		case "$f" in
		*.ko.xz) xz -dc "$f" >"$stage/lib/modules/$(basename "${f%.xz}")" ;;
		*.ko.zst) zstd -qdc "$f" >"$stage/lib/modules/$(basename "${f%.zst}")" ;;
		*.ko.gz) gzip -dc "$f" >"$stage/lib/modules/$(basename "${f%.gz}")" ;;
		*) cp "$f" "$stage/lib/modules/" ;;
		esac
		f=$(basename "$f")
		f=${f%.xz} f=${f%.zst} f=${f%.gz}
		echo "$f" >>"$stage/modules.list"
	done
	for spec in "$@"; do
		src=${spec%%:*}
		dest=$stage/${spec#*:}
		[[ -e $src ]] || continue
		mkdir -p "$(dirname "$dest")"
		cp -a "$src" "$dest"
	done
	(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --quiet -R 0:0 | gzip -1) >"$out.tmp"
	rm -rf "$stage"
	mv "$out.tmp" "$out"
	echo "$key" >"$out.key"
}

# Strip comments from the pattern file for grep -E -f.
lab_dmesg_patterns() {
	grep -v -e '^#' -e '^[[:space:]]*$' "$lab_home/dmesg-patterns"
}

# lab_scan_kernel_log FILE [ALLOW_REGEX]
#   Print the lines of FILE that show kernel trouble (see dmesg-patterns),
#   minus lines matching ALLOW_REGEX.  Returns 0 if trouble was found.
lab_scan_kernel_log() {
	local file=$1 allow=${2:-}
	local pats
	pats=$(mktemp)
	lab_dmesg_patterns >"$pats"
	if [[ -n $allow ]]; then
		grep -a -v -E -e "$allow" "$file" | grep -a -E -f "$pats"
	else
		grep -a -E -f "$pats" "$file"
	fi
	local rc=$?
	rm -f "$pats"
	return $rc
}

# lab_names_pvsched FILE...: true if a kernel trace in FILE names pvsched
# code (a [pvsched] or [pvsched_guest] module frame, or a pvsched_ symbol).
# Frames the unwinder marks unreliable ("? symbol+off") do not count: they
# are stale words on the stack, e.g. the address of a probe function that
# text_poke_bp's caller was registering when the emulator's stale int3 hung
# the other CPU.
lab_names_pvsched() {
	local hits
	hits=$(grep -a -h -E '\[pvsched(_guest)?\]|pvsched_[a-z_]+\+0x' "$@" 2>/dev/null) || true
	[[ -n $hits ]] && grep -q -v -E '^(\[[ 0-9.]+\] )?[[:space:]]*\? ' <<<"$hits"
}

# lab_reset_summary DIR: where L1's CPUs were when it reset itself (the
# summary of DIR/reset.log, written by l1-watch through l1-snapshot
# --stopped) and the code named on the stack of each CPU that was not
# halted, on one line.
lab_reset_summary() {
	local log=$1/reset.log
	if [[ ! -s $log ]]; then
		echo "no snapshot ($1/l1-watch.log)"
		return
	fi
	awk '/^summary: / { sub(/^summary: /, ""); s = $0 }
	     /^cpu[0-9]+ stack code: / { c = c "; " $1 " stack: " substr($0, index($0, ": ") + 2, 200) }
	     END { print (s == "" ? "no summary" : s) c }' "$log"
}

# lab_shutdown_reason DIR: "; L1 stopped by REASON" (QEMU's SHUTDOWN reason,
# as l1-watch recorded it), or nothing.
lab_shutdown_reason() {
	local r
	r=$(head -c 64 "$1/l1-shutdown" 2>/dev/null | head -n1) || true
	[[ -z $r ]] || echo "; L1 stopped by $r"
}

# lab_oops_bytes CONSOLE: the byte at the instruction pointer of each
# kernel-mode register dump (the "<xx>" of the "Code:" line that follows
# "RIP: 0010:"), one per line, lower case.
lab_oops_bytes() {
	awk '/RIP: 0010:/ { rip = 1; next }
	     rip && /Code: / { if (match($0, /<[0-9a-fA-F][0-9a-fA-F]>/)) print tolower(substr($0, RSTART + 1, 2)); rip = 0 }' \
		"$1" 2>/dev/null
}

# lab_emulator_signature DIR: if the failed run in DIR (a test's
# build/lab/TEST) matches a signature of tests/lab/emulator-signatures,
# prints "NAME: why" and returns 0.
lab_emulator_signature() {
	local dir=$1 name where re file ok why ours=0
	lab_names_pvsched "$dir/console.log" "$dir/out/dmesg.log" "$dir/hang.log" "$dir/reset.log" && ours=1
	for name in $(awk -F' [|] ' '!/^#/ && NF >= 3 { print $1 }' \
		"$lab_home/emulator-signatures" | sort -u); do
		ok=1 why=
		# a trace naming pvsched code rules a signature out, unless the
		# signature's own evidence cannot come from any code (its line
		# "pvsched-frames | allowed")
		if ((ours)) && ! grep -q -E "^$name [|] pvsched-frames [|] allowed$" \
			"$lab_home/emulator-signatures"; then
			continue
		fi
		while IFS= read -r line; do
			where=$(awk -F' [|] ' '{ print $2 }' <<<"$line")
			re=${line#*"| $where | "}
			case $where in
			why) why=$re; continue ;;
			pvsched-frames) continue ;;
			oops-byte)
				# the byte at the kernel RIP of each oops, from the
				# "Code:" line after "RIP: 0010:"
				lab_oops_bytes "$dir/console.log" | grep -q -E -e "$re" || { ok=0; break; }
				continue
				;;
			console | console-not) file=$dir/console.log ;;
			hang) file=$dir/hang.log ;;
			reset) file=$dir/reset.log ;;
			output) file=$dir/out/output.log ;;
			emulator) file=$dir/emulator-exit.log ;;
			*) continue ;;
			esac
			if [[ $where == *-not ]]; then
				! grep -q -a -E -e "$re" "$file" 2>/dev/null || { ok=0; break; }
			else
				grep -q -a -E -e "$re" "$file" 2>/dev/null || { ok=0; break; }
			fi
		done < <(grep -E "^$name [|] " "$lab_home/emulator-signatures")
		if ((ok)); then
			echo "$name: $why"
			return 0
		fi
	done
	return 1
}

# Value of a "# lab-KEY: value" directive in a test script (first one).
lab_directive() {
	sed -n "s/^#[[:space:]]*lab-$2:[[:space:]]*//p" "$1" | head -n1
}

# --- paths L1 must be given ---------------------------------------------
# The checkout and LAB_BUILD go on L1's kernel command line (lab.stage2=,
# lab.out=, parsed by init-l1) and into QEMU options (-fsdev path=...,
# where a comma separates options).  The kernel splits its command line at
# whitespace, treats '"' as quoting and keeps at most 2047 bytes.

# The characters a lab path may hold.
lab_path_chars='A-Za-z0-9/._+@:=%~-'
# x86's COMMAND_LINE_SIZE (2048) less the terminating NUL.
lab_cmdline_max=2047

# lab_path_problem PATH: prints why PATH cannot be passed to L1 and returns
# 0; returns 1 (printing nothing) if it can.
lab_path_problem() {
	local p=$1 n others
	if [[ $p != /* ]]; then
		echo "it is not an absolute path"
		return 0
	fi
	case $p in
	*[[:space:]]*)
		echo "it contains whitespace (a space, tab or newline), which separates parameters on L1's kernel command line"
		return 0
		;;
	esac
	n=$(printf '%s' "$p" | LC_ALL=C tr -d '\000-\177' | wc -c)
	if ((n > 0)); then
		echo "it contains non-ASCII characters ($n bytes), which the lab does not pass on L1's kernel command line"
		return 0
	fi
	others=$(printf '%s' "$p" | LC_ALL=C tr -d "$lab_path_chars" | fold -w1 | LC_ALL=C sort -u | tr -d '\n')
	if [[ -n $others ]]; then
		echo "it contains ${others@Q}, which the lab cannot quote on L1's kernel command line and in QEMU's options (a path may hold letters, digits and / . _ + @ : = % ~ -)"
		return 0
	fi
	if ((${#p} > lab_cmdline_max / 2)); then
		echo "it is ${#p} bytes long, too long for L1's kernel command line (at most $lab_cmdline_max bytes in all)"
		return 0
	fi
	return 1
}

# lab_l1_append OUTDIR: L1's kernel command line for a test whose out share
# is OUTDIR.
lab_l1_append() {
	# nokaslr: l1-snapshot names the code a hung CPU is in from System.map.
	printf '%s' "console=ttyS0 panic=-1 panic_on_warn=1 oops=panic mitigations=off no_timer_check nokaslr" \
		" lab.stage2=$lab_home/l1-stage2.sh lab.out=$1"
}

# lab_check_paths [TEST...]: dies, naming the path and why, if the checkout
# or LAB_BUILD cannot be passed to L1, or if a test's kernel command line
# would be too long.  tests/lab/run calls it before anything boots.
lab_check_paths() {
	local what p why name append
	for what in PVSCHED_SRC LAB_BUILD; do
		p=${!what}
		if why=$(lab_path_problem "$p"); then
			[[ $what == PVSCHED_SRC ]] && what="the checkout"
			lab_die "cannot run the lab from $what ${p@Q}: $why; use a checkout (and LAB_BUILD) path without them"
		fi
	done
	for name in "$@"; do
		name=$(basename "$name" .sh)
		[[ -f $lab_home/tests/$name.sh ]] || continue
		append=$(lab_l1_append "$LAB_BUILD/$name/out")
		if ((${#append} > lab_cmdline_max)); then
			lab_die "L1's kernel command line for $name would be ${#append} bytes, over the kernel's $lab_cmdline_max: the checkout $PVSCHED_SRC (${#PVSCHED_SRC} bytes) or LAB_BUILD $LAB_BUILD (${#LAB_BUILD} bytes) is too long"
		fi
	done
}

# --- one lab VM at a time -----------------------------------------------
# tests/lab/run holds a machine-wide lock (flock(1)) from a test's pre-step
# until its L1 is gone and its post-step has run, so that lab VMs (and
# benchmarks) of several checkouts or engineers do not share the CPUs.
# The lock's descriptor is inherited by QEMU: if run dies, the lock stays
# held until L1 is gone.  A side file next to the lock names the holder.
#   LAB_PARALLEL=1      no lock (explicit opt-in to parallel lab VMs)
#   LAB_LOCK_FILE       the lock (default /run/lock/pvsched-lab.lock, else
#                       /var/lock, else /tmp)
#   LAB_LOCK_TIMEOUT=N  give up after N seconds (default: wait for ever)

lab_lock_fd=
lab_lock_held=

lab_lock_file() {
	local d
	if [[ -n ${LAB_LOCK_FILE:-} ]]; then
		echo "$LAB_LOCK_FILE"
		return
	fi
	for d in /run/lock /var/lock /tmp; do
		if [[ -d $d && -w $d ]]; then
			echo "$d/pvsched-lab.lock"
			return
		fi
	done
	echo /tmp/pvsched-lab.lock
}

# Creates FILE readable and writable by every user if it does not exist.
# (Not ">>" on an existing file: fs.protected_regular refuses O_CREAT on
# another user's file in a sticky directory such as /run/lock.)
lab_lock_mkfile() {
	[[ -e $1 ]] || (umask 0 && : >>"$1") 2>/dev/null || true
}

# lab_lock_set_holder FILE TEXT: the side file's content (no O_CREAT, see
# lab_lock_mkfile).
lab_lock_set_holder() {
	lab_lock_mkfile "$1"
	printf '%s\n' "$2" | dd of="$1" conv=nocreat status=none 2>/dev/null || true
}

# lab_lock_holder FILE: who holds the lock, from the side file FILE.
lab_lock_holder() {
	local text pid
	text=$(head -n1 "$1" 2>/dev/null) || true
	if [[ -z $text ]]; then
		echo "held by a process that left no note in $1"
		return
	fi
	echo "held by $text"
	pid=$(sed -n 's/^pid \([0-9][0-9]*\),.*/\1/p' <<<"$text")
	if [[ -n $pid && ! -d /proc/$pid ]]; then
		echo "(pid $pid is gone; a process it started, e.g. its L1's QEMU, still holds the lock)"
	fi
}

# lab_lock WHAT: takes the lock for WHAT (a test name, written to the side
# file with this pid and the checkout).  If another process holds it,
# prints once whom it waits for, then waits.  Returns 0 once held (or with
# LAB_PARALLEL=1, or if this process or the tests/lab/run that started it
# already holds it), 1 if LAB_LOCK_TIMEOUT ran out.
lab_lock() {
	local what=$1 file t0 rc why
	[[ ${LAB_PARALLEL:-0} == 1 ]] && return 0
	[[ -z $lab_lock_fd ]] || return 0
	# A tests/lab/run started by a .pre/.post step of a run that holds the
	# lock: that run waits for it, taking the lock would deadlock.
	[[ -z ${_LAB_LOCK_HOLDER:-} ]] || return 0
	file=$(lab_lock_file)
	lab_lock_mkfile "$file"
	if ! exec {lab_lock_fd}<"$file"; then
		lab_lock_fd=
		lab_die "cannot open the lab lock $file (LAB_PARALLEL=1 runs without it)"
	fi
	if ! flock -n "$lab_lock_fd"; then
		echo "lab: waiting for the lab lock $file (one lab VM at a time on this machine)," \
			"$(lab_lock_holder "$file.holder" | tr '\n' ' ')(LAB_PARALLEL=1 skips the lock)" >&2
		# A second at a time, so that a signal (a trap) is not held up
		# until the lock comes free.
		t0=$SECONDS
		while :; do
			rc=0
			flock -w 1 "$lab_lock_fd" || rc=$?
			((rc == 0)) && break
			if ((rc != 1)); then
				why="flock on $file failed (status $rc)"
			elif [[ -n ${LAB_LOCK_TIMEOUT:-} ]] && ((SECONDS - t0 >= LAB_LOCK_TIMEOUT)); then
				why="gave up waiting for the lab lock $file after ${LAB_LOCK_TIMEOUT}s (LAB_LOCK_TIMEOUT)"
			else
				continue
			fi
			exec {lab_lock_fd}<&-
			lab_lock_fd=
			echo "lab: $why" >&2
			return 1
		done
		echo "lab: got the lab lock after $((SECONDS - t0))s" >&2
	fi
	lab_lock_set_holder "$file.holder" \
		"pid $$, user $(id -un 2>/dev/null || id -u), test $what, checkout $PVSCHED_SRC, since $(date '+%F %T')"
	lab_lock_held=$file
	export _LAB_LOCK_HOLDER=$$
}

# lab_unlock: clears the side file and releases the lock (a QEMU still
# running with the inherited descriptor keeps it held).
lab_unlock() {
	[[ -n $lab_lock_fd ]] || return 0
	lab_lock_set_holder "$lab_lock_held.holder" ""
	exec {lab_lock_fd}<&-
	lab_lock_fd=
	lab_lock_held=
	unset _LAB_LOCK_HOLDER
}

# lab_lock_drop: in a child that may outlive its parent's hold (a
# background tail -f, a .pre/.post step's leftovers): closes the
# inherited descriptor so that it cannot keep the lock.
lab_lock_drop() {
	[[ -z $lab_lock_fd ]] || exec {lab_lock_fd}<&-
	lab_lock_fd=
}
