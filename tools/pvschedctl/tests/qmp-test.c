// SPDX-License-Identifier: GPL-2.0
/*
 * tools/pvschedctl/tests/qmp-test: the QMP client against hostile peers.
 *
 * A forked fake QEMU serves a scripted byte stream on a unix socket;
 * qmp_open(), qmp_cmd(), qmp_query_vcpus() and qmp_pump() must turn every
 * malformed or out-of-range message into an error with a message (and a
 * well-behaved transcript into the right values).  Then the reader alone,
 * on buffers: byte-at-a-time input, the line cap, recovery after a bad
 * line.  Built with ASan/UBSan (make -C tools/pvschedctl qmp-test), so an
 * overflow or a leak on an error path fails the run too.
 *
 * Prints PASS/FAIL lines; exit 1 if anything failed.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../qmp.h"

#define GREETING                                                           \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, " \
	"\"major\": 7}, \"package\": \"Debian 1:7.2+dfsg-7+deb12u6\"}, "   \
	"\"capabilities\": [\"oob\"]}}\r\n"
#define CAPS_OK "{\"return\": {}}\r\n"
#define CPUS(...) "{\"return\": [" __VA_ARGS__ "]}\r\n"
#define SHUTDOWN_EV(reason)                                                \
	"{\"timestamp\": {\"seconds\": 1764500000, \"microseconds\": 1}, " \
	"\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true, "            \
	"\"reason\": \"" reason "\"}}\r\n"
/* the old parse_string: copies past the string, here 70 bytes of 'A' */
#define TRUNC_U                                                               \
	"\\u1\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
	"AAAAAAAAAAA"

static char sock_path[108];
static int failures;

static void result(const char *name, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void result(const char *name, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("PASS qmp-%s\n", name);
	} else {
		failures++;
		printf("FAIL qmp-%s (", name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf(")\n");
	}
	fflush(stdout);
}

/* The opening (greeting, capabilities accepted), then rest. */
static const char *op(const char *rest)
{
	static char s[4096];

	snprintf(s, sizeof(s), "%s%s%s", GREETING, CAPS_OK, rest);
	return s;
}

/*
 * The opening and a query-cpus-fast reply as QEMU 7.2 sends it, n entries:
 * cpu-index and thread-id as JSON text, in pairs.
 */
static const char *cpus(int n, ...)
{
	static char s[2048];
	va_list ap;
	size_t len;
	int i;

	len = snprintf(s, sizeof(s), "%s%s{\"return\": [", GREETING, CAPS_OK);
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		const char *idx = va_arg(ap, const char *);
		const char *tid = va_arg(ap, const char *);

		len += snprintf(
			s + len, sizeof(s) - len,
			"%s{\"thread-id\": %s, \"props\": {\"core-id\": 0, \"thread-id\": 0, "
			"\"node-id\": 0, \"socket-id\": %s}, "
			"\"qom-path\": \"/machine/unattached/device[%s]\", "
			"\"cpu-index\": %s, \"target\": \"x86_64\"}",
			i ? ", " : "", tid, idx, idx, idx);
	}
	va_end(ap);
	snprintf(s + len, sizeof(s) - len, "]}\r\n");
	return s;
}

/*
 * The fake QEMU: accepts one client, sends script, then either tail_len
 * bytes of 'A' (no newline, the connection stays open) or EOF, and reads
 * until the client closes.
 */
static pid_t serve(const char *script, size_t script_len, size_t tail_len)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int lfd, cfd;
	pid_t pid;

	unlink(sock_path);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(lfd, 1) < 0) {
		perror("qmp-test: listen");
		exit(2);
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("qmp-test: fork");
		exit(2);
	}
	if (pid > 0) {
		close(lfd);
		return pid;
	}
	cfd = accept(lfd, NULL, NULL);
	if (cfd >= 0) {
		static char junk[4096];
		size_t off = 0;
		ssize_t w = 0;

		while (off < script_len &&
		       (w = send(cfd, script + off, script_len - off,
				 MSG_NOSIGNAL)) > 0)
			off += w;
		memset(junk, 'A', sizeof(junk));
		for (off = 0; w > 0 && off < tail_len; off += w)
			w = send(cfd, junk,
				 tail_len - off < sizeof(junk) ?
					 tail_len - off :
					 sizeof(junk),
				 MSG_NOSIGNAL);
		if (!tail_len)
			shutdown(cfd, SHUT_WR);
		while (read(cfd, junk, sizeof(junk)) > 0)
			;
	}
	_exit(0);
}

