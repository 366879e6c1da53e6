# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by the libvirt lab test (tests/lab/tests/libvirt-hook.sh) after
# lib.sh: a real libvirtd in L1, the lab's L2 guest as a libvirt domain, and
# pvsched's libvirt hook (tools/libvirt/pvsched-hook) attaching it.
#
# L1 runs the build machine's / read-only, so libvirt comes from there
# (scripts/setup installs libvirt-daemon-system and libvirt-clients) and
# its writable directories get tmpfs copies here: /etc/libvirt (define
# writes the domain's XML there; the hook goes into its hooks/qemu.d/),
# /var/lib/libvirt, /var/cache/libvirt (QEMU's capabilities) and
# /var/log/libvirt.  /run is L1's tmpfs already.  No systemd, dbus or
# syslog in L1: libvirtd runs as a plain daemon, and the hook, finding no
# /run/systemd/system, detaches "pvschedctl attach" with a double fork.

LIBVIRT_NS=https://pvsched.example.org/xmlns/libvirt/1
LIBVIRT_RW=/run/lab/libvirt-rw
LIBVIRT_HOOK_LOG=/run/lab/libvirt-hook.log
LIBVIRT_STATE=/run/pvsched-libvirt
libvirt_pidfile=/run/libvirtd.pid
libvirt_virsh=(virsh -q -c qemu:///system)

# libvirt_need: skip unless libvirt is installed and pvschedctl can attach
# by pid (the hook's interface to it).
libvirt_need() {
	if ! command -v libvirtd >/dev/null || ! command -v virsh >/dev/null; then
		lab_skip "libvirt is not installed on the build machine (scripts/setup installs libvirt-daemon-system, libvirt-clients)"
	fi
	[[ -x $PVSCHEDCTL ]] || lab_skip "pvschedctl not built"
	"$PVSCHEDCTL" attach help 2>&1 | grep -q -e '--pid' ||
		lab_skip "pvschedctl attach has no --pid yet"
}

# libvirt_setup: writable copies of libvirt's directories, a configuration
# for L1, the hook; then libvirtd.
libvirt_setup() {
	local d
	for d in /etc/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do
		[[ -d $d ]] || lab_fail "$d missing: is libvirt-daemon-system installed?"
		mkdir -p "$LIBVIRT_RW$d"
		cp -a "$d/." "$LIBVIRT_RW$d/"
		mount --bind "$LIBVIRT_RW$d" "$d" || lab_fail "cannot bind a writable copy over $d"
	done
	# QEMU as root without a security driver, cgroups or a mount
	# namespace: L1 has no AppArmor profiles, cgroup mounts or udev, and
	# the guest's 9p shares and console file stay where lab_l2_* look.
	# QEMU's output goes to /var/log/libvirt/qemu/NAME.log (no virtlogd).
	cat >>/etc/libvirt/qemu.conf <<'EOF'

# pvsched lab (tests/lab/l2/libvirt-lib.sh)
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
clear_emulator_capabilities = 0
EOF
	# Root clients without polkit (no dbus in L1); a log file instead of
	# syslog, with every hook call libvirt makes.
	cat >>/etc/libvirt/libvirtd.conf <<'EOF'

# pvsched lab (tests/lab/l2/libvirt-lib.sh)
auth_unix_rw = "none"
auth_unix_ro = "none"
log_level = 3
log_filters = "1:util.hook"
log_outputs = "1:file:/var/log/libvirt/libvirtd.log"
EOF
	rm -f /etc/libvirt/qemu/networks/autostart/*
	# The hook from the checkout, with the checkout's pvschedctl and a
	# log of what it did; libvirt gives hooks no environment of ours.
	mkdir -p /etc/libvirt/hooks/qemu.d
	cat >/etc/libvirt/hooks/qemu.d/pvsched <<EOF
#!/bin/sh
PVSCHEDCTL='$PVSCHEDCTL' PVSCHED_HOOK_LOG='$LIBVIRT_HOOK_LOG' PVSCHED_HOOK_SYSTEMD=0 \\
	exec python3 '$PVSCHED_SRC/tools/libvirt/pvsched-hook' "\$@"
EOF
	chmod 0755 /etc/libvirt/hooks/qemu.d/pvsched
	libvirt_start
}

libvirt_ready() {
	"${libvirt_virsh[@]}" list --all >/dev/null 2>&1
}

# libvirt_start: libvirtd as a daemon; returns once virsh gets an answer.
libvirt_start() {
	libvirtd --daemon --pid-file "$libvirt_pidfile" ||
		lab_fail "libvirtd --daemon failed (exit $?)"
	lab_wait_until 180 libvirt_ready || {
		libvirt_save_logs
		lab_fail "libvirtd does not answer virsh within 180 s"
	}
	lab_log "libvirtd $(libvirtd --version | awk '{ print $NF }') running (pid $(cat "$libvirt_pidfile"))"
}

libvirt_pid_gone() {
	! kill -0 "$1" 2>/dev/null
}

# libvirt_stop: SIGTERM to libvirtd; the domains it runs stay.
libvirt_stop() {
	local pid
	pid=$(cat "$libvirt_pidfile")
	kill -TERM "$pid"
	lab_wait_until 60 libvirt_pid_gone "$pid" || lab_fail "libvirtd (pid $pid) still there 60 s after SIGTERM"
	lab_log "libvirtd (pid $pid) stopped"
}

# libvirt_domain_xml NAME SMP SHMEM [PVSCHED-ATTRIBUTES]: the lab's L2 guest
# (lab_l2_start's kernel, initramfs, command line, 9p shares and console
# file, in $(lab_l2_dir NAME)) as a libvirt domain, with the ivshmem-plain
# device SHMEM and <pvsched:params PVSCHED-ATTRIBUTES/> in its metadata.
libvirt_domain_xml() {
	local name=$1 smp=$2 shmem=$3 attrs=${4:-} dir loader=
	dir=$(lab_l2_dir "$name")
	# shellcheck disable=SC2154 # lib.sh's
	[[ -r $lab_l2_bios ]] && loader="<loader type='rom' readonly='yes'>$lab_l2_bios</loader>"
	cat <<EOF
<domain type='kvm'>
  <name>$name</name>
  <metadata>
    <pvsched:params xmlns:pvsched='$LIBVIRT_NS' $attrs/>
  </metadata>
  <memory unit='MiB'>$LAB_L2_MEM</memory>
  <vcpu>$smp</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    $loader
    <kernel>$LAB_L2_KERNEL</kernel>
    <initrd>$LAB_L2_INITRD</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 mitigations=off pci=noearly lab.name=$name</cmdline>
  </os>
  <cpu mode='host-passthrough'>
    <feature policy='disable' name='xsave'/>
  </cpu>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>$(command -v qemu-system-x86_64)</emulator>
    <serial type='file'>
      <source path='$dir/console.log'/>
      <target port='0'/>
    </serial>
    <filesystem type='mount' accessmode='squash' multidevs='remap'>
      <source dir='$dir/share'/>
      <target dir='lab'/>
    </filesystem>
    <filesystem type='mount' accessmode='squash' multidevs='remap'>
      <source dir='/'/>
      <target dir='host'/>
      <readonly/>
    </filesystem>
    <shmem name='$shmem'>
      <model type='ivshmem-plain'/>
      <size unit='M'>1</size>
    </shmem>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}

# libvirt_prepare_l2 NAME: the directories lab_l2_* use for guest NAME.
libvirt_prepare_l2() {
	local dir
	dir=$(lab_l2_dir "$1")
	rm -rf "$dir"
	mkdir -p "$dir/share/cmd"
	: >"$dir/console.log"
}

# libvirt_adopt_l2 NAME: QEMU's pid where lab_l2_wait/lab_l2_run look for it.
libvirt_adopt_l2() {
	cp "/run/libvirt/qemu/$1.pid" "$(lab_l2_dir "$1")/pid" ||
		lab_fail "no /run/libvirt/qemu/$1.pid after virsh start"
}

# libvirt_vcpu_tids NAME: "CPU-INDEX TID" per vCPU of domain NAME's QEMU,
# from the thread names (libvirt starts QEMU with debug-threads=on): QMP
# is libvirt's.  Status 1 if libvirt's pid file holds no pid.
libvirt_vcpu_tids() {
	local pid t comm
	pid=$(cat "/run/libvirt/qemu/$1.pid" 2>/dev/null) || return 1
	# an empty or partial read lists no threads: say so, not an empty list
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	for t in /proc/"$pid"/task/*; do
		comm=$(cat "$t/comm" 2>/dev/null) || continue
		# an if, not "&&": a loop whose last thread is no vCPU's (QEMU's
		# thread-pool "worker") must not fail the pipeline under pipefail
		if [[ $comm =~ ^CPU\ ([0-9]+)/KVM$ ]]; then
			echo "${BASH_REMATCH[1]} ${t##*/}"
		fi
	done | sort -n
}

# libvirt_hook_logged PATTERN: the hook's log has a line matching PATTERN.
libvirt_hook_logged() {
	grep -q -E -e "$1" "$LIBVIRT_HOOK_LOG" 2>/dev/null
}

# libvirt_save_logs: libvirt's and the hook's logs into $LAB_OUT.
libvirt_save_logs() {
	local f
	cp "$LIBVIRT_HOOK_LOG" "$LAB_OUT/libvirt-hook.log" 2>/dev/null || true
	cp /var/log/libvirt/libvirtd.log "$LAB_OUT/libvirtd.log" 2>/dev/null || true
	for f in /var/log/libvirt/qemu/*.log "$LIBVIRT_STATE"/*.log; do
		[[ -e $f ]] && cp "$f" "$LAB_OUT/libvirt-$(basename "$(dirname "$f")")-$(basename "$f")"
	done
	return 0
}
