/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gofmt.c - a Go fmt.Sprintf for one operand, and strconv float formatting.
 *
 * The printf loop follows the structure of Go's fmt package (flags, width,
 * precision, argument index, verb; then the operand printed according to
 * its Go type), so that malformed formats produce the same "%!verb(...)"
 * markers.  Floats: fixed precisions go through the C library, which rounds
 * exactly as Go does; the shortest representation is found by trying
 * increasing precisions until the text reads back to the same double.
 */
#include "fl-common.h"

#include <math.h>

#include "filters/conv.h"
#include "filters/gofmt.h"
#include "filters/unicase.h"
#include "hex.h"

#define TOO_LARGE 1000000
#define MAX_DEPTH 64

struct flags {
	bool plus, minus, sharp, space, zero;
	bool plus_v, sharp_v;
	bool wid_present, prec_present;
	int wid, prec;
};

struct printer {
	struct fl_buf *out;
	struct flags f;
};


/* --- padding --- */

static void write_padding(struct printer *p, int n)
{
	char c = p->f.zero ? '0' : ' ';
	for (int k = 0; k < n && !fl_buf_failed(p->out); k++)
		fl_buf_addc(p->out, c);
}

static void pad(struct printer *p, const char *s, size_t n)
{
	int width;

	if (!p->f.wid_present || p->f.wid == 0) {
		fl_buf_add(p->out, s, n);
		return;
	}
	width = p->f.wid - (int)FL_MIN(fl_utf8_count(s, n), (size_t)INT_MAX / 2);
	if (!p->f.minus) {
		write_padding(p, width);
		fl_buf_add(p->out, s, n);
	} else {
		fl_buf_add(p->out, s, n);
		write_padding(p, width);
	}
}

static void pads(struct printer *p, const char *s)
{
	pad(p, s, strlen(s));
}

/* --- floats (strconv) --- */

/* Shortest round-trip digits of |d| (d finite, non-zero): digits, count, decimal point position. */
static void shortest_digits(double d, char *digits, int *nd, int *dp)
{
	char tmp[48], *e;
	int prec, k = 0;

	for (prec = 0; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec, fabs(d));
		if (strtod(tmp, NULL) == fabs(d))
			break;
	}
	if (prec == 17)
		snprintf(tmp, sizeof(tmp), "%.*e", 16, fabs(d));
	e = strchr(tmp, 'e');
	for (char *q = tmp; q < e; q++) {
		if (*q != '.')
			digits[k++] = *q;
	}
	while (k > 1 && digits[k - 1] == '0')
		k--;
	digits[k] = '\0';
	*nd = k;
	*dp = (int)strtol(e + 1, NULL, 10) + 1;
}

