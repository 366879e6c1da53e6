// SPDX-License-Identifier: GPL-2.0
/*
 * pvschedctl: command line tool for pvsched (paravirtual scheduling for
 * KVM).  bpftool-style: pvschedctl [OPTIONS] OBJECT COMMAND [ARGS].
 *
 * This file only parses the global options and dispatches to the objects
 * (version.c, status.c, caps.c, attach.c, trace.c).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_print.h"
#include "main.h"

static void main_help(void)
{
	printf("Usage: pvschedctl [OPTIONS] OBJECT COMMAND [ARGS]\n"
	       "       pvschedctl help | --help | -h\n"
	       "       pvschedctl --version | -V\n"
	       "\n"
	       "OBJECT := { version | status | caps | attach | trace | help }\n"
	       "OPTIONS := { -j|--json | -p|--pretty | -h|--help | -V|--version }\n"
	       "\n"
	       "  version   tool, module and ABI versions\n"
	       "  status    module, tracepoints, every VM and vCPU (--watch)\n"
	       "  caps      show or set the admin caps (module parameters)\n"
	       "  attach    attach a stock QEMU VM (QMP + ivshmem) and stay as its\n"
	       "            pvsched device process\n"
	       "  trace     live pvsched: (and kvm:) trace events\n"
	       "\n"
	       "Objects and commands may be abbreviated (pvschedctl st = status).\n"
	       "\"pvschedctl OBJECT help\" shows an object's commands.\n"
	       "Exit status: 0 ok, 1 usage error, 2 module not loaded or device\n"
	       "missing, 3 operation failed, 4 ABI version mismatch.\n"
	       "See pvschedctl(8).\n");
}

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	main_help();
	return EXIT_OK;
}

static const struct cmd objects[] = {
	{ "version", do_version, "tool, module and ABI versions" },
	{ "status", do_status, "module, VMs and vCPUs" },
	{ "caps", do_caps, "admin caps" },
	{ "attach", do_attach, "attach a stock QEMU VM" },
	{ "trace", do_trace, "live trace events" },
	{ "help", do_help, "this help" },
	{ NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, pretty = false;
	int c;

	opterr = 0;
	/* "+": stop at the object, its own options are its business */
	while ((c = getopt_long(argc, argv, "+jphV", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'p':
			pretty = true;
			break;
		case 'h':
			main_help();
			return EXIT_OK;
		case 'V':
			printf("pvschedctl %s (ABI %u.%u)\n", PVSCHEDCTL_VERSION,
			       PVSCHED_ABI_MAJOR, PVSCHED_ABI_MINOR);
			return EXIT_OK;
		default:
			return usage_error("unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	json_setup(json, pretty);
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		main_help();
		return EXIT_USAGE;
	}
	return cmd_select(NULL, objects, argc, argv, main_help);
}
