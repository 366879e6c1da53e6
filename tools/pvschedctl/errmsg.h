/* SPDX-License-Identifier: GPL-2.0 */
/*
 * set_err(): the "error with a message" of the modules that report into a
 * caller's buffer rather than to stderr (qmp.c, owner.c), so that tests
 * and the fuzzer can check the message.  Header-only: each of those files
 * is also built alone, with its tests.
 */
#ifndef PVSCHEDCTL_ERRMSG_H
#define PVSCHEDCTL_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* printf into err (errlen bytes, nothing if 0), always terminated. */
static inline void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

#endif
