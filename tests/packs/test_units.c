/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_units.c - the pure parts of the protocol packs, without servers:
 * the Email pack's address parser and RFC 2047 encoding, the ldap pack's
 * RFC 4515 escaping and DN -> group name, the Serf pack's msgpack decoder
 * fed byte by byte and its event payloads.
 */
#include "fl-common.h"

#include <msgpack.h>

#include "b64.h"
#include "buf.h"
#include "fltest.h"
#include "ldappack.h"
#include "mime.h"
#include "serf.h"
#include "serfrpc.h"

FLT_TEST(mime_addresses)
{
	struct mime_addr a;
	char err[128];

	FLT_EQ_INT(mime_addr_parse(&a, "  a@example.org ", 16, err, sizeof(err)), 0);
	FLT_EQ_STR(a.addr, "a@example.org");
	FLT_ASSERT(a.name == NULL);
	mime_addr_release(&a);
	FLT_EQ_INT(mime_addr_parse(&a, "\"Smith, \\\"Bob\\\"\" <bob@example.org>", 34, err, sizeof(err)), 0);
	FLT_EQ_STR(a.addr, "bob@example.org");
	FLT_EQ_STR(a.name, "Smith, \"Bob\"");
	mime_addr_release(&a);
	FLT_EQ_INT(mime_addr_parse(&a, "a@b@c", 5, err, sizeof(err)), -1);
	FLT_ASSERT(strstr(err, "more than one '@'"));
	FLT_EQ_INT(mime_addr_parse(&a, "@example.org", 12, err, sizeof(err)), -1);
	FLT_EQ_INT(mime_addr_parse(&a, "a b@example.org", 15, err, sizeof(err)), -1);
	FLT_EQ_INT(mime_addr_parse(&a, "x <a@example.org>\n", 18, err, sizeof(err)), -1);
	FLT_EQ_STR(err, "contains a line break");
	FLT_EQ_INT(mime_addr_parse(&a, "x a@example.org>", 16, err, sizeof(err)), -1);
	FLT_EQ_INT(mime_check_header_text("ok\xff", 3, err, sizeof(err)), -1);
	FLT_EQ_STR(err, "is not valid UTF-8");
	FLT_EQ_INT(mime_check_header_text("tab\there", 8, err, sizeof(err)), -1);
}

/* Decode "=?UTF-8?B?...?=" words (joined by folding) back to text. */
static void decode_words(const char *s, struct fl_buf *out)
{
	while ((s = strstr(s, "=?UTF-8?B?"))) {
		const char *e = strstr(s + 10, "?=");
		FLT_ASSERT(e != NULL);
		FLT_ASSERT(e - s <= 75);
		FLT_EQ_INT(fl_b64_decode(out, s + 10, (size_t)(e - s - 10), FL_B64_PAD), 0);
		s = e + 2;
	}
}

FLT_TEST(mime_encoded_words_keep_characters_whole)
{
	/* 3- and 4-byte characters around every cut point */
	const char *subject = "ééé ✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓ 🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀 end";
	struct fl_buf b = FL_BUF_INIT(0), dec = FL_BUF_INIT(0);

	mime_add_unstructured(&b, subject, strlen(subject), 9);
	decode_words(b.ptr, &dec);
	FLT_EQ_STR(dec.ptr, subject);
	/* each word decodes to valid UTF-8 on its own */
	for (const char *s = b.ptr; (s = strstr(s, "=?UTF-8?B?")); s += 2) {
		struct fl_buf one = FL_BUF_INIT(0);
		const char *e = strstr(s + 10, "?=");
		fl_b64_decode(&one, s + 10, (size_t)(e - s - 10), FL_B64_PAD);
		FLT_EQ_INT(mime_check_header_text(one.ptr, one.len, (char[64]){ 0 }, 64), 0);
		fl_buf_release(&one);
		s = e;
	}
	fl_buf_release(&b);
	fl_buf_release(&dec);
	/* short ASCII stays as is; something that looks like an encoded word does not */
	mime_add_unstructured(&b, "Deploy done", 11, 9);
	FLT_EQ_STR(b.ptr, "Deploy done");
	fl_buf_reset(&b);
	mime_add_unstructured(&b, "=?x?", 4, 9);
	FLT_ASSERT(!strcmp(b.ptr, "=?UTF-8?B?PT94Pw==?="));
	fl_buf_release(&b);
}

