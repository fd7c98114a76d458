/*
 * gen_seeds.c - writes the seed corpus of the fuzz targets, made with the
 * real encoders so the seeds follow the wire formats:
 *
 *   gen-fuzz-seeds DIR     writes DIR/cpgmsg/..., DIR/proto/... and
 *                          DIR/csv_proto/...
 *
 * The output is checked in as tests/fuzz/corpus; run this again when a
 * format changes.
 */
#include "cpgmsg.h"
#include "proto.h"
#include "csv-proto.h"
#include "state.h"
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *outdir;
static int failures;

static void
write_seed(const char *target, const char *name, const void *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		perror(path);
		failures++;
		return;
	}
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		failures++;
	}
}

static void
cpg_seed(const char *name, enum cd_cpg_type type, const char *json)
{
	json_object *body = json_tokener_parse(json);
	size_t len;
	void *buf;

	buf = body ? cd_cpg_encode(type, body, &len) : NULL;
	if (!buf) {
		fprintf(stderr, "seed %s: cannot encode\n", name);
		failures++;
	} else {
		write_seed("cpgmsg", name, buf, len);
	}
	free(buf);
	json_object_put(body);
}

/* A SYNC_STATE of a realistic state, and one the validator refuses. */
static void
state_seeds(void)
{
	static const char ops_json[] =
		"[{\"op\":\"set\",\"path\":\"config.nodes\",\"value\":"
		"{\"n1\":{\"id\":1,\"addr\":\"10.0.0.1\"},\"n2\":{\"id\":2,\"addr\":\"10.0.0.2\"},"
		"\"n3.lab\":{\"id\":3,\"addr\":\"10.0.0.3\"}}},"
		"{\"op\":\"set\",\"path\":\"config.properties.migration-bandwidth-mbps\",\"value\":100},"
		"{\"op\":\"set\",\"path\":\"config.resources.web\",\"value\":{\"type\":\"vm\","
		"\"disks\":[{\"volume\":\"v1\",\"bus\":\"virtio\"}],\"memory_mb\":2048,\"ratio\":0.5}},"
		"{\"op\":\"set\",\"path\":\"config.volumes.v1\",\"value\":{\"iqn\":\"iqn.2024-01.x:v1\"}},"
		"{\"op\":\"set\",\"path\":\"runtime.resources.web\",\"value\":{\"node\":\"n1\"}},"
		"{\"op\":\"set\",\"path\":\"runtime.fences\",\"value\":[{\"node\":\"n3.lab\",\"ok\":true}]}]";
	struct cd_state s = { 0 };
	json_object *ops, *body;
	char err[256];
	size_t len;
	void *buf;

	ops = json_tokener_parse(ops_json);
	if (cd_state_init(&s, "prod", "8c5f0e0e-1111-2222-3333-444455556666") < 0 ||
	    !ops || cd_state_apply(&s, ops, err, sizeof(err)) < 0) {
		fprintf(stderr, "state seed: %s\n", err);
		failures++;
		json_object_put(ops);
		cd_state_clear(&s);
		return;
	}
	body = json_object_new_object();
	json_object_object_add(body, "to_generation", json_object_new_int64(1));
	json_object_object_add(body, "state", json_object_get(s.doc));
	buf = cd_cpg_encode(CD_CPG_SYNC_STATE, body, &len);
	if (buf)
		write_seed("cpgmsg", "sync-state-full", buf, len);
	else
		failures++;
	free(buf);

	json_object_object_add(s.doc, "format", json_object_new_int(2));
	buf = cd_cpg_encode(CD_CPG_SYNC_STATE, body, &len);
	if (buf)
		write_seed("cpgmsg", "sync-state-format2", buf, len);
	else
		failures++;
	free(buf);
	json_object_put(body);
	json_object_put(ops);
	cd_state_clear(&s);
}

static void
cpg_seeds(void)
{
	cpg_seed("change-set-property", CD_CPG_CHANGE,
		 "{\"req\":1,\"origin\":1,\"ops\":[{\"op\":\"set\",\"path\":"
		 "\"config.properties.migration-bandwidth-mbps\",\"value\":100}]}");
	cpg_seed("change-nodes", CD_CPG_CHANGE,
		 "{\"req\":2,\"origin\":2,\"ops\":[{\"op\":\"set\",\"path\":\"config.nodes.n4\","
		 "\"value\":{\"id\":4,\"addr\":\"10.0.0.4\"}},{\"op\":\"delete\",\"path\":"
		 "\"config.nodes.n2\"}]}");
	cpg_seed("change-mixed", CD_CPG_CHANGE,
		 "{\"req\":18446744073709551615,\"origin\":4294967295,\"ops\":["
		 "{\"op\":\"set\",\"path\":\"config.resources.db.params\",\"value\":"
		 "{\"a\":[1,-2.5e3,true,false,null,\"\\u00e9/\\\"\"],\"b\":{}}},"
		 "{\"op\":\"delete\",\"path\":\"runtime.resources.web\"},"
		 "{\"op\":\"set\",\"path\":\"runtime.fences\",\"value\":[]},"
		 "{\"op\":\"set\",\"path\":\"config.quorum.witness\",\"value\":null}]}");
	cpg_seed("change-refused", CD_CPG_CHANGE,
		 "{\"req\":9,\"origin\":3,\"ops\":[{\"op\":\"set\",\"path\":\"config.x\","
		 "\"value\":1},{\"op\":\"set\",\"path\":\"generation\",\"value\":0}]}");
	cpg_seed("change-test", CD_CPG_CHANGE,
		 "{\"req\":6,\"origin\":2,\"ops\":[{\"op\":\"test\",\"path\":"
		 "\"runtime.resources.web.node\",\"value\":\"n1\"},{\"op\":\"set\","
		 "\"path\":\"runtime.resources.web.node\",\"value\":\"n2\"}]}");
	cpg_seed("change-invalid-result", CD_CPG_CHANGE,
		 "{\"req\":5,\"origin\":1,\"ops\":[{\"op\":\"set\",\"path\":"
		 "\"config.nodes.n9\",\"value\":{\"id\":1,\"addr\":\"x\"}}]}");
	cpg_seed("sync-offer", CD_CPG_SYNC_OFFER,
		 "{\"generation\":42,\"hash\":\"0123456789abcdef\","
		 "\"uuid\":\"8c5f0e0e-1111-2222-3333-444455556666\"}");
	cpg_seed("sync-offer-empty", CD_CPG_SYNC_OFFER,
		 "{\"generation\":0,\"hash\":\"0000000000000000\",\"uuid\":\"\"}");
	cpg_seed("sync-state-small", CD_CPG_SYNC_STATE,
		 "{\"to_generation\":0,\"state\":{\"format\":1,\"uuid\":\"u\","
		 "\"generation\":0,\"config\":{\"cluster_name\":\"c\",\"nodes\":{},"
		 "\"quorum\":{},\"properties\":{},\"roles\":{},\"resources\":{},"
		 "\"volumes\":{}},\"runtime\":{\"resources\":{},\"fences\":[]}}}");
	state_seeds();
}

