/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PASS/FAIL lines of pvschedctl's C test programs (qmp-test,
 * owner-test): "PASS <prefix><name>", or "FAIL <prefix><name> (why)" and a
 * failure counted.  Define RESULT_PREFIX before including it.
 */
#ifndef PVSCHEDCTL_TEST_RESULT_H
#define PVSCHEDCTL_TEST_RESULT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int failures;

static void result(const char *name, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void result(const char *name, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("PASS " RESULT_PREFIX "%s\n", name);
	} else {
		failures++;
		printf("FAIL " RESULT_PREFIX "%s (", name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf(")\n");
	}
	fflush(stdout);
}

#endif
