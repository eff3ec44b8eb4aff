/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ldappack.h - the ldap pack: group lookups over LDAP v3 with libldap.
 *
 * Compatible with ExpediaGroup/flyte-ldap: pack "ldap", command GetGroups
 * (input {"username"}), events GroupsRetrieved {"username","usergroups"}
 * (usergroups omitted when empty) and GroupsRetrievalError
 * {"username"?, "error"}; the same environment variables.  Unlike the
 * original, the username is escaped (RFC 4515) before it enters the
 * filter, group names are taken from DNs parsed by libldap (any attribute
 * name, escaped characters), ldaps:// and StartTLS are supported, nested
 * groups can be followed, and bound connections are pooled and shared
 * safely by concurrent actions.
 */
#ifndef LDAP_PACK_H
#define LDAP_PACK_H

#include "fl-common.h"

#include <pthread.h>

#include <flyte.h>

#include "buf.h"

/* ---- pure helpers (ldapfilter.c): no connection needed -------------------- */

/* Append `len` bytes of `value` escaped for an LDAP filter (RFC 4515 §3):
 * '*', '(', ')', '\\', NUL and other control characters become \XX. */
void ldapf_escape(struct fl_buf *b, const char *value, size_t len);

/*
 * Replace every "{username}" of `tmpl` by the escaped username.  Returns 0,
 * or -1 when the result is too long (b failed).
 */
int ldapf_filter(struct fl_buf *b, const char *tmpl, const char *username, size_t len);

/*
 * The group name of a DN: the value of the first AVA, from the leftmost RDN
 * on, whose attribute type equals `attr` (case-insensitive), unescaped.
 * Returns a malloc'ed string (caller frees), or NULL when the text is not
 * a DN, has no such attribute, or the value is not a string (#hex form).
 */
char *ldapf_group_name(const char *dn, size_t len, const char *attr);

/* ---- configuration -------------------------------------------------------- */

struct ldap_config {
	char *url;            /* ldap://, ldaps:// or ldapi:// URL */
	char *bind_dn;        /* NULL = anonymous */
	char *bind_password;  /* secret: never logged */
	char *base_dn;
	char *filter;         /* with {username} */
	char **attributes;    /* NULL-terminated; values are DNs of groups */
	char *group_attribute;
	long timeout_sec;
	bool starttls;
	char *ca_file;
	bool insecure;
	char *group_base_dn;  /* NULL = no group search */
	char *member_attribute;
	long group_depth;     /* levels of nested groups followed */
	unsigned pool_max;    /* idle connections kept */
};

/*
 * Read LDAP_URL, BIND_USERNAME, BIND_PASSWORD (or BIND_PASSWORD_FILE),
 * BASE_DN, SEARCH_FILTER, ATTRIBUTES, GROUP_ATTRIBUTE,
 * SEARCH_TIMEOUT_IN_SECONDS, LDAP_STARTTLS, LDAP_CA_FILE, LDAP_INSECURE,
 * GROUP_SEARCH_BASE_DN, GROUP_MEMBER_ATTRIBUTE, GROUP_SEARCH_DEPTH.
 * Returns 0 or -1 with a message in err (never containing the password).
 */
int ldap_config_from_env(struct ldap_config *cfg, char *err, size_t errlen);
void ldap_config_release(struct ldap_config *cfg);

/* ---- the connection pool and the lookup ------------------------------------ */

struct ldap_pool {
	const struct ldap_config *cfg;
	pthread_mutex_t lock;
	void **idle; /* LDAP * handles, bound, not in use */
	size_t n_idle;
	unsigned long opened; /* connections made, for tests and logs */
};

int ldap_pool_init(struct ldap_pool *p, const struct ldap_config *cfg);
void ldap_pool_release(struct ldap_pool *p);

struct ldap_groups {
	char **names; /* group names, in order */
	size_t n;
	bool user_found;
};

void ldap_groups_release(struct ldap_groups *g);

/*
 * Look up the groups of `username`: search BASE_DN with the filter, read
 * ATTRIBUTES of the first entry, then (with GROUP_SEARCH_BASE_DN) the
 * groups naming the user, and the groups naming those, as members.
 * Returns 0, or -1 with a message in err.  A connection that fails is
 * dropped and the lookup is tried once more on a new one.
 */
int ldap_lookup(struct ldap_pool *p, const char *username, size_t len, struct ldap_groups *out, char *err,
		size_t errlen);

/* The handler of command GetGroups; payload is the struct ldap_pool. */
int ldap_groups_handler(const char *input, size_t len, struct flyte_result *out, void *payload);

#endif
