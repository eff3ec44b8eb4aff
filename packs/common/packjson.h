/* SPDX-License-Identifier: Apache-2.0 */
/*
 * packjson.h - decoding action inputs and building event payloads with
 * jansson, the way the original Go packs' encoding/json did, for the
 * bundled packs.
 *
 * Inputs: an action input is JSON text.  Go decoded it into a struct:
 * `null` gave an empty struct, any other non-object was an error, absent
 * and null fields were zero values, a field of the wrong type was an error.
 * packjson_object() and the field readers follow those rules, with one
 * deliberate difference: an integer field also accepts a string holding an
 * integer, because flyte templates always render strings
 * (`"maxResults": "{{ Context.n }}"`).
 *
 * Payloads: jansson keeps the insertion order of object members, so a
 * payload built field by field has the field order of the original Go
 * struct.  Strings given to packjson_string() may be any bytes: invalid
 * UTF-8 is replaced, so a payload is always valid JSON.
 */
#ifndef PACKS_PACKJSON_H
#define PACKS_PACKJSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include <flyte.h>

/*
 * Decode input (len bytes) as a JSON object.  `null` gives an empty
 * object.  Returns 0 and a new reference in *out, or -1 with a Go-style
 * message in err ("json: cannot unmarshal string into Go value of type
 * object", "invalid character ...").
 */
int packjson_object(json_t **out, const char *input, size_t len, char *err, size_t errlen);

/*
 * packjson_object() and then packjson_str() of each member named in the
 * NULL-terminated list of (const char *key, const char **value) pairs:
 *
 *     packjson_input(&in, input, len, err, sizeof(err), "issueId", &issue, "username", &user, NULL)
 *
 * Every value starts as ""; as Go did, the members read before a failure
 * keep what was read.  Returns 0, or -1 with the message of the failure in
 * err (*in is then NULL, or the object whose member was wrong: release it
 * either way).
 */
int packjson_input(json_t **in, const char *input, size_t len, char *err, size_t errlen, ...);

/* Go's name of the JSON type of j in decoding errors: "object", "string", "number", ... */
const char *packjson_go_type(const json_t *j);

/*
 * String member key of obj: absent or null gives "" (def when def is not
 * NULL), a string its value (borrowed from obj).  Another type is an error:
 * -1 and a message in err.
 */
int packjson_str(const json_t *obj, const char *key, const char *def, const char **out, char *err, size_t errlen);

/*
 * Integer member key of obj: absent or null gives def; an integer, a real
 * with an integral value or a string holding a decimal integer are
 * accepted.  Another value is an error: -1 and a message in err.
 */
int packjson_int(const json_t *obj, const char *key, long long def, long long *out, char *err, size_t errlen);

/* The string value of member key of o: "" when it is not a string or o not an object.  Borrowed from o. */
const char *packjson_sv(const json_t *o, const char *key);

/* A new JSON string of s (NULL gives ""), invalid UTF-8 replaced by U+FFFD.
 * Never NULL unless out of memory. */
json_t *packjson_string(const char *s);

/* Like packjson_string() for n bytes. */
json_t *packjson_stringn(const char *s, size_t n);

/*
 * A new object of string members: key/value pairs ending with a NULL key,
 * e.g. packjson_strs("id", id, "error", msg, NULL).  A NULL value gives "".
 * Returns NULL when out of memory.
 */
json_t *packjson_strs(const char *key, ...);

/* obj[key] = packjson_string(value).  Returns 0 or -1 (out of memory). */
int packjson_set_str(json_t *obj, const char *key, const char *value);

/*
 * The payload p (consumed) with the member "error" added, for the failure
 * event of a command; p itself when error is NULL.  NULL when p is NULL or
 * out of memory.
 */
json_t *packjson_with_error(json_t *p, const char *error);

/*
 * Serialise payload (consumed, may be NULL on an earlier out-of-memory) and
 * set it as the result event.  Returns the handler's return value: 0, or
 * the failure of flyte_result_fatal() when the payload cannot be built.
 */
int packjson_result(struct flyte_result *out, const char *event, json_t *payload);

/*
 * The first substring of s matching the regular expression `\w+-\d+`
 * (ASCII word characters, a '-', digits), as Go's regexp finds it: used to
 * pick an issue key ("TEST-1") out of free text.  Returns true and the span
 * in *start / *len, or false.
 */
bool packjson_find_key(const char *s, size_t n, size_t *start, size_t *len);

#endif
