/*
 * vmdef.c - parse and validate VM definitions (see vmdef.h).
 *
 * Every check reports the JSON path of the offending value, so that an
 * administrator can fix the file from the message alone.
 */
#include "vmdef.h"
#include "migstall.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <json-c/json.h>

#define IFNAME_MAX 15

struct ctx {
	char *err;
	size_t err_size;
};

static int
fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err && c->err_size) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->err_size, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const char *const top_keys[] = {
	"name", "memory_mib", "vcpus", "cpu_model", "machine", "disks", "nics",
	"kernel", "initrd", "cmdline", "extra_args", "migration_policy", NULL,
};
static const char *const disk_keys[] = {
	"path", "format", "bus", "cache", "shared", "size", NULL,
};
static const char *const nic_keys[] = { "bridge", "mac", "model", NULL };

static const char *const disk_formats[] = { "raw", "qcow2", NULL };
static const char *const disk_buses[] = { "virtio", "scsi", "ide", NULL };
static const char *const disk_caches[] = {
	"none", "directsync", "writethrough", "writeback", NULL,
};
static const char *const nic_models[] = { "virtio", "e1000", "rtl8139", NULL };

static bool
in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* Reject keys of obj that are not in allowed; where names the object. */
static int
check_keys(struct ctx *c, json_object *obj, const char *const *allowed,
	   const char *where)
{
	json_object_object_foreach(obj, key, val) {
		(void)val;
		if (!in_list(key, allowed))
			return fail(c, "%s%sunknown key '%s'", where,
				    *where ? ": " : "", key);
	}
	return 0;
}

/* Charset check: every byte of s is alnum or in extra. */
static bool
chars_ok(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return false;
	return true;
}

int
cd_vmdef_check_name(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > CD_VMDEF_NAME_MAX)
		return -EINVAL;
	if (!isalnum((unsigned char)name[0]) || !chars_ok(name, "_.-"))
		return -EINVAL;
	return 0;
}

/*
 * Fetch an optional string member. *out is a strdup of the value, of dflt
 * when the key is absent (NULL dflt: stays NULL). Empty strings are invalid.
 */
static int
get_str(struct ctx *c, json_object *obj, const char *key, const char *where,
	const char *dflt, char **out)
{
	json_object *v;
	const char *s = dflt;

	*out = NULL;
	if (json_object_object_get_ex(obj, key, &v)) {
		if (!json_object_is_type(v, json_type_string))
			return fail(c, "%s%s: must be a string", where, key);
		s = json_object_get_string(v);
		if (!*s)
			return fail(c, "%s%s: must not be empty", where, key);
		if (strlen(s) > 4096)
			return fail(c, "%s%s: too long", where, key);
	}
	if (!s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

static int
get_uint(struct ctx *c, json_object *obj, const char *key, bool required,
	 uint32_t dflt, uint32_t min, uint32_t max, uint32_t *out)
{
	json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(obj, key, &v)) {
		if (required)
			return fail(c, "%s: missing (required)", key);
		*out = dflt;
		return 0;
	}
	if (!json_object_is_type(v, json_type_int))
		return fail(c, "%s: must be an integer", key);
	n = json_object_get_int64(v);
	if (n < (int64_t)min || n > (int64_t)max)
		return fail(c, "%s: %lld is out of range %u..%u", key,
			    (long long)n, min, max);
	*out = (uint32_t)n;
	return 0;
}

static int
check_abs_path(struct ctx *c, const char *where, const char *p)
{
	if (p[0] != '/')
		return fail(c, "%s: '%s' must be an absolute path", where, p);
	if (strchr(p, '\n'))
		return fail(c, "%s: contains a newline", where);
	return 0;
}

/* Parse "aa:bb:cc:dd:ee:ff" into lower case; unicast, not all zero. */
static int
parse_mac(const char *s, char out[18])
{
	unsigned int b[6];
	int i;

	if (strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[i * 3]) ||
		    !isxdigit((unsigned char)s[i * 3 + 1]) ||
		    (i < 5 && s[i * 3 + 2] != ':'))
			return -EINVAL;
	}
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5]) != 6)
		return -EINVAL;
	if (b[0] & 1)
		return -EINVAL;		/* multicast */
	if ((b[0] | b[1] | b[2] | b[3] | b[4] | b[5]) == 0)
		return -EINVAL;
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2],
		 b[3], b[4], b[5]);
	return 0;
}

static int
get_array(struct ctx *c, json_object *root, const char *key, size_t max,
	  json_object **arr, size_t *n)
{
	*arr = NULL;
	*n = 0;
	if (!json_object_object_get_ex(root, key, arr))
		return 0;
	if (!json_object_is_type(*arr, json_type_array))
		return fail(c, "%s: must be an array", key);
	*n = json_object_array_length(*arr);
	if (*n > max)
		return fail(c, "%s: at most %zu entries", key, max);
	return 0;
}

