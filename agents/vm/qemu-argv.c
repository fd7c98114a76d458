/*
 * qemu-argv.c - VM definition -> QEMU argv (see qemu-argv.h).
 */
#include "qemu-argv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct argv {
	char **v;
	size_t n;
	size_t cap;
	int failed;
};

static void
add(struct argv *a, const char *s)
{
	char *d;

	if (a->failed)
		return;
	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		char **nv = realloc(a->v, cap * sizeof(char *));

		if (!nv) {
			a->failed = 1;
			return;
		}
		a->v = nv;
		a->cap = cap;
	}
	d = strdup(s);
	if (!d) {
		a->failed = 1;
		return;
	}
	a->v[a->n++] = d;
	a->v[a->n] = NULL;
}

static void __attribute__((format(printf, 2, 3)))
addf(struct argv *a, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int rc;

	if (a->failed)
		return;
	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		a->failed = 1;
		return;
	}
	add(a, s);
	free(s);
}

char *
cd_qemu_escape(const char *s)
{
	size_t n = strlen(s), commas = 0, i, j;
	char *out;

	for (i = 0; i < n; i++)
		commas += s[i] == ',';
	out = malloc(n + commas + 1);
	if (!out)
		return NULL;
	for (i = 0, j = 0; i < n; i++) {
		out[j++] = s[i];
		if (s[i] == ',')
			out[j++] = ',';
	}
	out[j] = '\0';
	return out;
}

/* add "PREFIX<escaped path>SUFFIX" */
static void
add_path_opt(struct argv *a, const char *prefix, const char *path,
	     const char *suffix)
{
	char *e = cd_qemu_escape(path);

	if (!e) {
		a->failed = 1;
		return;
	}
	addf(a, "%s%s%s", prefix, e, suffix);
	free(e);
}

static void
add_disks(struct argv *a, const struct cd_vmdef *d)
{
	size_t i;
	int have_scsi = 0;

	for (i = 0; i < d->n_disks; i++) {
		const struct cd_vmdisk *k = &d->disks[i];
		char suffix[160];

		/*
		 * aio=native needs O_DIRECT, i.e. cache=none or directsync.
		 * file.auto-read-only=off: -drive turns it on, so QEMU reopens
		 * the image by path whenever a block job changes who writes it
		 * (a mirror's cancel: read-only, then read-write again). QEMU
		 * opened the image as root before -runas; reopened as
		 * clusterd-qemu, an image it may not write (the administrator's,
		 * root 0644) fails, and QEMU 7.2 aborts on that error (the VM
		 * died on `vm move-storage --cancel`). Off, the file stays open
		 * read-write as it was opened.
		 */
		snprintf(suffix, sizeof(suffix),
			 ",format=%s,if=none,id=disk%zu,cache=%s%s,file.auto-read-only=off",
			 k->format, i, k->cache, strcmp(k->cache, "none") == 0 ||
			 strcmp(k->cache, "directsync") == 0 ? ",aio=native" : "");
		add(a, "-drive");
		add_path_opt(a, "file=", k->path, suffix);
		add(a, "-device");
		if (strcmp(k->bus, "virtio") == 0) {
			addf(a, "virtio-blk-pci,drive=disk%zu%s", i,
			     i == 0 ? ",bootindex=1" : "");
		} else if (strcmp(k->bus, "scsi") == 0) {
			if (!have_scsi) {
				addf(a, "virtio-scsi-pci,id=scsi0");
				add(a, "-device");
				have_scsi = 1;
			}
			addf(a, "scsi-hd,bus=scsi0.0,drive=disk%zu%s", i,
			     i == 0 ? ",bootindex=1" : "");
		} else {
			addf(a, "ide-hd,drive=disk%zu%s", i, i == 0 ? ",bootindex=1" : "");
		}
	}
}

static const char *
nic_device(const char *model)
{
	if (strcmp(model, "e1000") == 0)
		return "e1000";
	if (strcmp(model, "rtl8139") == 0)
		return "rtl8139";
	return "virtio-net-pci";
}

static void
add_nics(struct argv *a, const struct cd_vmdef *d, const int *fds)
{
	size_t i;

	for (i = 0; i < d->n_nics; i++) {
		const struct cd_vmnic *n = &d->nics[i];
		int virtio = strcmp(n->model, "virtio") == 0;

		add(a, "-netdev");
		addf(a, "tap,id=net%zu,fd=%d%s", i, fds ? fds[i] : -1,
		     virtio ? ",vhost=off" : "");
		add(a, "-device");
		addf(a, "%s,netdev=net%zu,mac=%s", nic_device(n->model), i, n->mac);
	}
}

/*
 * A guest kernel panic becomes a QMP GUEST_PANICKED event (the guest's
 * pvpanic driver tells the ISA device), so a migration target that panics
 * after the switchover is seen even before its console is read. PC machine
 * types only (the device sits on ISA), and not twice.
 */
