/*
 * csv-io.c - the I/O load generator of bench/csv: the same workloads, by the
 * same code, against a file (on a CSV client mount, or on the coordinator's
 * private mount) and against a raw iSCSI LUN through lib/pr.h, so the three
 * paths of a cluster shared volume are measured alike.
 *
 *   csv-io [OPTIONS] TARGET [WORKLOAD...]
 *   csv-io meta [--files N] [--label NAME] [--json] DIR
 *
 * TARGET is a file path or an iscsi:// URL. A file is created if needed,
 * opened with O_DIRECT (buffered if the filesystem refuses it, or with
 * --buffered; "direct" in the output says which) and written over --size bytes first (the fill,
 * reported but not a workload), so no read meets a hole or an unwritten
 * extent. On a LUN, the region is [0, --size) (capped at the capacity); its
 * contents are overwritten. WORKLOAD is seqwrite, seqread, randwrite or
 * randread (default: all four in that order); sequential requests are
 * --seq-bs (1 MiB), random ones --rand-bs (4 KiB) at aligned offsets.
 *
 * Queue depth: each workload runs --seconds at each depth of --qd (1,16):
 * QD threads, each with one request in flight (synchronous pread/pwrite on
 * one shared fd; no AIO, which FUSE and ext4 would turn synchronous for
 * some requests anyway). On a LUN each thread has its own iSCSI session
 * (lib/pr.h sessions are one thread at a time), registered with its own key
 * (--key + slot; default the bench node id 65535 with the time as the
 * incarnation); session 0 also reserves the LUN (Write Exclusive -
 * Registrants Only), as a volume's coordinator does, so every write goes
 * through the same reservation check. Keys are removed at the end.
 * Writes end durable inside the timed interval, alike on every path: a file
 * with one fdatasync, the LUN with one SYNCHRONIZE CACHE (WRITE(16) without
 * FUA, then the LU's cache flushed, what a direct CSV client's fsync sends).
 *
 * meta: in a new directory under DIR, creates N empty files (open O_CREAT |
 * O_EXCL + close), stats each, unlinks each; one thread, ops/s per phase.
 *
 * --fill-only fills and stops; --no-fill skips the fill (an earlier run
 * did it), so a benchmark can interleave paths workload by workload.
 *
 * Output: one line per result; --json: one JSON object per line instead.
 * Exit status 0, 1 on an I/O error (printed), 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "iscsi-url.h"
#include "pr.h"

#define QD_MAX		64
#define IQN		"iqn.2026-11.org.clusterd:csv-io:bench"
#define PR_TIMEOUT_MS	30000

struct target {
	const char *label;
	bool iscsi;
	int fd;				/* file */
	bool direct;
	struct cd_pr *pr[QD_MAX];	/* LUN: one session per slot */
	int nsess;
	uint64_t key;			/* slot i registers key + i */
	uint64_t size;			/* bytes of the region used */
	uint32_t lbsz;
};

struct opts {
	uint64_t size, seq_bs, rand_bs, key;
	double seconds;
	int qd[8], nqd, files;
	bool json, no_fill, fill_only, buffered;
	const char *label;
};

/* one workload at one depth, shared by its threads */
struct run {
	struct target *t;
	bool write, seq;
	size_t bs;
	uint64_t nblk;			/* bs-sized blocks in the region */
	atomic_uint_fast64_t next;	/* sequential: next block */
	atomic_int err;
	atomic_bool stop;
	uint64_t deadline_ns;
};