/* "1073741824", 1073741824, "1G", "512M", "20g": bytes, binary suffixes. */
static int
parse_size(json_object *v, uint64_t *out)
{
	const char *s, *sfx = "KMGT";
	unsigned long long n;
	char *end;
	int shift = 0;

	if (json_object_is_type(v, json_type_int)) {
		if (json_object_get_int64(v) <= 0)
			return -EINVAL;
		*out = (uint64_t)json_object_get_int64(v);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	s = json_object_get_string(v);
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || n == 0)
		return -EINVAL;
	if (*end) {
		const char *p = strchr(sfx, toupper((unsigned char)*end));

		if (!p || end[1])
			return -EINVAL;
		shift = 10 * (int)(p - sfx + 1);
	}
	if (n > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)n << shift;
	return 0;
}

/* "shared" (default true) and "size" (required when shared is false). */
static int
parse_locality(struct ctx *c, json_object *o, size_t i, struct cd_vmdisk *k)
{
	json_object *v;

	k->shared = true;
	if (json_object_object_get_ex(o, "shared", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			return fail(c, "disks[%zu].shared: must be true or false", i);
		k->shared = json_object_get_boolean(v);
	}
	if (!json_object_object_get_ex(o, "size", &v)) {
		if (!k->shared)
			return fail(c, "disks[%zu].size: missing (required for a disk "
				    "with shared false: the image's virtual size, "
				    "e.g. \"20G\")", i);
		return 0;
	}
	if (k->shared)
		return fail(c, "disks[%zu].size: only for a disk with shared false", i);
	if (parse_size(v, &k->size) || k->size % 512)
		return fail(c, "disks[%zu].size: '%s' is not a size in bytes (a "
			    "multiple of 512; suffixes K, M, G, T)", i,
			    json_object_get_string(v));
	return 0;
}

size_t
cd_vmdef_local_disks(const struct cd_vmdef *def)
{
	size_t i, n = 0;

	for (i = 0; def && i < def->n_disks; i++)
		n += !def->disks[i].shared;
	return n;
}

static int
parse_disks(struct ctx *c, json_object *root, struct cd_vmdef *d)
{
	json_object *arr;
	char where[48];
	size_t i, j;
	int rc;

	rc = get_array(c, root, "disks", CD_VMDEF_DISKS_MAX, &arr, &d->n_disks);
	if (rc || !d->n_disks)
		return rc;
	d->disks = calloc(d->n_disks, sizeof(*d->disks));
	if (!d->disks)
		return -ENOMEM;
	for (i = 0; i < d->n_disks; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		struct cd_vmdisk *k = &d->disks[i];

		snprintf(where, sizeof(where), "disks[%zu].", i);
		if (!json_object_is_type(o, json_type_object))
			return fail(c, "disks[%zu]: must be an object", i);
		snprintf(where, sizeof(where), "disks[%zu]", i);
		if ((rc = check_keys(c, o, disk_keys, where)))
			return rc;
		snprintf(where, sizeof(where), "disks[%zu].", i);
		if ((rc = get_str(c, o, "path", where, NULL, &k->path)) ||
		    (rc = get_str(c, o, "format", where, "raw", &k->format)) ||
		    (rc = get_str(c, o, "bus", where, "virtio", &k->bus)) ||
		    (rc = get_str(c, o, "cache", where, "none", &k->cache)))
			return rc;
		if (!k->path)
			return fail(c, "disks[%zu].path: missing (required)", i);
		snprintf(where, sizeof(where), "disks[%zu].path", i);
		if ((rc = check_abs_path(c, where, k->path)))
			return rc;
		if (!in_list(k->format, disk_formats))
			return fail(c, "disks[%zu].format: '%s' is not raw or qcow2",
				    i, k->format);
		if (!in_list(k->bus, disk_buses))
			return fail(c, "disks[%zu].bus: '%s' is not virtio, scsi or ide",
				    i, k->bus);
		if (!in_list(k->cache, disk_caches))
			return fail(c, "disks[%zu].cache: '%s' is not none, directsync, "
				    "writethrough or writeback", i, k->cache);
		if ((rc = parse_locality(c, o, i, k)))
			return rc;
		for (j = 0; j < i; j++)
			if (strcmp(d->disks[j].path, k->path) == 0)
				return fail(c, "disks[%zu].path: '%s' is already disks[%zu]",
					    i, k->path, j);
	}
	return 0;
}

static int
parse_nics(struct ctx *c, json_object *root, struct cd_vmdef *d)
{
	json_object *arr, *v;
	char where[48];
	size_t i, j;
	int rc;

	rc = get_array(c, root, "nics", CD_VMDEF_NICS_MAX, &arr, &d->n_nics);
	if (rc || !d->n_nics)
		return rc;
	d->nics = calloc(d->n_nics, sizeof(*d->nics));
	if (!d->nics)
		return -ENOMEM;
	for (i = 0; i < d->n_nics; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		struct cd_vmnic *n = &d->nics[i];

		if (!json_object_is_type(o, json_type_object))
			return fail(c, "nics[%zu]: must be an object", i);
		snprintf(where, sizeof(where), "nics[%zu]", i);
		if ((rc = check_keys(c, o, nic_keys, where)))
			return rc;
		snprintf(where, sizeof(where), "nics[%zu].", i);
		if ((rc = get_str(c, o, "bridge", where, NULL, &n->bridge)) ||
		    (rc = get_str(c, o, "model", where, "virtio", &n->model)))
			return rc;
		if (!n->bridge)
			return fail(c, "nics[%zu].bridge: missing (required)", i);
		if (strlen(n->bridge) > IFNAME_MAX || !chars_ok(n->bridge, "_.-"))
			return fail(c, "nics[%zu].bridge: '%s' is not an interface name",
				    i, n->bridge);
		if (!in_list(n->model, nic_models))
			return fail(c, "nics[%zu].model: '%s' is not virtio, e1000 or rtl8139",
				    i, n->model);
		if (!json_object_object_get_ex(o, "mac", &v))
			return fail(c, "nics[%zu].mac: missing (required)", i);
		if (!json_object_is_type(v, json_type_string) ||
		    parse_mac(json_object_get_string(v), n->mac))
			return fail(c, "nics[%zu].mac: '%s' is not a unicast MAC "
				    "address like 52:54:00:12:34:56", i,
				    json_object_get_string(v));
		for (j = 0; j < i; j++)
			if (strcmp(d->nics[j].mac, n->mac) == 0)
				return fail(c, "nics[%zu].mac: %s is already nics[%zu]",
					    i, n->mac, j);
	}
	return 0;
}

static int
parse_extra(struct ctx *c, json_object *root, struct cd_vmdef *d)
{
	json_object *arr, *v;
	size_t i;
	int rc;

	rc = get_array(c, root, "extra_args", 256, &arr, &d->n_extra_args);
	if (rc || !d->n_extra_args)
		return rc;
	d->extra_args = calloc(d->n_extra_args, sizeof(char *));
	if (!d->extra_args)
		return -ENOMEM;
	for (i = 0; i < d->n_extra_args; i++) {
		v = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(v, json_type_string))
			return fail(c, "extra_args[%zu]: must be a string", i);
		d->extra_args[i] = strdup(json_object_get_string(v));
		if (!d->extra_args[i])
			return -ENOMEM;
	}
	return 0;
}