static bool
want_pvpanic(const struct cd_vmdef *d)
{
	size_t i;

	if (strncmp(d->machine, "pc", 2) != 0 && strncmp(d->machine, "q35", 3) != 0)
		return false;
	for (i = 0; i < d->n_extra_args; i++)
		if (strstr(d->extra_args[i], "pvpanic"))
			return false;
	return true;
}

int
cd_qemu_cpu_models(const char *help, const char *model, bool *found)
{
	const char *p = help ? strstr(help, "Available CPUs:") : NULL;
	size_t mlen = model ? strlen(model) : 0;
	int listed = 0;

	if (found)
		*found = false;
	p = p ? strchr(p, '\n') : NULL;
	while (p && *++p && *p != '\n') {	/* up to the blank line */
		const char *name = p, *end;

		if (!strncmp(name, "x86 ", 4))
			name += 4;
		while (*name == ' ')
			name++;
		end = name + strcspn(name, " \n");
		if (end > name)
			listed++;
		if (model && found && (size_t)(end - name) == mlen && !strncmp(name, model, mlen))
			*found = true;
		p = strchr(p, '\n');
	}
	return listed;
}

int
cd_qemu_cpu_model_check(const char *help, const char *model, const char *accel,
			char *why, size_t why_size)
{
	bool found;
	int listed = cd_qemu_cpu_models(help, model, &found);

	if (!listed)
		return -EINVAL;
	if (!found) {
		snprintf(why, why_size, "CPU model '%s' is not one of the %d models this "
			 "node's QEMU knows (qemu-system-x86_64 -cpu help)", model, listed);
		return -ENOENT;
	}
	if (!strcmp(model, "host") && strcmp(accel, "kvm")) {
		snprintf(why, why_size, "CPU model 'host' needs KVM, and this node runs "
			 "guests with %s", accel);
		return -ENOTSUP;
	}
	return 0;
}

char **
cd_qemu_argv(const struct cd_vmdef *d, const struct cd_qemu_launch *l)
{
	struct argv a = { 0 };
	size_t i;

	add(&a, l->binary);
	add(&a, "-name");
	addf(&a, "%s,debug-threads=on", d->name);
	add(&a, "-machine");
	addf(&a, "%s", d->machine);
	add(&a, "-accel");
	add(&a, l->accel);
	add(&a, "-cpu");
	add(&a, d->cpu_model);
	add(&a, "-smp");
	addf(&a, "%u", d->vcpus);
	add(&a, "-m");
	addf(&a, "%u", d->memory_mib);
	add(&a, "-nodefaults");
	add(&a, "-no-user-config");
	add(&a, "-display");
	add(&a, "none");
	add(&a, "-vga");
	add(&a, "none");
	add(&a, "-serial");
	add_path_opt(&a, "file:", l->run_dir, "/" CD_QEMU_CONSOLE);
	add(&a, "-qmp");
	add_path_opt(&a, "unix:", l->run_dir, "/" CD_QEMU_QMP_SOCK ",server=on,wait=off");
	add(&a, "-qmp");
	add_path_opt(&a, "unix:", l->run_dir, "/" CD_QEMU_MON_SOCK ",server=on,wait=off");
	add(&a, "-pidfile");
	addf(&a, "%s/%s", l->run_dir, CD_QEMU_PIDFILE);
	add(&a, "-msg");
	add(&a, "timestamp=on");
	/* With -D, a daemonized QEMU keeps its stderr (errors after start-up,
	 * e.g. a failed incoming migration) in this file instead of /dev/null. */
	add(&a, "-D");
	addf(&a, "%s/%s", l->run_dir, CD_QEMU_LOG);
	if (d->kernel) {
		add(&a, "-kernel");
		add(&a, d->kernel);
		if (d->initrd) {
			add(&a, "-initrd");
			add(&a, d->initrd);
		}
		if (d->cmdline) {
			add(&a, "-append");
			add(&a, d->cmdline);
		}
	}
	add_disks(&a, d);
	add_nics(&a, d, l->tap_fds);
	if (want_pvpanic(d)) {
		add(&a, "-device");
		add(&a, "pvpanic");
		/* only the event: the guest still ends its panic itself (its
		 * console flushed, its own panic= reboot), as without the device */
		add(&a, "-action");
		add(&a, "panic=none");
	}
	if (l->incoming) {
		add(&a, "-incoming");
		add(&a, l->incoming);
	}
	if (l->runas) {
		add(&a, "-runas");
		add(&a, l->runas);
	}
	if (l->sandbox) {
		add(&a, "-sandbox");
		add(&a, CD_QEMU_SANDBOX);
	}
	if (l->daemonize)
		add(&a, "-daemonize");
	for (i = 0; i < d->n_extra_args; i++)
		add(&a, d->extra_args[i]);
	if (a.failed) {
		cd_qemu_argv_free(a.v);
		errno = ENOMEM;
		return NULL;
	}
	return a.v;
}

void
cd_qemu_argv_free(char **argv)
{
	char **p;

	if (!argv)
		return;
	for (p = argv; *p; p++)
		free(*p);
	free(argv);
}
