# SPDX-License-Identifier: GPL-2.0
#
# Debian packages (debian/, issue 21): pvsched-dkms (arch all: the module
# sources under /usr/src/pvsched-VERSION, built by DKMS for the installed
# kernels) and pvschedctl (the CLI, its man page, bash completion and the
# udev rule).
#
#   make deb-deps     install what make deb needs (debhelper, dh-dkms,
#                     lintian, the libraries pvschedctl links; apt-get)
#   make deb          build both with dpkg-buildpackage in build/deb/ out of
#                     a copy of the tracked files (nothing is written in the
#                     tree), run lintian (failing on errors), print the .deb
#                     paths; fails with the list of missing packages if
#                     deb-deps has not been run
#
# Scripts: packaging/deb/{deps,build}.

DEB_OUT := $(BUILD)/deb

.PHONY: deb deb-deps

deb-deps:
	@$(TOP)/packaging/deb/deps

deb:
	@$(TOP)/packaging/deb/build $(DEB_OUT)
