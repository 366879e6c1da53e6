/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libtracefs if its headers are usable, else the subset in
 * tracefs_compat.c (see the Makefile).
 */
#ifndef PVSCHEDCTL_TRACEFS_COMPAT_H
#define PVSCHEDCTL_TRACEFS_COMPAT_H

#ifndef PVSCHEDCTL_NO_LIBTRACEFS
#include <tracefs.h>
#else
struct tracefs_instance;

const char *tracefs_tracing_dir(void);
struct tracefs_instance *tracefs_instance_create(const char *name);
int tracefs_event_enable(struct tracefs_instance *inst, const char *system,
			 const char *event);
int tracefs_event_disable(struct tracefs_instance *inst, const char *system,
			  const char *event);
int tracefs_trace_on(struct tracefs_instance *inst);
int tracefs_trace_off(struct tracefs_instance *inst);
int tracefs_instance_file_open(struct tracefs_instance *inst, const char *file,
			       int mode);
int tracefs_instance_destroy(struct tracefs_instance *inst);
void tracefs_instance_free(struct tracefs_instance *inst);
#endif

#endif
