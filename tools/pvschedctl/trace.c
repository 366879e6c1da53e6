// SPDX-License-Identifier: GPL-2.0
/*
 * pvschedctl trace: live pvsched: (and with --kvm some kvm:) trace events,
 * read from a private tracing instance "pvschedctl-<pid>" that is removed
 * again on exit, SIGINT/SIGTERM or after --duration.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tracefs.h>

#include "json_print.h"
#include "main.h"

static const char *const kvm_events[] = {
	"kvm_entry",	    "kvm_exit",		   "kvm_inj_virq",
	"kvm_vcpu_wakeup", "kvm_apic_accept_irq", NULL,
};

static void trace_help(void)
{
	printf("Usage: pvschedctl trace [--kvm] [--duration SECS]\n"
	       "       pvschedctl trace help\n"
	       "\n"
	       "Streams the pvsched: trace events (with --kvm also kvm:kvm_entry,\n"
	       "kvm_exit, kvm_inj_virq, kvm_vcpu_wakeup, kvm_apic_accept_irq) from a\n"
	       "private tracing instance, one line per event, or one JSON object per\n"
	       "line with -j.  Stops on SIGINT/SIGTERM or after --duration SECS;\n"
	       "the instance is removed on exit.  Needs root and tracefs.\n");
}

static bool parse_ll(const char *s, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, strncmp(s, "0x", 2) ? 10 : 16);
	return *s && !*end && !errno;
}

/*
 * A trace_pipe line:
 *   "  comm-pid  [cpu] flags  secs.usecs: event: fields"
 */
static void print_event_json(char *line)
{
	char *lb, *rb, *p, *task, *dash, *ts, *ev, *rest, *tok, *save = NULL;
	char *raw;
	long long v;

	for (lb = strchr(line, '['); lb; lb = strchr(lb + 1, '[')) {
		rb = lb + 1;
		while (*rb >= '0' && *rb <= '9')
			rb++;
		if (*rb == ']' && rb > lb + 1)
			break;
	}
	if (!lb) {
		new_json_obj();
		print_string(PRINT_JSON, "raw", NULL, line);
		delete_json_obj();
		return;
	}
	*lb = '\0';
	*rb = '\0';
	task = line + strspn(line, " ");
	for (p = task + strlen(task); p > task && p[-1] == ' '; p--)
		p[-1] = '\0';
	dash = strrchr(task, '-');
	p = rb + 1;
	p += strspn(p, " ");
	p += strcspn(p, " "); /* flags */
	p += strspn(p, " ");
	ts = p;
	p = strstr(p, ": ");
	if (!p)
		return;
	*p = '\0';
	ev = p + 2;
	p = strstr(ev, ": ");
	if (p) {
		*p = '\0';
		rest = p + 2;
	} else {
		rest = ev + strlen(ev);
		rest[-1] = rest[-1] == ':' ? '\0' : rest[-1];
	}
	raw = strdup(rest);

	new_json_obj();
	if (dash) {
		*dash = '\0';
		print_string(PRINT_JSON, "comm", NULL, task);
		print_int(PRINT_JSON, "pid", NULL, atoll(dash + 1));
	} else {
		print_string(PRINT_JSON, "comm", NULL, task);
	}
	print_int(PRINT_JSON, "cpu", NULL, atoll(lb + 1));
	{
		unsigned long long sec = 0, usec = 0;

		sscanf(ts, "%llu.%llu", &sec, &usec);
		print_uint(PRINT_JSON, "ts_ns", NULL, sec * 1000000000ULL + usec * 1000ULL);
	}
	print_string(PRINT_JSON, "event", NULL, ev);
	open_json_object("fields");
	for (tok = strtok_r(rest, " ,", &save); tok;
	     tok = strtok_r(NULL, " ,", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq || eq == tok)
			continue;
		*eq = '\0';
		if (parse_ll(eq + 1, &v))
			print_int(PRINT_JSON, tok, NULL, v);
		else
			print_string(PRINT_JSON, tok, NULL, eq + 1);
	}
	close_json_object();
	print_string(PRINT_JSON, "raw", NULL, raw ? raw : "");
	delete_json_obj();
	free(raw);
}

