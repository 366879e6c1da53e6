// SPDX-License-Identifier: GPL-2.0
/*
 * QMP client: one JSON object per line each way.  Every command carries an
 * "id" (1, 2, ...) and its reply is the one that echoes it: a reply that
 * comes after its command timed out is dropped when it arrives, instead of
 * being taken for the next command's (and every later reply shifted by
 * one).  Asynchronous events are consumed.
 *
 * The reader (qmp_reader_*) turns bytes into messages without a socket;
 * tests/qmp-test.c and fuzz/qmp-fuzz.c drive it on buffers.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/pvsched.h>

#include "errmsg.h"
#include "qmp.h"

/* Text from the peer, made safe to print: printable ASCII only. */
static void copy_printable(char *dst, size_t len, const char *src)
{
	size_t i;

	if (!len)
		return;
	for (i = 0; src[i] && i + 1 < len; i++)
		dst[i] = (src[i] >= 0x20 && src[i] <= 0x7e) ? src[i] : '?';
	dst[i] = '\0';
}

/* --- the reader ----------------------------------------------------------- */

/* JSON's whitespace (RFC 8259), no more. */
static bool json_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int qmp_reader_init(struct qmp_reader *r, size_t max_line)
{
	memset(r, 0, sizeof(*r));
	r->max_line = max_line ? max_line : QMP_MAX_LINE;
	r->buf = malloc(r->max_line + 1);
	r->tok = json_tokener_new_ex(QMP_MAX_DEPTH);
	if (!r->buf || !r->tok) {
		qmp_reader_free(r);
		snprintf(r->err, sizeof(r->err), "out of memory");
		return -ENOMEM;
	}
	/* no comments, single quotes, trailing commas; UTF-8 checked */
	json_tokener_set_flags(r->tok, JSON_TOKENER_STRICT |
					       JSON_TOKENER_VALIDATE_UTF8);
	return 0;
}

void qmp_reader_free(struct qmp_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	if (r->tok)
		json_tokener_free(r->tok);
	r->tok = NULL;
	r->off = r->len = 0;
	r->discard = false;
}

