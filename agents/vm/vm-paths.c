/*
 * vm-paths.c - where the vm agent finds things on this node: the storage
 * roots of the VM policy, this node's migration address, the quick
 * migration's state file; the confinement of a definition's paths to the
 * roots; the VM's name as clusterd recorded it (vm-paths.h).
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "ocf.h"
#include "vm-paths.h"
#include "vm-storage.h"
#include "vmpolicy.h"

const char *
vm_storage_roots(void)
{
	const char *r = getenv(CD_VMPOLICY_ROOTS_ENV);

	return r && *r ? r : CD_VMPOLICY_ROOTS_DEFAULT;
}

/* The address this node's host name resolves to (IPv4 first). */
int
vm_node_address(char *buf, size_t size)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *r;
	char host[256];
	int found = -1;

	if (gethostname(host, sizeof(host)) < 0 || getaddrinfo(host, NULL, &hints, &res))
		return -1;
	for (int pass = 0; pass < 2 && found; pass++) {
		for (r = res; r; r = r->ai_next) {
			if ((pass == 0) != (r->ai_family == AF_INET))
				continue;
			if (!getnameinfo(r->ai_addr, r->ai_addrlen, buf, (socklen_t)size,
					 NULL, 0, NI_NUMERICHOST) &&
			    strncmp(buf, "127.", 4) != 0 && strcmp(buf, "::1") != 0) {
				found = 0;
				break;
			}
		}
	}
	freeaddrinfo(res);
	return found;
}

/* V1 for the state file, which may not exist yet: its directory, resolved. */
static int
state_dir_check(const char *file)
{
	char dir[PATH_MAX], resolved[PATH_MAX], probe[PATH_MAX + 3], why[512];
	const char *slash = strrchr(file, '/');

	snprintf(dir, sizeof(dir), "%.*s", slash == file ? 1 : (int)(slash - file), file);
	if (!realpath(dir, resolved))
		return vm_fail(OCF_ERR_INSTALLED, "state_file: %s: %s", dir, strerror(errno));
	if (!strcmp(slash + 1, "..") || !strcmp(slash + 1, ".") || !slash[1])
		return vm_fail(OCF_ERR_CONFIGURED, "state_file: '%s' is not a file name", file);
	/* A file in that directory: the directory may be a root itself. */
	snprintf(probe, sizeof(probe), "%s/x", strcmp(resolved, "/") ? resolved : "");
	if (cd_vmpolicy_path_check(probe, vm_storage_roots(), why, sizeof(why)))
		return vm_fail(OCF_ERR_CONFIGURED, "state_file: the directory of %s is "
			     "outside the storage roots (%s; cluster property "
			     "vm-storage-roots)", file, vm_storage_roots());
	return 0;
}

int
vm_state_file(const struct cd_vmdef *def, char *buf, size_t size)
{
	const char *p = ocf_param("state_file");
	const char *disk;
	const char *slash;

	if (p)
		snprintf(buf, size, "%s", p);
	else if (def->n_disks) {
		disk = def->disks[0].path;
		slash = strrchr(disk, '/');
		snprintf(buf, size, "%.*s/%s.vmstate", (int)(slash - disk), disk,
			 def->name);
	} else
		snprintf(buf, size, "/clusterstorage/volume1/%s.vmstate", def->name);
	if (buf[0] != '/')
		return vm_fail(OCF_ERR_CONFIGURED, "state_file: '%s' is not absolute", buf);
	return state_dir_check(buf);
}

/* ---- confinement (issue 16; rules in vmpolicy.h) ---- */

/* realpath of a file that is not there yet: its directory's, and its name
 * (not "." or ".."). */
static bool
resolve_new(const char *path, char *out)
{
	char dir[PATH_MAX], dirres[PATH_MAX];
	const char *base = strrchr(path, '/');

	if (!base || !base[1] || !strcmp(base, "/.") || !strcmp(base, "/..") ||
	    (size_t)(base - path) >= sizeof(dir))
		return false;
	snprintf(dir, sizeof(dir), "%.*s", (int)(base - path), path);
	if (!realpath(dir[0] ? dir : "/", dirres) ||
	    strlen(dirres) + strlen(base) >= PATH_MAX)
		return false;
	snprintf(out, PATH_MAX, "%s%s", strcmp(dirres, "/") ? dirres : "", base);
	return true;
}

/* Resolve *path in place (realpath) and check it against the roots (V1);
 * a missing file counts when may_be_new (its directory is resolved). hint:
 * what to say after a missing file's error (NULL: nothing). */
static int
confine_path(char **path, const char *what, bool may_be_new, const char *hint)
{
	char resolved[PATH_MAX], why[512];
	char *dup;

	if (!realpath(*path, resolved) &&
	    !(errno == ENOENT && may_be_new && resolve_new(*path, resolved))) {
		int e = errno;

		/* Not on this node (a volume not mounted here): others may run it. */
		return vm_fail(e == ENOENT ? OCF_ERR_INSTALLED : OCF_ERR_CONFIGURED,
			     "%s: %s: %s%s", what, *path, strerror(e),
			     e == ENOENT && hint ? hint : "");
	}
	if (cd_vmpolicy_path_check(resolved, vm_storage_roots(), why, sizeof(why)))
		return vm_fail(OCF_ERR_CONFIGURED, "%s: %s%s%s", what, why,
			     strcmp(resolved, *path) ? " (given as " : "",
			     strcmp(resolved, *path) ? *path : "");
	dup = strdup(resolved);
	if (!dup)
		return vm_fail(OCF_ERR_GENERIC, "out of memory");
	free(*path);
	*path = dup;	/* QEMU opens what was checked */
	return OCF_SUCCESS;
}

/*
 * Before anything that can start a QEMU of the VM: its files inside the
 * storage roots (V1), its extra_args allowed (V2). A refused definition
 * starts nothing. Incoming (migrate_prepare): a node-local disk (shared
 * false) may be missing, the move copies it; a shared disk this node
 * cannot see refuses the move. Whether a disk is node-local is declared,
 * never guessed from a missing file: a volume that is only not mounted
 * here would otherwise get a second, private copy of the disk.
 */
int
vm_confine_check(struct cd_vmdef *d, bool incoming)
{
	char what[48], why[512];
	int rc;

	if (cd_vmpolicy_extra_check(d, cd_vmpolicy_bool(getenv(CD_VMPOLICY_EXTRA_ENV)),
				    why, sizeof(why)))
		return vm_fail(OCF_ERR_CONFIGURED, "%s: %s", ocf_param("config"), why);
	for (size_t i = 0; i < d->n_disks; i++) {
		snprintf(what, sizeof(what), "disks[%zu].path", i);
		if ((rc = confine_path(&d->disks[i].path, what,
				       incoming && !d->disks[i].shared,
				       incoming ? " (this node cannot see the disk: if it "
				       "lives on its node only, declare it \"shared\": "
				       "false and a live move copies it)" : NULL)))
			return rc;
	}
	if (d->kernel && (rc = confine_path(&d->kernel, "kernel", false, NULL)))
		return rc;
	if (d->initrd && (rc = confine_path(&d->initrd, "initrd", false, NULL)))
		return rc;
	return OCF_SUCCESS;
}

/* The VM's name as clusterd recorded it (vm_name), when usable as a
 * directory name; NULL otherwise (Pacemaker passes none). */
const char *
vm_claimed_name(void)
{
	const char *name = ocf_param("vm_name");

	if (!name || !*name || strlen(name) > 200 || strchr(name, '/') ||
	    !strcmp(name, ".") || !strcmp(name, ".."))
		return NULL;
	return name;
}
