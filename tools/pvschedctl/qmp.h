/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal QMP client (QEMU Machine Protocol over a unix socket).
 *
 * JSON is parsed by json-c.  json-c rather than jansson: its streaming
 * tokener (json_tokener_parse_ex) takes a length and a nesting limit,
 * which fits a reader that splits the socket's bytes into lines itself,
 * and libjson-c5 is already part of much of Debian's base system.
 *
 * Whatever speaks on the socket is not trusted (QEMU runs the guest, and
 * attach runs as root): a line is at most QMP_MAX_LINE bytes, a message
 * at most QMP_MAX_DEPTH levels deep, NaN, Infinity and numbers beyond a
 * double's range are refused, and the values attach uses are range
 * checked.  Each of these is an error with a message, never a crash.
 */
#ifndef PVSCHEDCTL_QMP_H
#define PVSCHEDCTL_QMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json.h>

/* One message line, without its newline (QEMU's replies are < 4 KiB). */
#define QMP_MAX_LINE (64 * 1024)
/* Nesting of one message (the greeting is 4 levels deep). */
#define QMP_MAX_DEPTH 16

/*
 * The reader: bytes in (from the socket or a test buffer), messages out.
 * No socket in here, so that tests and the fuzzer can drive it.
 */
struct qmp_reader {
	char *buf; /* max_line + 1 bytes */
	size_t max_line;
	size_t off, len; /* unconsumed bytes: buf[off..len) */
	bool discard; /* dropping the rest of an overlong line */
	struct json_tokener *tok;
	bool shutdown_seen; /* a SHUTDOWN event arrived */
	/* its data.reason, e.g. "guest-reset" (a triple fault), "guest-panic" */
	char shutdown_reason[32];
	char err[160]; /* what the last error was */
};

/* max_line 0: QMP_MAX_LINE.  0 or -ENOMEM. */
int qmp_reader_init(struct qmp_reader *r, size_t max_line);
/* Frees the buffers; keeps shutdown_seen, shutdown_reason and err. */
void qmp_reader_free(struct qmp_reader *r);
/*
 * Where the next bytes go and how many fit (recv() into it, then
 * qmp_reader_commit()).  Never 0 once qmp_reader_next() returned 0.
 */
size_t qmp_reader_room(struct qmp_reader *r, char **at);
void qmp_reader_commit(struct qmp_reader *r, size_t n);
/* Copies in what fits of data; returns how many bytes it took. */
size_t qmp_reader_feed(struct qmp_reader *r, const void *data, size_t n);
/*
 * Takes the next message that is not an event from the buffered lines:
 * 1 and *msg (a JSON object; the caller puts it), 0 when no complete line
 * is buffered, or a negative errno with r->err saying what was wrong:
 * -EMSGSIZE a line longer than max_line (the rest of it is skipped),
 * -EPROTO not JSON, not an object, too deep, NaN or Infinity, -ENOMEM.
 * The bad line is consumed: the next call goes on with the next line.
 * Events are consumed here: SHUTDOWN sets shutdown_seen and its reason.
 */
int qmp_reader_next(struct qmp_reader *r, json_object **msg);

/* --- what pvschedctl takes out of messages ------------------------------ */

/* The greeting {"QMP": {...}}: 0, or -EPROTO with err. */
int qmp_check_greeting(json_object *msg, char *err, size_t errlen);
/*
 * A reply: its "return" value (a new reference), or NULL with err holding
 * the "error" reply's desc or what was wrong.
 */
json_object *qmp_reply_return(json_object *msg, char *err, size_t errlen);
/* A string member of an object, or def. */
const char *qmp_get_str(json_object *obj, const char *key, const char *def);
/*
 * msg is the reply to the command sent with "id": id (an integer member
 * "id" of that value).  A reply with another id or none answers no
 * command in flight (one that timed out, or a lie): the client drops it.
 */
bool qmp_reply_is(json_object *msg, int64_t id);

