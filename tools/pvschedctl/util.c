// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the objects: dispatch with prefix matching, messages,
 * paths, small file reads and name tables.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json_print.h"
#include "main.h"

volatile int stop_signal;

bool is_help(const char *arg)
{
	return !strcmp(arg, "help") || !strcmp(arg, "-h") ||
	       !strcmp(arg, "--help");
}

bool is_prefix(const char *arg, const char *word)
{
	size_t n = strlen(arg);

	return n > 0 && !strncmp(arg, word, n);
}

int cmd_select(const char *object, const struct cmd *cmds, int argc,
	       char **argv, void (*help)(void))
{
	const struct cmd *c, *found = NULL;
	int matches = 0;

	if (argc < 1 || is_help(argv[0])) {
		help();
		return argc < 1 ? EXIT_USAGE : EXIT_OK;
	}
	for (c = cmds; c->name; c++) {
		if (!strcmp(argv[0], c->name)) {
			found = c;
			matches = 1;
			break;
		}
		if (is_prefix(argv[0], c->name)) {
			found = c;
			matches++;
		}
	}
	if (matches == 1)
		return found->func(argc - 1, argv + 1);
	if (matches > 1)
		return usage_error("%s '%s' is ambiguous; try \"pvschedctl %s%shelp\"",
				   object ? "command" : "object", argv[0],
				   object ? object : "", object ? " " : "");
	return usage_error("unknown %s '%s'; try \"pvschedctl %s%shelp\"",
			   object ? "command" : "object", argv[0],
			   object ? object : "", object ? " " : "");
}

bool getopt_begin(int *argc, char ***argv, void (*help)(void))
{
	if (help && *argc > 0 && is_help((*argv)[0])) {
		help();
		return true;
	}
	optind = 0;
	opterr = 0;
	(*argc)++;
	(*argv)--;
	return false;
}

int getopt_cmd(int argc, char **argv, const char *optstring,
	       const struct option *opts, bool *json, bool *pretty)
{
#define NR_COMMON 3
	static const struct option common[NR_COMMON] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
	};
	/* the command's options, the common ones, the all-zero end */
	struct option all[CMD_MAX_OPTS + NR_COMMON + 1];
	size_t n = 0;
	int c;

	while (opts[n].name && n < CMD_MAX_OPTS) {
		all[n] = opts[n];
		n++;
	}
	memcpy(&all[n], common, sizeof(common));
	memset(&all[n + NR_COMMON], 0, sizeof(all[0]));
#undef NR_COMMON

	while ((c = getopt_long(argc, argv, optstring, all, NULL)) != -1) {
		if (c == 'j')
			*json = true;
		else if (c == 'p')
			*pretty = true;
		else
			break;
	}
	return c;
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("pvschedctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

void print_errno(int err, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("pvschedctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
}

void print_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("pvschedctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

const char *sysfs_root(void)
{
	return env_or("PVSCHED_SYSFS_ROOT", "/sys");
}

const char *dev_path(void)
{
	return env_or("PVSCHED_DEV", "/dev/pvsched");
}

const char *run_dir(void)
{
	return env_or("PVSCHED_RUN_DIR", "/run/pvsched");
}

bool module_loaded(void)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/module/pvsched", sysfs_root());
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *read_file(const char *path, int *err)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;
	int fd;

	if (!buf) {
		*err = ENOMEM;
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = errno;
		free(buf);
		return NULL;
	}
	for (;;) {
		if (cap - len < 2) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				*err = ENOMEM;
				goto fail;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*err = errno;
			goto fail;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
fail:
	close(fd);
	free(buf);
	return NULL;
}

int pvsched_open_info(struct pvsched_info *info)
{
	int fd = open(dev_path(), O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	if (ioctl(fd, PVSCHED_IOC_GET_INFO, info) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

static const char *const policy_names[] = {
	[0] = "normal", [1] = "fifo", [2] = "rr",
	[3] = "batch",	[5] = "idle", [6] = "deadline",
};

const char *policy_name(uint32_t policy)
{
	if (policy < ARRAY_SIZE(policy_names) &&
	    policy_names[policy])
		return policy_names[policy];
	return "unknown";
}

int policy_parse(const char *s, uint32_t *policy)
{
	unsigned long v;
	char *end;
	size_t i;

	if (!strcmp(s, "other")) {
		*policy = 0;
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(policy_names); i++) {
		if (policy_names[i] && !strcmp(s, policy_names[i])) {
			*policy = i;
			return 0;
		}
	}
	errno = 0;
	v = strtoul(s, &end, 0);
	if (*s && !*end && !errno && v <= 6) {
		*policy = v;
		return 0;
	}
	return -EINVAL;
}

const char *tp_family_name(uint32_t family)
{
	switch (family) {
	case PVSCHED_TP_NONE:
		return "none";
	case PVSCHED_TP_STOCK:
		return "stock";
	case PVSCHED_TP_PARAVIRT:
		return "paravirt";
	}
	return "unknown";
}

static const char *bits_str(uint64_t v, const char *const *names, int n,
			    char *buf, size_t len)
{
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < 64 && v; i++) {
		uint64_t bit = 1ULL << i;

		if (!(v & bit))
			continue;
		v &= ~bit;
		if (i < n && names[i])
			off += snprintf(buf + off, off < len ? len - off : 0,
					"%s%s", off ? "," : "", names[i]);
		else
			off += snprintf(buf + off, off < len ? len - off : 0,
					"%sbit%d", off ? "," : "", i);
	}
	if (!buf[0])
		snprintf(buf, len, "none");
	return buf;
}

static const char *const feature_names[] = { "crit_section", "task_prio",
					     "host_area", "idle_hint",
					     "boost_state", "exit_demote" };
static const char *const event_names[] = { "vmenter", "vmexit", "halt",
					   "inject", "wakeup", "kick",
					   "wake", "tsc_deadline", "userspace",
					   "block" };

const char *features_str(uint64_t f, char *buf, size_t len)
{
	return bits_str(f, feature_names, ARRAY_SIZE(feature_names), buf, len);
}

const char *tp_events_str(uint32_t ev, char *buf, size_t len)
{
	return bits_str(ev, event_names, ARRAY_SIZE(event_names), buf, len);
}

const char *guest_state_name(uint32_t state)
{
	switch (state) {
	case PVSCHED_GUEST_NONE:
		return "none";
	case PVSCHED_GUEST_ACTIVE:
		return "active";
	case PVSCHED_GUEST_REFUSED:
		return "refused";
	case PVSCHED_GUEST_STOPPED:
		return "stopped";
	}
	return "unknown";
}

static void stop_handler(int sig)
{
	stop_signal = sig;
}

void install_stop_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop_handler;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: blocking calls return EINTR so loops see the stop */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}
