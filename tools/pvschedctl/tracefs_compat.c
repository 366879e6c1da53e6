// SPDX-License-Identifier: GPL-2.0
/*
 * Fallback for the few libtracefs calls "pvschedctl trace" makes, used only
 * when libtracefs' headers are not usable at build time (libtracefs-dev
 * needs libtraceevent-dev for its headers).  Same semantics, directly on
 * the tracefs file system.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracefs_compat.h"

struct tracefs_instance {
	char dir[PATH_MAX];
};

const char *tracefs_tracing_dir(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing",
					    "/sys/kernel/debug/tracing", NULL };
	struct stat st;
	char path[PATH_MAX];
	int i;

	for (i = 0; dirs[i]; i++) {
		snprintf(path, sizeof(path), "%s/trace_pipe", dirs[i]);
		if (stat(path, &st) == 0)
			return dirs[i];
	}
	return NULL;
}

struct tracefs_instance *tracefs_instance_create(const char *name)
{
	const char *top = tracefs_tracing_dir();
	struct tracefs_instance *inst;

	if (!top) {
		errno = ENODEV;
		return NULL;
	}
	inst = calloc(1, sizeof(*inst));
	if (!inst)
		return NULL;
	snprintf(inst->dir, sizeof(inst->dir), "%s/instances/%s", top, name);
	if (mkdir(inst->dir, 0750) < 0 && errno != EEXIST) {
		free(inst);
		return NULL;
	}
	return inst;
}

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

static int event_write(struct tracefs_instance *inst, const char *system,
		       const char *event, const char *val)
{
	char path[PATH_MAX * 2];

	if (!system)
		snprintf(path, sizeof(path), "%s/events/enable", inst->dir);
	else if (!event)
		snprintf(path, sizeof(path), "%s/events/%s/enable", inst->dir,
			 system);
	else
		snprintf(path, sizeof(path), "%s/events/%s/%s/enable",
			 inst->dir, system, event);
	return write_str(path, val);
}

int tracefs_event_enable(struct tracefs_instance *inst, const char *system,
			 const char *event)
{
	return event_write(inst, system, event, "1");
}

int tracefs_event_disable(struct tracefs_instance *inst, const char *system,
			  const char *event)
{
	return event_write(inst, system, event, "0");
}

static int tracing_on(struct tracefs_instance *inst, const char *val)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/tracing_on", inst->dir);
	return write_str(path, val);
}

int tracefs_trace_on(struct tracefs_instance *inst)
{
	return tracing_on(inst, "1");
}

int tracefs_trace_off(struct tracefs_instance *inst)
{
	return tracing_on(inst, "0");
}

int tracefs_instance_file_open(struct tracefs_instance *inst, const char *file,
			       int mode)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", inst->dir, file);
	return open(path, mode | O_CLOEXEC);
}

int tracefs_instance_destroy(struct tracefs_instance *inst)
{
	return rmdir(inst->dir);
}

void tracefs_instance_free(struct tracefs_instance *inst)
{
	free(inst);
}