struct qmp_vcpu {
	uint32_t index; /* cpu-index: guest CPU id, < PVSCHED_MAX_VCPU_ID */
	uint32_t tid; /* thread-id: a pid_t > 0 */
};

/*
 * query-cpus-fast's return value: *vcpus (caller frees), sorted by index,
 * and *nr > 0; or -EPROTO/-ENOMEM with err.  Every entry needs integer
 * cpu-index and thread-id in range; a cpu-index twice is an error.
 */
int qmp_parse_vcpus(json_object *ret, struct qmp_vcpu **vcpus, int *nr,
		    char *err, size_t errlen);
/*
 * query-status's return value: 0 and *prelaunch (status "prelaunch": QEMU
 * started with -S), or -EPROTO with err if it has no string "status".
 */
int qmp_parse_status(json_object *ret, bool *prelaunch, char *err,
		     size_t errlen);
/*
 * query-name's return value: 0 and the name as QEMU sent it, truncated
 * to len - 1 bytes ("" if the VM has none), or -EPROTO with err if "name"
 * is not a string or the value not an object.
 */
int qmp_parse_name(json_object *ret, char *name, size_t len, char *err,
		   size_t errlen);

/* --- the client ----------------------------------------------------------- */

/* How long a command may wait for its reply (qmp.timeout_ms 0). */
#define QMP_TIMEOUT_MS 10000

struct qmp {
	int fd;
	pid_t peer_pid; /* QEMU, from SO_PEERCRED; 0 if unknown */
	/* CLOCK_BOOTTIME just before connect(): the peer existed then */
	uint64_t connect_ns;
	/* set by the caller before qmp_open(), kept by it: */
	int timeout_ms; /* per command; 0: QMP_TIMEOUT_MS */
	/* a wait interrupted by a signal ends (-EINTR) if *cancel is set */
	volatile int *cancel;
	int64_t next_id; /* the "id" of the next command, from 1 */
	unsigned long stale; /* replies dropped: not the command's id */
	struct qmp_reader rd;
};

/* What attach asks QEMU: query-cpus-fast, query-status, query-name. */
struct qmp_vm {
	struct qmp_vcpu *vcpus; /* as qmp_parse_vcpus(); the caller frees */
	int nr_vcpus;
	bool prelaunch; /* started with -S, not yet resumed */
	char name[128]; /* QEMU's -name as sent, "" if none */
};

/*
 * Connects, reads the greeting, negotiates capabilities: 0 or -errno, and
 * a message in err.  Of *q, only timeout_ms and cancel are read; the rest
 * is set here.
 */
int qmp_open(struct qmp *q, const char *path, char *err, size_t errlen);
void qmp_close(struct qmp *q);
/*
 * Runs cmd (a QMP command name; pvschedctl's commands take no arguments)
 * with the next "id", waits at most timeout_ms for the reply carrying that
 * id (replies with another id are dropped and counted in q->stale; a
 * signal does not cut the wait short unless q->cancel says so); returns
 * the "return" value (the caller puts it), NULL with err set on error:
 * send, an error reply, the timeout, cancel.
 */
json_object *qmp_cmd(struct qmp *q, const char *cmd, char *err, size_t errlen);
/* query-cpus-fast, through qmp_parse_vcpus(). */
int qmp_query_vcpus(struct qmp *q, struct qmp_vcpu **vcpus, int *nr, char *err,
		    size_t errlen);
/*
 * query-cpus-fast, query-status and query-name into *vm: 0, or the first
 * error (-EPROTO, -ETIMEDOUT...) with err naming the command; nothing to
 * free then.
 */
int qmp_query_vm(struct qmp *q, struct qmp_vm *vm, char *err, size_t errlen);
/*
 * Reads what is available without blocking (after poll said readable);
 * events are consumed (SHUTDOWN sets rd.shutdown_seen and
 * rd.shutdown_reason).  Returns 0, -EPIPE at EOF, or the reader's error
 * (message in rd.err).
 */
int qmp_pump(struct qmp *q);

#endif