static void
proto_seed(const char *name, void *buf, const size_t *len)
{
	if (!buf) {
		fprintf(stderr, "seed %s: cannot encode\n", name);
		failures++;
		return;
	}
	write_seed("proto", name, buf, *len);
	free(buf);
}

static void
proto_seeds(void)
{
	json_object *args = json_tokener_parse("{\"name\":\"web\",\"force\":true,"
					       "\"n\":[1,2.5,null],\"o\":{\"k\":\"v\"}}");
	size_t len = 0;
	void *buf;

	/* One statement each: len is set by the call. */
	buf = cd_proto_request_encode("vm-move", args, &len);
	proto_seed("request-args", buf, &len);
	buf = cd_proto_request_encode("status", NULL, &len);
	proto_seed("request-bare", buf, &len);
	buf = cd_proto_reply_encode(args, 0, NULL, &len);
	proto_seed("reply-data", buf, &len);
	buf = cd_proto_reply_encode(NULL, 0, NULL, &len);
	proto_seed("reply-empty", buf, &len);
	buf = cd_proto_reply_encode(NULL, -CD_E_NOT_QUORATE, "no quorum", &len);
	proto_seed("reply-error", buf, &len);
	buf = cd_proto_event_encode("membership", args, &len);
	proto_seed("event-data", buf, &len);
	buf = cd_proto_event_encode("quorum", NULL, &len);
	proto_seed("event-bare", buf, &len);
	json_object_put(args);
}

/* One CSV frame of every op, request and reply, plus an error reply. */
static void
csv_seeds(void)
{
	static const char data[] = "0123456789abcdef";
	unsigned char ents[256];
	struct csv_dirent d = { .ino = 2, .next = 1, .type = 4, .name = "." };
	struct csv_msg m;
	char name[64];
	size_t len, used = 0;
	unsigned op;
	void *buf;
	int reply;

	(void)csv_dirent_put(ents, sizeof(ents), &used, &d);
	snprintf(d.name, sizeof(d.name), "disk.qcow2");
	d.ino = 12;
	d.next = 2;
	d.type = 8;
	(void)csv_dirent_put(ents, sizeof(ents), &used, &d);
	for (op = 1; op < CSV_OP_COUNT; op++) {
		for (reply = 0; reply < 2; reply++) {
			memset(&m, 0, sizeof(m));
			m.op = (uint16_t)op;
			m.flags = reply ? CSV_F_REPLY : 0;
			m.id = op;
			m.fh = 3;
			m.off = 4096;
			m.len = 512;
			m.mode = 0100644;
			m.caps = CSV_CAP_REDIRECTED | CSV_CAP_LOCKS;
			m.attr.ino = 12;
			m.attr.nlink = 1;
			m.atime.nsec = CSV_UTIME_NOW;
			snprintf(m.path, sizeof(m.path), "/vm/web.qcow2");
			snprintf(m.path2, sizeof(m.path2), "/vm/web.old");
			snprintf(m.name, sizeof(m.name), "user.x");
			m.data = op == CSV_OP_READDIR ? (const void *)ents : data;
			m.datalen = op == CSV_OP_READDIR ? (uint32_t)used : sizeof(data);
			buf = csv_encode(&m, &len);
			if (!buf) {
				fprintf(stderr, "csv seed %s: cannot encode\n", csv_op_name(op));
				failures++;
				continue;
			}
			snprintf(name, sizeof(name), "%s-%s", csv_op_name(op),
				 reply ? "reply" : "request");
			write_seed("csv_proto", name, buf, len);
			free(buf);
		}
	}
	memset(&m, 0, sizeof(m));
	m.op = CSV_OP_CREATE;
	m.flags = CSV_F_REPLY;
	m.id = 9;
	m.status = -17;
	buf = csv_encode(&m, &len);
	if (buf)
		write_seed("csv_proto", "create-error-reply", buf, len);
	free(buf);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];
	if (mkdir(outdir, 0755) < 0 && errno != EEXIST) {
		perror(outdir);
		return 1;
	}
	cpg_seeds();
	proto_seeds();
	csv_seeds();
	return failures ? 1 : 0;
}
