// SPDX-License-Identifier: GPL-2.0
/*
 * The print_* helpers: plain text with printf, JSON with json-c (the
 * library that also parses QMP, see qmp.h).  In JSON mode the document is
 * built between new_json_obj() and delete_json_obj() and printed there,
 * on one line (-j) or indented (-p).
 */
#include <stdarg.h>
#include <stdlib.h>

#include <json.h>

#include "json_print.h"

#define JSON_MAX_DEPTH 32

static bool json_mode;
static bool json_pretty;
/* the open containers, [0] the top-level object; depth 0: no document */
static json_object *stack[JSON_MAX_DEPTH];
static int depth;

static void __attribute__((noreturn)) json_fail(const char *why)
{
	fprintf(stderr, "pvschedctl: json: %s\n", why);
	exit(3);
}

static json_object *checked(json_object *v)
{
	if (!v)
		json_fail("out of memory");
	return v;
}

void json_setup(bool json, bool pretty)
{
	/* options may come before and after the object: they accumulate */
	json_mode = json_mode || json || pretty;
	json_pretty = json_pretty || pretty;
}

bool is_json(void)
{
	return json_mode;
}

void new_json_obj(void)
{
	if (!json_mode || depth)
		return;
	stack[depth++] = checked(json_object_new_object());
}

void delete_json_obj(void)
{
	/* "/" as is; -p: "key": value, two spaces an indent level */
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
		    (json_pretty ?
			     JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED :
			     JSON_C_TO_STRING_PLAIN);
	const char *text;

	if (!depth)
		return;
	text = json_object_to_json_string_ext(stack[0], flags);
	if (!text)
		json_fail("out of memory");
	fputs(text, stdout);
	fputc('\n', stdout);
	fflush(stdout);
	json_object_put(stack[0]);
	depth = 0;
}

static bool do_json(enum output_type t)
{
	return json_mode && (t & PRINT_JSON) && depth;
}

static bool do_fp(enum output_type t)
{
	return !json_mode && (t & PRINT_FP);
}

/*
 * Adds v to the innermost container: under key in an object (a key given
 * again replaces the value), appended in an array (key ignored).
 */
static void json_add(const char *key, json_object *v)
{
	json_object *parent = stack[depth - 1];
	int r;

	if (json_object_is_type(parent, json_type_array)) {
		r = json_object_array_add(parent, v);
	} else if (key) {
		r = json_object_object_add(parent, key, v);
	} else {
		json_object_put(v); /* a value without a name in an object */
		return;
	}
	if (r) {
		json_object_put(v);
		json_fail("out of memory");
	}
}

static void json_open(const char *key, json_object *v)
{
	if (!depth)
		return;
	if (depth == JSON_MAX_DEPTH)
		json_fail("nested too deep");
	checked(v);
	json_add(key, v);
	stack[depth++] = v;
}

static void json_close(void)
{
	/* the top-level object is closed by delete_json_obj() */
	if (depth > 1)
		depth--;
}

void open_json_object(const char *key)
{
	if (depth)
		json_open(key, json_object_new_object());
}

void close_json_object(void)
{
	json_close();
}

void open_json_array(const char *key)
{
	if (depth)
		json_open(key, json_object_new_array());
}

void close_json_array(void)
{
	json_close();
}

void print_string(enum output_type t, const char *key, const char *fmt,
		  const char *value)
{
	if (do_json(t))
		json_add(key,
			 value ? checked(json_object_new_string(value)) : NULL);
	else if (do_fp(t) && fmt)
		printf(fmt, value ? value : "-");
}

void print_uint(enum output_type t, const char *key, const char *fmt,
		uint64_t value)
{
	if (do_json(t))
		json_add(key, checked(json_object_new_uint64(value)));
	else if (do_fp(t) && fmt)
		printf(fmt, value);
}

void print_int(enum output_type t, const char *key, const char *fmt,
	       int64_t value)
{
	if (do_json(t))
		json_add(key, checked(json_object_new_int64(value)));
	else if (do_fp(t) && fmt)
		printf(fmt, value);
}

void print_hex(enum output_type t, const char *key, const char *fmt,
	       uint64_t value)
{
	print_uint(t, key, fmt, value);
}

void print_bool(enum output_type t, const char *key, const char *fmt,
		bool value)
{
	if (do_json(t))
		json_add(key, checked(json_object_new_boolean(value)));
	else if (do_fp(t) && fmt)
		printf(fmt, value ? "yes" : "no");
}

void print_null(enum output_type t, const char *key, const char *fmt)
{
	if (do_json(t))
		json_add(key, NULL); /* json-c's null */
	else if (do_fp(t) && fmt)
		fputs(fmt, stdout);
}

void print_fp(const char *fmt, ...)
{
	va_list ap;

	if (json_mode)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void print_nl(void)
{
	if (!json_mode)
		putchar('\n');
}
