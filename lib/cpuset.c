/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "proclens/cpuset.h"

void pl_cpuset_zero(struct pl_cpuset *s)
{
	memset(s, 0, sizeof(*s));
}

void pl_cpuset_set(struct pl_cpuset *s, unsigned cpu)
{
	if (cpu < PL_CPUSET_MAX)
		s->bits[cpu / 64] |= UINT64_C(1) << (cpu % 64);
}

bool pl_cpuset_has(const struct pl_cpuset *s, unsigned cpu)
{
	return cpu < PL_CPUSET_MAX && (s->bits[cpu / 64] >> (cpu % 64)) & 1;
}

unsigned pl_cpuset_count(const struct pl_cpuset *s)
{
	unsigned n = 0;

	for (size_t i = 0; i < sizeof(s->bits) / sizeof(s->bits[0]); i++)
		n += (unsigned)__builtin_popcountll(s->bits[i]);
	return n;
}

void pl_cpuset_and(struct pl_cpuset *dst, const struct pl_cpuset *other)
{
	for (size_t i = 0; i < sizeof(dst->bits) / sizeof(dst->bits[0]); i++)
		dst->bits[i] &= other->bits[i];
}

int pl_cpuset_nth(const struct pl_cpuset *s, unsigned n)
{
	for (size_t i = 0; i < sizeof(s->bits) / sizeof(s->bits[0]); i++) {
		uint64_t w = s->bits[i];
		unsigned c = (unsigned)__builtin_popcountll(w);

		if (n >= c) {
			n -= c;
			continue;
		}
		while (n--)
			w &= w - 1;
		return (int)(i * 64 + (unsigned)__builtin_ctzll(w));
	}
	return -1;
}

void pl_cpuset_truncate(struct pl_cpuset *s, unsigned n)
{
	unsigned kept = 0;

	for (unsigned cpu = 0; cpu < PL_CPUSET_MAX; cpu++) {
		if (!pl_cpuset_has(s, cpu))
			continue;
		if (kept >= n)
			s->bits[cpu / 64] &= ~(UINT64_C(1) << (cpu % 64));
		else
			kept++;
	}
}

static int parse_num(const char **p, unsigned *out)
{
	unsigned v = 0;

	if (**p < '0' || **p > '9')
		return -EINVAL;
	while (**p >= '0' && **p <= '9') {
		v = v * 10 + (unsigned)(**p - '0');
		if (v >= PL_CPUSET_MAX)
			return -ERANGE;
		(*p)++;
	}
	*out = v;
	return 0;
}

int pl_cpuset_parse(const char *text, struct pl_cpuset *out)
{
	const char *p = text;

	pl_cpuset_zero(out);
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\n' || *p == '\0')
		return 0;
	for (;;) {
		unsigned lo, hi;
		int r = parse_num(&p, &lo);

		if (r < 0)
			return r;
		hi = lo;
		if (*p == '-') {
			p++;
			r = parse_num(&p, &hi);
			if (r < 0)
				return r;
			if (hi < lo)
				return -EINVAL;
		}
		for (unsigned c = lo; c <= hi; c++)
			pl_cpuset_set(out, c);
		if (*p == ',') {
			p++;
			continue;
		}
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		return *p == '\0' ? 0 : -EINVAL;
	}
}

int pl_cpuset_format(const struct pl_cpuset *s, char *buf, size_t size)
{
	size_t len = 0;
	int cpu = 0;

	if (size == 0)
		return -ENOSPC;
	buf[0] = '\0';
	while (cpu < PL_CPUSET_MAX) {
		int lo, hi, n;

		if (!pl_cpuset_has(s, (unsigned)cpu)) {
			cpu++;
			continue;
		}
		lo = hi = cpu;
		while (hi + 1 < PL_CPUSET_MAX && pl_cpuset_has(s, (unsigned)hi + 1))
			hi++;
		if (lo == hi)
			n = snprintf(buf + len, size - len, "%s%d", len ? "," : "", lo);
		else
			n = snprintf(buf + len, size - len, "%s%d-%d", len ? "," : "", lo, hi);
		if (n < 0 || (size_t)n >= size - len)
			return -ENOSPC;
		len += (size_t)n;
		cpu = hi + 1;
	}
	return (int)len;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int pl_cpuset_parse_mask(const char *text, struct pl_cpuset *out)
{
	size_t len = strlen(text);
	unsigned bit = 0;

	pl_cpuset_zero(out);
	while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
		len--;
	if (len == 0)
		return -EINVAL;
	/* Least significant digit last: walk backwards. */
	for (size_t i = len; i-- > 0;) {
		int d;

		if (text[i] == ',')
			continue;
		d = hex_digit(text[i]);
		if (d < 0)
			return -EINVAL;
		for (unsigned b = 0; b < 4; b++, bit++)
			if (d & (1 << b)) {
				if (bit >= PL_CPUSET_MAX)
					return -ERANGE;
				pl_cpuset_set(out, bit);
			}
	}
	return 0;
}

int pl_cpuset_format_mask(const struct pl_cpuset *s, unsigned min_cpus, char *buf, size_t size)
{
	unsigned highest = 0, words;
	size_t len = 0;

	for (unsigned cpu = 0; cpu < PL_CPUSET_MAX; cpu++)
		if (pl_cpuset_has(s, cpu))
			highest = cpu + 1;
	if (min_cpus > highest)
		highest = min_cpus;
	words = highest ? (highest + 31) / 32 : 1;
	for (unsigned w = words; w-- > 0;) {
		uint32_t word = 0;
		int n;

		for (unsigned b = 0; b < 32; b++)
			if (pl_cpuset_has(s, w * 32 + b))
				word |= UINT32_C(1) << b;
		n = snprintf(buf + len, size - len, "%s%08x", len ? "," : "", word);
		if (n < 0 || (size_t)n >= size - len)
			return -ENOSPC;
		len += (size_t)n;
	}
	return (int)len;
}

void pl_cpuset_renumber(const struct pl_cpuset *host, const struct pl_cpuset *visible, struct pl_cpuset *out)
{
	unsigned idx = 0;

	pl_cpuset_zero(out);
	for (unsigned cpu = 0; cpu < PL_CPUSET_MAX; cpu++) {
		if (!pl_cpuset_has(visible, cpu))
			continue;
		if (pl_cpuset_has(host, cpu))
			pl_cpuset_set(out, idx);
		idx++;
	}
}
