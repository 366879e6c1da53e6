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
 * Built with -DQMP_ALLOCFAIL instead (tests/qmp-allocfail, no sanitizers:
 * they bring their own malloc), it replaces malloc, calloc and realloc,
 * and fails each allocation of an attach's QMP conversation in turn: the
 * outcome must be an error with a message, or the right answer from the
 * right requests, never a crash or a request with a hole in it.
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
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../qmp.h"

#define RESULT_PREFIX "qmp-"
#include "result.h"

#define GREETING                                                           \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, " \
	"\"major\": 7}, \"package\": \"Debian 1:7.2+dfsg-7+deb12u6\"}, "   \
	"\"capabilities\": [\"oob\"]}}\r\n"
/* Each command carries an id, 1 for qmp_capabilities, then 2, 3, ... */
#define CAPS_OK "{\"return\": {}, \"id\": 1}\r\n"
#define CPUS(...) "{\"return\": [" __VA_ARGS__ "], \"id\": 2}\r\n"
#define SHUTDOWN_EV(reason)                                                \
	"{\"timestamp\": {\"seconds\": 1764500000, \"microseconds\": 1}, " \
	"\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true, "            \
	"\"reason\": \"" reason "\"}}\r\n"
/* the old parse_string: copies past the string, here 70 bytes of 'A' */
#define TRUNC_U                                                               \
	"\\u1\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
	"AAAAAAAAAAA"

static char sock_path[108];

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
	snprintf(s + len, sizeof(s) - len, "], \"id\": 2}\r\n");
	return s;
}

/* In a script: the fake QEMU waits PAUSE_MS before it sends the rest. */
#define PAUSE "\x01"
#define PAUSE_MS 400

static char log_path[120];

/*
 * The fake QEMU: accepts one client, sends script, then either tail_len
 * bytes of 'A' (no newline, the connection stays open) or EOF, and reads
 * until the client closes, into log_path (the client's requests).
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
		size_t off = 0, end;
		ssize_t w = 1, r;
		FILE *log;

		while (off < script_len && w > 0) {
			if (script[off] == PAUSE[0]) {
				usleep(PAUSE_MS * 1000);
				off++;
				continue;
			}
			for (end = off;
			     end < script_len && script[end] != PAUSE[0]; end++)
				;
			w = send(cfd, script + off, end - off, MSG_NOSIGNAL);
			if (w > 0)
				off += w;
		}
		memset(junk, 'A', sizeof(junk));
		for (off = 0; w > 0 && off < tail_len; off += w)
			w = send(cfd, junk,
				 tail_len - off < sizeof(junk) ?
					 tail_len - off :
					 sizeof(junk),
				 MSG_NOSIGNAL);
		if (!tail_len)
			shutdown(cfd, SHUT_WR);
		log = fopen(log_path, "w");
		while ((r = read(cfd, junk, sizeof(junk))) > 0)
			if (log)
				fwrite(junk, 1, r, log);
		if (log)
			fclose(log);
	}
	_exit(0);
}

/* Waits for the fake QEMU to end by itself (the client has closed). */
static void reap_log(pid_t pid, char *buf, size_t len)
{
	FILE *f;
	size_t n = 0;

	waitpid(pid, NULL, 0);
	f = fopen(log_path, "r");
	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
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
	struct qmp q = { .fd = -1 };
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
	struct qmp q = { .fd = -1 };
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
	struct qmp q = { .fd = -1 };
	char err[512] = "";
	int r;

	r = qmp_open(&q, sock_path, err, sizeof(err));
	if (r < 0) {
		result(name, false, "qmp_open: %s", err);
		goto out;
	}
	ret = qmp_cmd(&q, "query-status", err, sizeof(err));
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
	struct qmp q = { .fd = -1 };
	char err[512] = "";
	int n = 0;
	bool ok;

	snprintf(
		script, sizeof(script), "%s%s%s%s",
		cpus(2, "1", "1241", "0", "1240"), SHUTDOWN_EV("host-qmp-quit"),
		"{\"return\": {\"status\": \"prelaunch\", \"singlestep\": false, \"running\": false}, \"id\": 3}\r\n",
		"{\"id\": 4, \"return\": {\"name\": \"web/1 \\u00e9\"}}\r\n");
	pid = serve(script, strlen(script), 0);
	ok = qmp_open(&q, sock_path, err, sizeof(err)) == 0 &&
	     qmp_query_vcpus(&q, &v, &n, err, sizeof(err)) == 0 && n == 2 &&
	     v[0].index == 0 && v[0].tid == 1240 && v[1].index == 1 &&
	     v[1].tid == 1241;
	result("good-vcpus", ok, "%s", err);
	st = qmp_cmd(&q, "query-status", err, sizeof(err));
	result("good-status",
	       st && !strcmp(qmp_get_str(st, "status", ""), "prelaunch"), "%s",
	       err);
	result("good-shutdown-event",
	       q.rd.shutdown_seen &&
		       !strcmp(q.rd.shutdown_reason, "host-qmp-quit"),
	       "seen %d, reason \"%s\"", q.rd.shutdown_seen,
	       q.rd.shutdown_reason);
	nm = qmp_cmd(&q, "query-name", err, sizeof(err));
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
	struct qmp q = { .fd = -1 };
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
	strcpy(s + n, "{\"return\": {}, \"id\": 1, \"pad\": \"");
	n += strlen(s + n);
	memset(s + n, 'A', pad);
	strcpy(s + n + pad, "\"}\r\n");
	return s;
}