size_t qmp_reader_room(struct qmp_reader *r, char **at)
{
	if (!r->buf) {
		*at = NULL;
		return 0;
	}
	if (r->off) {
		memmove(r->buf, r->buf + r->off, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
	}
	*at = r->buf + r->len;
	return r->max_line + 1 - r->len;
}

void qmp_reader_commit(struct qmp_reader *r, size_t n)
{
	r->len += n;
}

size_t qmp_reader_feed(struct qmp_reader *r, const void *data, size_t n)
{
	char *at;
	size_t room = qmp_reader_room(r, &at);

	if (n > room)
		n = room;
	if (n) {
		memcpy(at, data, n);
		qmp_reader_commit(r, n);
	}
	return n;
}

static int reader_fail(struct qmp_reader *r, int e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int reader_fail(struct qmp_reader *r, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return e;
}

/*
 * NaN and Infinity (json-c takes them even in strict mode) and numbers
 * like 1e999 (strtod's HUGE_VAL): refused anywhere in a message.  Integers
 * beyond 64 bits are clamped by json-c; the values used are range checked
 * where they are used.  Recursion is bounded by the tokener's depth.
 */
static bool numbers_finite(json_object *v)
{
	size_t i, n;

	switch (json_object_get_type(v)) {
	case json_type_double:
		return isfinite(json_object_get_double(v));
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			if (!numbers_finite(json_object_array_get_idx(v, i)))
				return false;
		return true;
	case json_type_object: {
		json_object_object_foreach(v, key, val)
		{
			(void)key;
			if (!numbers_finite(val))
				return false;
		}
		return true;
	}
	default:
		return true;
	}
}

/* One line: 1 and *msg, 0 for a blank line, or an error. */
static int parse_line(struct qmp_reader *r, const char *line, size_t n,
		      json_object **msg)
{
	enum json_tokener_error jerr;
	json_object *obj;
	size_t i, end;

	for (i = 0; i < n && json_ws(line[i]); i++)
		;
	if (i == n)
		return 0;
	if (memchr(line, '\0', n))
		return reader_fail(r, -EPROTO, "NUL byte in a message");
	json_tokener_reset(r->tok);
	obj = json_tokener_parse_ex(r->tok, line, (int)n);
	if (!obj) {
		jerr = json_tokener_get_error(r->tok);
		if (jerr == json_tokener_continue)
			return reader_fail(r, -EPROTO,
					   "incomplete JSON message");
		if (jerr == json_tokener_error_depth)
			return reader_fail(
				r, -EPROTO,
				"JSON nested more than %d levels deep",
				QMP_MAX_DEPTH);
		return reader_fail(r, -EPROTO, "invalid JSON: %s at byte %zu",
				   json_tokener_error_desc(jerr),
				   json_tokener_get_parse_end(r->tok));
	}
	for (end = json_tokener_get_parse_end(r->tok); end < n; end++) {
		if (!json_ws(line[end])) {
			json_object_put(obj);
			return reader_fail(
				r, -EPROTO,
				"invalid JSON: data after the message at byte %zu",
				end);
		}
	}
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return reader_fail(r, -EPROTO, "message is not a JSON object");
	}
	if (!numbers_finite(obj)) {
		json_object_put(obj);
		return reader_fail(
			r, -EPROTO,
			"number out of range (NaN, Infinity or beyond a double)");
	}
	*msg = obj;
	return 1;
}

static void reader_event(struct qmp_reader *r, json_object *msg)
{
	json_object *data;

	if (strcmp(qmp_get_str(msg, "event", ""), "SHUTDOWN"))
		return;
	r->shutdown_seen = true;
	if (!json_object_object_get_ex(msg, "data", &data))
		data = NULL;
	copy_printable(r->shutdown_reason, sizeof(r->shutdown_reason),
		       qmp_get_str(data, "reason", ""));
}

int qmp_reader_next(struct qmp_reader *r, json_object **msg)
{
	*msg = NULL;
	if (!r->buf)
		return reader_fail(r, -EBADF, "reader not open");
	for (;;) {
		char *line = r->buf + r->off;
		char *nl = memchr(line, '\n', r->len - r->off);
		int ret;

		if (r->discard) {
			/* the rest of an overlong line */
			if (!nl) {
				r->off = r->len = 0;
				return 0;
			}
			r->off = nl + 1 - r->buf;
			r->discard = false;
			continue;
		}
		if (!nl) {
			if (r->len - r->off <= r->max_line)
				return 0;
			r->off = r->len = 0;
			r->discard = true;
			return reader_fail(r, -EMSGSIZE,
					   "message line longer than %zu bytes",
					   r->max_line);
		}
		r->off = nl + 1 - r->buf;
		ret = parse_line(r, line, nl - line, msg);
		if (ret < 0)
			return ret;
		if (ret == 0)
			continue;
		if (!json_object_object_get_ex(*msg, "event", NULL))
			return 1;
		reader_event(r, *msg);
		json_object_put(*msg);
		*msg = NULL;
	}
}

/* --- what pvschedctl takes out of messages -------------------------------- */

const char *qmp_get_str(json_object *obj, const char *key, const char *def)
{
	json_object *v;

	if (!obj || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return def;
	return json_object_get_string(v);
}

bool qmp_reply_is(json_object *msg, int64_t id)
{
	json_object *v;

	return json_object_object_get_ex(msg, "id", &v) &&
	       json_object_is_type(v, json_type_int) &&
	       json_object_get_int64(v) == id;
}

int qmp_check_greeting(json_object *msg, char *err, size_t errlen)
{
	json_object *v;

	if (!json_object_object_get_ex(msg, "QMP", &v) ||
	    !json_object_is_type(v, json_type_object)) {
		set_err(err, errlen, "not a QMP greeting");
		return -EPROTO;
	}
	return 0;
}

json_object *qmp_reply_return(json_object *msg, char *err, size_t errlen)
{
	json_object *v;

	if (json_object_object_get_ex(msg, "error", &v)) {
		char desc[256];

		copy_printable(desc, sizeof(desc),
			       qmp_get_str(v, "desc", "error"));
		set_err(err, errlen, "%s", desc);
		return NULL;
	}
	if (!json_object_object_get_ex(msg, "return", &v)) {
		set_err(err, errlen, "reply without return");
		return NULL;
	}
	return json_object_get(v);
}

/* An integer member in [lo, hi]: 0, or -EPROTO with err. */
static int get_int(json_object *obj, int i, const char *key, int64_t lo,
		   int64_t hi, int64_t *out, char *err, size_t errlen)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v)) {
		set_err(err, errlen, "QMP query-cpus-fast: entry %d without %s",
			i, key);
		return -EPROTO;
	}
	if (!json_object_is_type(v, json_type_int)) {
		set_err(err, errlen,
			"QMP query-cpus-fast: entry %d: %s is not an integer",
			i, key);
		return -EPROTO;
	}
	/* json-c clamps beyond 64 bits: the clamped value is out of range */
	*out = json_object_get_int64(v);
	if (*out < lo || *out > hi) {
		set_err(err, errlen,
			"QMP query-cpus-fast: entry %d: %s %s out of range %" PRId64
			"..%" PRId64,
			i, key, json_object_to_json_string(v), lo, hi);
		return -EPROTO;
	}
	return 0;
}

