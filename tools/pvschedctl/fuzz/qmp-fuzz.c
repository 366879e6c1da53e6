// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: pvschedctl's QMP reader (qmp.c) on arbitrary bytes,
 * as if they came from the QMP socket.  Built and run by mk/fuzz.mk
 * (make check-fuzz-qmp, make fuzz-qmp FUZZ_TIME=600).
 *
 * Each input is read three times:
 *   1. in one piece, with the real line cap (QMP_MAX_LINE);
 *   2. in pieces of 1..64 bytes (sizes from the input), same cap: every
 *      result must be the same as in 1 (the reader may not depend on how
 *      recv() splits the stream);
 *   3. with a 61-byte cap, so that inputs of libFuzzer's usual size reach
 *      the overlong-line path;
 *   4. as QEMU's side of a connection (a socketpair, then EOF) while the
 *      client runs attach's queries (qmp_query_vm): replies matched by
 *      their "id", the others dropped, errors of each query reported.
 * Every message goes through what attach does with it: the greeting
 * check, the reply's id, its return value or error, query-cpus-fast's
 * vCPUs, query-status and query-name.  Invariants of the results are
 * checked (sorted unique in-range vCPUs, positive thread ids, printable
 * SHUTDOWN reason, terminated messages, nothing returned with an error);
 * ASan/UBSan/LSan catch the rest.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/pvsched.h>

#include "../qmp.h"

#define SMALL_CAP 61

/* FNV-1a over everything the reader and the extraction returned */
struct trace {
	uint64_t h;
	unsigned int msgs, errors;
};

static void mix(struct trace *t, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--) {
		t->h ^= *c++;
		t->h *= 0x100000001b3ULL;
	}
}

static void mix_int(struct trace *t, long long v)
{
	mix(t, &v, sizeof(v));
}

static void mix_str(struct trace *t, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (n == max)
		abort(); /* not terminated */
	mix(t, s, n + 1);
}

static void check_vcpus(const struct qmp_vcpu *v, int n)
{
	int i;

	if (n <= 0 || n > PVSCHED_MAX_VCPU_ID)
		abort();
	for (i = 0; i < n; i++) {
		if (v[i].index >= PVSCHED_MAX_VCPU_ID || v[i].tid == 0 ||
		    v[i].tid > INT_MAX)
			abort();
		if (i && v[i].index <= v[i - 1].index)
			abort();
	}
}

/* What attach does with a message. */
static void use_message(struct trace *t, json_object *msg)
{
	char err[256], name[16];
	struct qmp_vcpu *v;
	json_object *ret;
	bool prelaunch;
	int n, r;

	r = qmp_check_greeting(msg, err, sizeof(err));
	mix_int(t, r);
	mix_int(t, qmp_reply_is(msg, 1) | qmp_reply_is(msg, 2) << 1);
	ret = qmp_reply_return(msg, err, sizeof(err));
	mix_int(t, !!ret);
	if (!ret) {
		mix_str(t, err, sizeof(err));
		return;
	}
	r = qmp_parse_vcpus(ret, &v, &n, err, sizeof(err));
	mix_int(t, r);
	if (r == 0) {
		check_vcpus(v, n);
		mix(t, v, n * sizeof(*v));
		free(v);
	} else {
		if (v || n)
			abort();
		mix_str(t, err, sizeof(err));
	}
	mix_int(t, qmp_parse_status(ret, &prelaunch, err, sizeof(err)));
	mix_int(t, prelaunch);
	mix_int(t, qmp_parse_name(ret, name, sizeof(name), err, sizeof(err)));
	mix_str(t, name, sizeof(name));
	json_object_put(ret);
}

static void read_all(const uint8_t *data, size_t size, size_t cap, bool split,
		     struct trace *t)
{
	struct qmp_reader r;
	size_t off = 0, i;
	uint32_t x = (uint32_t)size * 2654435761u + 1;

	memset(t, 0, sizeof(*t));
	t->h = 0xcbf29ce484222325ULL;
	if (qmp_reader_init(&r, cap) < 0)
		abort();
	while (off < size) {
		size_t n = size - off, took;
		json_object *msg;
		int m;

		if (split) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			n = n < 1 + x % 64 ? n : 1 + x % 64;
		}
		took = qmp_reader_feed(&r, data + off, n);
		if (!took)
			abort(); /* drained: there is always room */
		off += took;
		while ((m = qmp_reader_next(&r, &msg)) != 0) {
			mix_int(t, m);
			if (m < 0) {
				t->errors++;
				if (msg)
					abort();
				mix_str(t, r.err, sizeof(r.err));
				continue;
			}
			t->msgs++;
			use_message(t, msg);
			json_object_put(msg);
		}
		if (r.len - r.off > r.max_line)
			abort();
	}
	mix_int(t, r.shutdown_seen);
	mix_str(t, r.shutdown_reason, sizeof(r.shutdown_reason));
	for (i = 0; r.shutdown_reason[i]; i++)
		if (r.shutdown_reason[i] < 0x20 || r.shutdown_reason[i] > 0x7e)
			abort();
	qmp_reader_free(&r);
}

/*
 * The input as everything QEMU says after the client connected: the
 * client's queries, each reply taken by its id; all of it buffered in the
 * socket before the client reads, then EOF, so nothing waits.
 */
static void converse(const uint8_t *data, size_t size)
{
	struct qmp q = { .fd = -1, .timeout_ms = 1000 };
	struct qmp_vm vm;
	char err[256];
	size_t off = 0;
	ssize_t w;
	int sv[2], r;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	/* the unread requests stay in a buffer far larger than they are */
	while (off < size && (w = write(sv[1], data + off, size - off)) > 0)
		off += w;
	if (off < size)
		abort();
	shutdown(sv[1], SHUT_WR);
	if (qmp_reader_init(&q.rd, 0) < 0)
		abort();
	q.fd = sv[0];
	/* as after qmp_open(): qmp_capabilities was id 1 */
	q.next_id = 2;
	r = qmp_query_vm(&q, &vm, err, sizeof(err));
	if (r == 0) {
		check_vcpus(vm.vcpus, vm.nr_vcpus);
		if (strnlen(vm.name, sizeof(vm.name)) == sizeof(vm.name))
			abort();
		free(vm.vcpus);
	} else if (vm.vcpus || vm.nr_vcpus ||
		   strnlen(err, sizeof(err)) == sizeof(err) || !err[0]) {
		abort();
	}
	qmp_close(&q);
	close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace whole, split, small;

	read_all(data, size, 0, false, &whole);
	read_all(data, size, 0, true, &split);
	if (whole.h != split.h || whole.msgs != split.msgs ||
	    whole.errors != split.errors) {
		fprintf(stderr,
			"qmp-fuzz: %u messages, %u errors in one piece, %u, %u in pieces\n",
			whole.msgs, whole.errors, split.msgs, split.errors);
		abort();
	}
	read_all(data, size, SMALL_CAP, true, &small);
	converse(data, size);
	return 0;
}
