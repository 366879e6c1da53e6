/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal QMP client (QEMU Machine Protocol over a unix socket) and the
 * small JSON parser it needs.
 */
#ifndef PVSCHEDCTL_QMP_H
#define PVSCHEDCTL_QMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
	enum jtype type;
	bool b;
	double num;
	char *str;
	int n; /* array items / object members */
	char **keys; /* objects */
	struct jval **items;
};

/* Parses one JSON value; NULL on a syntax error. */
struct jval *json_parse(const char *s, const char **end);
void jval_free(struct jval *v);
/* Member of an object, or NULL. */
const struct jval *jval_get(const struct jval *obj, const char *key);
int64_t jval_int(const struct jval *v, int64_t def);
const char *jval_str(const struct jval *v, const char *def);

struct qmp {
	int fd;
	pid_t peer_pid; /* QEMU, from SO_PEERCRED; 0 if unknown */
	char *buf;
	size_t len, cap;
	bool shutdown_seen; /* a SHUTDOWN event arrived */
	/* its data.reason, e.g. "guest-reset" (a triple fault), "guest-panic" */
	char shutdown_reason[32];
};

/*
 * Connects, reads the greeting, negotiates capabilities: 0 or -errno, and
 * a message in err.
 */
int qmp_open(struct qmp *q, const char *path, char *err, size_t errlen);
void qmp_close(struct qmp *q);
/*
 * Runs cmd (arguments: a JSON object text or NULL); returns the "return"
 * value (caller frees), NULL with err set on error.
 */
struct jval *qmp_cmd(struct qmp *q, const char *cmd, const char *args,
		     char *err, size_t errlen);
/*
 * Reads what is available without blocking (after poll said readable);
 * events are consumed (SHUTDOWN sets shutdown_seen and shutdown_reason).
 * Returns 0, or -EPIPE at EOF.
 */
int qmp_pump(struct qmp *q);

#endif