static int cmp_vcpu(const void *x, const void *y)
{
	const struct qmp_vcpu *a = x, *b = y;

	return (a->index > b->index) - (a->index < b->index);
}

int qmp_parse_vcpus(json_object *ret, struct qmp_vcpu **vcpus, int *nr,
		    char *err, size_t errlen)
{
	struct qmp_vcpu *v;
	size_t i, n;

	*vcpus = NULL;
	*nr = 0;
	if (!json_object_is_type(ret, json_type_array)) {
		set_err(err, errlen, "QMP query-cpus-fast: not an array");
		return -EPROTO;
	}
	n = json_object_array_length(ret);
	if (n == 0) {
		set_err(err, errlen, "QMP query-cpus-fast: no vCPUs");
		return -EPROTO;
	}
	if (n > PVSCHED_MAX_VCPU_ID) {
		set_err(err, errlen,
			"QMP query-cpus-fast: %zu vCPUs, more than %d", n,
			PVSCHED_MAX_VCPU_ID);
		return -EPROTO;
	}
	v = calloc(n, sizeof(*v));
	if (!v) {
		set_err(err, errlen, "QMP query-cpus-fast: out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(ret, i);
		int64_t idx, tid;

		if (!json_object_is_type(e, json_type_object)) {
			set_err(err, errlen,
				"QMP query-cpus-fast: entry %zu is not an object",
				i);
			goto fail;
		}
		if (get_int(e, i, "cpu-index", 0, PVSCHED_MAX_VCPU_ID - 1, &idx,
			    err, errlen) ||
		    get_int(e, i, "thread-id", 1, INT_MAX /* pid_t */, &tid,
			    err, errlen))
			goto fail;
		v[i].index = idx;
		v[i].tid = tid;
	}
	qsort(v, n, sizeof(*v), cmp_vcpu);
	for (i = 1; i < n; i++) {
		if (v[i].index == v[i - 1].index) {
			set_err(err, errlen,
				"QMP query-cpus-fast: cpu-index %u twice",
				v[i].index);
			goto fail;
		}
	}
	*vcpus = v;
	*nr = n;
	return 0;
fail:
	free(v);
	return -EPROTO;
}

int qmp_parse_status(json_object *ret, bool *prelaunch, char *err,
		     size_t errlen)
{
	const char *status = qmp_get_str(ret, "status", NULL);

	*prelaunch = false;
	if (!status) {
		set_err(err, errlen,
			"QMP query-status: no status in the reply");
		return -EPROTO;
	}
	*prelaunch = !strcmp(status, "prelaunch");
	return 0;
}

int qmp_parse_name(json_object *ret, char *name, size_t len, char *err,
		   size_t errlen)
{
	json_object *v;

	if (len)
		name[0] = '\0';
	if (!json_object_is_type(ret, json_type_object)) {
		set_err(err, errlen, "QMP query-name: not an object");
		return -EPROTO;
	}
	/* a VM without -name: no member */
	if (!json_object_object_get_ex(ret, "name", &v))
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		set_err(err, errlen, "QMP query-name: name is not a string");
		return -EPROTO;
	}
	if (len)
		snprintf(name, len, "%s", json_object_get_string(v));
	return 0;
}

