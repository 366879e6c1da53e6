// SPDX-License-Identifier: GPL-2.0
/*
 * pvschedctl status [--watch [SECS]]: module, tracepoints, caps, every VM
 * and vCPU with its state and counters (debugfs pvsched/info and
 * pvsched/vms), and the guest's negotiation published by attach.
 *
 * The debugfs format (one line per VM, then one per vCPU):
 *   vm ID name=NAME pid=N vcpus=N cs=P:PRIO:NICE intr=P:PRIO:NICE k=v...
 *   vcpu VM_ID VCPU_ID tid=N state=S status=0xNN ... k=v...
 * Unknown keys are kept and printed as they come.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json_print.h"
#include "main.h"
#include "state.h"

struct kv {
	char *key;
	char *val;
};

struct entry {
	uint32_t vm_id;
	uint32_t vcpu_id; /* vcpu lines only */
	struct kv *kv;
	int nr_kv;
};

struct vm {
	struct entry e;
	struct entry *vcpus;
	int nr_vcpus;
};

static void status_help(void)
{
	printf("Usage: pvschedctl status [--watch [SECS]]\n"
	       "       pvschedctl status help\n"
	       "\n"
	       "Shows whether pvsched.ko is loaded, the tracepoint family and events\n"
	       "it attached, the admin caps, and every VM session and vCPU with its\n"
	       "state and counters (from debugfs pvsched/vms and pvsched/info), plus\n"
	       "the guest's negotiated features of VMs attached with \"pvschedctl\n"
	       "attach\".  --watch refreshes every SECS seconds (default 1) until\n"
	       "interrupted; with -j it prints one JSON object per refresh.\n");
}

