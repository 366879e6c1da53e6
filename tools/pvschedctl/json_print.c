// SPDX-License-Identifier: GPL-2.0
/*
 * A small JSON writer and the print_* helpers on top of it.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json_print.h"

#define JSONW_MAX_DEPTH 32

struct jsonw {
	FILE *f;
	bool pretty;
	int depth;
	/* per depth: no element written yet */
	bool first[JSONW_MAX_DEPTH];
	/* a name was just written: the value follows on the same line */
	bool after_name;
};

void json_escape_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			/* control characters and DEL; UTF-8 passes through */
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

struct jsonw *jsonw_new(FILE *f, bool pretty)
{
	struct jsonw *jw = calloc(1, sizeof(*jw));

	if (!jw)
		return NULL;
	jw->f = f;
	jw->pretty = pretty;
	jw->first[0] = true;
	return jw;
}

void jsonw_destroy(struct jsonw **jw)
{
	if (!*jw)
		return;
	if ((*jw)->depth == 0)
		fputc('\n', (*jw)->f);
	fflush((*jw)->f);
	free(*jw);
	*jw = NULL;
}

static void jsonw_indent(struct jsonw *jw)
{
	int i;

	if (!jw->pretty)
		return;
	fputc('\n', jw->f);
	for (i = 0; i < jw->depth; i++)
		fputs("    ", jw->f);
}

/* Separator and indentation before a new element (name or value). */
static void jsonw_elem(struct jsonw *jw)
{
	if (jw->after_name) {
		jw->after_name = false;
		return;
	}
	if (!jw->first[jw->depth])
		fputc(',', jw->f);
	if (jw->depth > 0)
		jsonw_indent(jw);
	jw->first[jw->depth] = false;
}

static void jsonw_open(struct jsonw *jw, char c)
{
	jsonw_elem(jw);
	fputc(c, jw->f);
	if (jw->depth < JSONW_MAX_DEPTH - 1)
		jw->depth++;
	jw->first[jw->depth] = true;
}

static void jsonw_close(struct jsonw *jw, char c)
{
	bool empty = jw->first[jw->depth];

	if (jw->depth > 0)
		jw->depth--;
	if (!empty)
		jsonw_indent(jw);
	fputc(c, jw->f);
}

void jsonw_start_object(struct jsonw *jw)
{
	jsonw_open(jw, '{');
}

void jsonw_end_object(struct jsonw *jw)
{
	jsonw_close(jw, '}');
}

void jsonw_start_array(struct jsonw *jw)
{
	jsonw_open(jw, '[');
}

void jsonw_end_array(struct jsonw *jw)
{
	jsonw_close(jw, ']');
}

void jsonw_name(struct jsonw *jw, const char *name)
{
	jsonw_elem(jw);
	json_escape_string(jw->f, name);
	fputs(jw->pretty ? ": " : ":", jw->f);
	jw->after_name = true;
}

void jsonw_string(struct jsonw *jw, const char *value)
{
	jsonw_elem(jw);
	json_escape_string(jw->f, value);
}

void jsonw_uint(struct jsonw *jw, uint64_t value)
{
	jsonw_elem(jw);
	fprintf(jw->f, "%" PRIu64, value);
}

void jsonw_int(struct jsonw *jw, int64_t value)
{
	jsonw_elem(jw);
	fprintf(jw->f, "%" PRId64, value);
}

void jsonw_bool(struct jsonw *jw, bool value)
{
	jsonw_elem(jw);
	fputs(value ? "true" : "false", jw->f);
}

void jsonw_null(struct jsonw *jw)
{
	jsonw_elem(jw);
	fputs("null", jw->f);
}

/* --- print_* ------------------------------------------------------------- */

static bool json_mode;
static bool json_pretty;
static struct jsonw *out_jw;

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
	if (!json_mode || out_jw)
		return;
	out_jw = jsonw_new(stdout, json_pretty);
	if (!out_jw) {
		perror("pvschedctl: json");
		exit(3);
	}
	jsonw_start_object(out_jw);
}

void delete_json_obj(void)
{
	if (!out_jw)
		return;
	jsonw_end_object(out_jw);
	jsonw_destroy(&out_jw);
}

static bool do_json(enum output_type t)
{
	return json_mode && (t & PRINT_JSON) && out_jw;
}

static bool do_fp(enum output_type t)
{
	return !json_mode && (t & PRINT_FP);
}

static void json_key(const char *key)
{
	if (key)
		jsonw_name(out_jw, key);
}

void open_json_object(const char *key)
{
	if (!out_jw)
		return;
	json_key(key);
	jsonw_start_object(out_jw);
}

void close_json_object(void)
{
	if (out_jw)
		jsonw_end_object(out_jw);
}

void open_json_array(const char *key)
{
	if (!out_jw)
		return;
	json_key(key);
	jsonw_start_array(out_jw);
}

void close_json_array(void)
{
	if (out_jw)
		jsonw_end_array(out_jw);
}

void print_string(enum output_type t, const char *key, const char *fmt,
		  const char *value)
{
	if (do_json(t)) {
		json_key(key);
		if (value)
			jsonw_string(out_jw, value);
		else
			jsonw_null(out_jw);
	} else if (do_fp(t) && fmt) {
		printf(fmt, value ? value : "-");
	}
}

void print_uint(enum output_type t, const char *key, const char *fmt,
		uint64_t value)
{
	if (do_json(t)) {
		json_key(key);
		jsonw_uint(out_jw, value);
	} else if (do_fp(t) && fmt) {
		printf(fmt, value);
	}
}

void print_int(enum output_type t, const char *key, const char *fmt,
	       int64_t value)
{
	if (do_json(t)) {
		json_key(key);
		jsonw_int(out_jw, value);
	} else if (do_fp(t) && fmt) {
		printf(fmt, value);
	}
}

void print_hex(enum output_type t, const char *key, const char *fmt,
	       uint64_t value)
{
	print_uint(t, key, fmt, value);
}

void print_bool(enum output_type t, const char *key, const char *fmt,
		bool value)
{
	if (do_json(t)) {
		json_key(key);
		jsonw_bool(out_jw, value);
	} else if (do_fp(t) && fmt) {
		printf(fmt, value ? "yes" : "no");
	}
}

void print_null(enum output_type t, const char *key, const char *fmt)
{
	if (do_json(t)) {
		json_key(key);
		jsonw_null(out_jw);
	} else if (do_fp(t) && fmt) {
		fputs(fmt, stdout);
	}
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
