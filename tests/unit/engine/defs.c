/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for packdef.c, flowdef.c and strmap.c (no store, no threads). */
#include "fl-common.h"

#include <jansson.h>

#include "drive.h"
#include "flow/flowdef.h"
#include "engine/packdef.h"
#include "engine/strmap.h"
#include "error.h"
#include "fltest.h"
#include "timeutil.h"

FLT_TEST(pack_id_derivation)
{
	json_t *l = fld_parse("{\"x\":\"y\",\"env\":\"staging\",\"network\":\"lab\"}");
	char *id = fl_packdef_id("Argo", l);

	FLT_EQ_STR(id, "Argo.env.staging.network.lab.x.y");
	free(id);
	id = fl_packdef_id("Bamboo", NULL);
	FLT_EQ_STR(id, "Bamboo");
	free(id);
	json_decref(l);
}

FLT_TEST(pack_status_boundaries)
{
	int64_t now = INT64_C(1700000000) * FL_NS_PER_SEC, min = 60 * FL_NS_PER_SEC;

	FLT_EQ_STR(fl_packdef_status(now - (10 * min - 1), now), "live");
	FLT_EQ_STR(fl_packdef_status(now - 10 * min, now), "warning");
	FLT_EQ_STR(fl_packdef_status(now - (24 * 60 * min - 1), now), "warning");
	FLT_EQ_STR(fl_packdef_status(now - 24 * 60 * min, now), "critical");
}

FLT_TEST(pack_reserved_rels_are_anchored)
{
	static const char *const bad[] = { "self", "up", "x/actionResult", "http://h/swagger#!/action/takeAction",
					   "a/something/event" };
	static const char *const good[] = { "support", "setup", "upstream", "myself", "help", "eventful" };
	struct fl_error err = FL_ERROR_INIT;
	struct fl_packdef pd;
	char text[256];

	for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++) {
		json_t *j;
		snprintf(text, sizeof(text), "{\"name\":\"P\",\"links\":[{\"href\":\"h\",\"rel\":\"%s\"}]}", bad[i]);
		j = fld_parse(text);
		FLT_EQ_INT(fl_packdef_parse(&pd, j, &err), FL_EINVALID);
		fl_packdef_release(&pd);
		json_decref(j);
	}
	for (size_t i = 0; i < FL_ARRAY_LEN(good); i++) {
		json_t *j;
		snprintf(text, sizeof(text), "{\"name\":\"P\",\"links\":[{\"href\":\"h\",\"rel\":\"%s\"}]}", good[i]);
		j = fld_parse(text);
		if (fl_packdef_parse(&pd, j, &err) != FL_OK)
			FLT_FAIL("rel '%s' rejected: %s", good[i], err.msg);
		fl_packdef_release(&pd);
		json_decref(j);
	}
}

FLT_TEST(pack_shape_round_trip)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_packdef pd;
	json_t *j = fld_parse("{\"name\":\"Shell\",\"commands\":[{\"name\":\"Run\",\"events\":null,"
			  "\"links\":[{\"href\":\"h\",\"rel\":\"help\"}]}],\"events\":null,\"links\":null,"
			  "\"id\":\"spoof\",\"status\":\"critical\"}");
	json_t *out;

	FLT_EQ_INT(fl_packdef_parse(&pd, j, &err), FL_OK);
	FLT_EQ_STR(pd.id, "Shell");
	out = fl_packdef_to_json(pd.id, pd.def, 0, 0);
	FLT_EQ_STR(json_string_value(json_object_get(out, "id")), "Shell");
	FLT_ASSERT(json_is_null(json_object_get(json_array_get(json_object_get(out, "commands"), 0), "events")));
	FLT_ASSERT(!json_object_get(json_array_get(json_object_get(out, "commands"), 0), "links"));
	FLT_ASSERT(!json_object_get(out, "events") && !json_object_get(out, "labels"));
	FLT_ASSERT(json_is_array(json_object_get(out, "links")));
	FLT_EQ_STR(json_string_value(json_object_get(out, "lastSeen")), "1970-01-01T00:00:00Z");
	json_decref(out);
	fl_packdef_release(&pd);
	json_decref(j);
	j = fld_parse("[1]");
	FLT_EQ_INT(fl_packdef_parse(&pd, j, &err), FL_EINVALID);
	json_decref(j);
	j = fld_parse("{\"name\":\"\"}");
	FLT_EQ_INT(fl_packdef_parse(&pd, j, &err), FL_EINVALID);
	json_decref(j);
}