struct slot {
	struct run *r;
	int idx;
	void *buf;
	uint32_t *lat_us;		/* per-request latencies */
	size_t n, cap;
	pthread_t th;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* ---- the two kinds of target ------------------------------------------- */

static int
target_io(struct target *t, int slot, bool write, void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	if (t->iscsi) {
		uint64_t lba = off / t->lbsz;

		return write ? cd_pr_write_blocks(t->pr[slot], lba, buf, len, 0)
			     : cd_pr_read_blocks(t->pr[slot], lba, buf, len);
	}
	n = write ? pwrite(t->fd, buf, len, (off_t)off) : pread(t->fd, buf, len, (off_t)off);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;	/* the region is written: no short I/O */
}

static const char *
target_strerror(const struct target *t, int err)
{
	return t->iscsi ? cd_pr_strerror(err) : strerror(-err);
}

/* Make the writes so far durable: fdatasync, or SYNCHRONIZE CACHE (one
 * session: it flushes the whole logical unit's cache). */
static int
target_sync(struct target *t)
{
	if (t->iscsi)
		return cd_pr_sync_cache(t->pr[0]);
	return fdatasync(t->fd) < 0 ? -errno : 0;
}

static int
file_open(struct target *t, const char *path, uint64_t size, bool buffered)
{
	t->fd = buffered ? -1 : open(path, O_RDWR | O_CREAT | O_DIRECT | O_CLOEXEC, 0644);
	t->direct = t->fd >= 0;
	if (t->fd < 0 && (buffered || errno == EINVAL))
		t->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (t->fd < 0)
		return -errno;
	t->size = size;
	return 0;
}

/* nsess sessions on the LUN, each registered; session 0 reserves (WERO) */
static int
lun_open(struct target *t, const char *url, uint64_t size, uint64_t key, int nsess)
{
	struct cd_iscsi_url u;
	char err[128];
	uint64_t blocks;
	uint32_t bsz;
	int i, rc;

	if (cd_iscsi_url_parse(url, &u, err, sizeof(err)) < 0) {
		fprintf(stderr, "csv-io: %s: %s\n", url, err);
		return -EINVAL;
	}
	t->iscsi = true;
	t->key = key;
	for (i = 0; i < nsess; i++) {
		t->pr[i] = cd_pr_open(&u, IQN, PR_TIMEOUT_MS, &rc);
		if (!t->pr[i]) {
			fprintf(stderr, "csv-io: %s: session %d: %s\n", url, i, cd_pr_strerror(rc));
			return rc;
		}
		t->nsess = i + 1;
		rc = cd_pr_register_ignore(t->pr[i], key + (uint64_t)i);
		if (rc < 0)
			goto fail;
	}
	i = 0;
	rc = cd_pr_reserve(t->pr[0], key, CD_PR_WERO);
	if (rc == 0)
		rc = cd_pr_read_capacity(t->pr[0], &blocks, &bsz);
	if (rc < 0)
		goto fail;
	t->lbsz = bsz;
	t->size = size < blocks * bsz ? size : blocks * bsz;
	return 0;
fail:
	fprintf(stderr, "csv-io: %s: session %d: %s\n", url, i, cd_pr_last_error(t->pr[i]));
	return rc;
}

static void
target_close(struct target *t)
{
	int i;

	if (t->iscsi) {
		for (i = t->nsess - 1; i >= 0; i--) {
			cd_pr_unregister(t->pr[i], t->key + (uint64_t)i);
			cd_pr_close(t->pr[i]);
		}
	} else if (t->fd >= 0) {
		close(t->fd);
	}
}

/* ---- workloads --------------------------------------------------------- */

static int
slot_record(struct slot *s, uint64_t ns)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		uint32_t *p = realloc(s->lat_us, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->lat_us = p;
		s->cap = cap;
	}
	s->lat_us[s->n++] = (uint32_t)(ns / 1000);
	return 0;
}

static void *
slot_main(void *arg)
{
	struct slot *s = arg;
	struct run *r = s->r;
	uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)(s->idx + 1) ^ now_ns();
	uint64_t blk, t0, t1;
	int rc;

	while (!atomic_load(&r->stop)) {
		blk = r->seq ? atomic_fetch_add(&r->next, 1) % r->nblk : xorshift(&seed) % r->nblk;
		t0 = now_ns();
		rc = target_io(r->t, s->idx, r->write, s->buf, r->bs, blk * r->bs);
		t1 = now_ns();
		if (rc == 0)
			rc = slot_record(s, t1 - t0);
		if (rc < 0) {
			atomic_store(&r->err, rc);
			atomic_store(&r->stop, true);
		}
		if (t1 >= r->deadline_ns)
			atomic_store(&r->stop, true);
	}
	return NULL;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static const char *const WL_NAMES[] = { "seqwrite", "seqread", "randwrite", "randread" };

