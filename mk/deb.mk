# SPDX-License-Identifier: GPL-2.0
#
# Debian packages (debian/, issue 21): pvsched-dkms (arch all: the module
# sources under /usr/src/pvsched-VERSION, built by DKMS for the installed
# kernels) and pvschedctl (the CLI, its man page, bash completion and the
# udev rule).
#
#   make deb-deps     install what make deb and check-deb need (debhelper,
#                     dh-dkms, lintian, dkms, the libraries pvschedctl
#                     links; apt-get)
#   make deb          build both with dpkg-buildpackage in build/deb/ out of
#                     a copy of the tracked files (nothing is written in the
#                     tree), run lintian (failing on errors), print the .deb
#                     paths; fails with the list of missing packages if
#                     deb-deps has not been run
#   make check-deb    make deb, then check the result: lintian (no error or
#                     warning), the files each package holds, the versions,
#                     dkms.conf as in the tree, the maintainer scripts,
#                     "dkms build" of the packaged sources for $(KVER) with a
#                     private dkms tree under build/deb-check/ (no system-wide
#                     dkms state), and dpkg -i / dpkg -P in throwaway
#                     overlays of each root of the kernel matrix
#                     (packaging/deb/root-test: this machine's / for 6.1,
#                     the trixie tree for 6.12, 6.12-rt, 7.3, 7.3-rt; root
#                     only); PASS/FAIL in build/results/deb.log
#   make deb-install-test   dpkg -i both packages on this machine (dkms
#                     builds and installs the modules for the kernels with
#                     headers, nothing is loaded), then purge them and check
#                     that nothing is left; not part of any check
#
# check-deb is part of "make check": about 105 s on the 2-core build
# machine with a lab VM running beside it (a pvschedctl build and lintian,
# ~20 s; the package installed for 6.1, ~10 s, and for the four trixie
# kernels, ~70 s: one dkms build of both modules per kernel).  Everything
# in build/, nothing installed.  Scripts: packaging/deb/{deps,build,check,
# root-test,install-test}.

CHECK_SUITES += check-deb

DEB_OUT := $(BUILD)/deb

.PHONY: deb deb-deps check-deb deb-install-test

deb-deps:
	@$(TOP)/packaging/deb/deps

deb:
	@$(TOP)/packaging/deb/build $(DEB_OUT)

check-deb:
	@mkdir -p $(RESULTS)
	-@$(TOP)/packaging/deb/check $(DEB_OUT) $(BUILD)/deb-check "$(KVER)" "$(KDIR)" >>$(RESULTS)/deb.log

deb-install-test:
	@$(TOP)/packaging/deb/install-test $(DEB_OUT)