FLT_TEST(ldap_escaping)
{
	struct fl_buf b = FL_BUF_INIT(0);

	ldapf_escape(&b, "*)(uid=*\\\0x", 11);
	FLT_EQ_STR(b.ptr, "\\2a\\29\\28uid=\\2a\\5c\\00x");
	fl_buf_reset(&b);
	FLT_EQ_INT(ldapf_filter(&b, "(|(uid={username})(mail={username}@x))", "a*", 2), 0);
	FLT_EQ_STR(b.ptr, "(|(uid=a\\2a)(mail=a\\2a@x))");
	fl_buf_reset(&b);
	ldapf_escape(&b, "Zoë", 4); /* UTF-8 is kept */
	FLT_EQ_STR(b.ptr, "Zoë");
	fl_buf_release(&b);
}

static void expect_name(const char *dn, const char *attr, const char *want)
{
	char *got = ldapf_group_name(dn, strlen(dn), attr);

	if (!want) {
		FLT_ASSERT(got == NULL);
		return;
	}
	FLT_EQ_STR(got, want);
	free(got);
}

FLT_TEST(ldap_group_names_from_dns)
{
	expect_name("cn=R\\2CD Team,ou=groups,dc=example,dc=org", "cn", "R,D Team");
	expect_name("CN=R\\,D Team,OU=groups", "cn", "R,D Team");
	expect_name("cn=Ops \\2B Dev,ou=groups", "CN", "Ops + Dev");
	expect_name("cn=\"quoted, value\",dc=x", "cn", "quoted, value");
	/* any attribute length (the original cut three characters) */
	expect_name("businessCategory=ops,ou=groups", "businessCategory", "ops");
	expect_name("uid=admins,ou=groups", "uid", "admins");
	expect_name("o=Example", "o", "Example");
	/* the first match from the left, also inside a multi-valued RDN */
	expect_name("cn=a+ou=b,ou=c", "ou", "b");
	expect_name("cn=deployers,ou=groups,dc=example", "ou", "groups");
	expect_name("cn=#04024869,dc=x", "cn", NULL);
	expect_name("cn=a\\00b,dc=x", "cn", NULL);
	expect_name("not a dn", "cn", NULL);
	expect_name("cn=x", "description", NULL);
}

static void pack_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str(pk, strlen(s));
	msgpack_pack_str_body(pk, s, strlen(s));
}

