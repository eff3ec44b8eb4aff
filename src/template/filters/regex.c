/* SPDX-License-Identifier: Apache-2.0 */
/*
 * regex.c - Go RE2-syntax regular expressions on top of PCRE2.
 *
 * The pattern is parsed once with the grammar of Go's regexp/syntax (Perl
 * flags: Perl classes, non-greedy operators, Unicode groups, one-line mode)
 * and re-emitted, item by item, as a PCRE2 pattern that means the same
 * thing.  Everything Go rejects is rejected here with Go's wording, and
 * since the emitted pattern is built from the parse, PCRE2-only syntax
 * (lookaround, backreferences, verbs such as (*LIMIT_MATCH=..), callouts)
 * cannot reach the engine.
 *
 * Differences between the two dialects that the rewrite takes care of:
 * Go's \s is [\t\n\f\r ] (no \v); Go's \v is the vertical tab character,
 * not a class; octal escapes \012 are characters, never backreferences;
 * named groups (Go allows names starting with a digit) become plain groups;
 * an anchor may carry a quantifier (wrapped in a group for PCRE2); a '{'
 * that does not start a valid repeat is a literal; scripts in \p{..} use the
 * Script property as Go does.  The engine runs in UTF mode without UCP, so
 * \d \w \b and POSIX classes are ASCII as in Go, with $ matching only at the
 * very end (DOLLAR_ENDONLY) and (?m)^ matching after a final newline
 * (ALT_CIRCUMFLEX).
 *
 * Known limits: (?i) does not fold \p{..} classes (Go does); a quantifier
 * right after a flag group such as a(?i)* is rejected (Go applies it to the
 * preceding atom); input that is not valid UTF-8 never matches at the
 * invalid bytes (Go reads them as U+FFFD).
 */
#include "fl-common.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "alloc.h"
#include "buf.h"
#include "error.h"
#include "filters/regex.h"
#include "hex.h"
#include "utf8.h"

#define MAX_REPEAT 1000
#define MAX_NEST 1000
#define HEAP_LIMIT_KIB 20480

struct fl_regex {
	pcre2_code *code;
	unsigned groups;
	uint64_t cost;
};

/* Go refuses programs above 128 MiB / 40-byte instructions. */
#define GO_MAX_SIZE (((uint64_t)128 << 20) / 40)
#define SIZE_CAP ((uint64_t)1 << 50)

/*
 * The size of one nesting level of the expression, as Go counts program
 * instructions: the finished alternatives, the current one, and the last
 * atom (which a quantifier multiplies).
 */
struct frame {
	uint64_t total;
	uint64_t alt;
	uint64_t last;
};

enum last_item {
	LAST_NONE,   /* start of the expression, a group or an alternative */
	LAST_ATOM,   /* something a quantifier may follow */
	LAST_ANCHOR, /* an empty-width assertion (quantifiable in Go) */
	LAST_REPEAT, /* a quantifier: another one is an error */
	LAST_FLAGS,  /* a flag group such as (?i) */
};

struct gate {
	const char *p;
	size_t n;
	size_t i;
	struct fl_buf *out;
	struct fl_error *err;
	size_t *open;        /* out offset where each open group starts */
	struct frame *frames; /* sizes per nesting level, [0] is the top level */
	unsigned depth;
	size_t atom_start;   /* out offset where the last atom starts */
	size_t repeat_start; /* pattern offset of the last quantifier */
	enum last_item last;
};

/* --- size accounting --- */

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b > SIZE_CAP ? SIZE_CAP : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	if (a != 0 && b > SIZE_CAP / a)
		return SIZE_CAP;
	return a * b;
}

/* An atom of `size` instructions was emitted; it is what a quantifier would apply to. */
static void atom(struct gate *g, enum last_item kind, uint64_t size)
{
	struct frame *f = &g->frames[g->depth];

	f->last = size;
	f->alt = sat_add(f->alt, size);
	g->last = kind;
}

/* --- errors in Go's wording --- */

static int gate_error(struct gate *g, const char *code, const char *frag, size_t fraglen)
{
	if (fraglen > 80)
		fraglen = 80;
	return fl_error_set(g->err, FL_EINVALID, "error parsing regexp: %s: `%.*s`", code, (int)fraglen, frag);
}

