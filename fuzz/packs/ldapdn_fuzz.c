/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ldapdn_fuzz.c - the ldap pack's parsing of group DNs (through libldap's
 * ldap_bv2dn) and its RFC 4515 escaping.  Input: attribute name, NUL, DN.
 * The escaped value must contain none of the filter's special characters
 * unescaped, and the filter built from the template must keep its
 * parentheses balanced.
 */
#include "fl-common.h"

#include "buf.h"
#include "ldappack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	const char *nul = memchr(in, '\0', size);
	char attr[64] = "cn", *name;
	const char *dn = in;
	size_t dnlen = size;
	struct fl_buf b = FL_BUF_INIT(1 << 20);
	int depth = 0;

	if (nul && (size_t)(nul - in) < sizeof(attr)) {
		memcpy(attr, in, (size_t)(nul - in));
		attr[nul - in] = '\0';
		dn = nul + 1;
		dnlen = size - (size_t)(nul - in) - 1;
	}
	name = ldapf_group_name(dn, dnlen, attr);
	free(name);

	ldapf_escape(&b, in, size);
	for (size_t i = 0; i < b.len; i++)
		if (b.ptr[i] == '(' || b.ptr[i] == ')' || b.ptr[i] == '*' || b.ptr[i] == '\0')
			abort();
	fl_buf_reset(&b);
	if (ldapf_filter(&b, "(&(objectClass=person)(|(uid={username})(mail={username})))", in, size) == 0) {
		for (size_t i = 0; i < b.len; i++) {
			depth += b.ptr[i] == '(';
			depth -= b.ptr[i] == ')';
			if (depth < 0)
				abort();
		}
		if (depth)
			abort();
	}
	fl_buf_release(&b);
	return 0;
}