FLT_TEST(serf_decoder_byte_by_byte)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct serf_decoder d;
	const msgpack_object *o;
	struct serf_header h;
	struct serf_record r;
	struct serf_member m;
	struct fl_buf b = FL_BUF_INIT(0);
	int got = 0;
	static const unsigned char ip[4] = { 10, 1, 2, 3 };

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2);
	pack_str(&pk, "Seq");
	msgpack_pack_uint64(&pk, 3);
	pack_str(&pk, "Error");
	pack_str(&pk, "");
	msgpack_pack_map(&pk, 4);
	pack_str(&pk, "Event");
	pack_str(&pk, "user");
	pack_str(&pk, "Name");
	pack_str(&pk, "deploy");
	pack_str(&pk, "Payload");
	msgpack_pack_bin(&pk, 5);
	msgpack_pack_bin_body(&pk, "v1\"\xff", 5);
	pack_str(&pk, "LTime");
	msgpack_pack_uint64(&pk, 42);
	msgpack_pack_map(&pk, 2);
	pack_str(&pk, "Event");
	pack_str(&pk, "member-join");
	pack_str(&pk, "Members");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, 3);
	pack_str(&pk, "Name");
	pack_str(&pk, "web-1");
	pack_str(&pk, "Addr");
	msgpack_pack_bin(&pk, 4);
	msgpack_pack_bin_body(&pk, ip, 4);
	pack_str(&pk, "Port");
	msgpack_pack_uint64(&pk, 7946);

	FLT_EQ_INT(serf_decoder_init(&d, 1 << 16), 0);
	for (size_t i = 0; i < sb.size; i++) {
		FLT_EQ_INT(serf_decoder_feed(&d, sb.data + i, 1), 0);
		while (serf_decoder_next(&d, &o) == 1) {
			got++;
			if (got == 1) {
				FLT_EQ_INT(serf_parse_header(o, &h), 0);
				FLT_EQ_INT(h.seq, 3);
				FLT_EQ_STR(h.error, "");
			} else if (got == 2) {
				FLT_EQ_INT(serf_parse_record(o, &r), 0);
				FLT_EQ_INT(r.kind, SERF_RECORD_USER);
				FLT_EQ_INT(r.ltime, 42);
				FLT_EQ_INT(serf_user_event_json(&b, &r), 0);
				/* the quote is escaped, the invalid byte replaced */
				FLT_EQ_STR(b.ptr, "{\"name\":\"deploy\",\"payload\":\"v1\\\"\xef\xbf\xbd\\u0000\"}");
			} else {
				FLT_EQ_INT(serf_parse_record(o, &r), 0);
				FLT_EQ_INT(r.kind, SERF_RECORD_MEMBER);
				FLT_EQ_INT(serf_record_n_members(&r), 1);
				FLT_EQ_INT(serf_record_member(&r, 0, &m), 0);
				FLT_EQ_STR(m.name, "web-1");
				FLT_EQ_STR(m.addr, "10.1.2.3:7946");
			}
		}
	}
	FLT_EQ_INT(got, 3);
	serf_decoder_release(&d);
	fl_buf_release(&b);

	/* a declared length or element count beyond the limit is refused at its
	 * header, before libmsgpack allocates for it */
	FLT_EQ_INT(serf_decoder_init(&d, 1024), 0);
	FLT_EQ_INT(serf_decoder_feed(&d, "\xc6\x00\x10\x00\x00", 5), -1);
	serf_decoder_release(&d);
	FLT_EQ_INT(serf_decoder_init(&d, 1024), 0);
	FLT_EQ_INT(serf_decoder_feed(&d, "\x91\xdd\x7f\xff\xff\xff", 6), -1);
	serf_decoder_release(&d);
	FLT_EQ_INT(serf_decoder_init(&d, 1 << 20), 0);
	{
		char deep[40];
		memset(deep, 0x91, sizeof(deep)); /* 40 nested arrays */
		FLT_EQ_INT(serf_decoder_feed(&d, deep, sizeof(deep)), -1);
	}
	serf_decoder_release(&d);
	/* exactly at the limit is fine */
	FLT_EQ_INT(serf_decoder_init(&d, 8), 0);
	FLT_EQ_INT(serf_decoder_feed(&d, "\xc4\x06" "abcdef", 8), 0);
	FLT_EQ_INT(serf_decoder_next(&d, &o), 1);
	FLT_EQ_INT(o->type, MSGPACK_OBJECT_BIN);
	FLT_EQ_INT(serf_decoder_feed(&d, "\xc4\x07" "abcdefg", 9), -1);
	serf_decoder_release(&d);
	msgpack_sbuffer_destroy(&sb);
}

FLT_MAIN(mime_addresses, mime_encoded_words_keep_characters_whole, ldap_escaping, ldap_group_names_from_dns,
	 serf_decoder_byte_by_byte)
