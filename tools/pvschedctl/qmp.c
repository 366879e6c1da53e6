// SPDX-License-Identifier: GPL-2.0
/*
 * QMP client: one JSON object per line each way.  Replies are matched by
 * order (one command in flight); asynchronous events are consumed.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "qmp.h"

#define QMP_TIMEOUT_MS 10000

/* --- JSON parser --------------------------------------------------------- */

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

static struct jval *jnew(enum jtype t)
{
	struct jval *v = calloc(1, sizeof(*v));

	if (v)
		v->type = t;
	return v;
}

static void put_utf8(char **d, unsigned int cp)
{
	if (cp < 0x80) {
		*(*d)++ = (char)cp;
	} else if (cp < 0x800) {
		*(*d)++ = (char)(0xc0 | (cp >> 6));
		*(*d)++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*(*d)++ = (char)(0xe0 | (cp >> 12));
		*(*d)++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*(*d)++ = (char)(0x80 | (cp & 0x3f));
	}
}

static char *parse_string(const char *s, const char **end)
{
	char *out, *d;
	size_t len = 0;

	/* s points after the opening quote; escapes never grow the text */
	while (s[len] && s[len] != '"')
		len += (s[len] == '\\' && s[len + 1]) ? 2 : 1;
	if (s[len] != '"')
		return NULL;
	out = d = malloc(len + 1);
	if (!out)
		return NULL;
	while (*s != '"') {
		if (*s != '\\') {
			*d++ = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'b':
			*d++ = '\b';
			break;
		case 'f':
			*d++ = '\f';
			break;
		case 'n':
			*d++ = '\n';
			break;
		case 'r':
			*d++ = '\r';
			break;
		case 't':
			*d++ = '\t';
			break;
		case 'u': {
			unsigned int cp;

			if (sscanf(s + 1, "%4x", &cp) != 1) {
				free(out);
				return NULL;
			}
			put_utf8(&d, cp);
			s += 4;
			break;
		}
		default:
			*d++ = *s;
			break;
		}
		s++;
	}
	*d = '\0';
	*end = s + 1;
	return out;
}

static struct jval *parse_value(const char *s, const char **end, int depth);

static bool jappend(struct jval *v, char *key, struct jval *item)
{
	struct jval **items = realloc(v->items, (v->n + 1) * sizeof(*items));
	char **keys;

	if (!items)
		return false;
	v->items = items;
	if (v->type == J_OBJ) {
		keys = realloc(v->keys, (v->n + 1) * sizeof(*keys));
		if (!keys)
			return false;
		v->keys = keys;
		v->keys[v->n] = key;
	}
	v->items[v->n++] = item;
	return true;
}

static struct jval *parse_container(const char *s, const char **end, int depth,
				    bool obj)
{
	struct jval *v = jnew(obj ? J_OBJ : J_ARR);
	char close = obj ? '}' : ']';

	if (!v)
		return NULL;
	s = skip_ws(s);
	if (*s == close) {
		*end = s + 1;
		return v;
	}
	for (;;) {
		struct jval *item;
		char *key = NULL;

		s = skip_ws(s);
		if (obj) {
			if (*s != '"')
				goto fail;
			key = parse_string(s + 1, &s);
			if (!key)
				goto fail;
			s = skip_ws(s);
			if (*s++ != ':') {
				free(key);
				goto fail;
			}
		}
		item = parse_value(s, &s, depth + 1);
		if (!item || !jappend(v, key, item)) {
			free(key);
			jval_free(item);
			goto fail;
		}
		s = skip_ws(s);
		if (*s == ',') {
			s++;
			continue;
		}
		if (*s == close) {
			*end = s + 1;
			return v;
		}
		goto fail;
	}
fail:
	jval_free(v);
	return NULL;
}

static struct jval *parse_value(const char *s, const char **end, int depth)
{
	struct jval *v;
	char *e;

	if (depth > 64)
		return NULL;
	s = skip_ws(s);
	switch (*s) {
	case '{':
		return parse_container(s + 1, end, depth, true);
	case '[':
		return parse_container(s + 1, end, depth, false);
	case '"':
		v = jnew(J_STR);
		if (!v)
			return NULL;
		v->str = parse_string(s + 1, end);
		if (!v->str) {
			free(v);
			v = NULL;
		}
		return v;
	}
	if (!strncmp(s, "true", 4) || !strncmp(s, "false", 5)) {
		v = jnew(J_BOOL);
		if (v)
			v->b = *s == 't';
		*end = s + (*s == 't' ? 4 : 5);
		return v;
	}
	if (!strncmp(s, "null", 4)) {
		*end = s + 4;
		return jnew(J_NULL);
	}
	v = jnew(J_NUM);
	if (!v)
		return NULL;
	v->num = strtod(s, &e);
	if (e == s) {
		free(v);
		return NULL;
	}
	*end = e;
	return v;
}

struct jval *json_parse(const char *s, const char **end)
{
	const char *e;

	return parse_value(s, end ? end : &e, 0);
}