/* --- ids, timeouts, signals ----------------------------------------------- */

/*
 * Every command carries the next id, in this exact form (what QEMU echoes
 * back): the requests the fake QEMU received, one per line.
 */
static void t_ids(void)
{
	static const char want[] =
		"{\"execute\":\"qmp_capabilities\",\"id\":1}\n"
		"{\"execute\":\"query-status\",\"id\":2}\n"
		"{\"execute\":\"query-name\",\"id\":3}\n";
	static char got[4096];
	struct qmp q = { .fd = -1 };
	const char *script =
		op("{\"return\": {\"status\": \"running\"}, \"id\": 2}\r\n"
		   "{\"id\": 3, \"return\": {}}\r\n");
	json_object *a, *b;
	char err[512] = "";
	pid_t pid = serve(script, strlen(script), 0);

	if (qmp_open(&q, sock_path, err, sizeof(err)) < 0) {
		result("ids-sent", false, "qmp_open: %s", err);
		qmp_close(&q);
		reap(pid);
		return;
	}
	a = qmp_cmd(&q, "query-status", err, sizeof(err));
	b = qmp_cmd(&q, "query-name", err, sizeof(err));
	qmp_close(&q);
	reap_log(pid, got, sizeof(got));
	result("ids-sent", a && b && !strcmp(got, want),
	       "sent\n%s\nexpected\n%s(%s)", got, want, err);
	json_object_put(a);
	json_object_put(b);
}

/*
 * A reply that comes after its command timed out is dropped when it
 * arrives: the next command gets its own reply, not that one (with
 * replies matched by order, query-name would read query-status's reply
 * and every later command the one before its own).
 */
static void t_stale(void)
{
	const char *script = op(
		PAUSE "{\"return\": {\"status\": \"running\"}, \"id\": 2}\r\n"
		      "{\"return\": {\"name\": \"vm3\"}, \"id\": 3}\r\n"
		      "{\"return\": {\"status\": \"paused\"}, \"id\": 4}\r\n");
	struct qmp q = { .fd = -1, .timeout_ms = PAUSE_MS / 2 };
	json_object *st, *nm, *st2;
	char err[512] = "", err2[512] = "";
	pid_t pid = serve(script, strlen(script), 0);

	if (qmp_open(&q, sock_path, err, sizeof(err)) < 0) {
		result("stale-reply-dropped", false, "qmp_open: %s", err);
		goto out;
	}
	st = qmp_cmd(&q, "query-status", err, sizeof(err));
	result("timeout",
	       !st && strstr(err, "QMP query-status: nothing within 200 ms"),
	       "query-status %s, \"%s\"", st ? "answered" : "failed", err);
	q.timeout_ms = 5000;
	nm = qmp_cmd(&q, "query-name", err2, sizeof(err2));
	st2 = qmp_cmd(&q, "query-status", err2, sizeof(err2));
	result("stale-reply-dropped",
	       nm && !strcmp(qmp_get_str(nm, "name", ""), "vm3") && st2 &&
		       !strcmp(qmp_get_str(st2, "status", ""), "paused") &&
		       q.stale == 1,
	       "query-name %s, query-status %s, %lu dropped (%s)",
	       nm ? json_object_to_json_string(nm) : "failed",
	       st2 ? json_object_to_json_string(st2) : "failed", q.stale, err2);
	json_object_put(st);
	json_object_put(nm);
	json_object_put(st2);
out:
	qmp_close(&q);
	reap(pid);
}