FLT_TEST(flow_compile_normalises)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_flowdef *f = NULL;
	json_t *j = fld_parse("{\"name\":\"f\",\"steps\":[{\"id\":\"a\",\"dependsOn\":null,\"context\":null,"
			  "\"event\":{\"name\":\"E\",\"packName\":\"P\",\"packLabels\":{\"env\":\"{{ Context.e }}\"}},"
			  "\"command\":{\"name\":\"C\",\"packName\":\"Q\",\"input\":{\"x\":null,\"y\":[1,\"{{ 2 }}\"]}}}],"
			  "\"extra\":true}");
	json_t *step, *audit;

	FLT_EQ_INT(fl_flowdef_compile(&f, j, NULL, FL_FLOWDEF_STRICT, &err), FL_OK);
	FLT_EQ_INT(f->nsteps, 1);
	FLT_EQ_STR(f->steps[0].id, "a");
	FLT_EQ_INT(f->steps[0].nevent_labels, 1);
	FLT_EQ_INT(f->steps[0].input.kind, FL_FLOWDEF_IN_OBJECT);
	FLT_EQ_INT(f->steps[0].input.n, 1); /* null property dropped */
	FLT_ASSERT(!json_object_get(f->def, "extra"));
	step = json_array_get(json_object_get(f->def, "steps"), 0);
	FLT_ASSERT(!json_object_get(step, "dependsOn") && !json_object_get(step, "context"));
	audit = fl_flowdef_audit_step(step);
	FLT_EQ_STR(json_string_value(json_object_get(audit, "id")), "a");
	json_decref(audit);
	fl_flowdef_unref(f);
	json_decref(j);

	/* deep inputs are bounded */
	{
		char deep[600];
		size_t n = 0;
		n += (size_t)snprintf(deep + n, sizeof(deep) - n,
				      "{\"name\":\"d\",\"steps\":[{\"event\":{\"name\":\"E\",\"packName\":\"P\"},"
				      "\"command\":{\"name\":\"C\",\"packName\":\"P\",\"input\":");
		for (int i = 0; i < 70; i++)
			deep[n++] = '[';
		for (int i = 0; i < 70; i++)
			deep[n++] = ']';
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "}}]}");
		j = fld_parse(deep);
		FLT_EQ_INT(fl_flowdef_compile(&f, j, NULL, FL_FLOWDEF_STRICT, &err), FL_EINVALID);
		FLT_ASSERT(strstr(err.msg, "nested"));
		json_decref(j);
	}
	/* a step without id is named by its index */
	j = fld_parse("{\"name\":\"f\",\"steps\":[{\"event\":{\"name\":\"E\",\"packName\":\"P\"},\"criteria\":\"{% if %}\","
		  "\"command\":{\"name\":\"C\",\"packName\":\"P\"}}]}");
	FLT_EQ_INT(fl_flowdef_compile(&f, j, NULL, FL_FLOWDEF_STRICT, &err), FL_EINVALID);
	FLT_ASSERT(strstr(err.msg, "step #0 field 'criteria'"));
	json_decref(j);
}

FLT_TEST(strmap_basics)
{
	struct fl_strmap *m = fl_strmap_new();
	char key[32];
	int vals[2000];

	for (int i = 0; i < 2000; i++) {
		vals[i] = i;
		snprintf(key, sizeof(key), "k%d", i);
		FLT_ASSERT(fl_strmap_set(m, key, strlen(key), &vals[i]) == NULL);
	}
	FLT_EQ_INT(fl_strmap_count(m), 2000);
	FLT_EQ_INT(*(int *)fl_strmap_gets(m, "k1234"), 1234);
	FLT_ASSERT(fl_strmap_set(m, "k5", 2, &vals[7]) == &vals[5]);
	FLT_ASSERT(fl_strmap_remove(m, "k5", 2) == &vals[7]);
	FLT_ASSERT(fl_strmap_gets(m, "k5") == NULL);
	/* keys with NUL bytes */
	FLT_ASSERT(fl_strmap_set(m, "a\0b", 3, &vals[1]) == NULL);
	FLT_ASSERT(fl_strmap_get(m, "a\0c", 3) == NULL);
	FLT_ASSERT(fl_strmap_get(m, "a\0b", 3) == &vals[1]);
	fl_strmap_free(m, NULL);
}

FLT_MAIN(pack_id_derivation, pack_status_boundaries, pack_reserved_rels_are_anchored, pack_shape_round_trip,
	 flow_compile_normalises, strmap_basics)
