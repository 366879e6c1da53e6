// SPDX-License-Identifier: GPL-2.0
/*
 * pvschedctl version: the tool's version and compiled ABI, the loaded
 * module's version and ABI (PVSCHED_IOC_GET_INFO); an ABI major mismatch
 * is reported (exit 4).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "json_print.h"
#include "main.h"

static void version_help(void)
{
	printf("Usage: pvschedctl version\n"
	       "       pvschedctl version help\n"
	       "\n"
	       "Prints the tool's version and ABI and the loaded module's version,\n"
	       "ABI and features.  Exit status 2 if the module is not loaded,\n"
	       "4 if the module's ABI major version differs from the tool's.\n");
}

static void print_abi(uint32_t major, uint32_t minor)
{
	open_json_object("abi");
	print_uint(PRINT_ANY, "major", "ABI %" PRIu64, major);
	print_uint(PRINT_ANY, "minor", ".%" PRIu64, minor);
	close_json_object();
}

int do_version(int argc, char **argv)
{
	struct pvsched_info info;
	char buf[128];
	int fd, ret = EXIT_OK;

	if (argc > 0 && is_help(argv[0])) {
		version_help();
		return EXIT_OK;
	}
	if (argc > 0)
		return usage_error("version: unexpected argument '%s'", argv[0]);

	new_json_obj();
	open_json_object("tool");
	print_string(PRINT_ANY, "version", "pvschedctl %s (", PVSCHEDCTL_VERSION);
	print_abi(PVSCHED_ABI_MAJOR, PVSCHED_ABI_MINOR);
	print_fp(")\n");
	close_json_object();

	open_json_object("module");
	if (!module_loaded()) {
		print_bool(PRINT_JSON, "loaded", NULL, false);
		print_fp("pvsched.ko: not loaded\n");
		close_json_object();
		delete_json_obj();
		return EXIT_NOMOD;
	}
	print_bool(PRINT_JSON, "loaded", NULL, true);
	fd = pvsched_open_info(&info);
	if (fd < 0) {
		close_json_object();
		delete_json_obj();
		print_errno(-fd, "%s", dev_path());
		return fd == -ENOENT ? EXIT_NOMOD : EXIT_FAIL;
	}
	close(fd);
	snprintf(buf, sizeof(buf), "%u.%u.%u", info.version_major,
		 info.version_minor, info.version_patch);
	print_string(PRINT_ANY, "version", "pvsched.ko %s (", buf);
	print_abi(info.abi_major, info.abi_minor);
	print_fp("), features ");
	print_hex(PRINT_JSON, "features", NULL, info.features);
	print_string(PRINT_ANY, "feature_names", "%s\n",
		     features_str(info.features, buf, sizeof(buf)));
	close_json_object();

	print_bool(PRINT_JSON, "abi_compatible", NULL,
		   info.abi_major == PVSCHED_ABI_MAJOR);
	if (info.abi_major != PVSCHED_ABI_MAJOR) {
		ret = EXIT_VERSION;
	} else if (info.abi_minor != PVSCHED_ABI_MINOR) {
		print_fp("note: ABI minor versions differ (tool %u, module %u): "
			 "only the common features are used\n",
			 PVSCHED_ABI_MINOR, info.abi_minor);
	}
	delete_json_obj();
	if (ret == EXIT_VERSION)
		print_err("ABI mismatch: tool speaks ABI %u.x, module %u.%u",
			  PVSCHED_ABI_MAJOR, info.abi_major, info.abi_minor);
	return ret;
}