static void reap(pid_t pid)
{
	int st;

	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
}

/* qmp_open() must fail and its message contain want. */
static void t_open_fails(const char *name, const char *script, size_t tail,
			 const char *want)
{
	pid_t pid = serve(script, strlen(script), tail);
	struct qmp q;
	char err[512] = "";
	int r = qmp_open(&q, sock_path, err, sizeof(err));

	result(name, r < 0 && strstr(err, want),
	       "qmp_open %d, \"%s\", expected an error with \"%s\"", r, err,
	       want);
	qmp_close(&q);
	reap(pid);
}

/*
 * After the opening, query-cpus-fast: want NULL expects the vCPUs in
 * expect (index:tid ...), otherwise an error containing want.
 */
static void t_vcpus(const char *name, const char *script, const char *want,
		    const char *expect)
{
	pid_t pid = serve(script, strlen(script), 0);
	struct qmp_vcpu *v = NULL;
	struct qmp q;
	char err[512] = "", got[512] = "";
	int i, n = 0, r;

	r = qmp_open(&q, sock_path, err, sizeof(err));
	if (r < 0) {
		result(name, false, "qmp_open: %s", err);
		goto out;
	}
	r = qmp_query_vcpus(&q, &v, &n, err, sizeof(err));
	for (i = 0; r == 0 && i < n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got),
			 "%s%u:%u", i ? " " : "", v[i].index, v[i].tid);
	if (want)
		result(name, r < 0 && strstr(err, want),
		       "query %d, \"%s\"%s%s, expected an error with \"%s\"", r,
		       err, r ? "" : ", vcpus ", got, want);
	else
		result(name, r == 0 && !strcmp(got, expect),
		       "query %d, \"%s\", vcpus \"%s\", expected \"%s\"", r,
		       err, got, expect);
out:
	free(v);
	qmp_close(&q);
	reap(pid);
}

/* After the opening, a command: its reply must be an error with want. */
static void t_cmd_fails(const char *name, const char *script, const char *want)
{
	pid_t pid = serve(script, strlen(script), 0);
	json_object *ret = NULL;
	struct qmp q;
	char err[512] = "";
	int r;

	r = qmp_open(&q, sock_path, err, sizeof(err));
	if (r < 0) {
		result(name, false, "qmp_open: %s", err);
		goto out;
	}
	ret = qmp_cmd(&q, "query-status", NULL, err, sizeof(err));
	result(name, !ret && strstr(err, want),
	       "reply %s, \"%s\", expected an error with \"%s\"",
	       ret ? "accepted" : "refused", err, want);
out:
	json_object_put(ret);
	qmp_close(&q);
	reap(pid);
}

/* A well-behaved QEMU, with an event in between. */
static void t_good(void)
{
	static char script[4096];
	pid_t pid;
	struct qmp_vcpu *v = NULL;
	json_object *st = NULL, *nm = NULL;
	struct qmp q;
	char err[512] = "";
	int n = 0;
	bool ok;

	snprintf(
		script, sizeof(script), "%s%s%s%s",
		cpus(2, "1", "1241", "0", "1240"), SHUTDOWN_EV("host-qmp-quit"),
		"{\"return\": {\"status\": \"prelaunch\", \"singlestep\": false, \"running\": false}}\r\n",
		"{\"return\": {\"name\": \"web/1 \\u00e9\"}}\r\n");
	pid = serve(script, strlen(script), 0);
	ok = qmp_open(&q, sock_path, err, sizeof(err)) == 0 &&
	     qmp_query_vcpus(&q, &v, &n, err, sizeof(err)) == 0 && n == 2 &&
	     v[0].index == 0 && v[0].tid == 1240 && v[1].index == 1 &&
	     v[1].tid == 1241;
	result("good-vcpus", ok, "%s", err);
	st = qmp_cmd(&q, "query-status", NULL, err, sizeof(err));
	result("good-status",
	       st && !strcmp(qmp_get_str(st, "status", ""), "prelaunch"), "%s",
	       err);
	result("good-shutdown-event",
	       q.rd.shutdown_seen &&
		       !strcmp(q.rd.shutdown_reason, "host-qmp-quit"),
	       "seen %d, reason \"%s\"", q.rd.shutdown_seen,
	       q.rd.shutdown_reason);
	nm = qmp_cmd(&q, "query-name", NULL, err, sizeof(err));
	result("good-name",
	       nm && !strcmp(qmp_get_str(nm, "name", ""), "web/1 \xc3\xa9"),
	       "%s", err);
	json_object_put(st);
	json_object_put(nm);
	free(v);
	qmp_close(&q);
	reap(pid);
}

