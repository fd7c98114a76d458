/*
 * fuzz_proto.c - libFuzzer target: the three IPC decoders of proto.h on
 * arbitrary bytes (every input goes to all three, so a request is also
 * tried as a reply and an event).
 *
 * Contracts checked besides "no crash, no leak, no UB": a failed decode
 * leaves its struct empty; what decodes has the documented fields and,
 * encoded again, decodes to the same text.
 */
#include "fuzz-check.h"
#include "proto.h"
#include "error.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
name_ok(const char *s, size_t bufsize)
{
	size_t len = strnlen(s, bufsize);

	return len > 0 && len < bufsize;
}

/*
 * Same JSON text. (json_object_equal would do, but proto.c lets NaN
 * through, and NaN != NaN.)
 */
static bool
same_json(json_object *a, json_object *b)
{
	char *ta;
	bool same;

	if (!a || !b)
		return !a && !b;
	ta = strdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
	CHECK(ta);
	same = strcmp(ta, json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN)) == 0;
	free(ta);
	return same;
}

static bool
rc_expected(int rc)
{
	return rc == -CD_E_PROTO_MALFORMED || rc == -CD_E_PROTO_VERSION ||
	       rc == -CD_E_PROTO_TOO_BIG || rc == -ENOMEM;
}

static void
request(const uint8_t *data, size_t size)
{
	struct cd_request req, again;
	size_t len;
	void *buf;
	int rc;

	memset(&req, 0xa5, sizeof(req));
	rc = cd_proto_request_decode(data, size, &req);
	if (rc < 0) {
		CHECK(rc_expected(rc) && fuzz_all_zero(&req, sizeof(req)));
		return;
	}
	CHECK(name_ok(req.cmd, sizeof(req.cmd)) && req.root);
	CHECK(json_object_is_type(req.args, json_type_object));
	buf = cd_proto_request_encode(req.cmd, req.args, &len);
	/* Re-encoding may only grow past the limit by escaping '/'. */
	if (buf) {
		CHECK(cd_proto_request_decode(buf, len, &again) == 0);
		CHECK(strcmp(again.cmd, req.cmd) == 0);
		CHECK(same_json(again.args, req.args));
		cd_request_clear(&again);
		free(buf);
	} else {
		CHECK(errno == EMSGSIZE || errno == ENOMEM);
	}
	cd_request_clear(&req);
	CHECK(fuzz_all_zero(&req, sizeof(req)));
}

static void
reply(const uint8_t *data, size_t size)
{
	struct cd_reply rep, again;
	size_t len;
	void *buf;
	int rc;

	memset(&rep, 0xa5, sizeof(rep));
	rc = cd_proto_reply_decode(data, size, &rep);
	if (rc < 0) {
		CHECK(rc_expected(rc) && fuzz_all_zero(&rep, sizeof(rep)));
		return;
	}
	CHECK(rep.root);
	CHECK(strnlen(rep.message, sizeof(rep.message)) < sizeof(rep.message));
	if (!rep.ok) {
		CHECK(name_ok(rep.code, sizeof(rep.code)) && !rep.data);
	} else {
		CHECK(rep.code[0] == '\0' && rep.message[0] == '\0');
		CHECK(!rep.data || json_object_is_type(rep.data, json_type_object));
		buf = cd_proto_reply_encode(rep.data, 0, NULL, &len);
		if (buf) {
			CHECK(cd_proto_reply_decode(buf, len, &again) == 0);
			CHECK(again.ok && same_json(again.data, rep.data));
			cd_reply_clear(&again);
			free(buf);
		}
	}
	cd_reply_clear(&rep);
	CHECK(fuzz_all_zero(&rep, sizeof(rep)));
}

static void
event(const uint8_t *data, size_t size)
{
	struct cd_event ev, again;
	size_t len;
	void *buf;
	int rc;

	memset(&ev, 0xa5, sizeof(ev));
	rc = cd_proto_event_decode(data, size, &ev);
	if (rc < 0) {
		CHECK(rc_expected(rc) && fuzz_all_zero(&ev, sizeof(ev)));
		return;
	}
	CHECK(name_ok(ev.name, sizeof(ev.name)) && ev.root);
	CHECK(!ev.data || json_object_is_type(ev.data, json_type_object));
	buf = cd_proto_event_encode(ev.name, ev.data, &len);
	if (buf) {
		CHECK(cd_proto_event_decode(buf, len, &again) == 0);
		CHECK(strcmp(again.name, ev.name) == 0);
		CHECK(same_json(again.data, ev.data));
		cd_event_clear(&again);
		free(buf);
	}
	cd_event_clear(&ev);
	CHECK(fuzz_all_zero(&ev, sizeof(ev)));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	request(data, size);
	reply(data, size);
	event(data, size);
	return 0;
}