/* seq_escape() writes octal escapes (\040 for a space). */
static void unescape(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
				      (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

static void entry_add(struct entry *e, char *key, char *val)
{
	struct kv *n = realloc(e->kv, (e->nr_kv + 1) * sizeof(*n));

	if (!n)
		return;
	e->kv = n;
	unescape(val);
	e->kv[e->nr_kv].key = key;
	e->kv[e->nr_kv].val = val;
	e->nr_kv++;
}

static const char *entry_get(const struct entry *e, const char *key)
{
	int i;

	for (i = 0; i < e->nr_kv; i++)
		if (!strcmp(e->kv[i].key, key))
			return e->kv[i].val;
	return NULL;
}

/* Parses buf in place; returns the number of VMs. */
static int parse_vms(char *buf, struct vm **out)
{
	char *line, *save = NULL;
	struct vm *vms = NULL;
	int nr = 0;

	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *tok, *tsave = NULL, *kind;
		struct entry e = { 0 };
		int pos = 0;

		kind = strtok_r(line, " \t", &tsave);
		if (!kind || (strcmp(kind, "vm") && strcmp(kind, "vcpu")))
			continue; /* tolerate other lines */
		while ((tok = strtok_r(NULL, " \t", &tsave))) {
			char *eq = strchr(tok, '=');

			if (!eq) {
				if (pos == 0)
					e.vm_id = strtoul(tok, NULL, 0);
				else if (pos == 1)
					e.vcpu_id = strtoul(tok, NULL, 0);
				pos++;
				continue;
			}
			*eq = '\0';
			entry_add(&e, tok, eq + 1);
		}
		if (!strcmp(kind, "vm")) {
			struct vm *n = realloc(vms, (nr + 1) * sizeof(*n));

			if (!n)
				break;
			vms = n;
			memset(&vms[nr], 0, sizeof(vms[nr]));
			vms[nr++].e = e;
		} else {
			struct vm *vm = NULL;
			struct entry *n;
			int i;

			for (i = 0; i < nr; i++)
				if (vms[i].e.vm_id == e.vm_id)
					vm = &vms[i];
			if (!vm) {
				free(e.kv);
				continue;
			}
			n = realloc(vm->vcpus, (vm->nr_vcpus + 1) * sizeof(*n));
			if (!n)
				break;
			vm->vcpus = n;
			vm->vcpus[vm->nr_vcpus++] = e;
		}
	}
	*out = vms;
	return nr;
}

static void free_vms(struct vm *vms, int nr)
{
	int i, j;

	for (i = 0; i < nr; i++) {
		for (j = 0; j < vms[i].nr_vcpus; j++)
			free(vms[i].vcpus[j].kv);
		free(vms[i].vcpus);
		free(vms[i].e.kv);
	}
	free(vms);
}

static bool parse_int(const char *s, int64_t *v)
{
	char *end;

	if (!*s)
		return false;
	errno = 0;
	*v = strtoll(s, &end, strncmp(s, "0x", 2) ? 10 : 16);
	return !*end && !errno;
}

/* A value typed for JSON: integer, policy:prio:nice triple or string. */
static void print_value(const char *key, const char *val)
{
	char policy[32];
	int64_t n;
	int prio, nice, used = 0;

	if (parse_int(val, &n)) {
		print_int(PRINT_JSON, key, NULL, n);
	} else if (sscanf(val, "%31[a-z]:%d:%d%n", policy, &prio, &nice,
			  &used) == 3 && !val[used]) {
		open_json_object(key);
		print_string(PRINT_JSON, "policy", NULL, policy);
		print_int(PRINT_JSON, "prio", NULL, prio);
		print_int(PRINT_JSON, "nice", NULL, nice);
		close_json_object();
	} else {
		print_string(PRINT_JSON, key, NULL, val);
	}
}

/* Keys shown on the first plain line of a vCPU; the rest follow. */
static bool is_head_key(const char *key)
{
	static const char *const head[] = { "tid",    "state", "status",
					    "policy", "prio",  "nice",
					    "base",   NULL };
	int i;

	for (i = 0; head[i]; i++)
		if (!strcmp(key, head[i]))
			return true;
	return false;
}

static void print_vcpu(const struct entry *e)
{
	int i, col;

	open_json_object(NULL);
	print_uint(PRINT_ANY, "vcpu_id", "  vcpu %" PRIu64, e->vcpu_id);
	for (i = 0; i < e->nr_kv; i++) {
		if (!is_head_key(e->kv[i].key))
			continue;
		print_fp(" %s=%s", e->kv[i].key, e->kv[i].val);
		print_value(e->kv[i].key, e->kv[i].val);
	}
	for (i = 0, col = 0; i < e->nr_kv; i++) {
		if (is_head_key(e->kv[i].key))
			continue;
		if (col % 4 == 0)
			print_fp("\n     ");
		print_fp(" %s=%s", e->kv[i].key, e->kv[i].val);
		print_value(e->kv[i].key, e->kv[i].val);
		col++;
	}
	print_nl();
	close_json_object();
}

static void print_attach(uint32_t vm_id)
{
	struct attach_state st;
	int ret = state_read(vm_id, &st);

	if (ret < 0) {
		print_null(PRINT_JSON, "attach", NULL);
		print_null(PRINT_JSON, "guest", NULL);
		return;
	}
	state_read_live(&st);
	open_json_object("attach");
	print_int(PRINT_ANY, "pid", "  attach: pid %" PRId64, st.attach_pid);
	print_int(PRINT_ANY, "qemu_pid", ", qemu pid %" PRId64, st.qemu_pid);
	print_string(PRINT_ANY, "qmp", ", qmp %s", st.qmp);
	print_string(PRINT_ANY, "shm", ", shm %s", st.shm);
	print_uint(PRINT_ANY, "nr_slots", ", %" PRIu64 " slots", st.nr_slots);
	print_nl();
	close_json_object();
	open_json_object("guest");
	print_fp("  guest: ");
	guest_view_print(&st.guest);
	print_bool(PRINT_JSON, "live", NULL, st.live);
	print_fp("%s\n", st.live ? "" : " (saved by attach)");
	close_json_object();
}

static void print_vm(const struct vm *vm)
{
	const struct entry *e = &vm->e;
	int i;

	open_json_object(NULL);
	print_uint(PRINT_ANY, "id", "vm %" PRIu64, e->vm_id);
	for (i = 0; i < e->nr_kv; i++) {
		const char *k = e->kv[i].key;

		print_fp(" %s=%s", k, e->kv[i].val);
		/* "vcpus" is the array below; the count is nr_vcpus */
		print_value(!strcmp(k, "vcpus") ? "nr_vcpus" : k,
			    e->kv[i].val);
	}
	print_nl();
	print_attach(e->vm_id);
	open_json_array("vcpus");
	for (i = 0; i < vm->nr_vcpus; i++)
		print_vcpu(&vm->vcpus[i]);
	close_json_array();
	close_json_object();
}

static void print_info(char *buf)
{
	char *line, *save = NULL, names[128];
	struct entry e = { 0 };
	const char *v;
	int64_t n;
	int i;

	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (!eq)
			continue;
		*eq = '\0';
		entry_add(&e, line, eq + 1);
	}
	v = entry_get(&e, "version");
	print_string(PRINT_FP, NULL, ", version %s", v);
	v = entry_get(&e, "abi");
	print_string(PRINT_FP, NULL, ", ABI %s\n", v);
	for (i = 0; i < e.nr_kv; i++)
		print_value(e.kv[i].key, e.kv[i].val);
	v = entry_get(&e, "tp_events");
	n = 0;
	if (v)
		parse_int(v, &n);
	tp_events_str(n, names, sizeof(names));
	print_fp("tracepoints: %s (%s)\n", entry_get(&e, "tp_family") ?: "?",
		 names);
	open_json_array("tp_event_names");
	if (n) {
		char *tok, *tsave = NULL;

		for (tok = strtok_r(names, ",", &tsave); tok;
		     tok = strtok_r(NULL, ",", &tsave))
			print_string(PRINT_JSON, NULL, NULL, tok);
	}
	close_json_array();
	print_fp("vms %s, vcpus %s, pinned pages %s\n",
		 entry_get(&e, "nr_vms") ?: "?",
		 entry_get(&e, "nr_vcpus") ?: "?",
		 entry_get(&e, "pinned_pages") ?: "?");
	free(e.kv);
}