static void
print_io(const struct opts *o, const struct target *t, int wl, size_t bs, int qd,
	 uint32_t *lat, size_t n, double secs)
{
	double mb = (double)n * (double)bs / 1e6 / secs, iops = (double)n / secs;
	double sum = 0, p50, p99, mx;
	size_t i;

	qsort(lat, n, sizeof(*lat), cmp_u32);
	for (i = 0; i < n; i++)
		sum += lat[i];
	p50 = n ? lat[n / 2] / 1e3 : 0;
	p99 = n ? lat[n - 1 - n / 100] / 1e3 : 0;
	mx = n ? lat[n - 1] / 1e3 : 0;
	if (o->json) {
		struct json_object *j = json_object_new_object(), *l = json_object_new_object();

		json_object_object_add(j, "label", json_object_new_string(t->label));
		json_object_object_add(j, "path", json_object_new_string(t->iscsi ? "lun" : "file"));
		json_object_object_add(j, "direct", json_object_new_boolean(t->iscsi || t->direct));
		json_object_object_add(j, "workload", json_object_new_string(WL_NAMES[wl]));
		json_object_object_add(j, "bs", json_object_new_int64((int64_t)bs));
		json_object_object_add(j, "qd", json_object_new_int(qd));
		json_object_object_add(j, "ops", json_object_new_int64((int64_t)n));
		json_object_object_add(j, "seconds", json_object_new_double(secs));
		json_object_object_add(j, "mb_s", json_object_new_double(mb));
		json_object_object_add(j, "iops", json_object_new_double(iops));
		json_object_object_add(l, "avg", json_object_new_double(n ? sum / (double)n / 1e3 : 0));
		json_object_object_add(l, "p50", json_object_new_double(p50));
		json_object_object_add(l, "p99", json_object_new_double(p99));
		json_object_object_add(l, "max", json_object_new_double(mx));
		json_object_object_add(j, "lat_ms", l);
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
		json_object_put(j);
	} else {
		printf("%-8s %-9s bs %7zu qd %2d  %9.1f MB/s %9.0f IOPS  lat ms avg %.2f p50 %.2f "
		       "p99 %.2f max %.2f  (%zu ops, %.2f s%s)\n", t->label, WL_NAMES[wl], bs, qd,
		       mb, iops, n ? sum / (double)n / 1e3 : 0, p50, p99, mx, n, secs,
		       t->iscsi || t->direct ? "" : ", buffered");
	}
	fflush(stdout);
}

/* one workload at one queue depth: QD threads for o->seconds */
static int
run_one(const struct opts *o, struct target *t, int wl, int qd)
{
	struct run r = { .t = t, .write = wl == 0 || wl == 2, .seq = wl < 2 };
	struct slot s[QD_MAX] = { 0 };
	uint32_t *all = NULL;
	size_t n = 0, k;
	uint64_t t0;
	double secs;
	int i, started = 0, rc = 0;

	r.bs = (size_t)(r.seq ? o->seq_bs : o->rand_bs);
	r.nblk = t->size / r.bs;
	if (r.nblk == 0)
		return -EINVAL;
	for (i = 0; i < qd; i++) {
		s[i].r = &r;
		s[i].idx = i;
		if (posix_memalign(&s[i].buf, 4096, r.bs) != 0) {
			rc = -ENOMEM;
			goto out;
		}
		memset(s[i].buf, 0xa5 ^ i, r.bs);
	}
	t0 = now_ns();
	r.deadline_ns = t0 + (uint64_t)(o->seconds * 1e9);
	for (i = 0; i < qd; i++) {
		if (pthread_create(&s[i].th, NULL, slot_main, &s[i]) != 0) {
			atomic_store(&r.stop, true);
			rc = -EAGAIN;
			break;
		}
		started++;
	}
	for (i = 0; i < started; i++)
		pthread_join(s[i].th, NULL);
	if (rc == 0)
		rc = atomic_load(&r.err);
	if (rc == 0 && r.write)
		rc = target_sync(t);
	secs = (double)(now_ns() - t0) / 1e9;
	if (rc < 0) {
		fprintf(stderr, "csv-io %s: %s qd %d: %s\n", t->label, WL_NAMES[wl], qd,
			target_strerror(t, rc));
		goto out;
	}
	for (i = 0; i < qd; i++)
		n += s[i].n;
	all = malloc((n ? n : 1) * sizeof(*all));
	if (!all) {
		rc = -ENOMEM;
		goto out;
	}
	for (n = 0, i = 0; i < qd; i++) {
		for (k = 0; k < s[i].n; k++)
			all[n++] = s[i].lat_us[k];
	}
	print_io(o, t, wl, r.bs, qd, all, n, secs);
out:
	free(all);
	for (i = 0; i < qd; i++) {
		free(s[i].buf);
		free(s[i].lat_us);
	}
	return rc;
}