/*
 * While attached (qmp_pump): events, then a hostile line or EOF.  want 0:
 * the SHUTDOWN event seen (with -EPIPE if the EOF came in the same read).
 */
static void t_pump(const char *name, const char *after, int want,
		   const char *want_reason)
{
	char script[1024];
	pid_t pid;
	struct qmp q;
	char err[512] = "";
	int r = 0, i;

	snprintf(script, sizeof(script), "%s%s%s", GREETING, CAPS_OK, after);
	pid = serve(script, strlen(script), 0);
	if (qmp_open(&q, sock_path, err, sizeof(err)) < 0) {
		result(name, false, "qmp_open: %s", err);
		goto out;
	}
	for (i = 0; i < 100 && r == 0; i++) {
		struct pollfd pfd = { .fd = q.fd, .events = POLLIN };

		if (poll(&pfd, 1, 50) > 0)
			r = qmp_pump(&q);
		if (!want && q.rd.shutdown_seen)
			break;
	}
	result(name,
	       (r == want || (!want && r == -EPIPE && q.rd.shutdown_seen)) &&
		       !strcmp(q.rd.shutdown_reason, want_reason),
	       "pump %d (%s), reason \"%s\"; expected %d, \"%s\"", r, q.rd.err,
	       q.rd.shutdown_reason, want, want_reason);
out:
	qmp_close(&q);
	reap(pid);
}

static char *nested(int depth)
{
	static char s[1024];
	int i, n;

	n = snprintf(s, sizeof(s), "%s{\"return\": {}, \"x\": ", GREETING);
	for (i = 0; i < depth; i++)
		s[n++] = '[';
	for (i = 0; i < depth; i++)
		s[n++] = ']';
	snprintf(s + n, sizeof(s) - n, "}\r\n");
	return s;
}

static char *long_buf;

static char *long_line(size_t pad)
{
	size_t n = strlen(GREETING);
	char *s;

	free(long_buf);
	s = long_buf = malloc(n + pad + 64);
	if (!s)
		exit(2);
	strcpy(s, GREETING);
	strcpy(s + n, "{\"return\": {}, \"pad\": \"");
	n += strlen(s + n);
	memset(s + n, 'A', pad);
	strcpy(s + n + pad, "\"}\r\n");
	return s;
}