static bool is_alnum(uint32_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_octal(char c)
{
	return c >= '0' && c <= '7';
}

/* --- emission --- */

/* Emit one literal character so that PCRE2 reads it as exactly that character. */
static void emit_char(struct fl_buf *out, uint32_t c)
{
	if (is_alnum(c)) {
		fl_buf_addc(out, (char)c);
	} else if (c > 0x20 && c < 0x7F) {
		fl_buf_addc(out, '\\');
		fl_buf_addc(out, (char)c);
	} else {
		fl_buf_addf(out, "\\x{%" PRIx32 "}", c);
	}
}

/* Go's \s, as a class body. */
static const char space_body[] = "\\t\\n\\f\\r\\x{20}";
/* Go's \S, as a class body (everything but the five spaces; \v included). */
static const char nonspace_body[] = "\\x{0}-\\x{8}\\x{b}\\x{e}-\\x{1f}\\x{21}-\\x{10ffff}";

/* --- Unicode classes --- */

static const char *const unicode_categories[] = {
	"C",  "Cc", "Cf", "Co", "Cs", "L",  "Ll", "Lm", "Lo", "Lt", "Lu", "M",  "Mc", "Me", "Mn", "N",  "Nd", "Nl",
	"No", "P",  "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S",  "Sc", "Sk", "Sm", "So", "Z",  "Zl", "Zp", "Zs",
};

/* The scripts Go's unicode package knows (Unicode 13). */
static const char *const unicode_scripts[] = {
	"Adlam", "Ahom", "Anatolian_Hieroglyphs", "Arabic", "Armenian", "Avestan", "Balinese", "Bamum",
	"Bassa_Vah", "Batak", "Bengali", "Bhaiksuki", "Bopomofo", "Brahmi", "Braille", "Buginese", "Buhid",
	"Canadian_Aboriginal", "Carian", "Caucasian_Albanian", "Chakma", "Cham", "Cherokee", "Chorasmian",
	"Common", "Coptic", "Cuneiform", "Cypriot", "Cyrillic", "Deseret", "Devanagari", "Dives_Akuru", "Dogra",
	"Duployan", "Egyptian_Hieroglyphs", "Elbasan", "Elymaic", "Ethiopic", "Georgian", "Glagolitic", "Gothic",
	"Grantha", "Greek", "Gujarati", "Gunjala_Gondi", "Gurmukhi", "Han", "Hangul", "Hanifi_Rohingya",
	"Hanunoo", "Hatran", "Hebrew", "Hiragana", "Imperial_Aramaic", "Inherited", "Inscriptional_Pahlavi",
	"Inscriptional_Parthian", "Javanese", "Kaithi", "Kannada", "Katakana", "Kayah_Li", "Kharoshthi",
	"Khitan_Small_Script", "Khmer", "Khojki", "Khudawadi", "Lao", "Latin", "Lepcha", "Limbu", "Linear_A",
	"Linear_B", "Lisu", "Lycian", "Lydian", "Mahajani", "Makasar", "Malayalam", "Mandaic", "Manichaean",
	"Marchen", "Masaram_Gondi", "Medefaidrin", "Meetei_Mayek", "Mende_Kikakui", "Meroitic_Cursive",
	"Meroitic_Hieroglyphs", "Miao", "Modi", "Mongolian", "Mro", "Multani", "Myanmar", "Nabataean",
	"Nandinagari", "New_Tai_Lue", "Newa", "Nko", "Nushu", "Nyiakeng_Puachue_Hmong", "Ogham", "Ol_Chiki",
	"Old_Hungarian", "Old_Italic", "Old_North_Arabian", "Old_Permic", "Old_Persian", "Old_Sogdian",
	"Old_South_Arabian", "Old_Turkic", "Oriya", "Osage", "Osmanya", "Pahawh_Hmong", "Palmyrene",
	"Pau_Cin_Hau", "Phags_Pa", "Phoenician", "Psalter_Pahlavi", "Rejang", "Runic", "Samaritan", "Saurashtra",
	"Sharada", "Shavian", "Siddham", "SignWriting", "Sinhala", "Sogdian", "Sora_Sompeng", "Soyombo",
	"Sundanese", "Syloti_Nagri", "Syriac", "Tagalog", "Tagbanwa", "Tai_Le", "Tai_Tham", "Tai_Viet", "Takri",
	"Tamil", "Tangut", "Telugu", "Thaana", "Thai", "Tibetan", "Tifinagh", "Tirhuta", "Ugaritic", "Vai",
	"Wancho", "Warang_Citi", "Yezidi", "Yi", "Zanabazar_Square",
};

static bool in_list(const char *const *list, size_t n, const char *name, size_t len)
{
	for (size_t k = 0; k < n; k++) {
		if (strlen(list[k]) == len && memcmp(list[k], name, len) == 0)
			return true;
	}
	return false;
}

/*
 * At "\p" or "\P": parse a Unicode class and emit it.  Returns 1 when one
 * was consumed, 0 when the text is not a Unicode class (the caller treats it
 * as an escape), or a negative error.
 */
static int parse_unicode_class(struct gate *g)
{
	const char *s = g->p + g->i;
	size_t rest = g->n - g->i;
	bool neg = s[1] == 'P';
	const char *name;
	size_t namelen, seqlen;
	uint32_t r;

	if (rest < 3 || fl_utf8_decode(s + 2, rest - 2, &r) == 0)
		return 0;
	if (r != '{') {
		size_t l = fl_utf8_decode(s + 2, rest - 2, &r);
		seqlen = 2 + l;
		name = s + 2;
		namelen = l;
	} else {
		const char *end = memchr(s, '}', rest);
		if (!end)
			return gate_error(g, "invalid character class range", s, rest);
		seqlen = (size_t)(end - s) + 1;
		name = s + 3;
		namelen = seqlen - 4;
	}
	if (namelen > 0 && name[0] == '^') {
		neg = !neg;
		name++;
		namelen--;
	}
	if (namelen == 3 && memcmp(name, "Any", 3) == 0) {
		fl_buf_adds(g->out, neg ? "\\P{Any}" : "\\p{Any}");
	} else if (in_list(unicode_categories, FL_ARRAY_LEN(unicode_categories), name, namelen)) {
		fl_buf_addf(g->out, "\\%c{%.*s}", neg ? 'P' : 'p', (int)namelen, name);
	} else if (in_list(unicode_scripts, FL_ARRAY_LEN(unicode_scripts), name, namelen)) {
		fl_buf_addf(g->out, "\\%c{sc:%.*s}", neg ? 'P' : 'p', (int)namelen, name);
	} else {
		return gate_error(g, "invalid character class range", s, seqlen);
	}
	g->i += seqlen;
	return 1;
}

/*
 * Parse the escape at g->i (a backslash) that stands for one character;
 * stores it in *r.  Everything else is "invalid escape sequence".
 */
static int parse_escape(struct gate *g, uint32_t *r)
{
	const char *s = g->p + g->i;
	size_t rest = g->n - g->i;
	char c;
	uint32_t v;
	size_t k;

	if (rest < 2)
		return fl_error_set(g->err, FL_EINVALID, "error parsing regexp: trailing backslash at end of expression: ``");
	c = s[1];
	switch (c) {
	case '1': case '2': case '3': case '4': case '5': case '6': case '7':
		/* a single non-zero digit would be a backreference */
		if (rest < 3 || !is_octal(s[2]))
			break;
		__attribute__((fallthrough));
	case '0':
		v = (uint32_t)(c - '0');
		for (k = 2; k < 4 && k < rest && is_octal(s[k]); k++)
			v = v * 8 + (uint32_t)(s[k] - '0');
		*r = v;
		g->i += k;
		return 0;
	case 'x':
		if (rest >= 3 && s[2] == '{') {
			v = 0;
			k = 3;
			while (k < rest && fl_hex_val((unsigned char)s[k]) >= 0) {
				v = v * 16 + (uint32_t)fl_hex_val((unsigned char)s[k]);
				if (v > 0x10FFFF)
					break;
				k++;
			}
			if (k == 3 || k >= rest || s[k] != '}')
				break;
			*r = v;
			g->i += k + 1;
			return 0;
		}
		if (rest >= 4 && fl_hex_val((unsigned char)s[2]) >= 0 && fl_hex_val((unsigned char)s[3]) >= 0) {
			*r = (uint32_t)(fl_hex_val((unsigned char)s[2]) * 16 + fl_hex_val((unsigned char)s[3]));
			g->i += 4;
			return 0;
		}
		break;
	case 'a':
		*r = 7;
		g->i += 2;
		return 0;
	case 'f':
		*r = '\f';
		g->i += 2;
		return 0;
	case 'n':
		*r = '\n';
		g->i += 2;
		return 0;
	case 'r':
		*r = '\r';
		g->i += 2;
		return 0;
	case 't':
		*r = '\t';
		g->i += 2;
		return 0;
	case 'v':
		*r = '\v';
		g->i += 2;
		return 0;
	default:
		if ((unsigned char)c < 0x80 && !is_alnum((unsigned char)c)) {
			*r = (unsigned char)c;
			g->i += 2;
			return 0;
		}
		break;
	}
	{
		/* fragment: the backslash and the next character */
		uint32_t ignored;
		size_t l = fl_utf8_decode(s + 1, rest - 1, &ignored);
		if (l == 0)
			return gate_error(g, "invalid UTF-8", s + 1, rest - 1);
		return gate_error(g, "invalid escape sequence", s, 1 + l);
	}
}

/* Emit a Perl class escape (\d \D \w \W \s \S) at g->i if there is one. */
static bool perl_class(struct gate *g, bool in_class)
{
	char c;

	if (g->n - g->i < 2 || g->p[g->i] != '\\')
		return false;
	c = g->p[g->i + 1];
	switch (c) {
	case 'd':
	case 'D':
	case 'w':
	case 'W':
		fl_buf_addc(g->out, '\\');
		fl_buf_addc(g->out, c);
		break;
	case 's':
		fl_buf_adds(g->out, in_class ? space_body : "[\\t\\n\\f\\r\\x{20}]");
		break;
	case 'S':
		if (in_class) {
			fl_buf_adds(g->out, nonspace_body);
		} else {
			fl_buf_adds(g->out, "[^");
			fl_buf_adds(g->out, space_body);
			fl_buf_addc(g->out, ']');
		}
		break;
	default:
		return false;
	}
	g->i += 2;
	return true;
}

static const char *const posix_classes[] = {
	"alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph",
	"lower", "print", "punct", "space", "upper", "word",  "xdigit",
};

/* At "[:" inside a class: 1 when a POSIX class was emitted, 0 when it is not one, or an error. */
static int posix_class(struct gate *g)
{
	const char *s = g->p + g->i;
	size_t rest = g->n - g->i;
	const char *name;
	size_t namelen, total;
	bool neg = false;

	for (size_t k = 2; k + 1 < rest; k++) {
		if (s[k] == ':' && s[k + 1] == ']') {
			total = k + 2;
			name = s + 2;
			namelen = k - 2;
			if (namelen > 0 && name[0] == '^') {
				neg = true;
				name++;
				namelen--;
			}
			if (!in_list(posix_classes, FL_ARRAY_LEN(posix_classes), name, namelen))
				return gate_error(g, "invalid character class range", s, total);
			fl_buf_addf(g->out, "[:%s%.*s:]", neg ? "^" : "", (int)namelen, name);
			g->i += total;
			return 1;
		}
	}
	return 0;
}

/* One character of a class: an escape or a UTF-8 character. */
static int class_char(struct gate *g, size_t class_start, uint32_t *r)
{
	size_t l;

	if (g->i >= g->n)
		return gate_error(g, "missing closing ]", g->p + class_start, g->n - class_start);
	if (g->p[g->i] == '\\')
		return parse_escape(g, r);
	l = fl_utf8_decode(g->p + g->i, g->n - g->i, r);
	if (l == 0)
		return gate_error(g, "invalid UTF-8", g->p + g->i, g->n - g->i);
	g->i += l;
	return 0;
}

static int parse_class(struct gate *g)
{
	size_t start = g->i;
	bool first = true;
	int rc;

	fl_buf_addc(g->out, '[');
	g->i++;
	if (g->i < g->n && g->p[g->i] == '^') {
		fl_buf_addc(g->out, '^');
		g->i++;
	}
	for (;;) {
		uint32_t lo, hi;
		size_t item;

		if (g->i >= g->n)
			return gate_error(g, "missing closing ]", g->p + start, g->n - start);
		if (g->p[g->i] == ']' && !first)
			break;
		first = false;
		if (g->n - g->i > 2 && g->p[g->i] == '[' && g->p[g->i + 1] == ':') {
			rc = posix_class(g);
			if (rc < 0)
				return rc;
			if (rc > 0)
				continue;
		}
		if (g->n - g->i >= 2 && g->p[g->i] == '\\' && (g->p[g->i + 1] == 'p' || g->p[g->i + 1] == 'P')) {
			rc = parse_unicode_class(g);
			if (rc < 0)
				return rc;
			if (rc > 0)
				continue;
		}
		if (perl_class(g, true))
			continue;
		item = g->i;
		rc = class_char(g, start, &lo);
		if (rc < 0)
			return rc;
		hi = lo;
		if (g->n - g->i >= 2 && g->p[g->i] == '-' && g->p[g->i + 1] != ']') {
			g->i++;
			rc = class_char(g, start, &hi);
			if (rc < 0)
				return rc;
			if (hi < lo)
				return gate_error(g, "invalid character class range", g->p + item, g->i - item);
		}
		fl_buf_addf(g->out, "\\x{%" PRIx32 "}", lo);
		if (hi != lo)
			fl_buf_addf(g->out, "-\\x{%" PRIx32 "}", hi);
	}
	g->i++; /* ']' */
	fl_buf_addc(g->out, ']');
	return 0;
}

/* Go's parseInt inside braces: no leading zeros; -1 when too big. */
static bool repeat_int(const char *s, size_t n, size_t *k, long *v)
{
	size_t start = *k;

	if (*k >= n || s[*k] < '0' || s[*k] > '9')
		return false;
	if (n - *k >= 2 && s[*k] == '0' && s[*k + 1] >= '0' && s[*k + 1] <= '9')
		return false;
	*v = 0;
	while (*k < n && s[*k] >= '0' && s[*k] <= '9') {
		if (*k - start >= 8)
			*v = -1;
		else
			*v = *v * 10 + (s[*k] - '0');
		(*k)++;
	}
	return true;
}

/* At '{': parse {n}, {n,} or {n,m}.  Returns false when it is a literal brace. */
static bool parse_braces(const char *s, size_t n, long *min, long *max, size_t *len)
{
	size_t k = 1;

	if (!repeat_int(s, n, &k, min) || k >= n)
		return false;
	if (s[k] != ',') {
		*max = *min;
	} else {
		k++;
		if (k >= n)
			return false;
		if (s[k] == '}')
			*max = -2; /* open-ended */
		else if (!repeat_int(s, n, &k, max))
			return false;
	}
	if (k >= n || s[k] != '}')
		return false;
	*len = k + 1;
	return true;
}

/* Insert text at offset `at` of the output buffer. */
static void buf_insert(struct fl_buf *b, size_t at, const char *text)
{
	size_t n = strlen(text);
	size_t old = b->len;

	fl_buf_add(b, text, n); /* grow */
	if (fl_buf_failed(b))
		return;
	memmove(b->ptr + at + n, b->ptr + at, old - at);
	memcpy(b->ptr + at, text, n);
}

/* A quantifier of `qlen` pattern bytes at g->i, emitted as `emit`. */
static int quantifier(struct gate *g, size_t qlen, const char *emit, uint64_t factor)
{
	struct frame *f = &g->frames[g->depth];
	size_t qstart = g->i;
	bool lazy = false;

	if (g->last == LAST_NONE || g->last == LAST_FLAGS)
		return gate_error(g, "missing argument to repetition operator", g->p + qstart, qlen);
	g->i += qlen;
	if (g->i < g->n && g->p[g->i] == '?') {
		lazy = true;
		g->i++;
	}
	if (g->last == LAST_REPEAT)
		return gate_error(g, "invalid nested repetition operator", g->p + g->repeat_start,
				  g->i - g->repeat_start);
	if (g->last == LAST_ANCHOR) {
		buf_insert(g->out, g->atom_start, "(?:");
		fl_buf_addc(g->out, ')');
	}
	fl_buf_adds(g->out, emit);
	if (lazy)
		fl_buf_addc(g->out, '?');
	f->alt -= FL_MIN(f->last, f->alt);
	f->last = sat_add(sat_mul(f->last, factor), 1);
	f->alt = sat_add(f->alt, f->last);
	g->repeat_start = qstart;
	g->last = LAST_REPEAT;
	return 0;
}

static bool is_name_char(char c)
{
	return is_alnum((unsigned char)c) || c == '_';
}

static int open_group(struct gate *g)
{
	if (g->depth >= MAX_NEST)
		return fl_error_set(g->err, FL_EINVALID, "error parsing regexp: expression nests too deeply");
	g->open[g->depth++] = g->out->len;
	g->frames[g->depth] = (struct frame){ 0, 0, 0 };
	g->last = LAST_NONE;
	return 0;
}

/* At "(?": named groups, flag groups and everything Go rejects. */
static int parse_perl_group(struct gate *g)
{
	const char *s = g->p + g->i;
	size_t rest = g->n - g->i;
	size_t begin = 0, k;
	bool neg = false, saw = false;

	if (rest > 4 && s[2] == 'P' && s[3] == '<')
		begin = 4;
	else if (rest > 3 && s[2] == '<' && s[3] != '=' && s[3] != '!')
		begin = 3;
	if (begin) {
		const char *end = memchr(s, '>', rest);
		size_t namelen;
		if (!end)
			return gate_error(g, "invalid named capture", s, rest);
		namelen = (size_t)(end - s) - begin;
		if (namelen == 0)
			return gate_error(g, "invalid named capture", s, begin + 1);
		for (k = 0; k < namelen; k++) {
			if (!is_name_char(s[begin + k]))
				return gate_error(g, "invalid named capture", s, begin + namelen + 1);
		}
		g->atom_start = g->out->len;
		fl_buf_addc(g->out, '(');
		g->i += begin + namelen + 1;
		return open_group(g);
	}
	for (k = 2; k < rest; k++) {
		char c = s[k];
		switch (c) {
		case 'i':
		case 'm':
		case 's':
		case 'U':
			saw = true;
			continue;
		case '-':
			if (neg)
				goto bad;
			neg = true;
			saw = false;
			continue;
		case ':':
		case ')':
			if (neg && !saw)
				goto bad;
			g->atom_start = g->out->len;
			if (c == ':') {
				fl_buf_add(g->out, s, k + 1);
				g->i += k + 1;
				return open_group(g);
			}
			if (k > 2)
				fl_buf_add(g->out, s, k + 1);
			g->i += k + 1;
			g->last = LAST_FLAGS;
			return 0;
		default:
			goto bad;
		}
	}
bad:
	{
		uint32_t ignored;
		size_t l = k < rest ? fl_utf8_decode(s + k, rest - k, &ignored) : 0;
		return gate_error(g, "invalid or unsupported Perl syntax", s, k + (l ? l : k < rest ? 1 : 0));
	}
}

static int parse_backslash(struct gate *g)
{
	const char *s = g->p + g->i;
	size_t rest = g->n - g->i;
	uint32_t r;
	int rc;

	if (rest >= 2) {
		switch (s[1]) {
		case 'A':
		case 'z':
		case 'b':
		case 'B':
			g->atom_start = g->out->len;
			fl_buf_add(g->out, s, 2);
			g->i += 2;
			atom(g, LAST_ANCHOR, 1);
			return 0;
		case 'Q': {
			/* literal text up to \E or the end */
			size_t k = 2;
			while (k < rest) {
				size_t l;
				if (s[k] == '\\' && k + 1 < rest && s[k + 1] == 'E') {
					k += 2;
					break;
				}
				l = fl_utf8_decode(s + k, rest - k, &r);
				if (l == 0)
					return gate_error(g, "invalid UTF-8", s + k, rest - k);
				g->atom_start = g->out->len;
				emit_char(g->out, r);
				atom(g, LAST_ATOM, 1);
				k += l;
			}
			g->i += k;
			return 0;
		}
		case 'p':
		case 'P':
			g->atom_start = g->out->len;
			rc = parse_unicode_class(g);
			if (rc < 0)
				return rc;
			if (rc > 0) {
				atom(g, LAST_ATOM, 1);
				return 0;
			}
			break;
		default:
			g->atom_start = g->out->len;
			if (perl_class(g, false)) {
				atom(g, LAST_ATOM, 1);
				return 0;
			}
			break;
		}
	}
	rc = parse_escape(g, &r);
	if (rc < 0)
		return rc;
	g->atom_start = g->out->len;
	emit_char(g->out, r);
	atom(g, LAST_ATOM, 1);
	return 0;
}

static int translate(struct gate *g)
{
	int rc = 0;

	while (g->i < g->n && rc == 0) {
		char c = g->p[g->i];
		long min, max;
		size_t blen;
		uint32_t r;

		switch (c) {
		case '(':
			if (g->n - g->i >= 2 && g->p[g->i + 1] == '?') {
				rc = parse_perl_group(g);
			} else {
				g->atom_start = g->out->len;
				fl_buf_addc(g->out, '(');
				g->i++;
				rc = open_group(g);
			}
			break;
		case ')':
			if (g->depth == 0)
				return gate_error(g, "unexpected )", g->p, g->n);
			fl_buf_addc(g->out, ')');
			{
				const struct frame *child = &g->frames[g->depth];
				uint64_t size = sat_add(sat_add(child->total, child->alt), 1);
				g->atom_start = g->open[--g->depth];
				atom(g, LAST_ATOM, size);
			}
			g->i++;
			break;
		case '|':
			fl_buf_addc(g->out, '|');
			g->i++;
			g->last = LAST_NONE;
			{
				struct frame *f = &g->frames[g->depth];
				f->total = sat_add(f->total, f->alt);
				f->alt = 0;
				f->last = 0;
			}
			break;
		case '*':
			rc = quantifier(g, 1, "*", 1);
			break;
		case '+':
			rc = quantifier(g, 1, "+", 1);
			break;
		case '?':
			rc = quantifier(g, 1, "?", 1);
			break;
		case '{':
			if (parse_braces(g->p + g->i, g->n - g->i, &min, &max, &blen)) {
				char q[48];
				if (min < 0 || min > MAX_REPEAT || max > MAX_REPEAT || max == -1 || (max >= 0 && min > max))
					return gate_error(g, "invalid repeat count", g->p + g->i, blen);
				if (max == -2)
					snprintf(q, sizeof(q), "{%ld,}", min);
				else if (max == min)
					snprintf(q, sizeof(q), "{%ld}", min);
				else
					snprintf(q, sizeof(q), "{%ld,%ld}", min, max);
				rc = quantifier(g, blen, q, max == -2 ? (uint64_t)min + 1 : (uint64_t)(max >= 0 ? max : min));
			} else {
				g->atom_start = g->out->len;
				fl_buf_adds(g->out, "\\{");
				g->i++;
				atom(g, LAST_ATOM, 1);
			}
			break;
		case '^':
		case '$':
			g->atom_start = g->out->len;
			fl_buf_addc(g->out, c);
			g->i++;
			atom(g, LAST_ANCHOR, 1);
			break;
		case '.':
			g->atom_start = g->out->len;
			fl_buf_addc(g->out, '.');
			g->i++;
			atom(g, LAST_ATOM, 1);
			break;
		case '[':
			g->atom_start = g->out->len;
			rc = parse_class(g);
			atom(g, LAST_ATOM, 1);
			break;
		case '\\':
			rc = parse_backslash(g);
			break;
		default: {
			size_t l = fl_utf8_decode(g->p + g->i, g->n - g->i, &r);
			if (l == 0)
				return gate_error(g, "invalid UTF-8", g->p + g->i, g->n - g->i);
			g->atom_start = g->out->len;
			if (r >= 0x80)
				fl_buf_add(g->out, g->p + g->i, l);
			else
				emit_char(g->out, r);
			g->i += l;
			atom(g, LAST_ATOM, 1);
			break;
		}
		}
	}
	if (rc == 0 && g->depth > 0)
		return gate_error(g, "missing closing )", g->p, g->n);
	return rc;
}

/* --- public API --- */

int fl_regex_compile(struct fl_regex **out, const char *pat, size_t len, size_t max_len, struct fl_error *err)
{
	struct fl_buf pcre = FL_BUF_INIT(0);
	struct gate g;
	pcre2_compile_context *cctx = NULL;
	pcre2_code *code = NULL;
	struct fl_regex *re = NULL;
	uint32_t groups = 0;
	uint64_t cost = 0;
	int errcode, rc;
	PCRE2_SIZE erroff;

	*out = NULL;
	if (max_len && len > max_len) {
		rc = fl_error_set(err, FL_ELIMIT, "regular expression is %zu bytes long, the limit is %zu", len,
				  max_len);
		goto done;
	}
	memset(&g, 0, sizeof(g));
	g.p = pat;
	g.n = len;
	g.out = &pcre;
	g.err = err;
	g.open = fl_xmalloc(sizeof(size_t) * (MAX_NEST + 1));
	g.frames = fl_xcalloc(MAX_NEST + 1, sizeof(struct frame));
	g.last = LAST_NONE;
	rc = translate(&g);
	cost = sat_add(g.frames[0].total, g.frames[0].alt);
	free(g.open);
	free(g.frames);
	if (rc < 0)
		goto done;
	if (cost > GO_MAX_SIZE) {
		rc = fl_error_set(err, FL_EINVALID, "error parsing regexp: expression too large");
		goto done;
	}
	if (fl_buf_failed(&pcre)) {
		rc = fl_error_set(err, FL_ELIMIT, "regular expression too large");
		goto done;
	}

	cctx = pcre2_compile_context_create(NULL);
	if (!cctx) {
		rc = fl_error_set_oom(err);
		goto done;
	}
	pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);
	pcre2_set_parens_nest_limit(cctx, MAX_NEST + 8);
	code = pcre2_compile((PCRE2_SPTR)pcre.ptr, pcre.len,
			     PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C | PCRE2_NEVER_UCP |
				     PCRE2_ALT_CIRCUMFLEX | PCRE2_MATCH_INVALID_UTF,
			     &errcode, &erroff, cctx);
	if (!code) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		rc = fl_error_set(err, FL_EINVALID, "error parsing regexp: %s: `%.*s`", (const char *)msg,
				  (int)FL_MIN(len, (size_t)80), pat);
		goto done;
	}
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* the interpreter is the fallback */
	pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &groups);

	re = fl_xmalloc(sizeof(*re));
	re->code = code;
	re->groups = groups;
	re->cost = cost ? cost : 1;
	code = NULL;
	*out = re;
	rc = FL_OK;
