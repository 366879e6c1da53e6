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