/* write the whole region once (1 MiB requests), so reads meet real data */
static int
fill(const struct opts *o, struct target *t)
{
	size_t bs = 1 << 20;
	uint64_t off, seed = now_ns(), t0 = now_ns(), *w;
	double secs;
	void *buf;
	size_t i;
	int rc = 0;

	if (posix_memalign(&buf, 4096, bs) != 0)
		return -ENOMEM;
	for (w = buf, i = 0; i < bs / sizeof(*w); i++)
		w[i] = xorshift(&seed);
	for (off = 0; off < t->size && rc == 0; off += bs) {
		size_t len = t->size - off < bs ? (size_t)(t->size - off) : bs;

		rc = target_io(t, 0, true, buf, len, off);
	}
	if (rc == 0)
		rc = target_sync(t);
	free(buf);
	if (rc < 0) {
		fprintf(stderr, "csv-io %s: fill: %s\n", t->label, target_strerror(t, rc));
		return rc;
	}
	secs = (double)(now_ns() - t0) / 1e9;
	if (o->json) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "label", json_object_new_string(t->label));
		json_object_object_add(j, "fill_bytes", json_object_new_int64((int64_t)t->size));
		json_object_object_add(j, "seconds", json_object_new_double(secs));
		json_object_object_add(j, "direct", json_object_new_boolean(t->iscsi || t->direct));
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
		json_object_put(j);
	} else {
		printf("%-8s fill      %" PRIu64 " MiB in %.2f s%s\n", t->label, t->size >> 20,
		       secs, t->iscsi || t->direct ? "" : " (buffered)");
	}
	fflush(stdout);
	return 0;
}

/* --no-fill: an earlier run filled the region; a file must be that long */
static int
check_filled(const struct target *t)
{
	struct stat st;

	if (t->iscsi)
		return 0;
	if (fstat(t->fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size < t->size) {
		fprintf(stderr, "csv-io %s: --no-fill: the file has %lld bytes, not --size %" PRIu64
			" (fill it first)\n", t->label, (long long)st.st_size, t->size);
		return -EINVAL;
	}
	return 0;
}

/* ---- metadata ---------------------------------------------------------- */

static void
print_meta(const struct opts *o, const char *op, int n, double secs)
{
	if (o->json) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "label", json_object_new_string(o->label));
		json_object_object_add(j, "op", json_object_new_string(op));
		json_object_object_add(j, "files", json_object_new_int(n));
		json_object_object_add(j, "seconds", json_object_new_double(secs));
		json_object_object_add(j, "ops_s", json_object_new_double(n / secs));
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
		json_object_put(j);
	} else {
		printf("%-8s %-7s %6d files  %9.1f ops/s  (%.2f s)\n", o->label, op, n, n / secs,
		       secs);
	}
	fflush(stdout);
}

static int
meta(const struct opts *o, const char *dir)
{
	static const char *const phase[] = { "create", "stat", "unlink" };
	char d[4096], f[4200];
	struct stat st;
	uint64_t t0;
	int p, i, fd;

	snprintf(d, sizeof(d), "%s/csv-io-meta.%d", dir, (int)getpid());
	if (mkdir(d, 0755) < 0) {
		fprintf(stderr, "csv-io: mkdir %s: %s\n", d, strerror(errno));
		return 1;
	}
	for (p = 0; p < 3; p++) {
		t0 = now_ns();
		for (i = 0; i < o->files; i++) {
			snprintf(f, sizeof(f), "%s/f%06d", d, i);
			if (p == 0) {
				fd = open(f, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
				if (fd < 0 || close(fd) < 0)
					break;
			} else if ((p == 1 ? stat(f, &st) : unlink(f)) < 0) {
				break;
			}
		}
		if (i < o->files) {
			fprintf(stderr, "csv-io: %s %s: %s\n", phase[p], f, strerror(errno));
			return 1;
		}
		print_meta(o, phase[p], o->files, (double)(now_ns() - t0) / 1e9);
	}
	if (rmdir(d) < 0) {
		fprintf(stderr, "csv-io: rmdir %s: %s\n", d, strerror(errno));
		return 1;
	}
	return 0;
}

/* ---- command line ------------------------------------------------------ */

static const char usage[] =
"usage: csv-io [--size BYTES] [--seconds S] [--qd N[,N...]] [--seq-bs BYTES]\n"
"              [--rand-bs BYTES] [--key HEX] [--label NAME] [--json]\n"
"              [--no-fill | --fill-only] [--buffered]\n"
"              FILE|iscsi://... [seqwrite|seqread|randwrite|randread ...]\n"
"       csv-io meta [--files N] [--label NAME] [--json] DIR\n"
"I/O benchmark of bench/csv: the same workloads against a file (O_DIRECT) or a\n"
"raw iSCSI LUN (one registered session per queue slot); --buffered: a file\n"
"without O_DIRECT. Defaults: --size 64M,\n"
"--seconds 3, --qd 1,16, --seq-bs 1M, --rand-bs 4K; sizes take K, M, G.\n"
"meta: create, stat and unlink --files (500) files in a new directory in DIR.\n";

static int
parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'K': case 'k': v <<= 10; end++; break;
	case 'M': case 'm': v <<= 20; end++; break;
	case 'G': case 'g': v <<= 30; end++; break;
	default: break;
	}
	if (*end || v == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

static int
parse_qd(const char *s, struct opts *o)
{
	char *end;
	long v;

	o->nqd = 0;
	do {
		v = strtol(s, &end, 10);
		if (end == s || v < 1 || v > QD_MAX || o->nqd == 8 || (*end && *end != ','))
			return -EINVAL;
		o->qd[o->nqd++] = (int)v;
		s = *end ? end + 1 : end;
	} while (*end);
	return 0;
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "size", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 't' },
		{ "qd", required_argument, NULL, 'q' },
		{ "seq-bs", required_argument, NULL, 'B' },
		{ "rand-bs", required_argument, NULL, 'b' },
		{ "key", required_argument, NULL, 'k' },
		{ "files", required_argument, NULL, 'f' },
		{ "label", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "no-fill", no_argument, NULL, 'N' },
		{ "fill-only", no_argument, NULL, 'F' },
		{ "buffered", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c, bad = 0;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': bad |= parse_size(optarg, &o->size); break;
		case 'B': bad |= parse_size(optarg, &o->seq_bs); break;
		case 'b': bad |= parse_size(optarg, &o->rand_bs); break;
		case 'q': bad |= parse_qd(optarg, o); break;
		case 't':
			o->seconds = strtod(optarg, &end);
			bad |= *end || !(o->seconds > 0 && o->seconds <= 3600);
			break;
		case 'k':
			errno = 0;
			o->key = strtoull(optarg, &end, 16);
			bad |= errno || *end || o->key == 0;
			break;
		case 'f':
			o->files = (int)strtol(optarg, &end, 10);
			bad |= *end || o->files < 1 || o->files > 1000000;
			break;
		case 'l': o->label = optarg; break;
		case 'j': o->json = true; break;
		case 'N': o->no_fill = true; break;
		case 'D': o->buffered = true; break;
		case 'F': o->fill_only = true; break;
		case 'h': fputs(usage, stdout); exit(0);
		default: bad = 1;
		}
	}
	if (o->seq_bs % 4096 || o->rand_bs % 4096 || o->seq_bs > CD_PR_IO_MAX ||
	    (o->no_fill && o->fill_only))
		bad = 1;
	return bad || optind >= argc ? -EINVAL : 0;
}