/* Replies with another id or none are not this command's. */
static void t_other_ids(void)
{
	const char *script = op(
		"{\"return\": {\"status\": \"paused\"}, \"id\": 7}\r\n"
		"{\"return\": {\"status\": \"nope\"}}\r\n"
		"{\"return\": {\"status\": \"id as text\"}, \"id\": \"2\"}\r\n"
		"{\"error\": {\"class\": \"GenericError\", \"desc\": \"x\"}}\r\n"
		"{\"return\": {\"status\": \"running\"}, \"id\": 2}\r\n");
	struct qmp q = { .fd = -1 };
	json_object *st = NULL;
	char err[512] = "";
	pid_t pid = serve(script, strlen(script), 0);

	if (qmp_open(&q, sock_path, err, sizeof(err)) == 0)
		st = qmp_cmd(&q, "query-status", err, sizeof(err));
	result("reply-other-id-dropped",
	       st && !strcmp(qmp_get_str(st, "status", ""), "running") &&
		       q.stale == 4,
	       "query-status %s, %lu dropped (%s)",
	       st ? json_object_to_json_string(st) : "failed", q.stale, err);
	json_object_put(st);
	qmp_close(&q);
	reap(pid);
}

static volatile int alarms, cancel_flag;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
	cancel_flag = 1;
}