/* --- the client ----------------------------------------------------------- */

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static int timeout_ms(const struct qmp *q)
{
	return q->timeout_ms > 0 ? q->timeout_ms : QMP_TIMEOUT_MS;
}

/* When a wait that starts now for q's timeout ends (CLOCK_MONOTONIC ns). */
static uint64_t deadline(const struct qmp *q)
{
	return clock_ns(CLOCK_MONOTONIC) + (uint64_t)timeout_ms(q) * 1000000u;
}

/*
 * Reads into the reader, waiting until the CLOCK_MONOTONIC time @until
 * (0: takes what is there without waiting).  A signal (poll() is not
 * restarted) does not end the wait early unless *q->cancel is set: the
 * command's deadline stays what it was.  0, -EPIPE at EOF, -ETIMEDOUT,
 * -EINTR (cancelled), -errno; message in rd.err.
 */
static int qmp_fill(struct qmp *q, uint64_t until)
{
	struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
	char *at;
	size_t room = qmp_reader_room(&q->rd, &at);
	ssize_t n;
	int r;

	if (!room)
		return reader_fail(&q->rd, -ENOBUFS, "reader full");
	while (until) {
		uint64_t now = clock_ns(CLOCK_MONOTONIC);
		int left;

		if (now >= until)
			return reader_fail(&q->rd, -ETIMEDOUT,
					   "nothing within %d ms",
					   timeout_ms(q));
		left = (until - now + 999999) / 1000000;
		r = poll(&pfd, 1, left);
		if (r > 0)
			break;
		if (r < 0 && errno != EINTR)
			return reader_fail(&q->rd, -errno, "poll: %s",
					   strerror(errno));
		if (r < 0 && q->cancel && *q->cancel)
			return reader_fail(&q->rd, -EINTR, "interrupted");
	}
	do {
		n = recv(q->fd, at, room, until ? 0 : MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return reader_fail(&q->rd, -errno, "%s", strerror(errno));
	}
	if (n == 0)
		return reader_fail(&q->rd, -EPIPE, "connection closed");
	qmp_reader_commit(&q->rd, n);
	return 0;
}

/*
 * The next message that is not an event and, for id > 0, is the reply
 * with that id (others are dropped and counted); waiting at most the
 * timeout.  NULL with *err and rd.err on error.
 */
static json_object *qmp_read(struct qmp *q, int64_t id, int *err)
{
	uint64_t until = deadline(q);
	json_object *msg;

	for (;;) {
		*err = qmp_reader_next(&q->rd, &msg);
		if (*err > 0) {
			if (id <= 0 || qmp_reply_is(msg, id))
				return msg;
			/* late, or not ours: never the answer to this one */
			q->stale++;
			json_object_put(msg);
			continue;
		}
		if (*err < 0)
			return NULL;
		*err = qmp_fill(q, until);
		if (*err)
			return NULL;
	}
}

int qmp_open(struct qmp *q, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int timeout_ms = q->timeout_ms;
	volatile int *cancel = q->cancel;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	json_object *msg, *ret;
	int e;

	memset(q, 0, sizeof(*q));
	q->fd = -1;
	q->timeout_ms = timeout_ms;
	q->cancel = cancel;
	q->next_id = 1;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		set_err(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	if (qmp_reader_init(&q->rd, 0) < 0) {
		set_err(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	q->connect_ns = clock_ns(CLOCK_BOOTTIME);
	if (q->fd < 0 ||
	    connect(q->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		e = errno;
		set_err(err, errlen, "connect %s: %s", path, strerror(e));
		qmp_close(q);
		return -e;
	}
	if (getsockopt(q->fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
		q->peer_pid = cred.pid;
	msg = qmp_read(q, 0, &e);
	if (!msg) {
		if (e == -EPROTO || e == -EMSGSIZE)
			set_err(err, errlen, "%s: bad QMP greeting: %s", path,
				q->rd.err);
		else
			set_err(err, errlen,
				"%s: no QMP greeting (%s; is another client connected?)",
				path, q->rd.err);
		qmp_close(q);
		return e;
	}
	if (qmp_check_greeting(msg, NULL, 0) < 0) {
		set_err(err, errlen,
			"%s: no QMP greeting (unexpected message; is another client connected?)",
			path);
		json_object_put(msg);
		qmp_close(q);
		return -EPROTO;
	}
	json_object_put(msg);
	ret = qmp_cmd(q, "qmp_capabilities", err, errlen);
	if (!ret) {
		qmp_close(q);
		return -EPROTO;
	}
	json_object_put(ret);
	return 0;
}

void qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	qmp_reader_free(&q->rd);
}

static int send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EPIPE;
		s += w;
		n -= w;
	}
	return 0;
}

/* A command name: letters, digits, '-' and '_', as QMP's are. */
static bool cmd_name_ok(const char *cmd)
{
	size_t i;

	for (i = 0; cmd[i]; i++)
		if (!(cmd[i] >= 'a' && cmd[i] <= 'z') &&
		    !(cmd[i] >= 'A' && cmd[i] <= 'Z') &&
		    !(cmd[i] >= '0' && cmd[i] <= '9') && cmd[i] != '-' &&
		    cmd[i] != '_')
			return false;
	return i > 0 && i < 64;
}

json_object *qmp_cmd(struct qmp *q, const char *cmd, char *err, size_t errlen)
{
	json_object *msg, *ret;
	char reason[256], req[128];
	int64_t id;
	int r, n;

	if (q->fd < 0) {
		set_err(err, errlen, "QMP %s: not connected", cmd);
		return NULL;
	}
	if (!cmd_name_ok(cmd)) {
		set_err(err, errlen, "QMP: bad command name");
		return NULL;
	}
	/*
	 * Plain text, no allocation: json-c's serializer leaves out what
	 * it fails to allocate without saying so.
	 */
	id = q->next_id++;
	n = snprintf(req, sizeof(req),
		     "{\"execute\":\"%s\",\"id\":%" PRId64 "}\n", cmd, id);
	r = send_all(q->fd, req, n);
	if (r) {
		set_err(err, errlen, "QMP %s: send: %s", cmd, strerror(-r));
		return NULL;
	}
	msg = qmp_read(q, id, &r);
	if (!msg) {
		set_err(err, errlen, "QMP %s: %s", cmd, q->rd.err);
		return NULL;
	}
	ret = qmp_reply_return(msg, reason, sizeof(reason));
	json_object_put(msg);
	if (!ret)
		set_err(err, errlen, "QMP %s: %s", cmd, reason);
	return ret;
}

int qmp_query_vcpus(struct qmp *q, struct qmp_vcpu **vcpus, int *nr, char *err,
		    size_t errlen)
{
	json_object *ret = qmp_cmd(q, "query-cpus-fast", err, errlen);
	int r;

	*vcpus = NULL;
	*nr = 0;
	if (!ret)
		return -EPROTO;
	r = qmp_parse_vcpus(ret, vcpus, nr, err, errlen);
	json_object_put(ret);
	return r;
}

int qmp_query_vm(struct qmp *q, struct qmp_vm *vm, char *err, size_t errlen)
{
	json_object *ret;
	int r;

	memset(vm, 0, sizeof(*vm));
	/* range checked and sorted by cpu-index, each index once */
	r = qmp_query_vcpus(q, &vm->vcpus, &vm->nr_vcpus, err, errlen);
	if (r < 0)
		return r;
	ret = qmp_cmd(q, "query-status", err, errlen);
	r = ret ? qmp_parse_status(ret, &vm->prelaunch, err, errlen) : -EPROTO;
	json_object_put(ret);
	if (!r) {
		ret = qmp_cmd(q, "query-name", err, errlen);
		r = ret ? qmp_parse_name(ret, vm->name, sizeof(vm->name), err,
					 errlen) :
			  -EPROTO;
		json_object_put(ret);
	}
	if (r < 0) {
		free(vm->vcpus);
		memset(vm, 0, sizeof(*vm));
	}
	return r;
}

int qmp_pump(struct qmp *q)
{
	json_object *msg;
	int r = qmp_fill(q, 0), m;

	/* no command is in flight: replies are dropped, events consumed */
	while ((m = qmp_reader_next(&q->rd, &msg)) > 0)
		json_object_put(msg);
	return m < 0 ? m : r;
}