/* Go's exponent: at least two digits. */
static void add_exponent(struct fl_buf *out, char e, int exp)
{
	fl_buf_addf(out, "%c%c%02d", e, exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
}

/* %e of the digits with `prec` decimals (digits already rounded to prec + 1 places). */
static void fmt_e_digits(struct fl_buf *out, const char *digits, int nd, int dp, int prec, char e)
{
	fl_buf_addc(out, digits[0]);
	if (prec > 0) {
		fl_buf_addc(out, '.');
		for (int k = 1; k <= prec; k++)
			fl_buf_addc(out, k < nd ? digits[k] : '0');
	}
	add_exponent(out, e, digits[0] == '0' ? 0 : dp - 1);
}

/* %f of the digits with `prec` decimals (exact: no rounding needed). */
static void fmt_f_digits(struct fl_buf *out, const char *digits, int nd, int dp, int prec)
{
	if (dp > 0) {
		for (int k = 0; k < dp; k++)
			fl_buf_addc(out, k < nd ? digits[k] : '0');
	} else {
		fl_buf_addc(out, '0');
	}
	if (prec > 0) {
		fl_buf_addc(out, '.');
		for (int k = 0; k < prec; k++) {
			int j = dp + k;
			fl_buf_addc(out, j >= 0 && j < nd ? digits[j] : '0');
		}
	}
}

/* Go's %x for floats: C's %a with a two-digit exponent. */
static void fmt_hex_float(struct fl_buf *out, double d, int prec, bool upper)
{
	char tmp[64], *p;

	if (prec < 0)
		snprintf(tmp, sizeof(tmp), upper ? "%A" : "%a", d);
	else
		snprintf(tmp, sizeof(tmp), upper ? "%.*A" : "%.*a", prec, d);
	p = strchr(tmp, upper ? 'P' : 'p');
	if (!p) {
		fl_buf_adds(out, tmp);
		return;
	}
	fl_buf_add(out, tmp, (size_t)(p - tmp));
	add_exponent(out, *p, (int)strtol(p + 1, NULL, 10));
}

/* Go's %b for floats: integer mantissa and binary exponent. */
static void fmt_binary_float(struct fl_buf *out, double d)
{
	uint64_t bits;
	uint64_t mant;
	int exp;

	memcpy(&bits, &d, sizeof(bits));
	mant = bits & ((UINT64_C(1) << 52) - 1);
	exp = (int)((bits >> 52) & 0x7FF);
	if (exp == 0)
		exp++;
	else
		mant |= UINT64_C(1) << 52;
	exp -= 1075;
	if (bits >> 63)
		fl_buf_addc(out, '-');
	fl_buf_addf(out, "%" PRIu64 "p%c%d", mant, exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
}

void fl_gofmt_float(struct fl_buf *out, double d, char verb, int prec)
{
	char digits[24];
	int nd, dp, eprec, exp;

	if (isnan(d)) {
		fl_buf_adds(out, "NaN");
		return;
	}
	if (isinf(d)) {
		fl_buf_adds(out, d > 0 ? "+Inf" : "-Inf");
		return;
	}
	switch (verb) {
	case 'x':
	case 'X':
		fmt_hex_float(out, d, prec, verb == 'X');
		return;
	case 'b':
		fmt_binary_float(out, d);
		return;
	default:
		break;
	}
	if (prec >= 0) {
		char f[8];
		snprintf(f, sizeof(f), "%%.*%c", verb == 'F' ? 'f' : verb);
		fl_buf_addf(out, f, FL_MIN(prec, 1100), d);
		if (prec > 1100 && (verb == 'f' || verb == 'F' || verb == 'e' || verb == 'E')) {
			/* beyond 1100 digits every digit is zero; keep the exponent last for %e */
			if (verb == 'e' || verb == 'E') {
				char *e = strrchr(out->ptr, verb);
				size_t at = e ? (size_t)(e - out->ptr) : out->len;
				char tail[8];
				snprintf(tail, sizeof(tail), "%s", out->ptr + at);
				fl_buf_truncate(out, at);
				for (int k = 1100; k < prec && !fl_buf_failed(out); k++)
					fl_buf_addc(out, '0');
				fl_buf_adds(out, tail);
			} else {
				for (int k = 1100; k < prec && !fl_buf_failed(out); k++)
					fl_buf_addc(out, '0');
			}
		}
		return;
	}
	/* shortest */
	if (signbit(d))
		fl_buf_addc(out, '-');
	if (d == 0) {
		digits[0] = '0';
		digits[1] = '\0';
		nd = 1;
		dp = 1;
	} else {
		shortest_digits(d, digits, &nd, &dp);
	}
	switch (verb) {
	case 'e':
	case 'E':
		fmt_e_digits(out, digits, nd, dp, nd - 1, verb);
		break;
	case 'f':
	case 'F':
		fmt_f_digits(out, digits, nd, dp, FL_MAX(nd - dp, 0));
		break;
	default: /* g, G */
		eprec = 6;
		exp = d == 0 ? 0 : dp - 1;
		if (exp < -4 || exp >= eprec)
			fmt_e_digits(out, digits, nd, dp, nd - 1, verb == 'G' ? 'E' : 'e');
		else
			fmt_f_digits(out, digits, nd, dp, FL_MAX(nd - dp, 0));
		break;
	}
}

/* --- quoting (strconv.Quote) --- */

static bool is_print(uint32_t r)
{
	if (r < 0x20 || r == 0x7F || (r >= 0x80 && r <= 0x9F) || r == 0xAD)
		return false;
	if ((r >= 0x200B && r <= 0x200F) || (r >= 0x2028 && r <= 0x202E) || (r >= 0x2060 && r <= 0x206F))
		return false;
	if (r == 0xFEFF || (r >= 0xFFF9 && r <= 0xFFFB) || r == 0xFFFE || r == 0xFFFF)
		return false;
	if ((r >= 0xE000 && r <= 0xF8FF) || r >= 0xF0000)
		return false;
	return true;
}

static void quote_rune(struct fl_buf *out, uint32_t r, char quote, bool ascii)
{
	if (r == (uint32_t)quote || r == '\\') {
		fl_buf_addc(out, '\\');
		fl_buf_addc(out, (char)r);
		return;
	}
	if (ascii ? (r < 0x80 && is_print(r)) : is_print(r)) {
		fl_buf_add_utf8(out, r);
		return;
	}
	switch (r) {
	case 7:
		fl_buf_adds(out, "\\a");
		return;
	case '\b':
		fl_buf_adds(out, "\\b");
		return;
	case '\f':
		fl_buf_adds(out, "\\f");
		return;
	case '\n':
		fl_buf_adds(out, "\\n");
		return;
	case '\r':
		fl_buf_adds(out, "\\r");
		return;
	case '\t':
		fl_buf_adds(out, "\\t");
		return;
	case '\v':
		fl_buf_adds(out, "\\v");
		return;
	default:
		break;
	}
	if (r < ' ' || r == 0x7F)
		fl_buf_addf(out, "\\x%02x", r);
	else if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
		fl_buf_adds(out, "\\ufffd");
	else if (r < 0x10000)
		fl_buf_addf(out, "\\u%04x", r);
	else
		fl_buf_addf(out, "\\U%08x", r);
}

static void go_quote(struct fl_buf *out, const char *s, size_t n, bool ascii)
{
	size_t w;

	fl_buf_addc(out, '"');
	for (size_t i = 0; i < n; i += w) {
		uint32_t r = fl_utf8_decode_rune(s + i, n - i, &w);
		if (r == FL_UTF8_REPLACEMENT && w == 1)
			fl_buf_addf(out, "\\x%02x", (unsigned char)s[i]);
		else
			quote_rune(out, r, '"', ascii);
	}
	fl_buf_addc(out, '"');
}

static bool can_backquote(const char *s, size_t n)
{
	size_t w;

	for (size_t i = 0; i < n; i += w) {
		uint32_t r = fl_utf8_decode_rune(s + i, n - i, &w);
		if (r == FL_UTF8_REPLACEMENT && w == 1)
			return false;
		if ((r < ' ' && r != '\t') || r == '`' || r == 0x7F || r == 0xFEFF)
			return false;
	}
	return true;
}

/* --- the operand --- */

static void print_value(struct printer *p, const fl_val *v, uint32_t verb, int depth);

static void add_verb(struct fl_buf *out, uint32_t verb)
{
	fl_buf_add_utf8(out, verb);
}

static void bad_verb(struct printer *p, uint32_t verb, const fl_val *v)
{
	fl_buf_adds(p->out, "%!");
	add_verb(p->out, verb);
	fl_buf_addc(p->out, '(');
	if (v && fl_val_type(v) != FL_VAL_NIL) {
		fl_buf_adds(p->out, fl_conv_go_type(v));
		fl_buf_addc(p->out, '=');
		print_value(p, v, 'v', 0);
	} else {
		fl_buf_adds(p->out, "<nil>");
	}
	fl_buf_addc(p->out, ')');
}

static void fmt_bool(struct printer *p, bool b, uint32_t verb, const fl_val *v)
{
	if (verb == 't' || verb == 'v')
		pads(p, b ? "true" : "false");
	else
		bad_verb(p, verb, v);
}

/* Digit d of a base up to 16 ("%x" and "%X" differ only in case). */
static char digit(unsigned d, bool upper)
{
	return upper ? fl_hex_upper(d) : fl_hex_lower(d);
}

static void fmt_unsigned_digits(char *buf, size_t *i, uint64_t u, unsigned base, bool upper)
{
	do {
		buf[--*i] = digit((unsigned)(u % base), upper);
		u /= base;
	} while (u > 0);
}

static void fmt_integer_base(struct printer *p, uint64_t u, unsigned base, bool is_signed, uint32_t verb,
			     bool upper)
{
	char small[80];
	char *buf = small;
	size_t size = sizeof(small), i;
	bool negative = is_signed && (int64_t)u < 0;
	int prec = 0;
	bool old_zero;

	if (negative)
		u = (uint64_t)0 - u;
	if (p->f.wid_present || p->f.prec_present) {
		size_t need = 3 + (size_t)p->f.wid + (size_t)p->f.prec + 70;
		if (need > size) {
			buf = malloc(need);
			if (!buf)
				return;
			size = need;
		}
	}
	if (p->f.prec_present) {
		prec = p->f.prec;
		if (prec == 0 && u == 0) {
			old_zero = p->f.zero;
			p->f.zero = false;
			write_padding(p, p->f.wid);
			p->f.zero = old_zero;
			goto done;
		}
	} else if (p->f.zero && p->f.wid_present) {
		prec = p->f.wid;
		if (negative || p->f.plus || p->f.space)
			prec--;
	}
	i = size;
	fmt_unsigned_digits(buf, &i, u, base, upper);
	while (i > 0 && prec > (int)(size - i))
		buf[--i] = '0';
	if (p->f.sharp) {
		switch (base) {
		case 2:
			buf[--i] = 'b';
			buf[--i] = '0';
			break;
		case 8:
			if (buf[i] != '0')
				buf[--i] = '0';
			break;
		case 16:
			buf[--i] = upper ? 'X' : 'x';
			buf[--i] = '0';
			break;
		default:
			break;
		}
	}
	if (verb == 'O') {
		buf[--i] = 'o';
		buf[--i] = '0';
	}
	if (negative)
		buf[--i] = '-';
	else if (p->f.plus)
		buf[--i] = '+';
	else if (p->f.space)
		buf[--i] = ' ';
	old_zero = p->f.zero;
	p->f.zero = false;
	pad(p, buf + i, size - i);
	p->f.zero = old_zero;
done:
	if (buf != small)
		free(buf);
}

static void fmt_integer(struct printer *p, int64_t n, uint32_t verb, const fl_val *v)
{
	struct fl_buf tmp = FL_BUF_INIT(0);
	uint64_t u = (uint64_t)n;

	switch (verb) {
	case 'v':
	case 'd':
		fmt_integer_base(p, u, 10, true, verb, false);
		break;
	case 'b':
		fmt_integer_base(p, u, 2, true, verb, false);
		break;
	case 'o':
	case 'O':
		fmt_integer_base(p, u, 8, true, verb, false);
		break;
	case 'x':
		fmt_integer_base(p, u, 16, true, verb, false);
		break;
	case 'X':
		fmt_integer_base(p, u, 16, true, verb, true);
		break;
	case 'c':
		fl_buf_add_utf8(&tmp, u > 0x10FFFF ? FL_UTF8_REPLACEMENT : (uint32_t)u);
		pad(p, tmp.ptr, tmp.len);
		break;
	case 'q': {
		uint32_t r = u > 0x10FFFF ? FL_UTF8_REPLACEMENT : (uint32_t)u;
		fl_buf_addc(&tmp, '\'');
		quote_rune(&tmp, r, '\'', p->f.plus);
		fl_buf_addc(&tmp, '\'');
		pad(p, tmp.ptr, tmp.len);
		break;
	}
	case 'U': {
		int prec = p->f.prec_present && p->f.prec > 4 ? FL_MIN(p->f.prec, 64) : 4;
		fl_buf_addf(&tmp, "U+%0*" PRIX64, prec, u);
		if (p->f.sharp && u <= 0x10FFFF && is_print((uint32_t)u)) {
			fl_buf_adds(&tmp, " '");
			fl_buf_add_utf8(&tmp, (uint32_t)u);
			fl_buf_addc(&tmp, '\'');
		}
		{
			bool old_zero = p->f.zero;
			p->f.zero = false;
			pad(p, tmp.ptr, tmp.len);
			p->f.zero = old_zero;
		}
		break;
	}
	default:
		bad_verb(p, verb, v);
		break;
	}
	fl_buf_release(&tmp);
}

static void fmt_float(struct printer *p, double d, uint32_t verb, const fl_val *v)
{
	struct fl_buf num = FL_BUF_INIT(0);
	int prec;
	char fverb;
	char *s;
	size_t n;

	switch (verb) {
	case 'v':
		fverb = 'g', prec = -1;
		break;
	case 'b':
	case 'g':
	case 'G':
	case 'x':
	case 'X':
		fverb = (char)verb, prec = -1;
		break;
	case 'f':
	case 'e':
	case 'E':
	case 'F':
		fverb = (char)verb, prec = 6;
		break;
	default:
		bad_verb(p, verb, v);
		return;
	}
	if (p->f.prec_present)
		prec = p->f.prec;
	fl_buf_addc(&num, '+');
	fl_gofmt_float(&num, d, fverb, prec);
	s = num.ptr;
	n = num.len;
	if (s[1] == '-' || s[1] == '+') {
		s++;
		n--;
	} else {
		num.ptr[0] = '+';
	}
	if (p->f.space && s[0] == '+' && !p->f.plus) {
		/* a leading space instead of a plus sign */
		s[0] = ' ';
	}
	if (s[1] == 'I' || s[1] == 'N') {
		bool old_zero = p->f.zero;
		p->f.zero = false;
		if (s[1] == 'N' && !p->f.space && !p->f.plus) {
			s++;
			n--;
		}
		pad(p, s, n);
		p->f.zero = old_zero;
		goto done;
	}
	if (p->f.plus || s[0] != '+') {
		if (p->f.zero && p->f.wid_present && p->f.wid > (int)n) {
			fl_buf_addc(p->out, s[0]);
			write_padding(p, p->f.wid - (int)n);
			fl_buf_add(p->out, s + 1, n - 1);
			goto done;
		}
		pad(p, s, n);
		goto done;
	}
	pad(p, s + 1, n - 1);
done:
	fl_buf_release(&num);
}

/* Go's fmt.truncateString: at most prec runes. */
static size_t truncate_runes(const struct printer *p, const char *s, size_t n)
{
	size_t i = 0, w;

	if (!p->f.prec_present)
		return n;
	for (int k = 0; k < p->f.prec && i < n; k++) {
		(void)fl_utf8_decode_rune(s + i, n - i, &w);
		i += w;
	}
	return i;
}

static void fmt_string_hex(struct printer *p, const char *s, size_t n, bool upper)
{
	size_t length = n;
	int width;

	if (p->f.prec_present && (size_t)p->f.prec < length)
		length = (size_t)p->f.prec;
	if (length == 0) {
		if (p->f.wid_present)
			write_padding(p, p->f.wid);
		return;
	}
	width = (int)FL_MIN(2 * length, (size_t)INT_MAX / 4);
	if (p->f.space) {
		if (p->f.sharp)
			width *= 2;
		width += (int)length - 1;
	} else if (p->f.sharp) {
		width += 2;
	}
	if (p->f.wid_present && p->f.wid > width && !p->f.minus)
		write_padding(p, p->f.wid - width);
	if (p->f.sharp) {
		fl_buf_addc(p->out, '0');
		fl_buf_addc(p->out, upper ? 'X' : 'x');
	}
	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)s[i];
		if (p->f.space && i > 0) {
			fl_buf_addc(p->out, ' ');
			if (p->f.sharp) {
				fl_buf_addc(p->out, '0');
				fl_buf_addc(p->out, upper ? 'X' : 'x');
			}
		}
		fl_buf_addc(p->out, digit(c >> 4, upper));
		fl_buf_addc(p->out, digit(c, upper));
	}
	if (p->f.wid_present && p->f.wid > width && p->f.minus)
		write_padding(p, p->f.wid - width);
}

