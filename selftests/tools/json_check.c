// SPDX-License-Identifier: GPL-2.0
/*
 * json_check - a strict JSON (RFC 8259) validator for the selftests: the
 * test VM has neither python nor jq.
 *
 *   json_check [-l] [-t array|object] [FILE]
 *
 * Reads FILE (default: standard input). Without -l the whole input must be
 * exactly one JSON value (surrounded by whitespace at most); with -l every
 * line must be one value (JSON lines, as "nicctl -j monitor" and
 * "nicctl -j stats show --watch" print them) and there must be at least one
 * line. -t: each value must be an array or an object. Exit 0 when valid,
 * 1 when not (the reason and the byte offset on stderr), 2 on usage or I/O
 * errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_DEPTH 512

struct parser {
	const unsigned char *s;
	size_t len, pos;
	const char *err;
};

static int fail(struct parser *p, const char *why)
{
	if (!p->err)
		p->err = why;
	return -1;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static int peek(struct parser *p)
{
	return p->pos < p->len ? p->s[p->pos] : -1;
}

static int literal(struct parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return fail(p, "invalid literal");
	p->pos += n;
	return 0;
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int number(struct parser *p)
{
	if (peek(p) == '-')
		p->pos++;
	if (peek(p) == '0') {
		p->pos++;
	} else if (is_digit(peek(p))) {
		while (is_digit(peek(p)))
			p->pos++;
	} else {
		return fail(p, "invalid number");
	}
	if (peek(p) == '.') {
		p->pos++;
		if (!is_digit(peek(p)))
			return fail(p, "invalid number: no digit after '.'");
		while (is_digit(peek(p)))
			p->pos++;
	}
	if (peek(p) == 'e' || peek(p) == 'E') {
		p->pos++;
		if (peek(p) == '+' || peek(p) == '-')
			p->pos++;
		if (!is_digit(peek(p)))
			return fail(p, "invalid number: no digit in the exponent");
		while (is_digit(peek(p)))
			p->pos++;
	}
	return 0;
}

static int hex4(struct parser *p, unsigned int *v)
{
	int i, c;

	*v = 0;
	for (i = 0; i < 4; i++) {
		c = peek(p);
		if (c >= '0' && c <= '9')
			*v = *v * 16 + (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v = *v * 16 + (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v = *v * 16 + (unsigned int)(c - 'A' + 10);
		else
			return fail(p, "invalid \\u escape");
		p->pos++;
	}
	return 0;
}

/* One UTF-8 sequence starting at a byte >= 0x80 (no overlongs, no
 * surrogates, nothing above U+10FFFF). */
static int utf8(struct parser *p)
{
	unsigned int c = p->s[p->pos], cp, min;
	int n, i;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 1; cp = c & 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2; cp = c & 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3; cp = c & 0x07; min = 0x10000;
	} else {
		return fail(p, "invalid UTF-8");
	}
	p->pos++;
	for (i = 0; i < n; i++) {
		if (p->pos >= p->len || (p->s[p->pos] & 0xc0) != 0x80)
			return fail(p, "invalid UTF-8");
		cp = cp << 6 | (p->s[p->pos] & 0x3f);
		p->pos++;
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return fail(p, "invalid UTF-8");
	return 0;
}

static int string(struct parser *p)
{
	unsigned int u, lo;
	int c;

	p->pos++; /* the opening quote */
	for (;;) {
		c = peek(p);
		if (c < 0)
			return fail(p, "unterminated string");
		if (c == '"') {
			p->pos++;
			return 0;
		}
		if (c < 0x20)
			return fail(p, "control character in a string");
		if (c >= 0x80) {
			if (utf8(p))
				return -1;
			continue;
		}
		p->pos++;
		if (c != '\\')
			continue;
		c = peek(p);
		p->pos++;
		switch (c) {
		case '"': case '\\': case '/': case 'b':
		case 'f': case 'n': case 'r': case 't':
			break;
		case 'u':
			if (hex4(p, &u))
				return -1;
			if (u >= 0xdc00 && u <= 0xdfff)
				return fail(p, "lone low surrogate");
			if (u >= 0xd800 && u <= 0xdbff) {
				if (p->len - p->pos < 2 || p->s[p->pos] != '\\' ||
				    p->s[p->pos + 1] != 'u')
					return fail(p, "high surrogate without its low half");
				p->pos += 2;
				if (hex4(p, &lo))
					return -1;
				if (lo < 0xdc00 || lo > 0xdfff)
					return fail(p, "high surrogate without its low half");
			}
			break;
		default:
			return fail(p, "invalid escape");
		}
	}
}

