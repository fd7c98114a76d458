/*
 * hvload.h - load a hypervisor plugin by name (dlopen of
 * DIR/libcd-hv-NAME.so, symbol cd_hv_plugin, ABI version checked).
 */
#ifndef CLUSTERD_HVLOAD_H
#define CLUSTERD_HVLOAD_H

#include <stddef.h>

#include "hypervisor.h"

struct cd_hv_plugin {
	void *handle;			/* dlopen handle */
	const struct cd_hv_ops *ops;	/* inside the loaded object */
};

/**
 * Load plugin name from dir.
 * @param name [a-z0-9_-]{1,32}
 * @param err  out: reason on failure (dlerror text, version mismatch...)
 * @return 0; -EINVAL bad name; -ENOENT no such plugin; -ENOEXEC not a
 *         plugin (no symbol, incomplete ops); -EPROTO ABI version mismatch
 */
int cd_hv_load(const char *dir, const char *name, struct cd_hv_plugin *p,
	       char *err, size_t err_size);

/** Unload; a zeroed or already unloaded p is fine. */
void cd_hv_unload(struct cd_hv_plugin *p);

#endif