/* One full status report; returns the exit status. */
static int status_once(void)
{
	char path[4096], *info, *vmsbuf;
	struct vm *vms = NULL;
	int nr, i, err, ret = EXIT_OK;

	new_json_obj();
	open_json_object("module");
	if (!module_loaded()) {
		print_bool(PRINT_JSON, "loaded", NULL, false);
		print_fp("pvsched.ko: not loaded\n");
		close_json_object();
		delete_json_obj();
		return EXIT_NOMOD;
	}
	print_bool(PRINT_JSON, "loaded", NULL, true);
	print_fp("pvsched.ko: loaded");
	if (!debugfs_mounted()) {
		print_fp("\n");
		close_json_object();
		delete_json_obj();
		print_err("debugfs not mounted at %s (mount -t debugfs none %s)",
			  debugfs_root(), debugfs_root());
		return EXIT_FAIL;
	}
	snprintf(path, sizeof(path), "%s/pvsched/info", debugfs_root());
	info = read_file(path, &err);
	if (!info) {
		print_fp("\n");
		close_json_object();
		delete_json_obj();
		print_errno(err, "%s", path);
		return EXIT_FAIL;
	}
	print_info(info);
	free(info);
	close_json_object();

	caps_print_inline();

	snprintf(path, sizeof(path), "%s/pvsched/vms", debugfs_root());
	vmsbuf = read_file(path, &err);
	open_json_array("vms");
	if (vmsbuf) {
		nr = parse_vms(vmsbuf, &vms);
		for (i = 0; i < nr; i++) {
			print_nl();
			print_vm(&vms[i]);
		}
		free_vms(vms, nr);
		free(vmsbuf);
	}
	close_json_array();
	delete_json_obj();
	if (!vmsbuf) {
		print_errno(err, "%s", path);
		ret = EXIT_FAIL;
	}
	return ret;
}

int do_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "watch", optional_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	double interval = 0;
	bool json = is_json(), pretty = false;
	int c, ret;

	if (argc > 0 && is_help(argv[0])) {
		status_help();
		return EXIT_OK;
	}
	/* "show" is accepted for bpftool habits */
	if (argc > 0 && is_prefix(argv[0], "show")) {
		argc--;
		argv++;
	}
	getopt_begin(&argc, &argv, NULL);
	while ((c = getopt_cmd(argc, argv, "+w::jph", opts, &json,
				&pretty)) != -1) {
		switch (c) {
		case 'w':
			interval = 1;
			/* --watch SECS: optional argument as a separate word */
			if (!optarg && optind < argc && argv[optind][0] != '-')
				optarg = argv[optind++];
			if (optarg) {
				char *end;

				interval = strtod(optarg, &end);
				if (*end || !(interval > 0) || interval > 86400)
					return usage_error("status: bad --watch interval '%s'",
							   optarg);
			}
			break;
		case 'h':
			status_help();
			return EXIT_OK;
		default:
			return usage_error("status: unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("status: unexpected argument '%s'",
				   argv[optind]);
	if (json || pretty)
		json_setup(true, pretty);

	if (interval <= 0)
		return status_once();

	install_stop_handlers();
	ret = EXIT_OK;
	while (!stop_signal) {
		struct timespec ts;

		if (!is_json()) {
			printf("\033[H\033[2J");
			printf("pvschedctl status, every %gs (Ctrl-C to quit)\n\n",
			       interval);
		}
		ret = status_once();
		fflush(stdout);
		ts.tv_sec = (time_t)interval;
		ts.tv_nsec = (long)((interval - ts.tv_sec) * 1e9);
		while (!stop_signal && nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	(void)ret;
	return EXIT_OK;
}
