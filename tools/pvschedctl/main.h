/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvschedctl: shared declarations (dispatch, exit codes, paths, helpers).
 */
#ifndef PVSCHEDCTL_MAIN_H
#define PVSCHEDCTL_MAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/pvsched.h>

#ifndef PVSCHEDCTL_VERSION
#define PVSCHEDCTL_VERSION "unknown"
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes (documented in pvschedctl.8, EXIT STATUS). */
enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1, /* bad command line */
	EXIT_NOMOD = 2, /* module not loaded or /dev/pvsched missing */
	EXIT_FAIL = 3, /* an operation failed (message on stderr) */
	EXIT_VERSION = 4, /* ABI major version mismatch */
};

struct option;

struct cmd {
	const char *name;
	int (*func)(int argc, char **argv);
	const char *summary; /* one line for help */
};

/*
 * Runs the command of table cmds (NULL-terminated) whose name argv[0]
 * names exactly or by an unambiguous prefix; "help" is always accepted.
 */
int cmd_select(const char *object, const struct cmd *cmds, int argc,
	       char **argv, void (*help)(void));
/* argv[0] is "help", "-h" or "--help". */
bool is_help(const char *arg);
/* arg is an unambiguous prefix of (or equal to) word. */
bool is_prefix(const char *arg, const char *word);

/*
 * Readies getopt_long for a command's arguments, of which argv[0] is the
 * first. If that is "help", "-h" or "--help" and help is not NULL, calls
 * help and returns true: the command then returns EXIT_OK. Otherwise resets
 * getopt, silences its messages and steps argc/argv back by one
 * (getopt_long wants argv[0] to be the program name).
 */
bool getopt_begin(int *argc, char ***argv, void (*help)(void));
/*
 * getopt_long over the command's own long options opts (ended by an
 * all-zero entry, at most CMD_MAX_OPTS of them) plus the ones every command
 * takes (--json, --pretty, --help); sets *json for -j and *pretty for -p
 * itself and returns the first other option.
 */
#define CMD_MAX_OPTS 16
int getopt_cmd(int argc, char **argv, const char *optstring,
	       const struct option *opts, bool *json, bool *pretty);

/* Usage error: message on stderr, exit status EXIT_USAGE. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "pvschedctl: <what>: <strerror(err)>" on stderr. */
void print_errno(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void print_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Paths, overridable through the environment for tests. */
const char *sysfs_root(void); /* PVSCHED_SYSFS_ROOT, default /sys */
const char *dev_path(void); /* PVSCHED_DEV, default /dev/pvsched */
const char *run_dir(void); /* PVSCHED_RUN_DIR, default /run/pvsched */

bool module_loaded(void);
/* Reads a whole small file into a malloc'ed NUL-terminated buffer. */
char *read_file(const char *path, int *err);
/* Opens dev_path() and fills info; returns the fd or -errno. */
int pvsched_open_info(struct pvsched_info *info);

const char *policy_name(uint32_t policy);
/* "normal"/"other"/"batch"/"idle"/"fifo"/"rr"/"deadline" or a number. */
int policy_parse(const char *s, uint32_t *policy);
const char *tp_family_name(uint32_t family);
/* Comma-separated names of feature bits; buf gets "none" for 0. */
const char *features_str(uint64_t f, char *buf, size_t len);
const char *tp_events_str(uint32_t ev, char *buf, size_t len);
const char *guest_state_name(uint32_t state);

/* Set by SIGINT/SIGTERM handlers of long-running commands. */
extern volatile int stop_signal;
void install_stop_handlers(void);

/* caps.c, for status */
void caps_print_inline(void);

/* Objects. */
int do_version(int argc, char **argv);
int do_status(int argc, char **argv);
int do_caps(int argc, char **argv);
int do_attach(int argc, char **argv);
int do_trace(int argc, char **argv);

#endif