static void socket_tests(void)
{
	t_good();

	/* the original defect: a \u with fewer than four hex digits */
	t_open_fails("trunc-u-greeting",
		     "{\"QMP\": {\"version\": {}, \"capabilities\": [\"" TRUNC_U
		     "\"]}}\r\n",
		     0, "bad QMP greeting: invalid JSON");
	t_open_fails(
		"trunc-u-caps-error",
		GREETING
		"{\"error\": {\"class\": \"GenericError\", \"desc\": \"\\u00\"}}\r\n",
		0, "QMP qmp_capabilities: invalid JSON");
	t_vcpus("trunc-u-cpus",
		op(CPUS("{\"cpu-index\": 0, \"thread-id\": 1240, \"qom-path\": \"" TRUNC_U
			"\"}")),
		"invalid JSON", NULL);
	t_vcpus("trunc-u-at-end", op("{\"return\": \"\\u12\r\n"),
		"invalid JSON", NULL);

	/* the line cap */
	t_open_fails("line-too-long", long_line(100000), 0,
		     "longer than 65536 bytes");
	t_open_fails("line-endless", GREETING, 300000,
		     "longer than 65536 bytes");
	t_vcpus("line-at-cap",
		long_line(QMP_MAX_LINE -
			  strlen("{\"return\": {}, \"pad\": \"\"}\r")),
		"query-cpus-fast: connection closed", NULL);
	t_open_fails("line-cap-plus-one",
		     long_line(QMP_MAX_LINE + 1 -
			       strlen("{\"return\": {}, \"pad\": \"\"}\r")),
		     0, "longer than 65536 bytes");

	/* numbers */
	t_open_fails("nan", GREETING "{\"return\": {}, \"x\": NaN}\r\n", 0,
		     "NaN");
	t_open_fails("infinity",
		     GREETING "{\"return\": {}, \"x\": [-Infinity]}\r\n", 0,
		     "NaN, Infinity");
	t_open_fails("1e999", GREETING "{\"return\": {}, \"x\": 1e999}\r\n", 0,
		     "number out of range");
	t_vcpus("tid-nan", cpus(1, "0", "NaN"), "number out of range", NULL);
	t_vcpus("tid-1e999", cpus(1, "0", "1e999"), "number out of range",
		NULL);
	t_vcpus("tid-negative", cpus(1, "0", "-5"), "thread-id -5 out of range",
		NULL);
	t_vcpus("tid-zero", cpus(1, "0", "0"), "thread-id 0 out of range",
		NULL);
	t_vcpus("tid-beyond-pid_t", cpus(1, "0", "4294967297"),
		"thread-id 4294967297 out of range", NULL);
	t_vcpus("tid-beyond-int64", cpus(1, "0", "99999999999999999999999"),
		"out of range", NULL);
	t_vcpus("tid-below-int64", cpus(1, "0", "-99999999999999999999999"),
		"out of range", NULL);
	t_vcpus("tid-fraction", cpus(1, "0", "1240.5"),
		"thread-id is not an integer", NULL);
	t_vcpus("tid-string", cpus(1, "0", "\"1240\""),
		"thread-id is not an integer", NULL);
	t_vcpus("tid-missing", op(CPUS("{\"cpu-index\": 0}")),
		"without thread-id", NULL);
	t_vcpus("index-negative", cpus(1, "-1", "1240"),
		"cpu-index -1 out of range", NULL);
	t_vcpus("index-too-big", cpus(1, "4096", "1240"),
		"cpu-index 4096 out of range", NULL);
	t_vcpus("index-twice", cpus(2, "3", "1240", "3", "1241"),
		"cpu-index 3 twice", NULL);
	t_vcpus("cpus-empty", op("{\"return\": []}\r\n"), "no vCPUs", NULL);
	t_vcpus("cpus-not-array", op("{\"return\": {}}\r\n"), "not an array",
		NULL);
	t_vcpus("cpus-entry-not-object", op("{\"return\": [7]}\r\n"),
		"entry 0 is not an object", NULL);
	t_vcpus("cpus-max-index", cpus(2, "4095", "2147483647", "0", "1"), NULL,
		"0:1 4095:2147483647");

	/* structure */
	t_open_fails("deep-nesting", nested(40), 0, "nested more than 16");
	t_open_fails("very-deep-nesting", nested(200), 0, "nested more than");
	t_vcpus("error-reply",
		op("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command query-cpus-fast has not been found\"}}\r\n"),
		"QMP query-cpus-fast: The command query-cpus-fast has not been found",
		NULL);
	t_cmd_fails(
		"error-desc-escapes",
		op("{\"error\": {\"class\": \"X\", \"desc\": \"a\\u001b[31mb\\nc\"}}\r\n"),
		"QMP query-status: a?[31mb?c");
	t_cmd_fails("no-return", op("{\"id\": 1}\r\n"), "reply without return");
	t_cmd_fails("not-object", op("[1, 2]\r\n"), "not a JSON object");
	t_cmd_fails("trailing-data", op("{\"return\": {}} x\r\n"),
		    "invalid JSON");
	t_cmd_fails("two-messages", op("{\"return\": {}}{\"return\": {}}\r\n"),
		    "invalid JSON");
	t_cmd_fails("single-quotes", op("{\"return\": 'x'}\r\n"),
		    "invalid JSON");
	t_cmd_fails("incomplete", op("{\"return\": {}\r\n"), "incomplete JSON");
	t_cmd_fails("bad-utf8", op("{\"return\": \"\xff\xfe\"}\r\n"),
		    "invalid JSON");
	t_cmd_fails("eof", op(""), "connection closed");
	t_open_fails("no-greeting", CAPS_OK, 0, "no QMP greeting");

	/* while attached */
	t_pump("pump-shutdown", SHUTDOWN_EV("guest-reset"), 0, "guest-reset");
	t_pump("pump-shutdown-escapes", SHUTDOWN_EV("a\\u0007\\nb"), 0, "a??b");
	t_pump("pump-bad-line",
	       "{\"event\": \"STOP\"}\r\n{\"event\": \"\\u1\"}\r\n", -EPROTO,
	       "");
	t_pump("pump-eof", "{\"event\": \"STOP\", \"data\": {}}\r\n", -EPIPE,
	       "");
}

