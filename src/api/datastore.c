// SPDX-License-Identifier: Apache-2.0
/*
 * datastore.c - the key -> blob store (flyte-api.md §a.7).  PUT takes a
 * multipart/form-data body: the part `value` (required, not empty) with its
 * own content type, and an optional `description` field that the
 * `description` query parameter overrides.  GET of an item returns the raw
 * bytes with the stored content type.
 */
#include "fl-common.h"

#include "alloc.h"
#include "api/api.h"
#include "http/multipart.h"

#define DEFAULT_CONTENT_TYPE "text/plain; charset=us-ascii"
#define MAX_DESCRIPTION 65536

static int list_items(struct fl_request *req)
{
	struct fl_error err = FL_ERROR_INIT;
	json_t *list = NULL, *items, *it;
	size_t i;

	if (fl_engine_datastore_list(fl_api_of(req)->engine, &list, &err) != FL_OK)
		return fl_api_fail(req, &err);
	items = json_array();
	json_array_foreach(list, i, it) {
		json_t *item = json_object();
		const char *key = json_string_value(json_object_get(it, "key"));
		const char *ct = json_string_value(json_object_get(it, "contentType"));

		json_object_set_new(item, "key", json_string(key ? key : ""));
		json_object_set_new(item, "contentType", json_string(ct ? ct : ""));
		fl_api_copy_nonempty(item, it, "description");
		json_object_set_new(item, "links", fl_api_self_links(req, "/v1/datastore/", key ? key : ""));
		json_array_append_new(items, item);
	}
	json_decref(list);
	return fl_api_reply_list(req, "datastore", items, "/v1/datastore", "/swagger#/datastore",
				 FL_API_LIST_LINKS_FIRST);
}

static int get_item(struct fl_request *req)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_datastore_item *item = NULL;

	if (fl_engine_datastore_get(fl_api_of(req)->engine, &item, fl_request_param(req, "key"), &err) != FL_OK)
		return fl_api_fail(req, &err);
	fl_response_set(&req->resp, 200, item->content_type && *item->content_type ? item->content_type
										   : DEFAULT_CONTENT_TYPE,
			item->value, item->value_len);
	fl_engine_datastore_item_free(item);
	return FL_OK;
}

/* What the multipart callbacks collect. */
struct upload {
	int current; /* 0 = ignored part, 1 = value, 2 = description */
	bool have_value, have_description;
	char content_type[256];
	struct fl_buf value;
	struct fl_buf description;
};

static int part_begin(void *payload, const struct fl_multipart_part *part)
{
	struct upload *u = payload;

	u->current = 0;
	if (strcmp(part->name, "value") == 0 && !u->have_value) {
		u->current = 1;
		u->have_value = true;
		snprintf(u->content_type, sizeof(u->content_type), "%s",
			 part->content_type[0] ? part->content_type : DEFAULT_CONTENT_TYPE);
	} else if (strcmp(part->name, "description") == 0 && !u->have_description) {
		u->current = 2;
		u->have_description = true;
	}
	return FL_OK;
}

static int part_data(void *payload, const char *data, size_t len)
{
	struct upload *u = payload;

	if (u->current == 1)
		fl_buf_add(&u->value, data, len);
	else if (u->current == 2)
		fl_buf_add(&u->description, data, len);
	return FL_OK;
}

static int part_end(void *payload)
{
	((struct upload *)payload)->current = 0;
	return FL_OK;
}

static const struct fl_multipart_cb upload_cb = { part_begin, part_data, part_end };

static int put_item(struct fl_request *req)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_multipart *mp = fl_xmalloc(sizeof(*mp));
	struct upload u = { 0 };
	struct fl_datastore_item_ref item = { 0 };
	const char *qdesc = fl_request_query(req, "description");
	int rc;

	fl_buf_init(&u.value, req->ctx->max_body + 1);
	fl_buf_init(&u.description, MAX_DESCRIPTION);
	rc = fl_multipart_init(mp, req->h.content_type, &upload_cb, &u, &err);
	if (!rc)
		rc = fl_multipart_feed(mp, req->body.ptr, req->body.len, &err);
	if (!rc)
		rc = fl_multipart_finish(mp, &err);
	if (!rc && fl_buf_failed(&u.description))
		rc = fl_error_set(&err, FL_EINVALID, "description is longer than %d bytes", MAX_DESCRIPTION);
	if (!rc && (!u.have_value || u.value.len == 0))
		rc = fl_error_set(&err, FL_EINVALID, "the form field 'value' is missing or empty");
	if (!rc && memchr(u.description.ptr, '\0', u.description.len))
		rc = fl_error_set(&err, FL_EINVALID, "description contains a NUL byte");
	if (rc) {
		rc = fl_api_fail(req, &err);
		goto done;
	}
	item.key = fl_request_param(req, "key");
	item.content_type = u.content_type;
	item.description = qdesc ? qdesc : (u.have_description ? u.description.ptr : NULL);
	item.value = u.value.ptr;
	item.value_len = u.value.len;
	rc = fl_engine_datastore_put(fl_api_of(req)->engine, &item, fl_api_engine_done, req);
	rc = fl_api_started(req, rc, fl_api_done_stored);
done:
	fl_buf_release(&u.value);
	fl_buf_release(&u.description);
	free(mp);
	return rc;
}

static int delete_item(struct fl_request *req)
{
	return fl_api_delete(req, fl_engine_datastore_delete, "key");
}

const struct fl_route fl_api_datastore_routes[] = {
	{ "GET", "/v1/datastore", list_items, "list datastore items (without values)" },
	{ "GET", "/v1/datastore/{key}", get_item, "the raw value with its content type" },
	{ "PUT", "/v1/datastore/{key}", put_item, "create (201) or replace (204) an item from multipart/form-data" },
	{ "DELETE", "/v1/datastore/{key}", delete_item, "delete an item" },
};
const size_t fl_api_datastore_routes_len = FL_ARRAY_LEN(fl_api_datastore_routes);
