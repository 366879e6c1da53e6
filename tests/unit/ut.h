/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A very small unit-test framework: groups of checks, one PASS/FAIL line
 * per group on stdout ("PASS unit-<group>"), failure details on stderr.
 */
#ifndef _PVSCHED_UT_H
#define _PVSCHED_UT_H

#include <stdio.h>

extern int ut_group_failed;
extern int ut_failed_groups;

#define UT_CHECK(cond)                                                      \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: check failed: %s\n",        \
				__FILE__, __LINE__, #cond);                 \
			ut_group_failed = 1;                                \
		}                                                           \
	} while (0)

#define UT_EQ(a, b)                                                         \
	do {                                                                \
		long long _a = (long long)(a), _b = (long long)(b);        \
		if (_a != _b) {                                             \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", \
				__FILE__, __LINE__, #a, _a, #b, _b);        \
			ut_group_failed = 1;                                \
		}                                                           \
	} while (0)

/* Unsigned 64-bit equality (counters, times). */
#define UT_EQU(a, b)                                                        \
	do {                                                                \
		unsigned long long _a = (a), _b = (b);                      \
		if (_a != _b) {                                             \
			fprintf(stderr, "%s:%d: %s == %llu, expected %llu\n", \
				__FILE__, __LINE__, #a, _a, _b);            \
			ut_group_failed = 1;                                \
		}                                                           \
	} while (0)

static inline void ut_run(const char *name, void (*fn)(void))
{
	ut_group_failed = 0;
	fn();
	printf("%s unit-%s\n", ut_group_failed ? "FAIL" : "PASS", name);
	fflush(stdout);
	if (ut_group_failed)
		ut_failed_groups++;
}

#endif