static int value(struct parser *p, int depth);

static int container(struct parser *p, int depth, int close)
{
	int first = 1;

	if (depth >= MAX_DEPTH)
		return fail(p, "nested too deeply");
	p->pos++; /* [ or { */
	skip_ws(p);
	if (peek(p) == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		if (!first) {
			skip_ws(p);
			if (peek(p) == close) {
				p->pos++;
				return 0;
			}
			if (peek(p) != ',')
				return fail(p, close == ']' ? "expected ',' or ']'" :
							      "expected ',' or '}'");
			p->pos++;
		}
		first = 0;
		skip_ws(p);
		if (close == '}') {
			if (peek(p) != '"')
				return fail(p, "expected a string key");
			if (string(p))
				return -1;
			skip_ws(p);
			if (peek(p) != ':')
				return fail(p, "expected ':'");
			p->pos++;
			skip_ws(p);
		}
		if (value(p, depth + 1))
			return -1;
	}
}

static int value(struct parser *p, int depth)
{
	switch (peek(p)) {
	case '{':
		return container(p, depth, '}');
	case '[':
		return container(p, depth, ']');
	case '"':
		return string(p);
	case 't':
		return literal(p, "true");
	case 'f':
		return literal(p, "false");
	case 'n':
		return literal(p, "null");
	case -1:
		return fail(p, "no value");
	default:
		if (peek(p) == '-' || is_digit(peek(p)))
			return number(p);
		return fail(p, "unexpected character");
	}
}

/* One document: whitespace, a value, whitespace. */
static int document(const unsigned char *s, size_t len, const char *type,
		    const char *where, size_t base)
{
	struct parser p = { s, len, 0, NULL };
	int c;

	skip_ws(&p);
	c = peek(&p);
	if (type && c != (strcmp(type, "array") == 0 ? '[' : '{'))
		fail(&p, strcmp(type, "array") == 0 ? "not an array" : "not an object");
	else if (value(&p, 0) == 0) {
		skip_ws(&p);
		if (p.pos != p.len)
			fail(&p, "trailing data after the value");
	}
	if (p.err) {
		fprintf(stderr, "json_check: %s: %s at byte %zu\n", where, p.err,
			base + p.pos);
		return 1;
	}
	return 0;
}

static unsigned char *slurp(FILE *f, size_t *len)
{
	size_t cap = 65536, n = 0, r;
	unsigned char *buf = malloc(cap), *nb;

	if (!buf)
		return NULL;
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
	}
	if (ferror(f)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static void usage(void)
{
	fprintf(stderr, "usage: json_check [-l] [-t array|object] [FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *type = NULL, *name = "<stdin>";
	unsigned char *buf;
	size_t len, start, end, lines = 0;
	int opt, lines_mode = 0, bad = 0;
	FILE *f = stdin;
	char where[64];

	while ((opt = getopt(argc, argv, "lt:")) != -1) {
		switch (opt) {
		case 'l':
			lines_mode = 1;
			break;
		case 't':
			if (strcmp(optarg, "array") && strcmp(optarg, "object"))
				usage();
			type = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind > 1)
		usage();
	if (argc - optind == 1 && strcmp(argv[optind], "-") != 0) {
		name = argv[optind];
		f = fopen(name, "rb");
		if (!f) {
			fprintf(stderr, "json_check: %s: %s\n", name, strerror(errno));
			return 2;
		}
	}
	buf = slurp(f, &len);
	if (!buf) {
		fprintf(stderr, "json_check: %s: cannot read\n", name);
		return 2;
	}
	if (!lines_mode)
		return document(buf, len, type, name, 0);

	for (start = 0; start < len; start = end + 1) {
		for (end = start; end < len && buf[end] != '\n'; end++)
			;
		lines++;
		snprintf(where, sizeof(where), "line %zu", lines);
		bad |= document(buf + start, end - start, type, where, start);
	}
	if (lines == 0) {
		fprintf(stderr, "json_check: %s: no lines\n", name);
		return 1;
	}
	return bad;
}