/* --- the reader on buffers ------------------------------------------------ */

/* All messages of buf: their JSON text, or "E<errno> <err>", each line. */
static void drain(struct qmp_reader *r, char *out, size_t len)
{
	json_object *msg;
	int m;

	while ((m = qmp_reader_next(r, &msg)) != 0) {
		if (m > 0)
			snprintf(out + strlen(out), len - strlen(out), "%s\n",
				 json_object_to_json_string_ext(
					 msg, JSON_C_TO_STRING_PLAIN));
		else
			snprintf(out + strlen(out), len - strlen(out),
				 "E%d %s\n", -m, r->err);
		json_object_put(msg);
	}
}

static void feed_all(struct qmp_reader *r, const char *buf, size_t n,
		     size_t chunk, char *out, size_t len)
{
	size_t off = 0;

	while (off < n) {
		size_t c = n - off < chunk ? n - off : chunk;

		off += qmp_reader_feed(r, buf + off, c);
		drain(r, out, len);
	}
}

static void reader_tests(void)
{
	static const char script[] = GREETING "\r\n" CAPS_OK SHUTDOWN_EV(
		"guest-panic") "{\"return\": \"\\u12\"}\r\n"
			       "{\"return\": [1, 2]} x\r\n"
			       "{\"return\": NaN}\r\n"
			       "{\"return\": {\"a\": \"\\u00e9\\ud83d\\ude00\"}}\n";
	static const char want[] =
		"{\"QMP\":{\"version\":{\"qemu\":{\"micro\":0,\"minor\":2,\"major\":7},\"package\":\"Debian 1:7.2+dfsg-7+deb12u6\"},\"capabilities\":[\"oob\"]}}\n"
		"{\"return\":{}}\n"
		"E71 invalid JSON: invalid string sequence at byte 16\n"
		"E71 invalid JSON: unexpected character at byte 19\n"
		"E71 number out of range (NaN, Infinity or beyond a double)\n"
		"{\"return\":{\"a\":\"\xc3\xa9\xf0\x9f\x98\x80\"}}\n";
	static char out[4096], line[300];
	struct qmp_reader r;
	size_t chunk;
	bool ok = true;

	for (chunk = 1; chunk <= sizeof(script); chunk *= 3) {
		out[0] = '\0';
		if (qmp_reader_init(&r, 0) < 0)
			exit(2);
		feed_all(&r, script, strlen(script), chunk, out, sizeof(out));
		if (strcmp(out, want) || !r.shutdown_seen ||
		    strcmp(r.shutdown_reason, "guest-panic")) {
			ok = false;
			result("reader-chunks", false,
			       "chunk %zu: got\n%s\nexpected\n%s", chunk, out,
			       want);
		}
		qmp_reader_free(&r);
	}
	if (ok)
		result("reader-chunks", true, "%s", "");

	/* a 64-byte cap: 64 bytes pass, 65 do not, the next line does */
	memset(line, ' ', sizeof(line));
	memcpy(line, "{}", 2);
	line[64] = '\n';
	memcpy(line + 65, "{}", 2);
	line[65 + 67] = '\n';
	memcpy(line + 65 + 68, "{\"a\": 1}\n", 9);
	for (chunk = 1; chunk <= 256; chunk *= 4) {
		out[0] = '\0';
		if (qmp_reader_init(&r, 64) < 0)
			exit(2);
		feed_all(&r, line, 65 + 68 + 9, chunk, out, sizeof(out));
		qmp_reader_free(&r);
		if (strcmp(out,
			   "{}\nE90 message line longer than 64 bytes\n{\"a\":1}\n"))
			break;
	}
	result("reader-cap", chunk > 256, "chunk %zu: got \"%s\"", chunk, out);

	/* closed: an error, no crash */
	result("reader-closed",
	       qmp_reader_next(&r, &(json_object *){ NULL }) == -EBADF, "%s",
	       r.err);
}

int main(void)
{
	char dir[] = "/tmp/qmp-test.XXXXXX";

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir)) {
		perror("qmp-test: mkdtemp");
		return 2;
	}
	snprintf(sock_path, sizeof(sock_path), "%s/qmp.sock", dir);
	socket_tests();
	reader_tests();
	unlink(sock_path);
	rmdir(dir);
	free(long_buf);
	return failures ? 1 : 0;
}
