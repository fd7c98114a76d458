/*
 * test_vmdef.c - unit tests of VM definitions (agents/vm/vmdef.c): a table of
 * invalid definitions with the error each must produce, defaults, and the
 * QEMU argv generated from a definition (agents/vm/qemu-argv.c).
 */
#include "vmdef.h"
#include "qemu-argv.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#define BASE "\"name\":\"web1\",\"memory_mib\":256,\"kernel\":\"/k/vmlinux\""

static void
test_minimal_defaults(void)
{
	char err[256];
	struct cd_vmdef *d = cd_vmdef_parse("{" BASE "}", err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_STRING_EQUAL(d->name, "web1");
	CU_ASSERT_EQUAL(d->memory_mib, 256);
	CU_ASSERT_EQUAL(d->vcpus, 1);
	CU_ASSERT_STRING_EQUAL(d->cpu_model, "qemu64");
	CU_ASSERT_STRING_EQUAL(d->machine, "pc");
	CU_ASSERT_PTR_NULL(d->initrd);
	CU_ASSERT_EQUAL(d->n_disks, 0);
	CU_ASSERT_EQUAL(d->n_nics, 0);
	CU_ASSERT_PTR_NULL(d->migration_policy);	/* the cluster's */
	cd_vmdef_free(d);
}

static void
test_full(void)
{
	static const char json[] =
		"{\"name\":\"db-2.prod\",\"memory_mib\":1024,\"vcpus\":2,"
		"\"cpu_model\":\"Westmere\",\"machine\":\"pc-i440fx-7.2\","
		"\"disks\":[{\"path\":\"/clusterstorage/volume1/db.qcow2\",\"format\":\"qcow2\"},"
		"{\"path\":\"/clusterstorage/volume1/data.raw\",\"bus\":\"scsi\",\"cache\":\"writeback\"}],"
		"\"nics\":[{\"bridge\":\"vmbr0\",\"mac\":\"52:54:00:AB:cd:01\"},"
		"{\"bridge\":\"br-mig\",\"mac\":\"52:54:00:ab:cd:02\",\"model\":\"e1000\"}],"
		"\"extra_args\":[\"-no-reboot\",\"-rtc\",\"base=utc\"],"
		"\"migration_policy\":\"stall-abort\"}";
	char err[256];
	struct cd_vmdef *d = cd_vmdef_parse(json, err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->vcpus, 2);
	CU_ASSERT_EQUAL(d->n_disks, 2);
	CU_ASSERT_STRING_EQUAL(d->disks[0].format, "qcow2");
	CU_ASSERT_STRING_EQUAL(d->disks[0].bus, "virtio");
	CU_ASSERT_STRING_EQUAL(d->disks[0].cache, "none");
	CU_ASSERT_STRING_EQUAL(d->disks[1].format, "raw");
	CU_ASSERT_STRING_EQUAL(d->disks[1].bus, "scsi");
	CU_ASSERT_EQUAL(d->n_nics, 2);
	CU_ASSERT_STRING_EQUAL(d->nics[0].mac, "52:54:00:ab:cd:01");	/* lower-cased */
	CU_ASSERT_STRING_EQUAL(d->nics[0].model, "virtio");
	CU_ASSERT_STRING_EQUAL(d->nics[1].model, "e1000");
	CU_ASSERT_EQUAL(d->n_extra_args, 3);
	CU_ASSERT_STRING_EQUAL(d->extra_args[2], "base=utc");
	CU_ASSERT_STRING_EQUAL(d->migration_policy, "stall-abort");
	cd_vmdef_free(d);
}

/* Node-local disks (issue 17): "shared" and "size" as written -> parsed. */
static const struct local_case {
	const char *disk;	/* one disks[] entry */
	bool shared;
	uint64_t size;
} local_cases[] = {
	{ "{\"path\":\"/d\"}", true, 0 },
	{ "{\"path\":\"/d\",\"shared\":true}", true, 0 },
	{ "{\"path\":\"/d\",\"shared\":false,\"size\":\"20G\"}", false, 20ull << 30 },
	{ "{\"path\":\"/d\",\"shared\":false,\"size\":\"512m\"}", false, 512ull << 20 },
	{ "{\"path\":\"/d\",\"shared\":false,\"size\":\"1T\"}", false, 1ull << 40 },
	{ "{\"path\":\"/d\",\"shared\":false,\"size\":\"4k\"}", false, 4096 },
	{ "{\"path\":\"/d\",\"shared\":false,\"size\":\"1048576\"}", false, 1048576 },
	{ "{\"path\":\"/d\",\"shared\":false,\"size\":268435456}", false, 268435456 },
};

static void
test_local_disks(void)
{
	char json[512], err[256];

	for (size_t i = 0; i < sizeof(local_cases) / sizeof(local_cases[0]); i++) {
		struct cd_vmdef *d;

		snprintf(json, sizeof(json), "{\"name\":\"a\",\"memory_mib\":256,"
			 "\"disks\":[%s,{\"path\":\"/e\"}]}", local_cases[i].disk);
		d = cd_vmdef_parse(json, err, sizeof(err));
		if (!d) {
			printf("\n  case %zu: %s: %s\n", i, local_cases[i].disk, err);
			CU_FAIL("parse");
			continue;
		}
		CU_ASSERT_EQUAL(d->disks[0].shared, local_cases[i].shared);
		CU_ASSERT_EQUAL(d->disks[0].size, local_cases[i].size);
		CU_ASSERT_TRUE(d->disks[1].shared);
		CU_ASSERT_EQUAL(cd_vmdef_local_disks(d), local_cases[i].shared ? 0u : 1u);
		cd_vmdef_free(d);
	}
	CU_ASSERT_EQUAL(cd_vmdef_local_disks(NULL), 0u);
}

/* Each invalid definition and a fragment its error must contain. */
static const struct bad_case {
	const char *json;
	const char *error;
} bad_cases[] = {
	{ "", "not valid JSON" },
	{ "{\"name\":", "not valid JSON" },
	{ "{" BASE "} x", "not valid JSON" },
	{ "[1,2]", "must be a JSON object" },
	{ "{\"memory_mib\":256,\"kernel\":\"/k\"}", "name: missing" },
	{ "{\"name\":\"\",\"memory_mib\":256,\"kernel\":\"/k\"}", "name: must not be empty" },
	{ "{\"name\":\"a/b\",\"memory_mib\":256,\"kernel\":\"/k\"}", "name: 'a/b'" },
	{ "{\"name\":\"-x\",\"memory_mib\":256,\"kernel\":\"/k\"}", "name: '-x'" },
	{ "{\"name\":\"x0123456789012345678901234567890123456789012345678901234567890123\","
	  "\"memory_mib\":256,\"kernel\":\"/k\"}", "name: 'x0123" },
	{ "{\"name\":7,\"memory_mib\":256,\"kernel\":\"/k\"}", "name: must be a string" },
	{ "{\"name\":\"a\",\"kernel\":\"/k\"}", "memory_mib: missing" },
	{ "{\"name\":\"a\",\"memory_mib\":8,\"kernel\":\"/k\"}", "memory_mib: 8 is out of range" },
	{ "{\"name\":\"a\",\"memory_mib\":2000000,\"kernel\":\"/k\"}", "out of range" },
	{ "{\"name\":\"a\",\"memory_mib\":\"256\",\"kernel\":\"/k\"}", "memory_mib: must be an integer" },
	{ "{\"name\":\"a\",\"memory_mib\":256.5,\"kernel\":\"/k\"}", "memory_mib: must be an integer" },
	{ "{" BASE ",\"vcpus\":0}", "vcpus: 0 is out of range" },
	{ "{" BASE ",\"vcpus\":256}", "vcpus: 256 is out of range" },
	{ "{" BASE ",\"color\":\"blue\"}", "unknown key 'color'" },
	{ "{" BASE ",\"cpu_model\":\"qemu64,kvm=off\"}", "cpu_model: 'qemu64,kvm=off'" },
	{ "{" BASE ",\"machine\":\"pc,accel=kvm\"}", "machine: 'pc,accel=kvm'" },
	{ "{\"name\":\"a\",\"memory_mib\":256,\"kernel\":\"vmlinux\"}", "kernel: 'vmlinux' must be an absolute path" },
	{ "{" BASE ",\"initrd\":\"initrd.gz\"}", "initrd: 'initrd.gz' must be an absolute path" },
	{ "{\"name\":\"a\",\"memory_mib\":256,\"disks\":[{\"path\":\"/d\"}],\"cmdline\":\"x\"}",
	  "need a kernel" },
	{ "{\"name\":\"a\",\"memory_mib\":256}", "nothing to boot" },
	{ "{" BASE ",\"disks\":{}}", "disks: must be an array" },
	{ "{" BASE ",\"disks\":[\"/d\"]}", "disks[0]: must be an object" },
	{ "{" BASE ",\"disks\":[{\"format\":\"raw\"}]}", "disks[0].path: missing" },
	{ "{" BASE ",\"disks\":[{\"path\":\"vm.img\"}]}", "disks[0].path: 'vm.img' must be an absolute path" },
	{ "{" BASE ",\"disks\":[{\"path\":\"/d\",\"format\":\"vmdk\"}]}", "disks[0].format: 'vmdk'" },
	{ "{" BASE ",\"disks\":[{\"path\":\"/d\",\"bus\":\"usb\"}]}", "disks[0].bus: 'usb'" },
	{ "{" BASE ",\"disks\":[{\"path\":\"/d\",\"cache\":\"unsafe\"}]}", "disks[0].cache: 'unsafe'" },
	{ "{" BASE ",\"disks\":[{\"path\":\"/d\",\"size\":1}]}", "disks[0].size: only for a disk with shared false" },
	{ "{" BASE ",\"disks\":[{\"path\":\"/d\",\"speed\":1}]}", "disks[0]: unknown key 'speed'" },
	{ "{" BASE ",\"disks\":[{\"path\":\"/d\",\"shared\":false}]}", "disks[0].size: missing (required" },
	{ "{" BASE ",\"disks\":[{\"path\":\"/d\",\"shared\":\"no\"}]}", "disks[0].shared: must be true or false" },
	{ "{" BASE ",\"disks\":[{\"path\":\"/d\",\"shared\":false,\"size\":\"1X\"}]}", "disks[0].size: '1X' is not a size" },
	{ "{" BASE ",\"disks\":[{\"path\":\"/d\",\"shared\":false,\"size\":\"1G1\"}]}", "is not a size" },
	{ "{" BASE ",\"disks\":[{\"path\":\"/d\",\"shared\":false,\"size\":\"-1G\"}]}", "is not a size" },
	{ "{" BASE ",\"disks\":[{\"path\":\"/d\",\"shared\":false,\"size\":\"0\"}]}", "is not a size" },
	{ "{" BASE ",\"disks\":[{\"path\":\"/d\",\"shared\":false,\"size\":1000}]}", "a multiple of 512" },
	{ "{" BASE ",\"disks\":[{\"path\":\"/d\",\"shared\":false,\"size\":-512}]}", "is not a size" },
	{ "{" BASE ",\"disks\":[{\"path\":\"/d\",\"shared\":false,\"size\":\"99999999999T\"}]}", "is not a size" },
	{ "{" BASE ",\"disks\":[{\"path\":\"/d\",\"shared\":false,\"size\":true}]}", "is not a size" },
	{ "{" BASE ",\"disks\":[{\"path\":\"/d\"},{\"path\":\"/d\"}]}", "disks[1].path: '/d' is already disks[0]" },
	{ "{" BASE ",\"nics\":[{\"mac\":\"52:54:00:00:00:01\"}]}", "nics[0].bridge: missing" },
	{ "{" BASE ",\"nics\":[{\"bridge\":\"br0\"}]}", "nics[0].mac: missing" },
	{ "{" BASE ",\"nics\":[{\"bridge\":\"br0\",\"mac\":\"52:54:00:00:00\"}]}", "nics[0].mac: '52:54:00:00:00'" },
	{ "{" BASE ",\"nics\":[{\"bridge\":\"br0\",\"mac\":\"52:54:00:00:00:zz\"}]}", "is not a unicast MAC" },
	{ "{" BASE ",\"nics\":[{\"bridge\":\"br0\",\"mac\":\"52-54-00-00-00-01\"}]}", "is not a unicast MAC" },
	{ "{" BASE ",\"nics\":[{\"bridge\":\"br0\",\"mac\":\"01:00:5e:00:00:01\"}]}", "is not a unicast MAC" },
	{ "{" BASE ",\"nics\":[{\"bridge\":\"br0\",\"mac\":\"00:00:00:00:00:00\"}]}", "is not a unicast MAC" },
	{ "{" BASE ",\"nics\":[{\"bridge\":\"br0\",\"mac\":\"52:54:00:00:00:01\"},"
	  "{\"bridge\":\"br1\",\"mac\":\"52:54:00:00:00:01\"}]}", "nics[1].mac: 52:54:00:00:00:01 is already nics[0]" },
	{ "{" BASE ",\"nics\":[{\"bridge\":\"br0\",\"mac\":\"52:54:00:00:00:01\"},"
	  "{\"bridge\":\"br1\",\"mac\":\"52:54:00:00:00:01\"}]}", "already" },
	{ "{" BASE ",\"nics\":[{\"bridge\":\"a-very-long-bridge-name\",\"mac\":\"52:54:00:00:00:01\"}]}",
	  "is not an interface name" },
	{ "{" BASE ",\"nics\":[{\"bridge\":\"br0\",\"mac\":\"52:54:00:00:00:01\",\"model\":\"ne2k\"}]}",
	  "nics[0].model: 'ne2k'" },
	{ "{" BASE ",\"nics\":[{\"bridge\":\"br0\",\"mac\":\"52:54:00:00:00:01\",\"vlan\":5}]}",
	  "nics[0]: unknown key 'vlan'" },
	{ "{" BASE ",\"extra_args\":\"-no-reboot\"}", "extra_args: must be an array" },
	{ "{" BASE ",\"extra_args\":[1]}", "extra_args[0]: must be a string" },
	{ "{" BASE ",\"migration_policy\":\"post-copy\"}",
	  "migration_policy: 'post-copy' must be precopy, stall-abort or postcopy" },
	{ "{" BASE ",\"migration_policy\":2}", "migration_policy: must be a string" },
	{ "{" BASE ",\"migration_policy\":\"\"}", "migration_policy: must not be empty" },
};

static void
test_bad_table(void)
{
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct cd_vmdef *d;

		errno = 0;
		d = cd_vmdef_parse(bad_cases[i].json, err, sizeof(err));
		CU_ASSERT_PTR_NULL(d);
		CU_ASSERT_EQUAL(errno, EINVAL);
		if (!strstr(err, bad_cases[i].error)) {
			printf("\n  case %zu: %s\n    got \"%s\", want \"%s\"\n", i,
			       bad_cases[i].json, err, bad_cases[i].error);
			CU_FAIL("error text");
		}
		cd_vmdef_free(d);
	}
}