/* SIGALRM every millisecond, without SA_RESTART; or none (on false). */
static void alarm_storm(bool on)
{
	struct itimerval it = { .it_interval = { 0, on ? 1000 : 0 },
				.it_value = { 0, on ? 1000 : 0 } };
	struct sigaction sa = { .sa_handler = on ? on_alarm : SIG_IGN };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

/*
 * A signal during the wait (attach's SIGWINCH, SIGCHLD...) does not fail
 * the command; with q.cancel set by it (attach's SIGINT/SIGTERM), it does.
 */
static void t_signals(void)
{
	const char *script = op(
		PAUSE "{\"return\": {\"status\": \"running\"}, \"id\": 2}\r\n");
	struct qmp q = { .fd = -1 };
	json_object *st = NULL;
	char err[512] = "";
	pid_t pid = serve(script, strlen(script), 0);

	if (qmp_open(&q, sock_path, err, sizeof(err)) == 0) {
		alarms = 0;
		alarm_storm(true);
		st = qmp_cmd(&q, "query-status", err, sizeof(err));
		alarm_storm(false);
	}
	result("eintr-resumed",
	       st && !strcmp(qmp_get_str(st, "status", ""), "running") &&
		       alarms > 10,
	       "query-status %s after %d signals (%s)",
	       st ? json_object_to_json_string(st) : "failed", alarms, err);
	json_object_put(st);
	qmp_close(&q);
	reap(pid);

	pid = serve(script, strlen(script), 0);
	st = NULL;
	q = (struct qmp){ .fd = -1, .cancel = &cancel_flag };
	if (qmp_open(&q, sock_path, err, sizeof(err)) == 0) {
		cancel_flag = 0;
		alarm_storm(true);
		st = qmp_cmd(&q, "query-status", err, sizeof(err));
		alarm_storm(false);
	}
	result("eintr-cancel",
	       !st && strstr(err, "QMP query-status: interrupted"),
	       "query-status %s, \"%s\"", st ? "answered" : "failed", err);
	json_object_put(st);
	qmp_close(&q);
	reap(pid);
}

/*
 * qmp_query_vm: query-cpus-fast, query-status, query-name, each error an
 * error of the whole (attach's -S and -name depend on them).  want NULL:
 * success with prelaunch and name as given.
 */
static void t_query_vm(const char *name, const char *status_reply,
		       const char *name_reply, const char *want, bool prelaunch,
		       const char *vm_name)
{
	static char script[4096];
	struct qmp q = { .fd = -1 };
	struct qmp_vm vm = { 0 };
	char err[512] = "";
	pid_t pid;
	int r = -1;

	snprintf(script, sizeof(script), "%s%s%s",
		 cpus(2, "0", "1240", "1", "1241"), status_reply, name_reply);
	pid = serve(script, strlen(script), 0);
	if (qmp_open(&q, sock_path, err, sizeof(err)) == 0)
		r = qmp_query_vm(&q, &vm, err, sizeof(err));
	if (want)
		result(name, r < 0 && strstr(err, want) && !vm.vcpus,
		       "query_vm %d, \"%s\", expected an error with \"%s\"", r,
		       err, want);
	else
		result(name,
		       r == 0 && vm.nr_vcpus == 2 && vm.vcpus[1].tid == 1241 &&
			       vm.prelaunch == prelaunch &&
			       !strcmp(vm.name, vm_name),
		       "query_vm %d, %d vCPUs, prelaunch %d, name \"%s\" (%s)",
		       r, vm.nr_vcpus, vm.prelaunch, vm.name, err);
	free(vm.vcpus);
	qmp_close(&q);
	reap(pid);
}

static void query_vm_tests(void)
{
	t_query_vm(
		"query-vm-good",
		"{\"return\": {\"status\": \"prelaunch\", \"running\": false}, \"id\": 3}\r\n",
		"{\"return\": {\"name\": \"web1\"}, \"id\": 4}\r\n", NULL, true,
		"web1");
	t_query_vm("query-vm-no-name",
		   "{\"return\": {\"status\": \"running\"}, \"id\": 3}\r\n",
		   "{\"return\": {}, \"id\": 4}\r\n", NULL, false, "");
	t_query_vm(
		"query-status-error",
		"{\"error\": {\"class\": \"GenericError\", \"desc\": \"boom\"}, \"id\": 3}\r\n",
		"", "QMP query-status: boom", false, "");
	t_query_vm("query-status-no-status", "{\"return\": {}, \"id\": 3}\r\n",
		   "", "QMP query-status: no status in the reply", false, "");
	t_query_vm("query-status-eof", "", "",
		   "QMP query-status: connection closed", false, "");
	t_query_vm(
		"query-name-error",
		"{\"return\": {\"status\": \"running\"}, \"id\": 3}\r\n",
		"{\"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}, \"id\": 4}\r\n",
		"QMP query-name: no", false, "");
	t_query_vm("query-name-not-string",
		   "{\"return\": {\"status\": \"running\"}, \"id\": 3}\r\n",
		   "{\"return\": {\"name\": 5}, \"id\": 4}\r\n",
		   "QMP query-name: name is not a string", false, "");
}

static void socket_tests(void)
{
	t_good();
	t_ids();
	t_stale();
	t_other_ids();
	t_signals();
	query_vm_tests();

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
		long_line(
			QMP_MAX_LINE -
			strlen("{\"return\": {}, \"id\": 1, \"pad\": \"\"}\r")),
		"query-cpus-fast: connection closed", NULL);
	t_open_fails(
		"line-cap-plus-one",
		long_line(
			QMP_MAX_LINE + 1 -
			strlen("{\"return\": {}, \"id\": 1, \"pad\": \"\"}\r")),
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
	t_vcpus("cpus-empty", op("{\"return\": [], \"id\": 2}\r\n"), "no vCPUs",
		NULL);
	t_vcpus("cpus-not-array", op("{\"return\": {}, \"id\": 2}\r\n"),
		"not an array", NULL);
	t_vcpus("cpus-entry-not-object", op("{\"return\": [7], \"id\": 2}\r\n"),
		"entry 0 is not an object", NULL);
	t_vcpus("cpus-max-index", cpus(2, "4095", "2147483647", "0", "1"), NULL,
		"0:1 4095:2147483647");

	/* structure */
	t_open_fails("deep-nesting", nested(40), 0, "nested more than 16");
	t_open_fails("very-deep-nesting", nested(200), 0, "nested more than");
	t_vcpus("error-reply",
		op("{\"id\": 2, \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command query-cpus-fast has not been found\"}}\r\n"),
		"QMP query-cpus-fast: The command query-cpus-fast has not been found",
		NULL);
	t_cmd_fails(
		"error-desc-escapes",
		op("{\"error\": {\"class\": \"X\", \"desc\": \"a\\u001b[31mb\\nc\"}, \"id\": 2}\r\n"),
		"QMP query-status: a?[31mb?c");
	t_cmd_fails("no-return", op("{\"id\": 2}\r\n"), "reply without return");
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
		"{\"return\":{},\"id\":1}\n"
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

#ifdef QMP_ALLOCFAIL
/* --- allocation failures -------------------------------------------------- */

#include <dlfcn.h>

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);

/* Allocations to let through before one fails; -1: none fails. */
static long alloc_countdown = -1;
static bool alloc_failed;

static bool fail_now(void)
{
	if (alloc_countdown < 0 || alloc_countdown-- > 0)
		return false;
	alloc_failed = true;
	return true;
}

void *malloc(size_t n)
{
	return fail_now() ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __libc_realloc(p, n);
}

/*
 * json-c's parser itself does not survive an allocation failure (0.16
 * crashes in json_object_object_add_ex() under json_tokener_parse_ex()):
 * nothing its caller can check.  Its allocations are let through; the
 * ones qmp.c makes or asks json-c for (requests, replies' values, the
 * reader, the vCPU list) are each failed in turn.
 */
struct json_object *json_tokener_parse_ex(struct json_tokener *tok,
					  const char *str, int len)
{
	static struct json_object *(*real)(struct json_tokener *, const char *,
					   int);
	long saved = alloc_countdown;
	struct json_object *obj;

	if (!real)
		real = (struct json_object *
			(*)(struct json_tokener *, const char *, int))
			dlsym(RTLD_NEXT, "json_tokener_parse_ex");
	alloc_countdown = -1;
	obj = real(tok, str, len);
	alloc_countdown = saved;
	return obj;
}

/*
 * attach's conversation (qmp_open, qmp_query_vm) with allocation n
 * failing: 1 if no allocation failed (n is past the last), else 0; a
 * wrong outcome is reported.
 */
static int alloc_once(long n, const char *script, const char *want_sent)
{
	static char sent[4096];
	struct qmp q = { .fd = -1 };
	struct qmp_vm vm = { 0 };
	char err[512] = "";
	pid_t pid = serve(script, strlen(script), 0);
	int r;

	alloc_failed = false;
	alloc_countdown = n;
	r = qmp_open(&q, sock_path, err, sizeof(err));
	if (!r)
		r = qmp_query_vm(&q, &vm, err, sizeof(err));
	alloc_countdown = -1;
	qmp_close(&q);
	/* a client that failed may never have connected: end the server */
	if (r < 0)
		reap(pid);
	else
		reap_log(pid, sent, sizeof(sent));
	if (r < 0 && !err[0]) {
		result("allocfail", false,
		       "allocation %ld: error %d, no message", n, r);
		return -1;
	}
	if (r == 0 && (strcmp(sent, want_sent) || vm.nr_vcpus != 2 ||
		       !vm.prelaunch || strcmp(vm.name, "web1"))) {
		result("allocfail", false,
		       "allocation %ld failed, yet success: sent\n%s\nvCPUs %d, prelaunch %d, name \"%s\"",
		       n, sent, vm.nr_vcpus, vm.prelaunch, vm.name);
		free(vm.vcpus);
		return -1;
	}
	free(vm.vcpus);
	return !alloc_failed;
}

static void alloc_tests(void)
{
	static char script[4096];
	static const char want_sent[] =
		"{\"execute\":\"qmp_capabilities\",\"id\":1}\n"
		"{\"execute\":\"query-cpus-fast\",\"id\":2}\n"
		"{\"execute\":\"query-status\",\"id\":3}\n"
		"{\"execute\":\"query-name\",\"id\":4}\n";
	long n;
	int r = 0;

	snprintf(script, sizeof(script), "%s%s%s",
		 cpus(2, "0", "1240", "1", "1241"),
		 "{\"return\": {\"status\": \"prelaunch\"}, \"id\": 3}\r\n",
		 "{\"return\": {\"name\": \"web1\"}, \"id\": 4}\r\n");
	for (n = 0; n < 10000 && (r = alloc_once(n, script, want_sent)) == 0;
	     n++)
		;
	if (r == 1)
		result("allocfail", true, "%s", "");
	else if (r == 0)
		result("allocfail", false, "still failing at allocation %ld",
		       n);
	printf("# allocfail: %ld allocations, each failed once\n", n);
}
#endif

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
	snprintf(log_path, sizeof(log_path), "%s/requests.log", dir);
#ifdef QMP_ALLOCFAIL
	alloc_tests();
#else
	socket_tests();
	reader_tests();
#endif
	unlink(sock_path);
	unlink(log_path);
	rmdir(dir);
	free(long_buf);
	return failures ? 1 : 0;
}
