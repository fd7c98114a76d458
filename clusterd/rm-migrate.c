/*
 * rm-migrate.c - the resource manager's live and quick migrations: the
 * steps each end runs (from the owner duties) and the leader's part
 * (starting a migration for a MOVE, resolving one whose side was lost).
 */
#include "rm-int.h"
#include "ephemeral.h"
#include "migphase.h"
#include "log.h"
#include "timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

/* ---- live and quick migration ----
 *
 * runtime.roles.R.migration.phase drives both ends; each step is run by one
 * side and reported as a guarded change that names the next phase. Which
 * side runs which agent action in which phase, and what follows, is
 * lib/migphase.h's table (rules M1-M11); this file runs the steps, reports
 * them and resends refused reports.
 */

#define MIGRATE_TIMEOUT_MS 300000
/*
 * A finished step whose report the cluster refuses (not a stale test, not a
 * passing condition such as a sync round) is resent at most this many
 * times, or for this long, then the migration is rolled back (abort: the
 * target drops its copy, the source resumes); the step itself never runs
 * twice. (It once re-ran migrate_to 2,651 times in 14 minutes.)
 */
#define REPORT_MAX_TRIES 3
#define REPORT_MAX_MS 10000
#define REPORT_RETRY_MS 500	/* pace of resends, and of the check that it landed */

struct mig_ctx {
	struct cd_rm *rm;
	char role[RM_NAME_MAX];
	char phase[16];
	uint64_t last_progress_ms;
};

#define PROGRESS_EVERY_MS 500

/*
 * migrate_to's progress lines ("progress percent=.. mbps=.. remaining=..")
 * go to every node at most every PROGRESS_EVERY_MS, for clusterctl move's
 * progress bar on whichever node it runs: as an ephemeral value
 * (ephemeral.h), shown while this migration is in this phase, never
 * written to the replicated state (it was once fsynced twice a second).
 */
static void
mig_progress(void *ctx, const char *line)
{
	struct mig_ctx *mc = ctx;
	json_object *ops, *at;
	uint64_t now = cd_now_mono_ms();
	int rc;

	if (strncmp(line, "progress ", 9) || now < mc->last_progress_ms + PROGRESS_EVERY_MS)
		return;
	mc->last_progress_ms = now;
	ops = json_object_new_array();
	cd_sp_op(ops, "test", json_object_new_string(mc->phase), CD_SP_MIG_PHASE, mc->role);
	at = cd_sp_get(cd_replica_state(mc->rm->d), CD_SP_MIG_STARTED_AT, mc->role);
	cd_sp_op(ops, "test", json_object_get(at), CD_SP_MIG_STARTED_AT, mc->role);
	cd_sp_op(ops, "set", json_object_new_string(line + 9), CD_SP_MIG_PROGRESS, mc->role);
	rc = cd_ephemeral_send(mc->rm->d, ops);
	if (rc < 0)
		cd_debug("rm: role %s: progress not sent: %s", mc->role, strerror(-rc));
	json_object_put(ops);
}

static void mig_report(struct cd_rm *rm, struct rm_role *r, struct local_role *l,
		       const struct cd_mig_step *step, enum cd_mig_phase next, bool switched,
		       const char *error, const char *uri, const char *result);

