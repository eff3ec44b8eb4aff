/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ldapfilter.c - RFC 4515 escaping, filter templates and group names from
 * DNs for the ldap pack (see ldappack.h).
 *
 * DNs are parsed by libldap's ldap_str2dn (RFC 4514: escaped specials,
 * \XX hex pairs, multi-valued RDNs; RFC 1779 quoted values), never by cutting the
 * string at commas: "cn=R\,D Team,ou=groups" is the group "R,D Team".
 */
#include "fl-common.h"

#include <strings.h>

#include <ldap.h>

#include "hex.h"
#include "ldappack.h"

void ldapf_escape(struct fl_buf *b, const char *value, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		if (c == '*' || c == '(' || c == ')' || c == '\\' || c < 0x20 || c == 0x7f) {
			char esc[3] = { '\\' };
			fl_hex_byte(esc + 1, c, false);
			fl_buf_add(b, esc, 3);
		} else {
			fl_buf_addc(b, (char)c);
		}
	}
}

int ldapf_filter(struct fl_buf *b, const char *tmpl, const char *username, size_t len)
{
	static const char placeholder[] = "{username}";
	const char *p = tmpl, *hit;

	while ((hit = strstr(p, placeholder))) {
		fl_buf_add(b, p, (size_t)(hit - p));
		ldapf_escape(b, username, len);
		p = hit + sizeof(placeholder) - 1;
	}
	fl_buf_adds(b, p);
	return fl_buf_failed(b) ? -1 : 0;
}

char *ldapf_group_name(const char *dn, size_t len, const char *attr)
{
	LDAPDN parsed = NULL;
	size_t alen = strlen(attr);
	char *name = NULL, *text;
	int rc;

	/*
	 * libldap's parser reads past bv_len when the value is not followed by
	 * a NUL (ldap_bv2rdn_x, found by fuzzing), so it gets a terminated
	 * copy; a value with a NUL inside is no DN anyway.
	 */
	if (!len || memchr(dn, 0, len) || !(text = strndup(dn, len)))
		return NULL;
	/* RFC 4514 strings, and the older RFC 1779 forms (quoted values) some servers still store */
	rc = ldap_str2dn(text, &parsed, LDAP_DN_FORMAT_LDAP);
	free(text);
	if (rc != LDAP_SUCCESS || !parsed)
		return NULL;
	for (size_t i = 0; parsed[i] && !name; i++) {
		for (size_t j = 0; parsed[i][j] && !name; j++) {
			LDAPAVA *ava = parsed[i][j];
			if (ava->la_attr.bv_len != alen || strncasecmp(ava->la_attr.bv_val, attr, alen))
				continue;
			/* a #hex (BER) value, an empty one or one holding NUL is not a name */
			if ((ava->la_flags & LDAP_AVA_BINARY) || !ava->la_value.bv_len ||
			    memchr(ava->la_value.bv_val, 0, ava->la_value.bv_len))
				continue;
			name = strndup(ava->la_value.bv_val, ava->la_value.bv_len);
		}
	}
	ldap_dnfree(parsed);
	return name;
}