static void
test_check_name(void)
{
	CU_ASSERT_EQUAL(cd_vmdef_check_name("web1"), 0);
	CU_ASSERT_EQUAL(cd_vmdef_check_name("a.b_c-d"), 0);
	CU_ASSERT_EQUAL(cd_vmdef_check_name(""), -EINVAL);
	CU_ASSERT_EQUAL(cd_vmdef_check_name(".."), -EINVAL);
	CU_ASSERT_EQUAL(cd_vmdef_check_name("a b"), -EINVAL);
	CU_ASSERT_EQUAL(cd_vmdef_check_name(NULL), -EINVAL);
}

static void
test_load(void)
{
	char path[] = "/tmp/test_vmdef.XXXXXX", err[256];
	const char *json = "{" BASE "}";
	struct cd_vmdef *d;
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
	d = cd_vmdef_load(path, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(d);
	cd_vmdef_free(d);
	unlink(path);
	errno = 0;
	d = cd_vmdef_load(path, err, sizeof(err));
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_EQUAL(errno, ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "No such file"));
}

/* Issue 16: `vm add --config /dev/zero` read 827 MB, then hung. */
static void
test_load_not_regular(void)
{
	char dir[] = "/tmp/test_vmdef.XXXXXX", fifo[64], big[64], err[256];
	struct cd_vmdef *d;
	int fd;

	errno = 0;
	d = cd_vmdef_load("/dev/zero", err, sizeof(err));
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "/dev/zero: not a regular file");
	d = cd_vmdef_load("/tmp", err, sizeof(err));
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a regular file"));

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	/* A FIFO nobody writes: refused at once, not waited on. */
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	CU_ASSERT_FATAL(mkfifo(fifo, 0600) == 0);
	d = cd_vmdef_load(fifo, err, sizeof(err));
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a regular file"));
	/* One byte over the bound: refused before reading. */
	snprintf(big, sizeof(big), "%s/big.json", dir);
	fd = open(big, O_WRONLY | O_CREAT, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(ftruncate(fd, CD_VMDEF_MAX_SIZE + 1), 0);
	close(fd);
	d = cd_vmdef_load(big, err, sizeof(err));
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "larger than 64 KiB"));
	unlink(fifo);
	unlink(big);
	rmdir(dir);
}

