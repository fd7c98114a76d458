/*
 * qemu-qmp.c - QMP helpers of the qemu plugin (see qemu-ops.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "qemu-argv.h"
#include "qemu-ops.h"
#include "qemu-proc.h"
#include "timeutil.h"

uint32_t
cd_qemu_left_ms(uint64_t deadline)
{
	uint64_t now = cd_now_mono_ms();

	return now >= deadline ? 0 : (uint32_t)(deadline - now);
}

uint32_t
cd_qemu_min_ms(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* Connect to one of the VM's QMP sockets. */
struct cd_qmp *
cd_qemu_qmp_open(struct cd_hv_vm *vm, const char *sock, uint32_t timeout_ms, int *rc)
{
	char path[4096], err[256];
	struct cd_qmp *q;

	if ((*rc = cd_qemu_path(vm, sock, path, sizeof(path))))
		return NULL;
	q = cd_qmp_connect(path, timeout_ms, err, sizeof(err));
	if (!q) {
		*rc = -errno;
		cd_qemu_fail(vm, *rc, "QMP: %s", err);
	}
	return q;
}

int
cd_qemu_qmp_fail(struct cd_hv_vm *vm, struct cd_qmp *q, int rc)
{
	return cd_qemu_fail(vm, rc, "QMP: %s", cd_qmp_last_error(q));
}

int
cd_qemu_resume_source(struct cd_hv_vm *vm, struct cd_qmp *q, const char *what)
{
	int rc;

	cd_qemu_log(vm, "resuming %s", what);
	if ((rc = cd_qmp_cmd(q, "cont", NULL, -1, QMP_TIMEOUT_MS, NULL)))
		return cd_qemu_qmp_fail(vm, q, rc);
	cd_qmp_cmdf(q, "announce-self", "{\"initial\":50,\"max\":550,"
		    "\"rounds\":5,\"step\":100}", QMP_TIMEOUT_MS, NULL);
	return 0;
}

/* query-status into buf ("running", "paused", "inmigrate", ...). */
int
cd_qemu_run_state(struct cd_hv_vm *vm, struct cd_qmp *q, char *buf, size_t size,
	  uint32_t timeout_ms)
{
	json_object *ret, *v;
	int rc;

	rc = cd_qmp_cmd(q, "query-status", NULL, -1, timeout_ms, &ret);
	if (rc)
		return cd_qemu_qmp_fail(vm, q, rc);
	snprintf(buf, size, "%s", json_object_object_get_ex(ret, "status", &v) ?
		 json_object_get_string(v) : "unknown");
	json_object_put(ret);
	return 0;
}

double
cd_qemu_jdouble(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ?
	       json_object_get_double(v) : 0.0;
}

/* query-migrate; *mig a new reference; status into buf ("" when none). */
int
cd_qemu_query_migrate(struct cd_hv_vm *vm, struct cd_qmp *q, json_object **mig,
	      char *status, size_t size)
{
	json_object *v;
	int rc;

	rc = cd_qmp_cmd(q, "query-migrate", NULL, -1, QMP_TIMEOUT_MS, mig);
	if (rc)
		return cd_qemu_qmp_fail(vm, q, rc);
	snprintf(status, size, "%s", json_object_object_get_ex(*mig, "status", &v) ?
		 json_object_get_string(v) : "");
	return 0;
}

void
cd_qemu_migrate_error(json_object *mig, char *buf, size_t size)
{
	json_object *v;

	snprintf(buf, size, "%s", json_object_object_get_ex(mig, "error-desc", &v) ?
		 json_object_get_string(v) : "no reason given");
}

/*
 * Sleep until QEMU reports a migration state change (MIGRATION event, with
 * the "events" capability on) or ms pass: completion is seen at once
 * instead of at the next poll. Events are consumed; the caller re-queries.
 */
void
cd_qemu_wait_migration_event(struct cd_qmp *q, uint32_t ms)
{
	int rc = cd_qmp_wait_event(q, "MIGRATION", ms, NULL);

	if (rc && rc != -ETIMEDOUT)
		cd_qemu_nap(ms);	/* connection trouble: the next query reports it */
}

int
cd_qemu_set_migration_params(struct cd_hv_vm *vm, struct cd_qmp *q, bool auto_converge,
		     uint64_t bandwidth, uint32_t downtime_ms, bool postcopy)
{
	json_object *args, *caps, *c;
	/* pause-before-switchover: only a shared-nothing live migration turns
	 * it on (qemu-snm.c), after this; a save must never stop in it */
	static const char *const off[] = { "xbzrle", "compress", "pause-before-switchover" };
	size_t i;
	int rc;

	args = json_object_new_object();
	caps = json_object_new_array();
	json_object_object_add(args, "capabilities", caps);
	c = json_object_new_object();
	json_object_object_add(c, "capability", json_object_new_string("events"));
	json_object_object_add(c, "state", json_object_new_boolean(1));
	json_object_array_add(caps, c);
	c = json_object_new_object();
	json_object_object_add(c, "capability", json_object_new_string("auto-converge"));
	json_object_object_add(c, "state", json_object_new_boolean(auto_converge));
	json_object_array_add(caps, c);
	/* post-copy only with the VM's policy postcopy (qemu-postcopy.c); the
	 * target turned it on in its prepare */
	c = json_object_new_object();
	json_object_object_add(c, "capability", json_object_new_string("postcopy-ram"));
	json_object_object_add(c, "state", json_object_new_boolean(postcopy));
	json_object_array_add(caps, c);
	/* xbzrle corrupted guests in the spike (3 of 12 runs): always off */
	for (i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		c = json_object_new_object();
		json_object_object_add(c, "capability", json_object_new_string(off[i]));
		json_object_object_add(c, "state", json_object_new_boolean(0));
		json_object_array_add(caps, c);
	}
	rc = cd_qmp_cmd(q, "migrate-set-capabilities", args, -1, QMP_TIMEOUT_MS, NULL);
	json_object_put(args);
	if (rc)
		return cd_qemu_qmp_fail(vm, q, rc);
	args = json_object_new_object();
	json_object_object_add(args, "max-bandwidth",
			       json_object_new_int64((int64_t)(bandwidth ? bandwidth :
							       UNLIMITED_BW)));
	/* the cap protects the network in post-copy too (0 there: unlimited) */
	json_object_object_add(args, "max-postcopy-bandwidth",
			       json_object_new_int64((int64_t)bandwidth));
	if (downtime_ms)
		json_object_object_add(args, "downtime-limit",
				       json_object_new_int64(downtime_ms));
	/* No TLS unless cd_qemu_tls_setup sets it up after this (a quick
	 * migration's fd has no peer to shake hands with). */
	json_object_object_add(args, "tls-creds", json_object_new_string(""));
	json_object_object_add(args, "tls-hostname", json_object_new_string(""));
	json_object_object_add(args, "tls-authz", json_object_new_string(""));
	rc = cd_qmp_cmd(q, "migrate-set-parameters", args, -1, QMP_TIMEOUT_MS, NULL);
	json_object_put(args);
	return rc ? cd_qemu_qmp_fail(vm, q, rc) : 0;
}
