// SPDX-License-Identifier: GPL-2.0
/*
 * pvschedctl status [--watch [SECS]]: module, tracepoints, caps, every VM
 * and vCPU with its state and counters, and the guest's negotiation
 * published by attach.
 *
 * The module's data comes typed, through a /dev/pvsched file of our own:
 * PVSCHED_IOC_GET_INFO (versions, tracepoints, counts) and PVSCHED_IOC_DUMP
 * (every session with its params, every vCPU with its stats; ABI 1.2).
 * Our own session, which has no vCPU, is left out.  The counters are the
 * table of <linux/pvsched_counters.h>: its names are the keys, in its
 * order.  The caps come from the module parameters (caps.c), the attach
 * state, with how each VM was attached (via qmp or pid), from RUN_DIR
 * (state.c): the module's session name is the user's label, not a place
 * for pvschedctl's own bookkeeping.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "json_print.h"
#include "main.h"
#include "state.h"

/* The counters of a vCPU, by name, in the module's order. */
static const struct counter {
	const char *name;
	size_t offset; /* in struct pvsched_vcpu_stats */
} counters[] = {
#define PVSCHED_COUNTER(name, member) \
	{ #name, offsetof(struct pvsched_vcpu_stats, member) },
#include <linux/pvsched_counters.h>
};


/* What the module said, read before anything is printed. */
struct snapshot {
	struct pvsched_info info;
	struct pvsched_dump dump; /* nr_vms, nr_vcpus, len of buf */
	char *buf; /* the records */
};

static void status_help(void)
{
	printf("Usage: pvschedctl status [--watch [SECS]]\n"
	       "       pvschedctl status help\n"
	       "\n"
	       "Shows whether pvsched.ko is loaded, the tracepoint family and events\n"
	       "it attached, the admin caps, and every VM session and vCPU with its\n"
	       "state and counters (from the module's PVSCHED_IOC_GET_INFO and\n"
	       "PVSCHED_IOC_DUMP: root), plus the guest's negotiated features of VMs\n"
	       "attached with \"pvschedctl attach\".  --watch refreshes every SECS\n"
	       "seconds (default 1) until interrupted; with -j it prints one JSON\n"
	       "object per refresh.\n");
}

/*
 * PVSCHED_IOC_DUMP into snap->buf, grown until the records fit (sessions
 * may come between two calls).  0 or -errno.
 */
static int read_dump(int fd, struct snapshot *snap)
{
	size_t len = (snap->info.nr_vms + 4) * sizeof(struct pvsched_dump_vm) +
		     (snap->info.nr_vcpus + 16) *
			     sizeof(struct pvsched_dump_vcpu);
	struct pvsched_dump *d = &snap->dump;
	int tries;

	for (tries = 0; tries < 8; tries++) {
		char *nb = realloc(snap->buf, len);

		if (!nb)
			return -ENOMEM;
		snap->buf = nb;
		memset(d, 0, sizeof(*d));
		d->vm_size = sizeof(struct pvsched_dump_vm);
		d->vcpu_size = sizeof(struct pvsched_dump_vcpu);
		d->buf = (uintptr_t)snap->buf;
		d->len = len;
		if (!ioctl(fd, PVSCHED_IOC_DUMP, d))
			return 0;
		if (errno != ENOSPC)
			return -errno;
		/* what it needs now, and room for a few more vCPUs */
		len = d->len + 16 * sizeof(struct pvsched_dump_vcpu);
	}
	return -ENOSPC;
}

/*
 * The next VM record of the dump at *pos (and its vCPU records at *vcpus),
 * or NULL at the end or if the records would run past it.
 */
static const struct pvsched_dump_vm *next_vm(const struct snapshot *snap,
					     size_t *pos, const char **vcpus)
{
	const struct pvsched_dump *d = &snap->dump;
	const struct pvsched_dump_vm *vm;

	if (*pos + d->vm_size > d->len)
		return NULL;
	vm = (const void *)(snap->buf + *pos);
	*vcpus = snap->buf + *pos + d->vm_size;
	if ((uint64_t)vm->nr_vcpus * d->vcpu_size > d->len - *pos - d->vm_size)
		return NULL;
	*pos += d->vm_size + (size_t)vm->nr_vcpus * d->vcpu_size;
	return vm;
}

/* --- printing ---------------------------------------------------------------- */

/* " key=value" in plain text, "key": value in JSON. */
static void print_kv_uint(const char *key, uint64_t v)
{
	print_fp(" %s=%" PRIu64, key, v);
	print_uint(PRINT_JSON, key, NULL, v);
}

static void print_kv_int(const char *key, int64_t v)
{
	print_fp(" %s=%" PRId64, key, v);
	print_int(PRINT_JSON, key, NULL, v);
}

static void print_kv_string(const char *key, const char *v)
{
	print_fp(" %s=%s", key, v);
	print_string(PRINT_JSON, key, NULL, v);
}

/* " key=policy:prio:nice"; in JSON {"policy", "prio", "nice"}. */
static void print_kv_attr(const char *key, uint32_t policy, uint32_t prio,
			  int32_t nice)
{
	print_fp(" %s=%s:%u:%d", key, policy_name(policy), prio, nice);
	open_json_object(key);
	print_string(PRINT_JSON, "policy", NULL, policy_name(policy));
	print_int(PRINT_JSON, "prio", NULL, prio);
	print_int(PRINT_JSON, "nice", NULL, nice);
	close_json_object();
}

static const char *state_name(uint32_t state)
{
	static const char *const names[] = {
		[PVSCHED_STATE_IDLE] = "idle",
		[PVSCHED_STATE_BOOSTED] = "boosted",
		[PVSCHED_STATE_THROTTLED] = "throttled",
	};

	return state < ARRAY_SIZE(names) ? names[state] : "unknown";
}

/* The head on the vCPU's first line, its counters 4 a line below. */
static void print_vcpu(const struct pvsched_dump_vcpu *c)
{
	const struct pvsched_vcpu_stats *st = &c->stats;
	size_t i;

	open_json_object(NULL);
	print_uint(PRINT_ANY, "vcpu_id", "  vcpu %" PRIu64, st->vcpu_id);
	print_kv_uint("tid", st->tid);
	print_kv_string("state", state_name(st->state));
	print_fp(" status=0x%02x", st->vcpu_status);
	print_uint(PRINT_JSON, "status", NULL, st->vcpu_status);
	print_kv_string("policy", policy_name(st->cur_policy));
	print_kv_uint("prio", st->cur_rt_prio);
	print_kv_int("nice", st->cur_nice);
	print_kv_attr("base", st->base_policy, st->base_rt_prio,
		      st->base_nice);
	for (i = 0; i < ARRAY_SIZE(counters); i++) {
		uint64_t v;

		if (i % 4 == 0)
			print_fp("\n     ");
		memcpy(&v, (const char *)st + counters[i].offset, sizeof(v));
		print_kv_uint(counters[i].name, v);
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
	print_string(PRINT_ANY, "via", ", via %s", st.via);
	print_int(PRINT_ANY, "qemu_pid", ", qemu pid %" PRId64, st.qemu_pid);
	if (st.qmp[0])
		print_fp(", qmp %s", st.qmp);
	print_string(PRINT_JSON, "qmp", NULL, st.qmp);
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

static void print_vm(const struct pvsched_dump_vm *vm, const char *vcpus,
		     uint32_t vcpu_size)
{
	const struct pvsched_params *p = &vm->params;
	char name[PVSCHED_NAME_LEN];
	uint32_t i;

	/* the module's name is NUL-terminated; trust no one */
	snprintf(name, sizeof(name), "%.*s", (int)sizeof(vm->name) - 1,
		 vm->name);
	open_json_object(NULL);
	print_uint(PRINT_ANY, "id", "vm %" PRIu64, vm->vm_id);
	print_kv_string("name", name[0] ? name : "-");
	print_kv_uint("pid", vm->pid);
	print_fp(" vcpus=%u", vm->nr_vcpus);
	print_uint(PRINT_JSON, "nr_vcpus", NULL, vm->nr_vcpus);
	print_kv_attr("cs", p->cs_policy, p->cs_rt_prio, p->cs_nice);
	print_kv_attr("intr", p->intr_policy, p->intr_rt_prio, p->intr_nice);
	print_kv_uint("max_boost_ns", p->max_boost_ns);
	print_kv_uint("throttle_ns", p->throttle_ns);
	print_kv_uint("kick_boost",
		      !(p->flags & PVSCHED_PARAMS_NO_KICK_BOOST));
	print_kv_uint("idle_hold", !(p->flags & PVSCHED_PARAMS_NO_IDLE_HOLD));
	print_kv_uint("irq_hold", !(p->flags & PVSCHED_PARAMS_NO_IRQ_HOLD));
	print_kv_uint("timer_boost",
		      !(p->flags & PVSCHED_PARAMS_NO_TIMER_BOOST));
	print_kv_uint("lazy_demote",
		      !(p->flags & PVSCHED_PARAMS_NO_LAZY_DEMOTE));
	print_nl();
	print_attach(vm->vm_id);
	open_json_array("vcpus");
	for (i = 0; i < vm->nr_vcpus; i++)
		print_vcpu((const void *)(vcpus + (size_t)i * vcpu_size));
	close_json_array();
	close_json_object();
}

/* The module object's members; *nr_vms: sessions but ours. */
static void print_module(const struct pvsched_info *info, uint32_t nr_vms)
{
	char buf[64], names[128];

	snprintf(buf, sizeof(buf), "%u.%u.%u", info->version_major,
		 info->version_minor, info->version_patch);
	print_string(PRINT_ANY, "version", ", version %s", buf);
	snprintf(buf, sizeof(buf), "%u.%u", info->abi_major, info->abi_minor);
	print_string(PRINT_ANY, "abi", ", ABI %s\n", buf);
	print_string(PRINT_JSON, "tp_family", NULL,
		     tp_family_name(info->tp_family));
	print_uint(PRINT_JSON, "tp_events", NULL, info->tp_events);
	print_uint(PRINT_JSON, "nr_vms", NULL, nr_vms);
	print_uint(PRINT_JSON, "nr_vcpus", NULL, info->nr_vcpus);
	print_uint(PRINT_JSON, "pinned_pages", NULL, info->pinned_pages);
	tp_events_str(info->tp_events, names, sizeof(names));
	print_fp("tracepoints: %s (%s)\n", tp_family_name(info->tp_family),
		 names);
	open_json_array("tp_event_names");
	if (info->tp_events) {
		char *tok, *save = NULL;

		for (tok = strtok_r(names, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save))
			print_string(PRINT_JSON, NULL, NULL, tok);
	}
	close_json_array();
	print_fp("vms %u, vcpus %u, pinned pages %" PRIu64 "\n", nr_vms,
		 info->nr_vcpus, (uint64_t)info->pinned_pages);
}

/* --- one report ----------------------------------------------------------------- */

/* GET_INFO and DUMP into *snap; 0, or an exit status after a message. */
static int read_snapshot(struct snapshot *snap)
{
	int fd, ret;

	fd = pvsched_open_info(&snap->info);
	if (fd < 0) {
		print_errno(-fd, "%s", dev_path());
		return fd == -ENOENT ? EXIT_NOMOD : EXIT_FAIL;
	}
	ret = read_dump(fd, snap);
	close(fd);
	if (ret == -ENOTTY) {
		print_err("PVSCHED_IOC_DUMP: pvsched.ko ABI %u.%u has none (ABI 1.2 and later)",
			  snap->info.abi_major, snap->info.abi_minor);
		return EXIT_FAIL;
	}
	if (ret < 0) {
		print_errno(-ret, "PVSCHED_IOC_DUMP");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* One full status report; returns the exit status. */
static int status_once(void)
{
	struct snapshot snap = { 0 };
	const struct pvsched_dump_vm *vm;
	const char *vcpus;
	uint32_t nr_vms = 0;
	size_t pos = 0;
	int ret;

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
	ret = read_snapshot(&snap);
	if (ret != EXIT_OK) {
		print_fp("\n");
		close_json_object();
		delete_json_obj();
		free(snap.buf);
		return ret;
	}
	while ((vm = next_vm(&snap, &pos, &vcpus)))
		nr_vms += vm->vm_id != snap.info.vm_id;
	print_module(&snap.info, nr_vms);
	close_json_object();

	caps_print_inline();

	open_json_array("vms");
	for (pos = 0; (vm = next_vm(&snap, &pos, &vcpus));) {
		if (vm->vm_id == snap.info.vm_id)
			continue;
		print_nl();
		print_vm(vm, vcpus, snap.dump.vcpu_size);
	}
	close_json_array();
	delete_json_obj();
	free(snap.buf);
	return EXIT_OK;
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
