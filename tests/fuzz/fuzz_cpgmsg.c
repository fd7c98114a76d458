/*
 * fuzz_cpgmsg.c - libFuzzer target: cd_cpg_decode on arbitrary bytes, and
 * whatever it accepts taken further the way clusterd does: CHANGE ops
 * applied to a scratch state, SYNC_STATE documents adopted.
 *
 * Besides "no crash, no leak, no UB" it checks the contracts the
 * replication relies on and aborts when one breaks:
 *   - a decoded message re-encodes to an equal message;
 *   - a failed decode leaves *msg empty;
 *   - cd_state_apply is all or nothing (+1 generation, or nothing changed);
 *   - every state that validates survives serialisation (state file and
 *     SYNC_STATE) with the same hash.
 */
#include "fuzz-check.h"
#include "cpgmsg.h"
#include "state.h"
#include "error.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The scratch state every CHANGE is tried on: two nodes, a resource. */
static const char setup_ops[] =
	"[{\"op\":\"set\",\"path\":\"config.nodes\",\"value\":"
	"{\"n1\":{\"id\":1,\"addr\":\"10.0.0.1\"},\"n2\":{\"id\":2,\"addr\":\"10.0.0.2\"}}},"
	"{\"op\":\"set\",\"path\":\"config.resources.web\",\"value\":"
	"{\"type\":\"vm\",\"params\":{\"memory\":1024}}},"
	"{\"op\":\"set\",\"path\":\"runtime.resources.web\",\"value\":{\"node\":\"n1\"}}]";

static struct cd_state scratch;

static void
make_scratch(void)
{
	json_object *ops;
	char err[256];

	if (scratch.doc)
		return;
	CHECK(cd_state_init(&scratch, "fuzz", "00000000-fuzz") == 0);
	ops = json_tokener_parse(setup_ops);
	CHECK(ops);
	CHECK(cd_state_apply(&scratch, ops, err, sizeof(err)) == 0);
	json_object_put(ops);
}

static json_object *
parse_strict(const char *text, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	json_object *obj;

	CHECK(tok);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, text, (int)len);
	CHECK(obj && json_tokener_get_parse_end(tok) == len);
	json_tokener_free(tok);
	return obj;
}

/* A valid state reads back from its file form and travels in SYNC_STATE. */
static void
check_state_survives(const struct cd_state *s)
{
	struct cd_state again = { 0 };
	struct cd_cpg_msg m;
	json_object *doc, *body;
	const char *text;
	char err[256];
	size_t len;
	void *buf;

	text = json_object_to_json_string_length(s->doc, JSON_C_TO_STRING_PRETTY |
						 JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	CHECK(text);
	doc = parse_strict(text, len);
	if (cd_state_set_doc(&again, doc, err, sizeof(err)) != 0) {
		fprintf(stderr, "re-read state refused: %s\n", err);
		abort();
	}
	CHECK(cd_state_hash(&again) == cd_state_hash(s));
	CHECK(json_object_equal(again.doc, s->doc));
	json_object_put(doc);
	cd_state_clear(&again);

	body = json_object_new_object();
	CHECK(body);
	json_object_object_add(body, "to_generation",
			       json_object_new_int64((int64_t)cd_state_generation(s)));
	json_object_object_add(body, "state", json_object_get(s->doc));
	buf = cd_cpg_encode(CD_CPG_SYNC_STATE, body, &len);
	CHECK(buf);
	json_object_put(body);
	CHECK(cd_cpg_decode(buf, len, &m) == 0);
	CHECK(cd_state_set_doc(&again, json_object_object_get(m.body, "state"),
			       err, sizeof(err)) == 0);
	CHECK(cd_state_hash(&again) == cd_state_hash(s));
	cd_cpg_msg_clear(&m);
	cd_state_clear(&again);
	free(buf);
}

static void
try_change(json_object *body)
{
	json_object *ops = json_object_object_get(body, "ops");
	struct cd_state s = { 0 };
	uint64_t gen, hash;
	char err[256];
	size_t i;
	int rc;

	make_scratch();
	CHECK(cd_state_copy(&s, &scratch) == 0);
	gen = cd_state_generation(&s);
	hash = cd_state_hash(&s);
	/* The lookup shares the path syntax of the operations. */
	for (i = 0; i < json_object_array_length(ops); i++)
		(void)cd_state_get(&s, json_object_get_string(json_object_object_get(
			json_object_array_get_idx(ops, i), "path")));

	err[0] = '\0';
	rc = cd_state_apply(&s, ops, err, sizeof(err));
	if (rc == 0) {
		CHECK(cd_state_generation(&s) == gen + 1);
		check_state_survives(&s);
	} else {
		CHECK(rc == -CD_E_BAD_ARGS || rc == -ENOMEM);
		CHECK(rc == -ENOMEM || err[0] != '\0');
		CHECK(cd_state_generation(&s) == gen);
		CHECK(cd_state_hash(&s) == hash);
		CHECK(json_object_equal(s.doc, scratch.doc));
	}
	cd_state_clear(&s);
}

static void
try_state(json_object *body)
{
	struct cd_state s = { 0 }, copy = { 0 };
	char err[256];

	make_scratch();
	CHECK(cd_state_copy(&s, &scratch) == 0);
	err[0] = '\0';
	if (cd_state_set_doc(&s, json_object_object_get(body, "state"), err,
			     sizeof(err)) == 0) {
		check_state_survives(&s);
		CHECK(cd_state_copy(&copy, &s) == 0);
		CHECK(cd_state_hash(&copy) == cd_state_hash(&s));
		cd_state_clear(&copy);
	} else {
		CHECK(err[0] != '\0');
		CHECK(s.doc != NULL && json_object_equal(s.doc, scratch.doc));
	}
	cd_state_clear(&s);
}

static void
check_reencodes(const struct cd_cpg_msg *m)
{
	struct cd_cpg_msg again;
	size_t len;
	void *buf = cd_cpg_encode(m->type, m->body, &len);

	CHECK(buf);
	CHECK(cd_cpg_decode(buf, len, &again) == 0);
	CHECK(again.type == m->type);
	CHECK(json_object_equal(again.body, m->body));
	cd_cpg_msg_clear(&again);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cd_cpg_msg m;
	int rc;

	memset(&m, 0xa5, sizeof(m));
	rc = cd_cpg_decode(data, size, &m);
	if (rc < 0) {
		CHECK(fuzz_all_zero(&m, sizeof(m)));
		CHECK(rc == -CD_E_PROTO_MALFORMED || rc == -CD_E_PROTO_VERSION ||
		      rc == -CD_E_PROTO_TOO_BIG || rc == -CD_E_UNKNOWN_CMD ||
		      rc == -ENOMEM);
		return 0;
	}
	CHECK(json_object_is_type(m.body, json_type_object));
	CHECK(strcmp(cd_cpg_type_str(m.type), "unknown") != 0);
	check_reencodes(&m);
	if (m.type == CD_CPG_CHANGE)
		try_change(m.body);
	else if (m.type == CD_CPG_SYNC_STATE)
		try_state(m.body);
	cd_cpg_msg_clear(&m);
	return 0;
}
