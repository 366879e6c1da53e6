# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Build-machine side helpers shared by tests/lab/run and tests/lab/run-all:
# choosing the lab kernel, building (and caching) the L1 and L2 initramfs
# images, and scanning kernel logs for trouble.  Never loads a module here:
# the build machine (L0) has no module loading and no hardware KVM.

# Physical paths (pwd -P): L1 sees the build machine's symlinks, but resolves
# an absolute one from the initramfs before it chroots.
LAB_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
PVSCHED_SRC=$(cd "$LAB_HOME/../.." && pwd -P)
LAB_BUILD=$(realpath -m -- "${LAB_BUILD:-$PVSCHED_SRC/build/lab}")
LAB_RESULTS=${LAB_RESULTS:-$PVSCHED_SRC/build/results/lab.log}

# Modules the initramfs must load before it can mount 9p shares.
LAB_INITRD_MODULES="virtio_pci 9pnet_virtio 9p"

lab_die() {
	echo "lab: error: $*" >&2
	exit 1
}

# The lab kernel: $LAB_KVER, else the newest /boot/vmlinuz-* that has its
# modules installed.
lab_pick_kver() {
	local k v best=
	if [[ -n "${LAB_KVER:-}" ]]; then
		echo "$LAB_KVER"
		return
	fi
	for k in /boot/vmlinuz-*; do
		v=${k#/boot/vmlinuz-}
		[[ -e /lib/modules/$v/modules.dep ]] || continue
		best=$(printf '%s\n%s\n' "$best" "$v" | sed '/^$/d' | sort -V | tail -n1)
	done
	[[ -n "$best" ]] || lab_die "no /boot/vmlinuz-* with modules in /lib/modules (run scripts/setup)"
	echo "$best"
}

# Print the .ko files (absolute, in load order, no duplicates) that
# modprobe would insmod for the given modules.  LAB_MODULES_ROOT (a
# directory holding lib/modules/KVER, e.g. the debug kernel's
# build/debug-kernel/modroot) is used instead of / when set; modules built
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
	mods=$(lab_module_files "$kver" $LAB_INITRD_MODULES)
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
	grep -v -e '^#' -e '^[[:space:]]*$' "$LAB_HOME/dmesg-patterns"
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
LAB_PATH_CHARS='A-Za-z0-9/._+@:=%~-'
# x86's COMMAND_LINE_SIZE (2048) less the terminating NUL.
LAB_CMDLINE_MAX=2047

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
	others=$(printf '%s' "$p" | LC_ALL=C tr -d "$LAB_PATH_CHARS" | fold -w1 | LC_ALL=C sort -u | tr -d '\n')
	if [[ -n $others ]]; then
		echo "it contains ${others@Q}, which the lab cannot quote on L1's kernel command line and in QEMU's options (a path may hold letters, digits and / . _ + @ : = % ~ -)"
		return 0
	fi
	if ((${#p} > LAB_CMDLINE_MAX / 2)); then
		echo "it is ${#p} bytes long, too long for L1's kernel command line (at most $LAB_CMDLINE_MAX bytes in all)"
		return 0
	fi
	return 1
}

# lab_l1_append OUTDIR: L1's kernel command line for a test whose out share
# is OUTDIR.
lab_l1_append() {
	printf '%s' "console=ttyS0 panic=-1 panic_on_warn=1 oops=panic mitigations=off no_timer_check" \
		" lab.stage2=$LAB_HOME/l1-stage2.sh lab.out=$1"
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
		[[ -f $LAB_HOME/tests/$name.sh ]] || continue
		append=$(lab_l1_append "$LAB_BUILD/$name/out")
		if ((${#append} > LAB_CMDLINE_MAX)); then
			lab_die "L1's kernel command line for $name would be ${#append} bytes, over the kernel's $LAB_CMDLINE_MAX: the checkout $PVSCHED_SRC (${#PVSCHED_SRC} bytes) or LAB_BUILD $LAB_BUILD (${#LAB_BUILD} bytes) is too long"
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

LAB_LOCK_FD=
LAB_LOCK_HELD=

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
	[[ -z $LAB_LOCK_FD ]] || return 0
	# A tests/lab/run started by a .pre/.post step of a run that holds the
	# lock: that run waits for it, taking the lock would deadlock.
	[[ -z ${_LAB_LOCK_HOLDER:-} ]] || return 0
	file=$(lab_lock_file)
	lab_lock_mkfile "$file"
	if ! exec {LAB_LOCK_FD}<"$file"; then
		LAB_LOCK_FD=
		lab_die "cannot open the lab lock $file (LAB_PARALLEL=1 runs without it)"
	fi
	if ! flock -n "$LAB_LOCK_FD"; then
		echo "lab: waiting for the lab lock $file (one lab VM at a time on this machine)," \
			"$(lab_lock_holder "$file.holder" | tr '\n' ' ')(LAB_PARALLEL=1 skips the lock)" >&2
		# A second at a time, so that a signal (a trap) is not held up
		# until the lock comes free.
		t0=$SECONDS
		while :; do
			rc=0
			flock -w 1 "$LAB_LOCK_FD" || rc=$?
			((rc == 0)) && break
			if ((rc != 1)); then
				why="flock on $file failed (status $rc)"
			elif [[ -n ${LAB_LOCK_TIMEOUT:-} ]] && ((SECONDS - t0 >= LAB_LOCK_TIMEOUT)); then
				why="gave up waiting for the lab lock $file after ${LAB_LOCK_TIMEOUT}s (LAB_LOCK_TIMEOUT)"
			else
				continue
			fi
			exec {LAB_LOCK_FD}<&-
			LAB_LOCK_FD=
			echo "lab: $why" >&2
			return 1
		done
		echo "lab: got the lab lock after $((SECONDS - t0))s" >&2
	fi
	lab_lock_set_holder "$file.holder" \
		"pid $$, user $(id -un 2>/dev/null || id -u), test $what, checkout $PVSCHED_SRC, since $(date '+%F %T')"
	LAB_LOCK_HELD=$file
	export _LAB_LOCK_HOLDER=$$
}

# lab_unlock: clears the side file and releases the lock (a QEMU still
# running with the inherited descriptor keeps it held).
lab_unlock() {
	[[ -n $LAB_LOCK_FD ]] || return 0
	lab_lock_set_holder "$LAB_LOCK_HELD.holder" ""
	exec {LAB_LOCK_FD}<&-
	LAB_LOCK_FD=
	LAB_LOCK_HELD=
	unset _LAB_LOCK_HOLDER
}

# lab_lock_drop: in a child that may outlive its parent's hold (a
# background tail -f, a .pre/.post step's leftovers): closes the
# inherited descriptor so that it cannot keep the lock.
lab_lock_drop() {
	[[ -z $LAB_LOCK_FD ]] || exec {LAB_LOCK_FD}<&-
	LAB_LOCK_FD=
}
