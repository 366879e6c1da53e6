#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Debian packages (issue 21): with pvsched-dkms installed for the L1 kernel
# by its own maintainer scripts (deb-modprobe.pre: dpkg -i in a throwaway
# copy of the root filesystem that holds the kernel's headers),
# "modprobe pvsched" and "modprobe pvsched_guest" load the modules the
# package built and "modprobe -r" unloads them; after "dpkg -P" modprobe
# finds neither.  On 6.1 by default, on 6.12 with LAB_KVER=6.12 (any
# kernel of the matrix works the same way).
#
# L1 sees the build machine's / read-only, so /lib/modules/$LAB_KVER as
# the package left it is put together in /run: the install's own index
# files (modules.*, from its depmod) and updates/, and symbolic links to
# the rest of the kernel's module directory, bind-mounted over it.
# lab-timeout: 180
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"

[[ -f $LAB_OUT/deb.env ]] || lab_fail "deb-modprobe.pre left no $LAB_OUT/deb.env"
# shellcheck source=/dev/null
. "$LAB_OUT/deb.env"

mods=/lib/modules/$LAB_KVER
orig=/run/lab/deb-orig
mkdir -p "$orig"
mount --bind "$mods" "$orig" || lab_fail "cannot bind-mount $mods"
view_mounted=0

# modules_view STATE: $mods as the package's STATE (installed, purged)
# left it.
modules_view() {
	local src=$DEB_CAPTURE/$1/$LAB_KVER view=/run/lab/deb-$1 e
	[[ -d $src ]] || lab_fail "no $src (deb-modprobe.pre)"
	if [[ $view_mounted == 1 ]]; then
		umount "$mods" || lab_fail "umount $mods"
		view_mounted=0
	fi
	mkdir -p "$view"
	cp -a "$src"/. "$view/"
	for e in "$orig"/*; do
		[[ -e $view/${e##*/} || -L $view/${e##*/} ]] || ln -s "$e" "$view/${e##*/}"
	done
	mount --bind "$view" "$mods" || lab_fail "cannot bind-mount $view on $mods"
	view_mounted=1
	lab_log "$mods: as the package's $1 state left it"
}

modules_view installed
# kvm (loaded already) through the same view: its links work.
modinfo -n kvm >/dev/null || lab_fail "modinfo -n kvm: the module view is broken"

# load_packaged NAME: modprobe NAME loads the file the package installed.
load_packaged() {
	local m=$1 M=${1^^} ko want_id elf got_id
	ko=DEB_${M}_KO want_id=DEB_${M}_BUILDID elf=DEB_${M}_ELF
	lab_assert_eq "$(modinfo -n "$m" 2>&1)" "$mods/${!ko}" "modinfo -n $m"
	modprobe "$m" || lab_fail "modprobe $m failed"
	lab_assert_eq "$(cat "/sys/module/$m/initstate" 2>/dev/null)" live "/sys/module/$m/initstate"
	echo "$m $(cat "/sys/module/$m/sections/.text" 2>/dev/null) ${!elf}" >>"$LAB_OUT/modules.txt"
	got_id=$(lab_module_build_id "$m")
	[[ -n ${!want_id} && -n $got_id ]] || lab_fail "$m: no build ID to compare (file '${!want_id}', loaded '$got_id')"
	lab_assert_eq "$got_id" "${!want_id}" "build ID of the loaded $m (the package's ${!ko})"
	lab_log "modprobe $m: loaded $mods/${!ko}"
}

load_packaged pvsched
[[ -c /dev/pvsched ]] || lab_fail "no /dev/pvsched after modprobe pvsched"
load_packaged pvsched_guest

for m in pvsched_guest pvsched; do
	modprobe -r "$m" || lab_fail "modprobe -r $m failed"
	[[ ! -e /sys/module/$m ]] || lab_fail "$m still loaded after modprobe -r"
done
lab_log "modprobe -r: both unloaded"

modules_view purged
modinfo -n kvm >/dev/null || lab_fail "modinfo -n kvm: the module view is broken"
for m in pvsched pvsched_guest; do
	if out=$(modprobe -n -v "$m" 2>&1); then
		lab_fail "after dpkg -P, modprobe -n $m still finds it: $out"
	fi
	lab_log "after dpkg -P: modprobe -n $m: $out"
done

umount "$mods" && umount "$orig" || lab_fail "cannot undo the bind mounts"