/* ---- argv ---- */

static int
argv_find(char **argv, const char *opt, const char *val)
{
	for (int i = 0; argv[i]; i++)
		if (strcmp(argv[i], opt) == 0 && argv[i + 1] &&
		    (!val || strcmp(argv[i + 1], val) == 0))
			return i;
	return -1;
}

static void
test_argv(void)
{
	static const char json[] =
		"{\"name\":\"web1\",\"memory_mib\":512,\"vcpus\":2,"
		"\"kernel\":\"/k/vmlinux\",\"initrd\":\"/k/initrd\",\"cmdline\":\"console=ttyS0 a=b,c\","
		"\"disks\":[{\"path\":\"/cs/v1/my,disk.img\",\"format\":\"raw\"},"
		"{\"path\":\"/cs/v1/b.qcow2\",\"format\":\"qcow2\",\"cache\":\"writeback\",\"bus\":\"ide\"}],"
		"\"nics\":[{\"bridge\":\"vmbr0\",\"mac\":\"52:54:00:00:00:01\"}],"
		"\"extra_args\":[\"-no-reboot\"]}";
	int taps[1] = { 9 };
	struct cd_qemu_launch l = {
		.binary = "qemu-system-x86_64", .accel = "tcg", .run_dir = "/run/clusterd/vm/web1",
		.incoming = "defer", .tap_fds = taps, .daemonize = true,
	};
	char err[256], **argv;
	struct cd_vmdef *d = cd_vmdef_parse(json, err, sizeof(err));
	int n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	argv = cd_qemu_argv(d, &l);
	CU_ASSERT_PTR_NOT_NULL_FATAL(argv);
	CU_ASSERT_STRING_EQUAL(argv[0], "qemu-system-x86_64");
	CU_ASSERT(argv_find(argv, "-m", "512") > 0);
	CU_ASSERT(argv_find(argv, "-smp", "2") > 0);
	CU_ASSERT(argv_find(argv, "-accel", "tcg") > 0);
	CU_ASSERT(argv_find(argv, "-cpu", "qemu64") > 0);
	CU_ASSERT(argv_find(argv, "-machine", "pc") > 0);
	CU_ASSERT(argv_find(argv, "-kernel", "/k/vmlinux") > 0);
	CU_ASSERT(argv_find(argv, "-initrd", "/k/initrd") > 0);
	/* the command line is one argv element, commas untouched */
	CU_ASSERT(argv_find(argv, "-append", "console=ttyS0 a=b,c") > 0);
	CU_ASSERT(argv_find(argv, "-pidfile", "/run/clusterd/vm/web1/qemu.pid") > 0);
	CU_ASSERT(argv_find(argv, "-qmp",
		  "unix:/run/clusterd/vm/web1/qmp.sock,server=on,wait=off") > 0);
	CU_ASSERT(argv_find(argv, "-qmp",
		  "unix:/run/clusterd/vm/web1/qmp-mon.sock,server=on,wait=off") > 0);
	CU_ASSERT(argv_find(argv, "-serial", "file:/run/clusterd/vm/web1/console.log") > 0);
	CU_ASSERT(argv_find(argv, "-D", "/run/clusterd/vm/web1/qemu.log") > 0);
	/* commas in a path are doubled inside an option string */
	CU_ASSERT(argv_find(argv, "-drive", "file=/cs/v1/my,,disk.img,format=raw,if=none,"
		  "id=disk0,cache=none,aio=native,file.auto-read-only=off") > 0);
	CU_ASSERT(argv_find(argv, "-drive", "file=/cs/v1/b.qcow2,format=qcow2,if=none,"
		  "id=disk1,cache=writeback,file.auto-read-only=off") > 0);
	CU_ASSERT(argv_find(argv, "-device", "virtio-blk-pci,drive=disk0,bootindex=1") > 0);
	CU_ASSERT(argv_find(argv, "-device", "ide-hd,drive=disk1") > 0);
	CU_ASSERT(argv_find(argv, "-netdev", "tap,id=net0,fd=9,vhost=off") > 0);
	CU_ASSERT(argv_find(argv, "-device", "virtio-net-pci,netdev=net0,mac=52:54:00:00:00:01") > 0);
	CU_ASSERT(argv_find(argv, "-incoming", "defer") > 0);
	CU_ASSERT(argv_find(argv, "-device", "pvpanic") > 0);	/* panics become events */
	CU_ASSERT(argv_find(argv, "-action", "panic=none") > 0);
	for (n = 0; argv[n]; n++)
		;
	CU_ASSERT_STRING_EQUAL(argv[n - 1], "-no-reboot");	/* extra args last */
	CU_ASSERT_STRING_EQUAL(argv[n - 2], "-daemonize");
	cd_qemu_argv_free(argv);

	l.incoming = NULL;
	l.daemonize = false;
	argv = cd_qemu_argv(d, &l);
	CU_ASSERT_PTR_NOT_NULL_FATAL(argv);
	CU_ASSERT(argv_find(argv, "-incoming", NULL) < 0);
	cd_qemu_argv_free(argv);
	cd_vmdef_free(d);

	/* a definition with its own pvpanic device does not get a second one */
	d = cd_vmdef_parse("{\"name\":\"p\",\"memory_mib\":64,\"kernel\":\"/k\","
			   "\"extra_args\":[\"-device\",\"pvpanic-pci\"]}", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	argv = cd_qemu_argv(d, &l);
	CU_ASSERT_PTR_NOT_NULL_FATAL(argv);
	CU_ASSERT(argv_find(argv, "-device", "pvpanic") < 0);
	CU_ASSERT(argv_find(argv, "-device", "pvpanic-pci") > 0);
	CU_ASSERT(argv_find(argv, "-action", NULL) < 0);
	cd_qemu_argv_free(argv);
	cd_vmdef_free(d);
}

static void
test_escape(void)
{
	char *s = cd_qemu_escape("a,b,,c");

	CU_ASSERT_STRING_EQUAL(s, "a,,b,,,,c");
	free(s);
	s = cd_qemu_escape("");
	CU_ASSERT_STRING_EQUAL(s, "");
	free(s);
}

static void
test_cpu_models(void)
{
	static const char help[] =
		"Available CPUs:\n"
		"x86 486                   (alias configured by machine type)\n"
		"x86 486-v1                \n"
		"x86 Skylake-Client        (alias configured by machine type)\n"
		"x86 host                  processor with all supported host features \n"
		"x86 max                   Enables all features supported by the accelerator\n"
		"x86 qemu64                (alias configured by machine type)\n"
		"\n"
		"Recognized CPUID flags:\n"
		"  3dnow 3dnowext fpu sse sse2 Bogus\n";
	char why[200] = "";

	bool found = true;

	CU_ASSERT_EQUAL(cd_qemu_cpu_models(help, NULL, NULL), 6);
	CU_ASSERT_EQUAL(cd_qemu_cpu_models(help, "max", &found), 6);
	CU_ASSERT_TRUE(found);
	CU_ASSERT_EQUAL(cd_qemu_cpu_models(help, "3dnow", &found), 6);
	CU_ASSERT_FALSE(found);
	CU_ASSERT_EQUAL(cd_qemu_cpu_models("garbage", NULL, NULL), 0);
	CU_ASSERT_EQUAL(cd_qemu_cpu_model_check(help, "qemu64", "tcg", why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(cd_qemu_cpu_model_check(help, "486-v1", "tcg", why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(cd_qemu_cpu_model_check(help, "Skylake-Client", "kvm", why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(cd_qemu_cpu_model_check(help, "max", "tcg", why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(cd_qemu_cpu_model_check(help, "host", "kvm", why, sizeof(why)), 0);
	/* prefixes, CPUID flags and other sections are not models */
	CU_ASSERT_EQUAL(cd_qemu_cpu_model_check(help, "Skylake", "tcg", why, sizeof(why)), -ENOENT);
	CU_ASSERT_EQUAL(cd_qemu_cpu_model_check(help, "Bogus", "tcg", why, sizeof(why)), -ENOENT);
	CU_ASSERT_EQUAL(cd_qemu_cpu_model_check(help, "Icelake-Server", "kvm", why, sizeof(why)),
			-ENOENT);
	CU_ASSERT_STRING_EQUAL(why, "CPU model 'Icelake-Server' is not one of the 6 models "
			       "this node's QEMU knows (qemu-system-x86_64 -cpu help)");
	CU_ASSERT_EQUAL(cd_qemu_cpu_model_check(help, "host", "tcg", why, sizeof(why)), -ENOTSUP);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "needs KVM"));
	/* no list at all: unknown, not a refusal */
	CU_ASSERT_EQUAL(cd_qemu_cpu_model_check("", "qemu64", "tcg", why, sizeof(why)), -EINVAL);
	CU_ASSERT_EQUAL(cd_qemu_cpu_model_check(NULL, "qemu64", "tcg", why, sizeof(why)), -EINVAL);
	CU_ASSERT_EQUAL(cd_qemu_cpu_model_check("Available CPUs:\n\n", "qemu64", "tcg", why,
						sizeof(why)), -EINVAL);
}

static CU_TestInfo vmdef_tests[] = {
	{ "minimal definition and defaults", test_minimal_defaults },
	{ "full definition", test_full },
	{ "node-local disks: shared and size", test_local_disks },
	{ "invalid definitions give clear errors", test_bad_table },
	{ "VM names", test_check_name },
	{ "load from a file", test_load },
	{ "load: regular files of bounded size only", test_load_not_regular },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo argv_tests[] = {
	{ "QEMU argv of a definition", test_argv },
	{ "option value escaping", test_escape },
	{ "CPU models of 'qemu -cpu help'", test_cpu_models },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "vmdef", NULL, NULL, NULL, NULL, vmdef_tests },
	{ "qemu-argv", NULL, NULL, NULL, NULL, argv_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
