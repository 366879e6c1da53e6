#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The DKMS-built module (dkms.pre: dkms add/build/install on the build
# machine for the lab kernel) loads with "modprobe pvsched", and the module
# the kernel loaded is that file, not host/pvsched.ko.
# lab-timeout: 180
# shellcheck source=../lib.sh
. "$PVSCHED_SRC/tests/lab/lib.sh"

[[ -f $LAB_OUT/dkms.env ]] || lab_fail "dkms.pre left no $LAB_OUT/dkms.env"
# shellcheck source=/dev/null
. "$LAB_OUT/dkms.env"

path=$(modinfo -n pvsched) || lab_fail "modinfo -n pvsched: module unknown to modprobe"
lab_assert_eq "$path" "$DKMS_KO" "modinfo -n pvsched"

modprobe pvsched || lab_fail "modprobe pvsched failed"
[[ -d /sys/module/pvsched ]] || lab_fail "/sys/module/pvsched missing after modprobe"
if [[ -n $DKMS_SRCVERSION ]]; then
	lab_assert_eq "$(cat /sys/module/pvsched/srcversion 2>/dev/null)" "$DKMS_SRCVERSION" \
		"srcversion of the loaded module"
else
	lab_log "the module has no srcversion (no MODULE_VERSION); comparing build IDs only"
fi

# The build ID tells two builds of the same sources apart (srcversion
# does not): the loaded module must be the DKMS-built file.
[[ -n $DKMS_BUILDID || -n $DKMS_SRCVERSION ]] ||
	lab_fail "neither a build ID nor a srcversion to identify the DKMS-built module"
loaded=$(lab_module_build_id pvsched)
if [[ -n $DKMS_BUILDID && -n $loaded ]]; then
	lab_assert_eq "$loaded" "$DKMS_BUILDID" "build ID of the loaded module"
	if [[ -f $PVSCHED_KO ]]; then
		local_id=$(readelf -n "$PVSCHED_KO" | awk '/Build ID:/ { print $3 }')
		[[ $local_id != "$loaded" ]] || lab_log "note: host/pvsched.ko has the same build ID"
	fi
else
	lab_log "no build ID to compare; srcversion matched"
fi
lab_log "loaded $DKMS_KO (srcversion $DKMS_SRCVERSION)"

modprobe -r pvsched || lab_fail "modprobe -r pvsched failed"
[[ ! -e /sys/module/pvsched ]] || lab_fail "pvsched still loaded after modprobe -r"