static int
parse_scalars(struct ctx *c, json_object *root, struct cd_vmdef *d)
{
	enum cd_migpolicy policy;
	int rc;

	if ((rc = get_str(c, root, "name", "", NULL, &d->name)))
		return rc;
	if (!d->name)
		return fail(c, "name: missing (required)");
	if (cd_vmdef_check_name(d->name))
		return fail(c, "name: '%s' must be 1-%d characters of A-Z a-z 0-9 _ . -, "
			    "starting with a letter or digit", d->name, CD_VMDEF_NAME_MAX);
	if ((rc = get_uint(c, root, "memory_mib", true, 0, CD_VMDEF_MEM_MIN,
			   CD_VMDEF_MEM_MAX, &d->memory_mib)) ||
	    (rc = get_uint(c, root, "vcpus", false, 1, 1, CD_VMDEF_VCPUS_MAX,
			   &d->vcpus)))
		return rc;
	if ((rc = get_str(c, root, "cpu_model", "", "qemu64", &d->cpu_model)) ||
	    (rc = get_str(c, root, "machine", "", "pc", &d->machine)) ||
	    (rc = get_str(c, root, "kernel", "", NULL, &d->kernel)) ||
	    (rc = get_str(c, root, "initrd", "", NULL, &d->initrd)) ||
	    (rc = get_str(c, root, "cmdline", "", NULL, &d->cmdline)) ||
	    (rc = get_str(c, root, "migration_policy", "", NULL, &d->migration_policy)))
		return rc;
	if (d->migration_policy && cd_migpolicy_parse(d->migration_policy, &policy))
		return fail(c, "migration_policy: '%s' must be precopy, stall-abort or "
			    "postcopy", d->migration_policy);
	/* Commas would smuggle sub-options into -cpu / -machine. */
	if (!chars_ok(d->cpu_model, "_.+-="))
		return fail(c, "cpu_model: '%s' has characters other than "
			    "A-Z a-z 0-9 _ . + - =", d->cpu_model);
	if (!chars_ok(d->machine, "_.-"))
		return fail(c, "machine: '%s' has characters other than A-Z a-z 0-9 _ . -",
			    d->machine);
	if (d->kernel && (rc = check_abs_path(c, "kernel", d->kernel)))
		return rc;
	if (d->initrd && (rc = check_abs_path(c, "initrd", d->initrd)))
		return rc;
	if ((d->initrd || d->cmdline) && !d->kernel)
		return fail(c, "initrd and cmdline need a kernel");
	return 0;
}