void jval_free(struct jval *v)
{
	int i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++) {
		jval_free(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	free(v);
}

const struct jval *jval_get(const struct jval *obj, const char *key)
{
	int i;

	if (!obj || obj->type != J_OBJ)
		return NULL;
	for (i = 0; i < obj->n; i++)
		if (!strcmp(obj->keys[i], key))
			return obj->items[i];
	return NULL;
}

int64_t jval_int(const struct jval *v, int64_t def)
{
	return v && v->type == J_NUM ? (int64_t)v->num : def;
}

const char *jval_str(const struct jval *v, const char *def)
{
	return v && v->type == J_STR ? v->str : def;
}

/* --- QMP ----------------------------------------------------------------- */

/* Reads until a full line is buffered; 0, -EPIPE at EOF, -ETIMEDOUT. */
static int qmp_fill(struct qmp *q, int timeout_ms)
{
	struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
	ssize_t n;
	int r;

	if (q->cap - q->len < 4096) {
		char *nb = realloc(q->buf, q->cap * 2 + 8192);

		if (!nb)
			return -ENOMEM;
		q->buf = nb;
		q->cap = q->cap * 2 + 8192;
	}
	if (timeout_ms >= 0) {
		r = poll(&pfd, 1, timeout_ms);
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
	}
	n = recv(q->fd, q->buf + q->len, q->cap - q->len - 1,
		 timeout_ms < 0 ? MSG_DONTWAIT : 0);
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
	if (n == 0)
		return -EPIPE;
	q->len += n;
	q->buf[q->len] = '\0';
	return 0;
}

/* Takes one complete message from the buffer, or returns NULL. */
static struct jval *qmp_take(struct qmp *q, bool *bad)
{
	char *nl = q->buf ? memchr(q->buf, '\n', q->len) : NULL;
	struct jval *msg;
	size_t used;

	*bad = false;
	if (!nl)
		return NULL;
	*nl = '\0';
	msg = json_parse(q->buf, NULL);
	if (!msg)
		*bad = true;
	used = nl + 1 - q->buf;
	memmove(q->buf, nl + 1, q->len - used);
	q->len -= used;
	q->buf[q->len] = '\0';
	return msg;
}

static void qmp_event(struct qmp *q, const struct jval *msg)
{
	const char *ev = jval_str(jval_get(msg, "event"), "");

	const char *why;

	if (strcmp(ev, "SHUTDOWN"))
		return;
	q->shutdown_seen = true;
	why = jval_str(jval_get(jval_get(msg, "data"), "reason"), "");
	snprintf(q->shutdown_reason, sizeof(q->shutdown_reason), "%s", why);
}

/* Next non-event message, waiting up to QMP_TIMEOUT_MS. */
static struct jval *qmp_read(struct qmp *q, int *err)
{
	for (;;) {
		struct jval *msg;
		bool bad;

		while ((msg = qmp_take(q, &bad))) {
			if (!jval_get(msg, "event"))
				return msg;
			qmp_event(q, msg);
			jval_free(msg);
		}
		if (bad) {
			*err = -EPROTO;
			return NULL;
		}
		*err = qmp_fill(q, QMP_TIMEOUT_MS);
		if (*err)
			return NULL;
	}
}

int qmp_open(struct qmp *q, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct jval *msg, *ret;
	int e;

	memset(q, 0, sizeof(*q));
	q->fd = -1;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->fd < 0 ||
	    connect(q->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		e = errno;
		snprintf(err, errlen, "connect %s: %s", path, strerror(e));
		qmp_close(q);
		return -e;
	}
	if (getsockopt(q->fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
		q->peer_pid = cred.pid;
	msg = qmp_read(q, &e);
	if (!msg || !jval_get(msg, "QMP")) {
		snprintf(
			err, errlen,
			"%s: no QMP greeting (%s; is another client connected?)",
			path, msg ? "unexpected message" : strerror(-e));
		jval_free(msg);
		qmp_close(q);
		return msg ? -EPROTO : e;
	}
	jval_free(msg);
	ret = qmp_cmd(q, "qmp_capabilities", NULL, err, errlen);
	if (!ret) {
		qmp_close(q);
		return -EPROTO;
	}
	jval_free(ret);
	return 0;
}

void qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	free(q->buf);
	q->buf = NULL;
	q->len = q->cap = 0;
}

struct jval *qmp_cmd(struct qmp *q, const char *cmd, const char *args,
		     char *err, size_t errlen)
{
	struct jval *msg, *ret = NULL;
	const struct jval *e;
	char req[1024];
	int n, r;

	n = snprintf(req, sizeof(req), "{\"execute\":\"%s\"%s%s}\n", cmd,
		     args ? ",\"arguments\":" : "", args ? args : "");
	if (n < 0 || (size_t)n >= sizeof(req) ||
	    send(q->fd, req, n, MSG_NOSIGNAL) != n) {
		snprintf(err, errlen, "QMP %s: send: %s", cmd, strerror(errno));
		return NULL;
	}
	msg = qmp_read(q, &r);
	if (!msg) {
		snprintf(err, errlen, "QMP %s: %s", cmd,
			 r == -EPIPE ? "connection closed" : strerror(-r));
		return NULL;
	}
	e = jval_get(msg, "error");
	if (e) {
		snprintf(err, errlen, "QMP %s: %s", cmd,
			 jval_str(jval_get(e, "desc"), "error"));
		jval_free(msg);
		return NULL;
	}
	/* detach "return" from the message */
	for (n = 0; n < msg->n; n++) {
		if (!strcmp(msg->keys[n], "return")) {
			ret = msg->items[n];
			msg->items[n] = jnew(J_NULL);
			break;
		}
	}
	jval_free(msg);
	if (!ret)
		snprintf(err, errlen, "QMP %s: reply without return", cmd);
	return ret;
}

int qmp_pump(struct qmp *q)
{
	struct jval *msg;
	bool bad;
	int r = qmp_fill(q, -1);

	while ((msg = qmp_take(q, &bad))) {
		if (jval_get(msg, "event"))
			qmp_event(q, msg);
		jval_free(msg);
	}
	return r;
}
