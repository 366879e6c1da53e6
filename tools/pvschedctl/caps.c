// SPDX-License-Identifier: GPL-2.0
/*
 * pvschedctl caps show|set: the admin caps, i.e. pvsched.ko's module
 * parameters under /sys/module/pvsched/parameters/.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json_print.h"
#include "main.h"

static const struct cap {
	const char *name;
	const char *unit; /* plain-text suffix */
	bool is_policy;
} caps[] = {
	{ "max_policy", "", true },
	{ "max_rt_prio", "", false },
	{ "min_nice", "", false },
	{ "max_vcpus_per_vm", "", false },
	{ "max_vms", "", false },
	{ "max_boost_cap_us", " us", false },
	{ "min_throttle_us", " us", false },
	{ "max_duty_pct", " %", false },
	{ "cpu_share_pct", " %", false },
	{ "cpu_share_window_us", " us", false },
	{ "default_boost_policy", "", true },
	{ "default_boost_prio", "", false },
	{ "default_max_boost_us", " us", false },
	{ "default_throttle_us", " us", false },
	{ NULL, NULL, false },
};

static void caps_help(void)
{
	const struct cap *c;

	printf("Usage: pvschedctl caps show\n"
	       "       pvschedctl caps set KEY=VALUE...\n"
	       "       pvschedctl caps help\n"
	       "\n"
	       "KEY := {");
	for (c = caps; c->name; c++)
		printf(" %s%s", c->name, c[1].name ? " |" : " }\n");
	printf("\n"
	       "The caps are pvsched.ko's module parameters (see modinfo pvsched):\n"
	       "policies are normal|rr|fifo (FIFO > RR > NORMAL), *_us values are\n"
	       "microseconds, *_pct values percent.  max_rt_prio is the RT ceiling,\n"
	       "max_duty_pct the longest share of boost in a VM's boost+throttle\n"
	       "cycle, cpu_share_pct the RT-boosted time of all vCPUs on one host\n"
	       "CPU per cpu_share_window_us (100: no bound).  \"set\" needs root;\n"
	       "the kernel's refusal is reported with its errno (exit status 3).\n");
}

static const struct cap *cap_find(const char *name, size_t len)
{
	const struct cap *c;

	for (c = caps; c->name; c++)
		if (strlen(c->name) == len && !strncmp(c->name, name, len))
			return c;
	return NULL;
}

static void param_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/module/pvsched/parameters/%s", sysfs_root(),
		 name);
}

static int caps_show(int argc, char **argv)
{
	const struct cap *c;
	char path[4096];
	int ret = EXIT_OK;

	if (argc > 0 && is_help(argv[0])) {
		caps_help();
		return EXIT_OK;
	}
	if (argc > 0)
		return usage_error("caps show: unexpected argument '%s'",
				   argv[0]);
	if (!module_loaded()) {
		print_err("pvsched module not loaded");
		return EXIT_NOMOD;
	}
	new_json_obj();
	for (c = caps; c->name; c++) {
		char *val, *end;
		long long n;
		int err;

		param_path(path, sizeof(path), c->name);
		val = read_file(path, &err);
		if (!val) {
			print_errno(err, "%s", path);
			ret = EXIT_FAIL;
			continue;
		}
		val[strcspn(val, "\n")] = '\0';
		print_fp("%-22s ", c->name);
		errno = 0;
		n = strtoll(val, &end, 0);
		if (!c->is_policy && *val && !*end && !errno) {
			print_int(PRINT_ANY, c->name, "%" PRId64, n);
			print_fp("%s", c->unit);
		} else {
			print_string(PRINT_ANY, c->name, "%s", val);
		}
		print_nl();
		free(val);
	}
	delete_json_obj();
	return ret;
}

static int caps_set(int argc, char **argv)
{
	char path[4096];
	int i, fd, ret = EXIT_OK;

	if (argc > 0 && is_help(argv[0])) {
		caps_help();
		return EXIT_OK;
	}
	if (argc < 1)
		return usage_error("caps set: KEY=VALUE expected");
	/* validate everything before writing anything */
	for (i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');

		if (!eq || eq == argv[i] || !eq[1])
			return usage_error("caps set: '%s' is not KEY=VALUE",
					   argv[i]);
		if (!cap_find(argv[i], eq - argv[i]))
			return usage_error("caps set: unknown cap '%.*s'; try \"pvschedctl caps help\"",
					   (int)(eq - argv[i]), argv[i]);
		if (strpbrk(eq + 1, "\n \t"))
			return usage_error("caps set: bad value in '%s'",
					   argv[i]);
	}
	if (!module_loaded()) {
		print_err("pvsched module not loaded");
		return EXIT_NOMOD;
	}
	new_json_obj();
	open_json_array("set");
	for (i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		const struct cap *c = cap_find(argv[i], eq - argv[i]);
		const char *val = eq + 1;
		ssize_t n;
		int err = 0;

		param_path(path, sizeof(path), c->name);
		fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (fd < 0) {
			err = errno;
		} else {
			n = write(fd, val, strlen(val));
			if (n < 0)
				err = errno;
			else if ((size_t)n != strlen(val))
				err = EIO;
			close(fd);
		}
		open_json_object(NULL);
		print_string(PRINT_JSON, "key", NULL, c->name);
		print_string(PRINT_JSON, "value", NULL, val);
		print_bool(PRINT_JSON, "ok", NULL, !err);
		if (err)
			print_string(PRINT_JSON, "error", NULL, strerror(err));
		close_json_object();
		if (err) {
			print_errno(err, "caps set %s=%s", c->name, val);
			ret = EXIT_FAIL;
		} else {
			print_fp("%s=%s\n", c->name, val);
		}
	}
	close_json_array();
	delete_json_obj();
	return ret;
}

static const struct cmd caps_cmds[] = {
	{ "show", caps_show, "show the admin caps" },
	{ "set", caps_set, "set admin caps" },
	{ NULL, NULL, NULL },
};

int do_caps(int argc, char **argv)
{
	if (argc < 1)
		return caps_show(0, argv);
	return cmd_select("caps", caps_cmds, argc, argv, caps_help);
}

/* For status: every cap on one plain line, or a "caps" JSON object. */
void caps_print_inline(void)
{
	const struct cap *c;
	char path[4096];

	open_json_object("caps");
	print_fp("caps:");
	for (c = caps; c->name; c++) {
		char *val, *end;
		long long n;
		int err;

		param_path(path, sizeof(path), c->name);
		val = read_file(path, &err);
		if (!val)
			continue;
		val[strcspn(val, "\n")] = '\0';
		print_fp(" %s=%s", c->name, val);
		errno = 0;
		n = strtoll(val, &end, 0);
		if (!c->is_policy && *val && !*end && !errno)
			print_int(PRINT_JSON, c->name, NULL, n);
		else
			print_string(PRINT_JSON, c->name, NULL, val);
		free(val);
	}
	print_nl();
	close_json_object();
}