struct cd_vmdef *
cd_vmdef_parse(const char *json, char *err, size_t err_size)
{
	struct ctx c = { err, err_size };
	struct json_tokener *tok;
	json_object *root = NULL;
	struct cd_vmdef *d = NULL;
	int rc = -ENOMEM;

	if (err && err_size)
		err[0] = '\0';
	tok = json_tokener_new();
	if (!tok)
		goto out;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, json, (int)strlen(json));
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    (size_t)json_tokener_get_parse_end(tok) != strlen(json)) {
		rc = fail(&c, "not valid JSON: %s",
			  root ? "trailing data" :
			  json_tokener_error_desc(json_tokener_get_error(tok)));
		goto out;
	}
	if (!json_object_is_type(root, json_type_object)) {
		rc = fail(&c, "the definition must be a JSON object");
		goto out;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		goto out;
	if ((rc = check_keys(&c, root, top_keys, "")) ||
	    (rc = parse_scalars(&c, root, d)) ||
	    (rc = parse_disks(&c, root, d)) ||
	    (rc = parse_nics(&c, root, d)) ||
	    (rc = parse_extra(&c, root, d)))
		goto out;
	if (!d->kernel && !d->n_disks)
		rc = fail(&c, "nothing to boot: give a kernel or at least one disk");
out:
	if (rc == -ENOMEM)
		fail(&c, "out of memory");
	if (tok)
		json_tokener_free(tok);
	json_object_put(root);
	if (rc) {
		cd_vmdef_free(d);
		errno = -rc;
		return NULL;
	}
	return d;
}

struct cd_vmdef *
cd_vmdef_load(const char *path, char *err, size_t err_size)
{
	struct cd_vmdef *d;
	struct stat st;
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd, saved;

	/* O_NONBLOCK: a FIFO must not block the open; it is refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		saved = errno;
		snprintf(err, err_size, "%s: %s", path, strerror(saved));
		errno = saved;
		return NULL;
	}
	/* A device, FIFO or socket could feed us without end (/dev/zero). */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, err_size, "%s: not a regular file", path);
		errno = EINVAL;
		return NULL;
	}
	if (st.st_size > CD_VMDEF_MAX_SIZE) {
		close(fd);
		snprintf(err, err_size, "%s: larger than %d KiB", path,
			 CD_VMDEF_MAX_SIZE / 1024);
		errno = EINVAL;
		return NULL;
	}
	buf = malloc(CD_VMDEF_MAX_SIZE + 1);
	if (!buf) {
		close(fd);
		snprintf(err, err_size, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	/* Bounded even if the file grows while it is read. */
	while ((n = read(fd, buf + len, CD_VMDEF_MAX_SIZE + 1 - len)) > 0 &&
	       len + (size_t)n <= CD_VMDEF_MAX_SIZE)
		len += (size_t)n;
	saved = n < 0 ? errno : (n > 0 ? EFBIG : 0);
	close(fd);
	if (saved) {
		snprintf(err, err_size, "%s: %s", path,
			 saved == EFBIG ? "larger than 64 KiB" : strerror(saved));
		free(buf);
		errno = saved == EFBIG ? EINVAL : saved;
		return NULL;
	}
	buf[len] = '\0';
	d = cd_vmdef_parse(buf, err, err_size);
	saved = errno;
	free(buf);
	errno = saved;
	return d;
}

void
cd_vmdef_free(struct cd_vmdef *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; d->disks && i < d->n_disks; i++) {
		free(d->disks[i].path);
		free(d->disks[i].format);
		free(d->disks[i].bus);
		free(d->disks[i].cache);
	}
	free(d->disks);
	for (i = 0; d->nics && i < d->n_nics; i++) {
		free(d->nics[i].bridge);
		free(d->nics[i].model);
	}
	free(d->nics);
	for (i = 0; d->extra_args && i < d->n_extra_args; i++)
		free(d->extra_args[i]);
	free(d->extra_args);
	free(d->name);
	free(d->cpu_model);
	free(d->machine);
	free(d->kernel);
	free(d->initrd);
	free(d->cmdline);
	free(d->migration_policy);
	free(d);
}