static void fmt_q(struct printer *p, const char *s, size_t n)
{
	struct fl_buf tmp = FL_BUF_INIT(0);

	n = truncate_runes(p, s, n);
	if (p->f.sharp && can_backquote(s, n)) {
		fl_buf_addc(&tmp, '`');
		fl_buf_add(&tmp, s, n);
		fl_buf_addc(&tmp, '`');
	} else {
		go_quote(&tmp, s, n, p->f.plus);
	}
	pad(p, tmp.ptr, tmp.len);
	fl_buf_release(&tmp);
}

static void fmt_string(struct printer *p, const char *s, size_t n, uint32_t verb, const fl_val *v)
{
	switch (verb) {
	case 'v':
		if (p->f.sharp_v)
			fmt_q(p, s, n);
		else
			pad(p, s, truncate_runes(p, s, n));
		break;
	case 's':
		pad(p, s, truncate_runes(p, s, n));
		break;
	case 'x':
		fmt_string_hex(p, s, n, false);
		break;
	case 'X':
		fmt_string_hex(p, s, n, true);
		break;
	case 'q':
		fmt_q(p, s, n);
		break;
	default:
		bad_verb(p, verb, v);
		break;
	}
}

/* Sorted order of an object's keys (Go prints maps with sorted keys). */
static size_t *sorted_keys(const fl_val *obj, size_t n)
{
	size_t *idx = malloc(sizeof(size_t) * (n ? n : 1));

	if (!idx)
		return NULL;
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	/* insertion sort: objects in templates are small */
	for (size_t i = 1; i < n; i++) {
		size_t cur = idx[i], j = i;
		const char *ck;
		size_t cl;
		fl_val *ignored;
		fl_val_object_entry(obj, cur, &ck, &cl, &ignored);
		while (j > 0) {
			const char *pk;
			size_t pl;
			int c;
			fl_val_object_entry(obj, idx[j - 1], &pk, &pl, &ignored);
			c = memcmp(pk, ck, FL_MIN(pl, cl));
			if (c < 0 || (c == 0 && pl <= cl))
				break;
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = cur;
	}
	return idx;
}

static void print_container(struct printer *p, const fl_val *v, uint32_t verb, int depth)
{
	bool is_map = fl_val_type(v) == FL_VAL_OBJECT;
	size_t n = fl_val_len(v);
	size_t *idx = NULL;

	if (depth >= MAX_DEPTH) {
		fl_buf_adds(p->out, "...");
		return;
	}
	if (p->f.sharp_v) {
		fl_buf_adds(p->out, fl_conv_go_type(v));
		fl_buf_addc(p->out, '{');
	} else {
		fl_buf_adds(p->out, is_map ? "map[" : "[");
	}
	if (is_map) {
		idx = sorted_keys(v, n);
		if (!idx)
			return;
	}
	for (size_t i = 0; i < n && !fl_buf_failed(p->out); i++) {
		fl_val *e;
		if (i > 0)
			fl_buf_adds(p->out, p->f.sharp_v ? ", " : " ");
		if (is_map) {
			const char *k;
			size_t kl;
			fl_val_object_entry(v, idx[i], &k, &kl, &e);
			if (p->f.sharp_v) {
				fmt_q(p, k, kl);
			} else {
				fl_val *key = fl_val_str(k, kl);
				fmt_string(p, k, kl, verb, key);
				fl_val_unref(key);
			}
			fl_buf_addc(p->out, ':');
		} else {
			e = fl_val_array_get(v, i);
		}
		if (!e || fl_val_type(e) == FL_VAL_NIL)
			fl_buf_adds(p->out, p->f.sharp_v ? "interface {}(nil)" : "<nil>");
		else
			print_value(p, e, verb, depth + 1);
	}
	free(idx);
	fl_buf_addc(p->out, p->f.sharp_v ? '}' : ']');
}

static void print_value(struct printer *p, const fl_val *v, uint32_t verb, int depth)
{
	struct fl_buf tmp = FL_BUF_INIT(0);

	if (!v || fl_val_type(v) == FL_VAL_NIL) {
		if (verb == 'T' || verb == 'v')
			pads(p, "<nil>");
		else
			bad_verb(p, verb, NULL);
		return;
	}
	if (verb == 'T') {
		pads(p, fl_conv_go_type(v));
		return;
	}
	switch (fl_val_type(v)) {
	case FL_VAL_NIL:
		break;
	case FL_VAL_BOOL:
		fmt_bool(p, fl_val_get_bool(v), verb, v);
		break;
	case FL_VAL_INT:
		fmt_integer(p, fl_val_get_int(v), verb, v);
		break;
	case FL_VAL_FLOAT:
		fmt_float(p, fl_val_get_float(v), verb, v);
		break;
	case FL_VAL_STR: {
		size_t n;
		const char *s = fl_val_get_str(v, &n);
		fmt_string(p, s, n, verb, v);
		break;
	}
	case FL_VAL_TIME:
		/* time.Time is a fmt.Stringer */
		if (verb == 'v' || verb == 's' || verb == 'x' || verb == 'X' || verb == 'q') {
			fl_val_render(v, &tmp);
			fmt_string(p, tmp.ptr, tmp.len, verb, v);
		} else {
			bad_verb(p, verb, v);
		}
		break;
	case FL_VAL_ARRAY:
	case FL_VAL_OBJECT:
		print_container(p, v, verb, depth);
		break;
	case FL_VAL_FUNC:
		bad_verb(p, verb, NULL);
		break;
	}
	fl_buf_release(&tmp);
}

/* --- the format loop --- */

/* Go's parsenum: digits at s[*i..end); false when none or too large. */
static bool parse_num(const char *s, size_t *i, size_t end, int *num)
{
	bool isnum = false;

	*num = 0;
	for (; *i < end && s[*i] >= '0' && s[*i] <= '9'; (*i)++) {
		if (*num > TOO_LARGE) {
			*num = 0;
			*i = end;
			return false;
		}
		*num = *num * 10 + (s[*i] - '0');
		isnum = true;
	}
	return isnum;
}

struct loop {
	const char *fmt;
	size_t end;
	const fl_val *const *args;
	int nargs;
	bool reordered;
	bool good_arg;
};

/* Go's argNumber: an explicit [n] index at *i. */
static bool arg_number(struct loop *l, int *argnum, size_t *i)
{
	size_t k;

	if (*i >= l->end || l->fmt[*i] != '[')
		return false;
	l->reordered = true;
	if (l->end - *i < 3) {
		(*i)++;
		l->good_arg = false;
		return false;
	}
	for (k = *i + 1; k < l->end; k++) {
		if (l->fmt[k] == ']') {
			size_t j = *i + 1;
			int n;
			bool ok = parse_num(l->fmt, &j, k, &n) && j == k;
			*i = k + 1;
			if (ok && n - 1 >= 0 && n - 1 < l->nargs) {
				*argnum = n - 1;
				return true;
			}
			l->good_arg = false;
			return ok;
		}
	}
	(*i)++;
	l->good_arg = false;
	return false;
}

/* Go's intFromArg: a width or precision taken from the operands. */
static bool int_from_arg(struct loop *l, int *argnum, int *num)
{
	bool ok = false;

	*num = 0;
	if (*argnum < l->nargs) {
		const fl_val *a = l->args[*argnum];
		if (a && fl_val_type(a) == FL_VAL_INT) {
			int64_t v = fl_val_get_int(a);
			if (v >= -TOO_LARGE && v <= TOO_LARGE) {
				*num = (int)v;
				ok = true;
			}
		}
		(*argnum)++;
	}
	return ok;
}

void fl_gofmt_sprintf(struct fl_buf *out, const char *format, size_t len, const fl_val *arg)
{
	const fl_val *args[1] = { arg };
	struct loop l = { format, len, args, 1, false, true };
	struct printer p;
	int argnum = 0;
	bool after_index = false;
	size_t i = 0;

	memset(&p, 0, sizeof(p));
	p.out = out;
	while (i < l.end && !fl_buf_failed(out)) {
		size_t last = i, w;
		uint32_t verb;

		l.good_arg = true;
		while (i < l.end && format[i] != '%')
			i++;
		fl_buf_add(out, format + last, i - last);
		if (i >= l.end)
			break;
		i++;
		memset(&p.f, 0, sizeof(p.f));
		for (; i < l.end; i++) {
			char c = format[i];
			if (c == '#') {
				p.f.sharp = true;
			} else if (c == '0') {
				p.f.zero = !p.f.minus;
			} else if (c == '+') {
				p.f.plus = true;
			} else if (c == '-') {
				p.f.minus = true;
				p.f.zero = false;
			} else if (c == ' ') {
				p.f.space = true;
			} else {
				break;
			}
		}
		after_index = arg_number(&l, &argnum, &i);
		if (i < l.end && format[i] == '*') {
			i++;
			p.f.wid_present = int_from_arg(&l, &argnum, &p.f.wid);
			if (!p.f.wid_present)
				fl_buf_adds(out, "%!(BADWIDTH)");
			if (p.f.wid < 0) {
				p.f.wid = -p.f.wid;
				p.f.minus = true;
				p.f.zero = false;
			}
			after_index = false;
		} else {
			p.f.wid_present = parse_num(format, &i, l.end, &p.f.wid);
			if (after_index && p.f.wid_present)
				l.good_arg = false;
		}
		if (i + 1 < l.end && format[i] == '.') {
			i++;
			if (after_index)
				l.good_arg = false;
			after_index = arg_number(&l, &argnum, &i);
			if (i < l.end && format[i] == '*') {
				i++;
				p.f.prec_present = int_from_arg(&l, &argnum, &p.f.prec);
				if (p.f.prec < 0) {
					p.f.prec = 0;
					p.f.prec_present = false;
				}
				if (!p.f.prec_present)
					fl_buf_adds(out, "%!(BADPREC)");
				after_index = false;
			} else {
				p.f.prec_present = parse_num(format, &i, l.end, &p.f.prec);
				if (!p.f.prec_present) {
					p.f.prec = 0;
					p.f.prec_present = true;
				}
			}
		}
		if (!after_index)
			after_index = arg_number(&l, &argnum, &i);
		if (i >= l.end) {
			fl_buf_adds(out, "%!(NOVERB)");
			break;
		}
		verb = fl_utf8_decode_rune(format + i, l.end - i, &w);
		i += w;
		if (verb == '%') {
			fl_buf_addc(out, '%');
		} else if (!l.good_arg) {
			fl_buf_adds(out, "%!");
			add_verb(out, verb);
			fl_buf_adds(out, "(BADINDEX)");
		} else if (argnum >= l.nargs) {
			fl_buf_adds(out, "%!");
			add_verb(out, verb);
			fl_buf_adds(out, "(MISSING)");
		} else {
			if (verb == 'v') {
				p.f.sharp_v = p.f.sharp;
				p.f.sharp = false;
				p.f.plus_v = p.f.plus;
				p.f.plus = false;
			}
			if (verb == 'w')
				bad_verb(&p, verb, l.args[argnum]);
			else
				print_value(&p, l.args[argnum], verb, 0);
			argnum++;
		}
	}
	if (!l.reordered && argnum < l.nargs) {
		memset(&p.f, 0, sizeof(p.f));
		fl_buf_adds(out, "%!(EXTRA ");
		for (int k = argnum; k < l.nargs; k++) {
			if (k > argnum)
				fl_buf_adds(out, ", ");
			if (!l.args[k] || fl_val_type(l.args[k]) == FL_VAL_NIL) {
				fl_buf_adds(out, "<nil>");
			} else {
				fl_buf_adds(out, fl_conv_go_type(l.args[k]));
				fl_buf_addc(out, '=');
				print_value(&p, l.args[k], 'v', 0);
			}
		}
		fl_buf_addc(out, ')');
	}
}
