# SPDX-License-Identifier: GPL-2.0
#
# pvsched's libvirt hook (tools/libvirt/pvsched-hook) and the systemd unit
# it starts (tools/libvirt/pvsched-attach@.service).
#
#   make check-libvirt   the hook without libvirt, systemd or a VM
#                        (tools/libvirt/tests/hook-test): its decision for
#                        sample domain XMLs and README's example, each
#                        libvirt operation against a fake pvschedctl and a
#                        fake systemctl, the unit (systemd-analyze verify).
#                        About 8 s.  Results: build/results/libvirt.log,
#                        details in build/libvirt-hook-test.log
#   make install-libvirt the hook and the unit (top-level Makefile)
#
# With a real libvirtd and an L2 guest: tests/lab/tests/libvirt-hook.sh.

CHECK_SUITES += check-libvirt

.PHONY: check-libvirt

# Its own PASS/FAIL lines; a crash of the script adds one FAIL.
check-libvirt: pvschedctl
	@mkdir -p $(RESULTS)
	@rc=0; $(TOP)/tools/libvirt/tests/hook-test $(TOP)/tools/pvschedctl/pvschedctl \
		$(BUILD)/libvirt-hook-test >$(BUILD)/libvirt-hook-test.out \
		2>$(BUILD)/libvirt-hook-test.log || rc=$$?; \
	cat $(BUILD)/libvirt-hook-test.out >>$(RESULTS)/libvirt.log; \
	if [ $$rc != 0 ] && ! grep -q '^FAIL' $(BUILD)/libvirt-hook-test.out; then \
		echo "FAIL libvirt-hook-test (exit $$rc, see build/libvirt-hook-test.log)" >>$(RESULTS)/libvirt.log; \
	fi
