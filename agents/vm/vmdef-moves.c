/*
 * vmdef-moves.c - disk moves applied to a VM definition (see vmdef-moves.h).
 */
#include "vmdef-moves.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <json-c/json.h>

/* The array of moves in text, checked; NULL with err set when not valid. */
static json_object *
moves_parse(const char *text, char *err, size_t err_size)
{
	json_object *a = json_tokener_parse(text && *text ? text : "[]"), *e, *v;
	size_t i;

	if (!a || !json_object_is_type(a, json_type_array)) {
		snprintf(err, err_size, "vm_disk_moves: not a JSON array");
		json_object_put(a);
		return NULL;
	}
	for (i = 0; i < json_object_array_length(a); i++) {
		e = json_object_array_get_idx(a, i);
		if (!json_object_is_type(e, json_type_object) ||
		    !json_object_object_get_ex(e, "from", &v) || !json_object_is_type(v, json_type_string) ||
		    json_object_get_string(v)[0] != '/' ||
		    !json_object_object_get_ex(e, "to", &v) || !json_object_is_type(v, json_type_string) ||
		    json_object_get_string(v)[0] != '/' ||
		    (json_object_object_get_ex(e, "format", &v) &&
		     !json_object_is_type(v, json_type_string))) {
			snprintf(err, err_size, "vm_disk_moves[%zu]: not {\"from\": ABS, \"to\": ABS"
				 "[, \"format\": F]}", i);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

static const char *
jget(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

int
cd_vmdef_apply_moves(struct cd_vmdef *def, const char *moves_json, char *err, size_t err_size)
{
	json_object *a = moves_parse(moves_json, err, err_size);
	size_t i, j, n, steps;
	int changed = 0;

	if (!a)
		return -EINVAL;
	n = json_object_array_length(a);
	for (i = 0; i < def->n_disks; i++) {
		struct cd_vmdisk *k = &def->disks[i];
		bool moved = false;

		for (steps = 0; steps < CD_VMDEF_MOVES_MAX; steps++) {
			json_object *e = NULL;
			char *p, *f = NULL;

			for (j = n; j-- > 0;) {	/* the newest move of this path */
				if (!strcmp(jget(json_object_array_get_idx(a, j), "from"), k->path)) {
					e = json_object_array_get_idx(a, j);
					break;
				}
			}
			if (!e)
				break;
			p = strdup(jget(e, "to"));
			if (jget(e, "format") && !(f = strdup(jget(e, "format")))) {
				free(p);
				p = NULL;
			}
			if (!p) {
				json_object_put(a);
				return -ENOMEM;
			}
			free(k->path);
			k->path = p;
			if (f) {
				free(k->format);
				k->format = f;
			}
			moved = true;
		}
		changed += moved;
	}
	json_object_put(a);
	return changed;
}

int
cd_vmdef_rewrite_disk(const char *path, const char *from, const char *to, const char *format,
		      char *err, size_t err_size)
{
	json_object *root = json_object_from_file(path), *disks, *d;
	char tmp[PATH_MAX];
	const char *text;
	struct stat st;
	size_t i, len;
	int fd, rc = 0;

	if (!root || !json_object_object_get_ex(root, "disks", &disks) ||
	    !json_object_is_type(disks, json_type_array)) {
		snprintf(err, err_size, "%s: cannot read its disks", path);
		json_object_put(root);
		return -EINVAL;
	}
	for (i = 0; i < json_object_array_length(disks); i++) {
		d = json_object_array_get_idx(disks, i);
		if (jget(d, "path") && !strcmp(jget(d, "path"), from)) {
			json_object_object_add(d, "path", json_object_new_string(to));
			if (format)
				json_object_object_add(d, "format", json_object_new_string(format));
			rc = 1;
		}
	}
	if (rc == 0) {
		json_object_put(root);
		return 0;
	}
	if (stat(path, &st) < 0) {
		rc = -errno;
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 07777);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, err_size, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fchown(fd, st.st_uid, st.st_gid) < 0 || fsync(fd) < 0) {
		rc = -errno;
		snprintf(err, err_size, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		rc = -errno;
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		unlink(tmp);
	} else {
		rc = 1;
	}
out:
	json_object_put(root);
	return rc;
}