int
main(int argc, char **argv)
{
	struct opts o = { .size = 64 << 20, .seq_bs = 1 << 20, .rand_bs = 4096,
			  .seconds = 3, .qd = { 1, 16 }, .nqd = 2, .files = 500,
			  .label = "io" };
	struct target t = { .fd = -1 };
	bool is_meta = argc > 1 && strcmp(argv[1], "meta") == 0;
	int wl[4] = { 0, 1, 2, 3 }, nwl = 4, i, j, q, maxqd = 1, rc;

	if (parse_args(argc - is_meta, argv + is_meta, &o) < 0) {
		fputs(usage, stderr);
		return 2;
	}
	optind += is_meta;
	json_c_set_serialization_double_format("%.6g", JSON_C_OPTION_GLOBAL);
	if (is_meta)
		return optind == argc - 1 ? meta(&o, argv[optind]) : (fputs(usage, stderr), 2);
	if (argc - optind > 1) {
		for (nwl = 0, i = optind + 1; i < argc; i++) {
			for (j = 0; j < 4 && strcmp(argv[i], WL_NAMES[j]); j++)
				;
			if (j == 4 || nwl == 4) {
				fputs(usage, stderr);
				return 2;
			}
			wl[nwl++] = j;
		}
	}
	for (q = 0; q < o.nqd; q++)
		maxqd = o.qd[q] > maxqd ? o.qd[q] : maxqd;
	signal(SIGPIPE, SIG_IGN);	/* libiscsi writes with writev (lib/pr.h) */
	t.label = o.label;
	if (strncmp(argv[optind], "iscsi://", 8) == 0)
		rc = lun_open(&t, argv[optind], o.size,
			      o.key ? o.key : cd_pr_key(CD_PR_NODEID_MAX, (uint32_t)time(NULL)),
			      maxqd);
	else if ((rc = file_open(&t, argv[optind], o.size, o.buffered)) < 0)
		fprintf(stderr, "csv-io: open %s: %s\n", argv[optind], strerror(-rc));
	if (rc == 0 && !o.no_fill)
		rc = fill(&o, &t);
	else if (rc == 0)
		rc = check_filled(&t);
	for (i = 0; i < nwl && rc == 0 && !o.fill_only; i++) {
		for (q = 0; q < o.nqd && rc == 0; q++)
			rc = run_one(&o, &t, wl[i], o.qd[q]);
	}
	target_close(&t);
	return rc < 0 ? 1 : 0;
}