/* The value of "key=" in agent output, up to the end of its line. */
static void
out_value(const char *out, const char *key, char *buf, size_t len)
{
	const char *p = out;
	size_t k = strlen(key);

	buf[0] = '\0';
	while (p && *p) {
		if (!strncmp(p, key, k)) {
			size_t n = strcspn(p + k, "\n");

			snprintf(buf, len, "%.*s", (int)n, p + k);
			return;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
}

/*
 * A live migration in paused mode (the source paused the guest for the
 * transfer, the target continued it): the send's result with downtime_ms
 * replaced by the real pause, the source's paused_at_ms to the target's
 * resumed_at_ms (CLOCK_MONOTONIC, as for quick migration). "" otherwise.
 */
static void
mig_paused_result(struct cd_rm *rm, struct rm_role *r, const char *confirm,
		  char *out, size_t len)
{
	const char *resumed = strstr(confirm, "resumed_at_ms="), *sv, *paused;
	char *dup, *tok, *save = NULL;
	json_object *saved;
	size_t n = 0;

	out[0] = '\0';
	saved = cd_sp_get(cd_replica_state(rm->d), CD_SP_MIG_RESULT, r->p.name);
	if (!resumed || !saved || !json_object_is_type(saved, json_type_string))
		return;
	sv = json_object_get_string(saved);
	if (!(paused = strstr(sv, "paused_at_ms=")) || !(dup = strdup(sv)))
		return;
	for (tok = strtok_r(dup, " ", &save); tok && n < len; tok = strtok_r(NULL, " ", &save)) {
		if (!strncmp(tok, "downtime_ms=", 12))
			n += (size_t)snprintf(out + n, len - n, "%sdowntime_ms=%lld", n ? " " : "",
					      atoll(resumed + 14) - atoll(paused + 13));
		else
			n += (size_t)snprintf(out + n, len - n, "%s%s", n ? " " : "", tok);
	}
	if (n < len)
		snprintf(out + n, len - n, " resumed_at_ms=%lld", atoll(resumed + 14));
	free(dup);
}

/*
 * The quick migration's result: the guest's pause from the source's save
 * to the target's resume (CLOCK_MONOTONIC, the same on every lab node /
 * host), from the save's recorded result and the restore's output.
 */
static void
mig_quick_result(struct cd_rm *rm, struct rm_role *r, const char *result, char *out,
		 size_t len)
{
	char paused[32] = "", resumed[32] = "", bytes[32] = "";
	json_object *saved;
	const char *p;

	saved = cd_sp_get(cd_replica_state(rm->d), CD_SP_MIG_RESULT, r->p.name);
	if (saved && json_object_is_type(saved, json_type_string)) {
		const char *sv = json_object_get_string(saved);

		if ((p = strstr(sv, "paused_at_ms=")))
			snprintf(paused, sizeof(paused), "%.*s", (int)strcspn(p + 13, " "), p + 13);
		if ((p = strstr(sv, "transferred=")))
			snprintf(bytes, sizeof(bytes), "%.*s", (int)strcspn(p + 12, " "), p + 12);
	}
	if ((p = strstr(result, "resumed_at_ms=")))
		snprintf(resumed, sizeof(resumed), "%.*s", (int)strcspn(p + 14, " "), p + 14);
	if (paused[0] && resumed[0])
		snprintf(out, len, "type=quick downtime_ms=%lld transferred=%s%s",
			 atoll(resumed) - atoll(paused), bytes[0] ? bytes : "0",
			 strstr(result, " streamed=1") ? " streamed=1" : "");
	else
		snprintf(out, len, "type=quick %s", result);
}

/* M9: what the step leaves running here. */
static void
mig_run_effect(struct local_role *l, const struct cd_mig_step *step, bool ok)
{
	signed char v = ok ? step->run_ok : step->run_fail;

	if (v >= 0)
		l->running = (uint32_t)v;
}

static void
mig_done(void *ctx, const struct cd_op_result *res)
{
	struct mig_ctx *mc = ctx;
	struct cd_rm *rm = mc->rm;
	struct local_role *l = rm_local_get(rm, mc->role, false);
	struct rm_role *r = rm_model_role(&rm->model, mc->role);
	const struct cd_mig_step *step = NULL;
	char uri[256], result[512], err[300], out[512];
	const char *error, *rec = NULL;
	enum cd_mig_phase ph = CD_MIG_NONE;
	enum cd_mig_type type = CD_MIG_LIVE;
	bool ok = res->rc == OCF_SUCCESS, step_ok;

	if (l && r && r->mig.active && !strcmp(r->mig.phase, mc->phase) &&
	    !cd_migphase_parse(mc->phase, &ph) && !cd_migtype_parse(r->mig.type, &type))
		step = cd_migphase_step(type, ph);
	if (!step || !step->action) {
		if (l)
			l->mig_busy = false;
		free(mc);
		rm_schedule_reconcile(rm);
		return;
	}
	l->mig_busy = false;
	rm_op_failure(err, sizeof(err), res);
	out_value(res->output, "uri=", uri, sizeof(uri));
	out_value(res->output, "result ", result, sizeof(result));
	cd_info("rm: role %s: migration %s step %s %s", r->p.name, r->mig.type, mc->phase,
		ok ? "done" : "FAILED");
	mig_run_effect(l, step, ok);	/* a prepared QEMU is ours to clean up */
	step_ok = ok;
	error = cd_migphase_error_matters(step, ok) ? err : NULL;
	if (ok && type == CD_MIG_LIVE && (step->flags & CD_MIG_GIVES_URI) && !uri[0]) {
		step_ok = false;	/* M3 */
		error = "migrate_prepare printed no uri";
	}
	/* what the step's result adds to the record */
	switch (ph) {
	case CD_MIG_SEND:
	case CD_MIG_SAVE:
		rec = result;
		break;
	case CD_MIG_FINISH:
		mig_paused_result(rm, r, result, out, sizeof(out));
		rec = ok && out[0] ? out : NULL;
		break;
	case CD_MIG_RESTORE:
		mig_quick_result(rm, r, result, out, sizeof(out));
		rec = ok ? out : NULL;
		break;
	default:
		break;
	}
	mig_report(rm, r, l, step, step_ok ? step->on_success : step->on_failure,
		   step_ok && (step->flags & CD_MIG_SWITCH), error,
		   (step->flags & CD_MIG_GIVES_URI) ? uri : NULL, rec);
	free(mc);
	rm_schedule_reconcile(rm);
}

/*
 * This node's IPv4 address inside the cluster property migration-network
 * (A.B.C.D/N), or "" when the property is unset or no interface matches.
 */
static void
migration_address(struct cd_rm *rm, char *out, size_t len)
{
	const struct cd_state *st = cd_replica_state(rm->d);
	json_object *v = cd_sp_get(st, CD_SP_PROPERTY, "migration-network");
	struct ifaddrs *ifs, *i;
	struct in_addr net;
	char buf[32], *slash;
	long prefix;
	uint32_t mask;

	out[0] = '\0';
	if (!v || !json_object_is_type(v, json_type_string))
		return;
	snprintf(buf, sizeof(buf), "%s", json_object_get_string(v));
	slash = strchr(buf, '/');
	if (!slash)
		return;
	*slash = '\0';
	prefix = strtol(slash + 1, NULL, 10);
	if (inet_pton(AF_INET, buf, &net) != 1 || prefix < 1 || prefix > 32 ||
	    getifaddrs(&ifs) < 0)
		return;
	mask = prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
	for (i = ifs; i; i = i->ifa_next) {
		struct sockaddr_in *sin = (struct sockaddr_in *)(void *)i->ifa_addr;

		if (!sin || sin->sin_family != AF_INET)
			continue;
		if ((ntohl(sin->sin_addr.s_addr) & mask) == (ntohl(net.s_addr) & mask)) {
			inet_ntop(AF_INET, &sin->sin_addr, out, (socklen_t)len);
			break;
		}
	}
	freeifaddrs(ifs);
	if (!out[0])
		cd_warn("rm: no address of this node in migration-network %s; "
			"using the default", json_object_get_string(v));
}

static void
mig_run(struct cd_rm *rm, struct rm_role *r, struct local_role *l,
	const struct cd_mig_step *step)
{
	const char *action = step->action;
	const struct cd_state *st = cd_replica_state(rm->d);
	struct cd_op_request req = { 0 };
	struct mig_ctx *mc;
	char env_uri[300], env_bw[64], env_dt[64], env_addr[80], addr[48];
	char env_src[RM_NAME_MAX + 40], env_tgt[RM_NAME_MAX + 40];
	const char *env[9];
	json_object *uri;
	size_t ne = 0;

	mc = calloc(1, sizeof(*mc));
	if (!mc)
		return;
	mc->rm = rm;
	snprintf(mc->role, sizeof(mc->role), "%s", r->p.name);
	snprintf(mc->phase, sizeof(mc->phase), "%s", r->mig.phase);
	uri = cd_sp_get(st, CD_SP_MIG_URI, r->p.name);
	if (uri && json_object_is_type(uri, json_type_string)) {
		snprintf(env_uri, sizeof(env_uri), "OCF_RESKEY_CRM_meta_migrate_uri=%s",
			 json_object_get_string(uri));
		env[ne++] = env_uri;
	}
	if (step->type == CD_MIG_QUICK)
		env[ne++] = "OCF_RESKEY_CRM_meta_migrate_mode=quick";
	/* Pacemaker's names: the TLS peers of a live migration (the target
	 * accepts only the source's certificate, the source sends only to the
	 * target's; agents/vm/qemu-tls.c). */
	snprintf(env_src, sizeof(env_src), "OCF_RESKEY_CRM_meta_migrate_source=%s", r->mig.from);
	snprintf(env_tgt, sizeof(env_tgt), "OCF_RESKEY_CRM_meta_migrate_target=%s", r->mig.to);
	env[ne++] = env_src;
	env[ne++] = env_tgt;
	/* The target listens on the migration network when there is one. */
	if ((step->flags & CD_MIG_GIVES_URI) &&
	    !json_object_object_get_ex(r->rsc[0].params, "migration_address", NULL)) {
		migration_address(rm, addr, sizeof(addr));
		if (addr[0]) {
			snprintf(env_addr, sizeof(env_addr), "OCF_RESKEY_migration_address=%s", addr);
			env[ne++] = env_addr;
		}
	}
	/* Cluster migration settings, unless the resource sets its own. */
	snprintf(env_bw, sizeof(env_bw), "OCF_RESKEY_migration_bandwidth=%lld",
		 (long long)rm_prop_int(rm, "migration-bandwidth-mbps", 0));
	snprintf(env_dt, sizeof(env_dt), "OCF_RESKEY_migration_downtime=%lld",
		 (long long)rm_prop_int(rm, "migration-downtime-ms", 300));
	if (!json_object_object_get_ex(r->rsc[0].params, "migration_bandwidth", NULL))
		env[ne++] = env_bw;
	if (!json_object_object_get_ex(r->rsc[0].params, "migration_downtime", NULL))
		env[ne++] = env_dt;
	env[ne] = NULL;
	req.rsc_id = r->rsc[0].id;
	req.agent = r->rsc[0].agent;
	req.action = action;
	req.params = r->rsc[0].params;
	req.extra_env = env;
	req.timeout_ms = MIGRATE_TIMEOUT_MS;
	if (step->flags & CD_MIG_PROGRESS)
		req.on_line = mig_progress;
	rm_monitors_stop(rm, l);
	l->mig_busy = true;
	snprintf(l->mig_phase, sizeof(l->mig_phase), "%s", r->mig.phase);
	cd_info("rm: role %s: migration %s: %s here", r->p.name, r->mig.phase, action);
	if (cd_exec_run(rm->exec, &req, mig_done, mc) < 0) {
		struct cd_op_result res = { .rsc_id = r->rsc[0].id, .action = action,
					    .rc = OCF_ERR_INSTALLED, .output = "" };

		mig_done(mc, &res);
	}
}

static void
mig_report_clear(struct local_role *l)
{
	l->mig_reported[0] = '\0';
	json_object_put(l->mig_ops);
	l->mig_ops = NULL;
	l->mig_since_ms = 0;
	l->mig_tries = 0;
	l->mig_sent_ms = 0;
	l->mig_key[0] = '\0';
}

/* Which migration of r this is: a report belongs to one only. */
static void
mig_key(struct cd_rm *rm, struct rm_role *r, char *buf, size_t len)
{
	json_object *at;

	at = cd_sp_get(cd_replica_state(rm->d), CD_SP_MIG_STARTED_AT, r->p.name);
	snprintf(buf, len, "%s>%s@%lld", r->mig.from, r->mig.to,
		 at ? (long long)json_object_get_int64(at) : 0LL);
}

static void
retry_fn(void *data)
{
	struct cd_rm *rm = data;

	rm->mig_retry_armed = false;
	rm_schedule_reconcile(rm);
}

/* Look again in REPORT_RETRY_MS (cd_rm_stop deletes the timer). */
static void
mig_retry_later(struct cd_rm *rm)
{
	if (rm->mig_retry_armed)
		return;
	if (qb_loop_timer_add(rm->d->loop, QB_LOOP_LOW,
			      (uint64_t)REPORT_RETRY_MS * QB_TIME_NS_IN_MSEC, rm,
			      retry_fn, &rm->mig_retry_timer) == 0)
		rm->mig_retry_armed = true;
}

/* Send the kept report of l (again). */
static void
mig_report_send(struct cd_rm *rm, const char *role, struct local_role *l)
{
	l->mig_sent_ms = cd_now_mono_ms();
	rm_submit_role_ops(rm, role, json_object_get(l->mig_ops), false);
	mig_retry_later(rm);
}

/*
 * May a migration whose step of phase ph ended here be rolled back (M7)?
 * Only while the guest has not run on the target; a pre-copy send's target
 * runs the guest already (dropping it once lost a guest's 14 minutes).
 * The paused mode is in the send's result, in the kept report.
 */
static bool
mig_undoable(struct rm_role *r, const char *ph, json_object *ops)
{
	enum cd_mig_phase p;
	enum cd_mig_type t;

	if (cd_migphase_parse(ph, &p) || cd_migtype_parse(r->mig.type, &t))
		return false;
	return cd_migphase_undoable(t, p, strstr(json_object_to_json_string(ops), "mode=paused"));
}

/*
 * Our step of phase l->mig_reported ended but the state still shows that
 * phase: its report did not land. Resend it every REPORT_RETRY_MS (the
 * step never re-runs); when the cluster keeps refusing it (REPORT_MAX_TRIES
 * refusals or REPORT_MAX_MS), roll the migration back if it can be.
 */
static void
mig_report_retry(struct cd_rm *rm, struct rm_role *r, struct local_role *l)
{
	const char *ph = r->mig.phase;
	uint64_t now = cd_now_mono_ms();
	json_object *ops;
	char err[300];

	if (now < l->mig_sent_ms + REPORT_RETRY_MS) {
		mig_retry_later(rm);
		return;
	}
	if ((l->mig_tries >= REPORT_MAX_TRIES ||
	     (l->mig_since_ms && now >= l->mig_since_ms + REPORT_MAX_MS)) &&
	    mig_undoable(r, ph, l->mig_ops)) {
		snprintf(err, sizeof(err), "the cluster refused to record the end of "
			 "step %s (%s); migration rolled back", ph,
			 rm->refused_msg[0] ? rm->refused_msg : "see the log");
		cd_err("rm: role %s: %s", r->p.name, err);
		ops = json_object_new_array();
		cd_sp_op(ops, "test", json_object_new_string(ph), CD_SP_MIG_PHASE, r->p.name);
		cd_sp_op(ops, "set", json_object_new_string(cd_migphase_str(CD_MIG_ABORT)),
			 CD_SP_MIG_PHASE, r->p.name);
		cd_sp_op(ops, "set", json_object_new_string(err), CD_SP_RT_ROLE_LAST_ERROR,
			 r->p.name);
		/* The abort is kept and resent like any report (not undoable). */
		json_object_put(l->mig_ops);
		l->mig_ops = ops;
		l->mig_tries = 0;
		l->mig_since_ms = now;
		mig_report_send(rm, r->p.name, l);
		return;
	}
	if (l->mig_since_ms)
		cd_warn("rm: role %s: migration: resending the report of step %s "
			"(%u refused)", r->p.name, ph, l->mig_tries);
	mig_report_send(rm, r->p.name, l);
}

void
rm_migration_duties(struct cd_rm *rm, struct rm_role *r, struct local_role *l)
{
	const char *me = rm_local_name(rm), *ph = r->mig.phase;
	bool src = !strcmp(r->mig.from, me), dst = !strcmp(r->mig.to, me);
	const struct cd_mig_step *step;
	enum cd_mig_phase p;
	enum cd_mig_type t;

	if (l->mig_busy && strcmp(l->mig_phase, ph)) {
		/*
		 * The migration moved on without us (the other side was lost and
		 * the leader decided): stop our step; abort-source cleans up.
		 */
		cd_warn("rm: role %s: migration is now %s: cancelling our %s step",
			r->p.name, ph, l->mig_phase);
		l->mig_phase[0] = '\0';
		cd_exec_cancel(rm->exec, r->rsc[0].id);
		return;
	}
	if (l->mig_busy || l->inflight || l->op != L_IDLE)
		return;
	if (l->mig_reported[0]) {
		char key[sizeof(l->mig_key)];

		mig_key(rm, r, key, sizeof(key));
		if (!strcmp(l->mig_reported, ph) && !strcmp(l->mig_key, key)) {
			mig_report_retry(rm, r, l);
			return;
		}
		mig_report_clear(l);	/* recorded: the migration moved on */
	}
	/* M2: this node's step, if the phase is one of ours */
	if (cd_migphase_parse(ph, &p) || cd_migtype_parse(r->mig.type, &t))
		return;
	step = cd_migphase_step(t, p);
	if (step && cd_migphase_action(t, p, src, dst))
		mig_run(rm, r, l, step);
}

/*
 * Report a finished step of phase step->phase: move to the next phase, or
 * end the migration (done, M5); switched: the target is the owner now (M4).
 */
static void
mig_report(struct cd_rm *rm, struct rm_role *r, struct local_role *l,
	   const struct cd_mig_step *step, enum cd_mig_phase next, bool switched,
	   const char *error, const char *uri, const char *result)
{
	json_object *ops = json_object_new_array();
	const char *name = r->p.name;

	cd_sp_op(ops, "test", json_object_new_string(r->mig.phase), CD_SP_MIG_PHASE, name);
	if (uri && uri[0]) {
		cd_sp_op(ops, "set", json_object_new_string(uri), CD_SP_MIG_URI, name);
	}
	if (result && result[0]) {
		cd_sp_op(ops, "set", json_object_new_string(result), CD_SP_MIG_RESULT, name);
		cd_sp_op(ops, "set", json_object_new_string(result), CD_SP_RT_ROLE_LAST_MIGRATION,
			 name);
	}
	if (error) {
		cd_sp_op(ops, "set", json_object_new_string(error), CD_SP_MIG_ERROR, name);
		cd_sp_op(ops, "set", json_object_new_string(error), CD_SP_RT_ROLE_LAST_ERROR, name);
	}
	if (switched) {
		/* The guest runs on the target now: it is the owner. */
		cd_sp_op(ops, "set", json_object_new_string(r->mig.to), CD_SP_RT_ROLE_OWNER, name);
		cd_sp_op(ops, "set", json_object_new_string(r->mig.to), CD_SP_RT_ROLE_LAST_OWNER,
			 name);
	}
	if (next == CD_MIG_DONE) {
		cd_sp_op(ops, "delete", NULL, CD_SP_MIG, name);
		cd_sp_op(ops, "set", json_object_new_string(l->running ||
						       !(step->flags & CD_MIG_FAIL_ROLE) ?
						       "started" : "failed"),
			 CD_SP_RT_ROLE_STATE, name);
	} else {
		cd_sp_op(ops, "set", json_object_new_string(cd_migphase_str(next)), CD_SP_MIG_PHASE,
			 name);
	}
	cd_info("rm: role %s: migration %s -> %s%s%s", name, r->mig.phase, cd_migphase_str(next),
		error ? ": " : "", error ? error : "");
	/* Kept until recorded: resent if refused, the step never re-run. */
	mig_report_clear(l);
	snprintf(l->mig_reported, sizeof(l->mig_reported), "%s", r->mig.phase);
	mig_key(rm, r, l->mig_key, sizeof(l->mig_key));
	l->mig_ops = ops;
	mig_report_send(rm, name, l);
}

/*
 * Leader: start a migration for a MOVE of a migratable role (M1), and
 * resolve migrations whose source or target was lost (M8: only once that
 * node is fenced, it may still run the guest).
 */
bool
rm_leader_migrate(struct cd_rm *rm, struct rm_role *r, const char *to)
{
	json_object *ops, *mig;
	enum cd_mig_type type;

	if (!r->migratable || cd_migtype_parse(r->move_type, &type) ||
	    r->p.state != CD_ROLE_STARTED || !r->p.owner[0] || r->mig.active)
		return false;
	ops = json_object_new_array();
	rm_ops_guard(ops, r->p.name, r->p.owner, "started");
	mig = json_object_new_object();
	json_object_object_add(mig, "type", json_object_new_string(r->move_type));
	json_object_object_add(mig, "from", json_object_new_string(r->p.owner));
	json_object_object_add(mig, "to", json_object_new_string(to));
	json_object_object_add(mig, "phase", json_object_new_string(	/* M1 */
		cd_migphase_str(cd_migphase_next(type, CD_MIG_NONE, true))));
	json_object_object_add(mig, "started_at", json_object_new_int64((int64_t)time(NULL)));
	cd_sp_op(ops, "set", mig, CD_SP_MIG, r->p.name);
	cd_sp_op(ops, "set", json_object_new_string("migrating"), CD_SP_RT_ROLE_STATE, r->p.name);
	cd_sp_op(ops, "set", json_object_new_string(""), CD_SP_RT_ROLE_MOVE_TO, r->p.name);
	cd_sp_op(ops, "set", json_object_new_string(""), CD_SP_RT_ROLE_MOVE_TYPE, r->p.name);
	rm_drain_note_start(rm, ops, r->p.name, r->p.owner);
	cd_info("rm: leader: %s migration of role %s from %s to %s", r->move_type, r->p.name,
		r->p.owner, to);
	rm_submit_role_ops(rm, r->p.name, ops, true);
	return true;
}

void
rm_leader_resolve_migrations(struct cd_rm *rm)
{
	const struct cd_membership *m = &rm->d->mship;
	size_t i;

	for (i = 0; i < rm->model.n_roles; i++) {
		struct rm_role *r = &rm->model.roles[i];
		struct rm_node_rt *src, *dst;
		const struct cd_node *ms, *md;
		enum cd_mig_loss loss;
		enum cd_mig_phase ph;
		bool src_up, dst_up;
		json_object *ops;

		if (!r->mig.active || rm_inflight_has(rm, r->p.name) ||
		    cd_migphase_parse(r->mig.phase, &ph))
			continue;
		src = rm_model_node(&rm->model, r->mig.from);
		dst = rm_model_node(&rm->model, r->mig.to);
		ms = src ? cd_membership_node(m, src->id) : NULL;
		md = dst ? cd_membership_node(m, dst->id) : NULL;
		src_up = ms && cd_membership_node_state(ms) == CD_NODE_UP;
		dst_up = md && cd_membership_node_state(md) == CD_NODE_UP;
		loss = cd_migphase_node_lost(ph, src_up, src && src->fenced, dst_up,
					     dst && dst->fenced);
		if (loss != CD_MIG_LOSS_RECOVER && loss != CD_MIG_LOSS_TAKE_BACK)
			continue;	/* both up, or wait until the lost node is fenced */
		ops = json_object_new_array();
		cd_sp_op(ops, "test", json_object_new_string(r->mig.phase), CD_SP_MIG_PHASE,
			 r->p.name);
		if (loss == CD_MIG_LOSS_RECOVER) {
			/* M8b: the source is gone and fenced: recover on the target (cold);
			 * not HA (policy.h rule 9) only once its send has copied the local
			 * disks, else it waits stopped for its source, its last owner */
			bool cold = dst_up && (!r->p.not_ha || ph == CD_MIG_FINISH ||
					       ph == CD_MIG_CLEANUP);

			cd_sp_op(ops, "delete", NULL, CD_SP_MIG, r->p.name);
			cd_sp_op(ops, "set", json_object_new_string(cold ? r->mig.to : ""),
				 CD_SP_RT_ROLE_OWNER, r->p.name);
			if (cold)
				cd_sp_op(ops, "set", json_object_new_string(r->mig.to),
					 CD_SP_RT_ROLE_LAST_OWNER, r->p.name);
			cd_sp_op(ops, "set",
				 json_object_new_string(cold ? "starting" : "stopped"),
				 CD_SP_RT_ROLE_STATE, r->p.name);
		} else {
			/* M8c: the target is gone and fenced: the source takes the guest back. */
			cd_sp_op(ops, "set",
				 json_object_new_string(cd_migphase_str(CD_MIG_ABORT_SOURCE)),
				 CD_SP_MIG_PHASE, r->p.name);
			cd_sp_op(ops, "set", json_object_new_string(r->mig.from),
				 CD_SP_RT_ROLE_OWNER, r->p.name);
		}
		cd_warn("rm: role %s: %s lost during its migration; resolving", r->p.name,
			src_up ? r->mig.to : r->mig.from);
		rm_submit_role_ops(rm, r->p.name, ops, true);
	}
}