done:
	pcre2_code_free(code);
	pcre2_compile_context_free(cctx);
	fl_buf_release(&pcre);
	return rc;
}

void fl_regex_free(struct fl_regex *re)
{
	if (!re)
		return;
	pcre2_code_free(re->code);
	free(re);
}

unsigned fl_regex_groups(const struct fl_regex *re)
{
	return re->groups;
}

uint64_t fl_regex_cost(const struct fl_regex *re)
{
	return re->cost;
}

/* One pcre2_match with the budget applied; fills ovec like fl_regex_search. */
static int run_match(const struct fl_regex *re, const char *s, size_t len, size_t start,
		     const struct fl_regex_limits *lim, size_t *ovec, unsigned pairs, struct fl_error *err)
{
	pcre2_match_data *md = NULL;
	pcre2_match_context *mc = NULL;
	int rc, m;

	md = pcre2_match_data_create_from_pattern(re->code, NULL);
	mc = pcre2_match_context_create(NULL);
	if (!md || !mc) {
		rc = fl_error_set_oom(err);
		goto done;
	}
	if (lim && lim->match_limit)
		pcre2_set_match_limit(mc, lim->match_limit);
	if (lim && lim->depth_limit)
		pcre2_set_depth_limit(mc, lim->depth_limit);
	pcre2_set_heap_limit(mc, HEAP_LIMIT_KIB);

	m = pcre2_match(re->code, (PCRE2_SPTR)s, len, start, 0, md, mc);
	if (m == PCRE2_ERROR_NOMATCH) {
		rc = 0;
	} else if (m == PCRE2_ERROR_MATCHLIMIT || m == PCRE2_ERROR_DEPTHLIMIT || m == PCRE2_ERROR_HEAPLIMIT ||
		   m == PCRE2_ERROR_JIT_STACKLIMIT) {
		rc = fl_error_set(err, FL_ELIMIT, "regular expression exceeded its matching budget");
	} else if (m < 0) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(m, msg, sizeof(msg));
		rc = fl_error_set(err, FL_ERROR, "regular expression match failed: %s", (const char *)msg);
	} else {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		uint32_t have = pcre2_get_ovector_count(md);
		for (unsigned k = 0; k < pairs; k++) {
			if (k < have && k < (unsigned)m && ov[2 * k] != PCRE2_UNSET) {
				ovec[2 * k] = ov[2 * k];
				ovec[2 * k + 1] = ov[2 * k + 1];
			} else {
				ovec[2 * k] = ovec[2 * k + 1] = FL_REGEX_UNSET;
			}
		}
		rc = 1;
	}
