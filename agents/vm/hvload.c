/*
 * hvload.c - hypervisor plugin loader (see hvload.h).
 */
#include "hvload.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int
name_ok(const char *name)
{
	size_t n = strlen(name);

	return n >= 1 && n <= 32 &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

int
cd_hv_load(const char *dir, const char *name, struct cd_hv_plugin *p,
	   char *err, size_t err_size)
{
	const struct cd_hv_ops *ops;
	char path[4096];
	void *h;

	memset(p, 0, sizeof(*p));
	if (!name_ok(name)) {
		snprintf(err, err_size, "hypervisor '%s': not a plugin name", name);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/%s%s.so", dir, CD_HV_PREFIX, name);
	if (access(path, R_OK) < 0) {
		snprintf(err, err_size, "hypervisor '%s': no plugin %s", name, path);
		return -ENOENT;
	}
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(err, err_size, "hypervisor '%s': %s", name, dlerror());
		return -ENOEXEC;
	}
	ops = dlsym(h, CD_HV_SYMBOL);
	if (!ops) {
		snprintf(err, err_size, "hypervisor '%s': %s has no symbol %s", name,
			 path, CD_HV_SYMBOL);
		dlclose(h);
		return -ENOEXEC;
	}
	if (ops->abi_version != CD_HV_ABI_VERSION) {
		snprintf(err, err_size, "hypervisor '%s': plugin ABI version %u, the "
			 "agent needs %u", name, ops->abi_version, CD_HV_ABI_VERSION);
		dlclose(h);
		return -EPROTO;
	}
	if (!ops->start || !ops->stop || !ops->status || !ops->migrate_prepare ||
	    !ops->migrate_send || !ops->migrate_finish || !ops->migrate_cancel ||
	    !ops->save || !ops->restore || !ops->probe_host) {	/* restore_prepare: optional */
		snprintf(err, err_size, "hypervisor '%s': incomplete ops table", name);
		dlclose(h);
		return -ENOEXEC;
	}
	if (!ops->storage_move != !ops->storage_undo ||
	    !ops->storage_move != !ops->storage_finish) {	/* optional, all or none */
		snprintf(err, err_size, "hypervisor '%s': storage ops: all three or none", name);
		dlclose(h);
		return -ENOEXEC;
	}
	p->handle = h;
	p->ops = ops;
	return 0;
}

void
cd_hv_unload(struct cd_hv_plugin *p)
{
	if (p->handle)
		dlclose(p->handle);
	memset(p, 0, sizeof(*p));
}