static void emit(char *line)
{
	if (!*line)
		return;
	if (is_json())
		print_event_json(line);
	else
		puts(line);
}

int do_trace(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kvm", no_argument, NULL, 'k' },
		{ "duration", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct tracefs_instance *inst = NULL;
	bool kvm = false, json = is_json(), pretty = false;
	double duration = 0;
	struct timespec start, now;
	char name[64], buf[65536];
	size_t len = 0;
	int c, i, fd = -1, ret = EXIT_FAIL, nkvm = 0;

	/* the option loop of each command (attach.c, status.c): only its cases differ */
	if (getopt_begin(&argc, &argv, trace_help))
		return EXIT_OK;
	while ((c = getopt_cmd(argc, argv, "+jph", opts, &json,
				&pretty)) != -1) {
		switch (c) {
		case 'k':
			kvm = true;
			break;
		case 'd': {
			char *end;

			duration = strtod(optarg, &end);
			if (*end || !(duration > 0))
				return usage_error("trace: bad --duration '%s'",
						   optarg);
			break;
		}
		case 'h':
			trace_help();
			return EXIT_OK;
		default:
			return usage_error("trace: unknown option or missing argument '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("trace: unexpected argument '%s'", argv[optind]);
	/* one JSON object per line: pretty printing would break that */
	if (json || pretty)
		json_setup(true, false);

	if (!module_loaded()) {
		print_err("trace: pvsched module not loaded");
		return EXIT_NOMOD;
	}
	if (!tracefs_tracing_dir()) {
		print_err("trace: tracefs not mounted (mount -t tracefs nodev /sys/kernel/tracing)");
		return EXIT_FAIL;
	}
	snprintf(name, sizeof(name), "pvschedctl-%d", (int)getpid());
	inst = tracefs_instance_create(name);
	if (!inst) {
		print_errno(errno, "trace: create tracing instance %s", name);
		return EXIT_FAIL;
	}
	install_stop_handlers();
	if (tracefs_event_enable(inst, "pvsched", NULL) < 0) {
		print_err("trace: no pvsched: trace events in this kernel's tracefs (is pvsched.ko loaded?)");
		ret = EXIT_NOMOD;
		goto out;
	}
	if (kvm) {
		for (i = 0; kvm_events[i]; i++)
			if (tracefs_event_enable(inst, "kvm", kvm_events[i]) == 0)
				nkvm++;
		if (!nkvm) {
			print_err("trace: --kvm: no kvm: trace events (is kvm loaded?)");
			goto out;
		}
	}
	tracefs_trace_on(inst);
	fd = tracefs_instance_file_open(inst, "trace_pipe", O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		print_errno(errno, "trace: open trace_pipe");
		goto out;
	}
	if (!is_json())
		fprintf(stderr, "pvschedctl: tracing pvsched:%s in instance %s; Ctrl-C to stop\n",
			kvm ? " and kvm:" : "", name);

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!stop_signal) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char *nl;
		ssize_t n;

		if (duration > 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if ((now.tv_sec - start.tv_sec) +
				    (now.tv_nsec - start.tv_nsec) / 1e9 >= duration)
				break;
		}
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = read(fd, buf + len, sizeof(buf) - len - 1);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			print_errno(errno, "trace: read trace_pipe");
			goto out;
		}
		len += n;
		buf[len] = '\0';
		while ((nl = memchr(buf, '\n', len))) {
			size_t used = nl + 1 - buf;

			*nl = '\0';
			emit(buf);
			memmove(buf, nl + 1, len - used);
			len -= used;
		}
		if (len == sizeof(buf) - 1) { /* an absurdly long line */
			buf[len] = '\0';
			emit(buf);
			len = 0;
		}
		fflush(stdout);
	}
	ret = EXIT_OK;
out:
	if (fd >= 0)
		close(fd);
	tracefs_event_disable(inst, NULL, NULL);
	tracefs_trace_off(inst);
	tracefs_instance_destroy(inst);
	tracefs_instance_free(inst);
	return ret;
}