done:
	pcre2_match_context_free(mc);
	pcre2_match_data_free(md);
	return rc;
}

int fl_regex_search(const struct fl_regex *re, const char *s, size_t len, size_t start, const struct fl_regex_limits *lim,
		    size_t *ovec, unsigned pairs, struct fl_error *err)
{
	if (start > len)
		return 0;
	return run_match(re, s, len, start, lim, ovec, pairs, err);
}

int fl_regex_match(const struct fl_regex *re, const char *s, size_t len, const struct fl_regex_limits *lim,
		   struct fl_error *err)
{
	return run_match(re, s, len, 0, lim, NULL, 0, err);
}

/* Byte length of the UTF-8 sequence at s (1 for an invalid byte, 0 at the end). */
static size_t rune_width(const char *s, size_t n)
{
	size_t w = 0;

	if (n > 0)
		(void)fl_utf8_decode_rune(s, n, &w);
	return w;
}

int fl_regex_replace_all(struct fl_buf *out, const struct fl_regex *re, const char *s, size_t len,
			 const struct fl_regex_limits *lim, fl_regex_replace_fn fn, void *payload, struct fl_error *err)
{
	unsigned pairs = re->groups + 1;
	size_t *ovec = fl_xmalloc(sizeof(size_t) * 2 * pairs);
	size_t pos = 0, last_end = 0;
	int rc = FL_OK;

	while (pos <= len) {
		size_t width;
		int m = fl_regex_search(re, s, len, pos, lim, ovec, pairs, err);
		if (m < 0) {
			rc = m;
			goto done;
		}
		if (m == 0)
			break;
		fl_buf_add(out, s + last_end, ovec[0] - last_end);
		/* no replacement for an empty match right after the previous match */
		if (ovec[1] > last_end || ovec[0] == 0)
			fn(out, s, ovec, pairs, payload);
		last_end = ovec[1];
		width = rune_width(s + pos, len - pos);
		if (pos + width > ovec[1])
			pos += width;
		else if (pos + 1 > ovec[1])
			pos++;
		else
			pos = ovec[1];
		if (fl_buf_failed(out))
			break;
	}
	fl_buf_add(out, s + last_end, len - last_end);
done:
	free(ovec);
	return rc;
}
