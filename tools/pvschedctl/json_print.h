/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One printing path for plain text and JSON (iproute2's print_* style).
 *
 * Every print_*() takes a PRINT_* mode, a JSON key (NULL inside arrays)
 * and a printf format for plain text.  In JSON mode the key and the value
 * go to the JSON writer and the format is ignored; in plain mode only the
 * format is used.  PRINT_FP prints only in plain mode, PRINT_JSON only in
 * JSON mode, PRINT_ANY in both.
 *
 * JSON mode builds the document with json-c between new_json_obj() and
 * delete_json_obj(), which prints it on one line (-j) or indented (-p).
 */
#ifndef PVSCHEDCTL_JSON_PRINT_H
#define PVSCHEDCTL_JSON_PRINT_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum output_type {
	PRINT_FP = 1,
	PRINT_JSON = 2,
	PRINT_ANY = PRINT_FP | PRINT_JSON,
};

/* Set once by main() from -j/-p. */
void json_setup(bool json, bool pretty);
bool is_json(void);

/* Open the top-level JSON value (an object) / close it and flush. */
void new_json_obj(void);
void delete_json_obj(void);

void open_json_object(const char *key);
void close_json_object(void);
void open_json_array(const char *key);
void close_json_array(void);

void print_string(enum output_type t, const char *key, const char *fmt,
		  const char *value);
void print_uint(enum output_type t, const char *key, const char *fmt,
		uint64_t value);
void print_int(enum output_type t, const char *key, const char *fmt,
	       int64_t value);
void print_bool(enum output_type t, const char *key, const char *fmt,
		bool value);
void print_null(enum output_type t, const char *key, const char *fmt);
/* Hex in plain text (fmt), a number in JSON. */
void print_hex(enum output_type t, const char *key, const char *fmt,
	       uint64_t value);
/* Plain text only: printf-style. */
void print_fp(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void print_nl(void);

#endif
