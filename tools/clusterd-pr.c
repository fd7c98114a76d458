/*
 * clusterd-pr.c - SCSI-3 persistent reservations on an iSCSI LUN, by hand.
 *
 * An administrator's and test tool over lib/pr.h. One command per run, or
 * --script: commands from stdin, one per line, all on ONE iSCSI session,
 * one result line each. The script mode exists because the target ties a
 * registration to the session that made it: a run that registers and exits
 * leaves an orphan key that authorises nobody.
 */
#include "pr.h"
#include "timeutil.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#define PROG		"clusterd-pr"
#define IQN_PREFIX	"iqn.2026-11.org.clusterd:pr-tool:"
#define MAX_WORDS	8

enum {
	EXIT_OK = 0,
	EXIT_SCSI = 1,		/* the target refused or reported a condition */
	EXIT_USAGE = 2,
	EXIT_CONNECT = 3,	/* cannot connect/log in, or the session broke */
};

struct cli {
	bool json;
	bool script;
	int timeout_ms;
	char initiator[CD_ISCSI_NAME_MAX + 1];
	struct cd_iscsi_url url;
	struct cd_pr *pr;
	char usage_msg[256];	/* set by a command that rejects its arguments */
};

struct command {
	const char *name;
	int min_args, max_args;
	const char *args;
	const char *help;
	int (*fn)(struct cli *cli, char **argv, json_object *out);
};

/* ---- argument helpers -------------------------------------------------- */

static int __attribute__((format(printf, 2, 3)))
usage_error(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cli->usage_msg, sizeof(cli->usage_msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A key in hex, "0x" optional, 1..16 digits. */
static bool
parse_key(const char *s, uint64_t *key)
{
	const char *p = s;
	char *end;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	if (*p == '\0' || strlen(p) > 16 || strspn(p, "0123456789abcdefABCDEF") != strlen(p))
		return false;
	errno = 0;
	*key = strtoull(p, &end, 16);
	return errno == 0 && *end == '\0';
}

static bool
parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno == 0 && *end == '\0';
}

static int
arg_key(struct cli *cli, const char *s, uint64_t *key, bool nonzero)
{
	if (!parse_key(s, key))
		return usage_error(cli, "'%s' is not a key (hex, up to 16 digits: 0x4344000100000001)", s);
	if (nonzero && *key == 0)
		return usage_error(cli, "the key must not be 0");
	return 0;
}

static int
arg_type(struct cli *cli, const char *s, enum cd_pr_type *type)
{
	int t = cd_pr_type_parse(s);

	if (t < 0)
		return usage_error(cli, "'%s' is not a reservation type (WE EA WERO EARO WEAR EAAR)", s);
	*type = (enum cd_pr_type)t;
	return 0;
}

static void
add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void
add_key(json_object *o, const char *k, uint64_t key)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%016" PRIx64, key);
	add_str(o, k, buf);
}

static void
add_int(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void
add_bool(json_object *o, const char *k, bool v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

/* ---- commands ---------------------------------------------------------- */

static int
cmd_inquiry(struct cli *cli, char **argv, json_object *out)
{
	struct cd_pr_inquiry inq;
	int r = cd_pr_inquiry(cli->pr, &inq);

	if (r < 0)
		return r;
	add_str(out, "vendor", inq.vendor);
	add_str(out, "product", inq.product);
	add_str(out, "revision", inq.revision);
	add_str(out, "serial", inq.serial);
	add_str(out, "device_id", inq.device_id);
	add_int(out, "blocks", (int64_t)inq.blocks);
	add_int(out, "block_size", inq.block_size);
	add_int(out, "size_bytes", (int64_t)(inq.blocks * inq.block_size));
	return 0;
}

static int
cmd_keys(struct cli *cli, char **argv, json_object *out)
{
	uint64_t keys[256];
	json_object *arr, *owners;
	uint32_t gen, node, inc;
	size_t n, i;
	int r = cd_pr_read_keys(cli->pr, keys, 256, &n, &gen);

	if (r < 0)
		return r;
	add_int(out, "generation", gen);
	add_int(out, "count", (int64_t)n);
	arr = json_object_new_array();
	owners = json_object_new_array();
	for (i = 0; i < n && i < 256; i++) {
		char buf[48];

		snprintf(buf, sizeof(buf), "0x%016" PRIx64, keys[i]);
		json_object_array_add(arr, json_object_new_string(buf));
		if (cd_pr_key_decode(keys[i], &node, &inc))
			snprintf(buf, sizeof(buf), "node%" PRIu32 "/%" PRIu32, node, inc);
		else
			snprintf(buf, sizeof(buf), "foreign");
		json_object_array_add(owners, json_object_new_string(buf));
	}
	json_object_object_add(out, "keys", arr);
	json_object_object_add(out, "owners", owners);
	return 0;
}

static int
cmd_reservation(struct cli *cli, char **argv, json_object *out)
{
	struct cd_pr_reservation res;
	int r = cd_pr_read_reservation(cli->pr, &res);

	if (r < 0)
		return r;
	add_int(out, "generation", res.generation);
	add_bool(out, "reserved", res.present);
	if (res.present) {
		const char *t = cd_pr_type_name((int)res.type);

		add_key(out, "holder", res.key);
		add_str(out, "type", t ? t : "unknown");
	}
	return 0;
}

static int
cmd_caps(struct cli *cli, char **argv, json_object *out)
{
	static const int types[] = { CD_PR_WE, CD_PR_EA, CD_PR_WERO, CD_PR_EARO,
				     CD_PR_WEAR, CD_PR_EAAR };
	struct cd_pr_caps caps;
	json_object *arr;
	size_t i;
	int r = cd_pr_capabilities(cli->pr, &caps);

	if (r < 0)
		return r;
	arr = json_object_new_array();
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (caps.type_mask & (1u << types[i]))
			json_object_array_add(arr, json_object_new_string(cd_pr_type_name(types[i])));
	}
	json_object_object_add(out, "types", arr);
	add_bool(out, "type_mask_valid", caps.tmv);
	add_bool(out, "ptpl_capable", caps.ptpl_capable);
	add_bool(out, "ptpl_active", caps.ptpl_active);
	add_bool(out, "crh", caps.crh);
	add_bool(out, "sip_capable", caps.sip_capable);
	add_bool(out, "atp_capable", caps.atp_capable);
	return 0;
}

static int
cmd_tur(struct cli *cli, char **argv, json_object *out)
{
	return cd_pr_test_unit_ready(cli->pr);
}

static int
cmd_register(struct cli *cli, char **argv, json_object *out)
{
	uint64_t key;

	if (arg_key(cli, argv[0], &key, true) < 0)
		return -EINVAL;
	return cd_pr_register(cli->pr, key);
}

static int
cmd_register_ignore(struct cli *cli, char **argv, json_object *out)
{
	uint64_t key;

	if (arg_key(cli, argv[0], &key, false) < 0)
		return -EINVAL;
	return cd_pr_register_ignore(cli->pr, key);
}

static int
cmd_unregister(struct cli *cli, char **argv, json_object *out)
{
	uint64_t key;

	if (arg_key(cli, argv[0], &key, true) < 0)
		return -EINVAL;
	return cd_pr_unregister(cli->pr, key);
}

static int
cmd_reserve(struct cli *cli, char **argv, json_object *out)
{
	enum cd_pr_type type = CD_PR_WERO;
	uint64_t key;

	if (arg_key(cli, argv[0], &key, true) < 0 || arg_type(cli, argv[1], &type) < 0)
		return -EINVAL;
	return cd_pr_reserve(cli->pr, key, type);
}

static int
cmd_release(struct cli *cli, char **argv, json_object *out)
{
	enum cd_pr_type type = CD_PR_WERO;
	uint64_t key;

	if (arg_key(cli, argv[0], &key, true) < 0 || arg_type(cli, argv[1], &type) < 0)
		return -EINVAL;
	return cd_pr_release(cli->pr, key, type);
}

static int
cmd_clear(struct cli *cli, char **argv, json_object *out)
{
	uint64_t key;

	if (arg_key(cli, argv[0], &key, true) < 0)
		return -EINVAL;
	return cd_pr_clear(cli->pr, key);
}

static int
cmd_preempt(struct cli *cli, char **argv, json_object *out)
{
	uint64_t key, victim;
	enum cd_pr_type type = CD_PR_WERO;

	if (arg_key(cli, argv[0], &key, true) < 0 ||
	    arg_key(cli, argv[1], &victim, false) < 0 ||
	    arg_type(cli, argv[2], &type) < 0)
		return -EINVAL;
	return cd_pr_preempt(cli->pr, key, victim, type);
}

/* FNV-1a, to compare blocks across nodes in one short field. */
static uint64_t
fnv1a(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

#define PATTERN_MAGIC	"CLUSTERD-PR "

static int
arg_lba(struct cli *cli, const char *s, uint64_t *lba)
{
	if (!parse_u64(s, lba))
		return usage_error(cli, "'%s' is not a block address", s);
	return 0;
}

static int
cmd_read(struct cli *cli, char **argv, json_object *out)
{
	uint32_t bs = cd_pr_block_size(cli->pr);
	unsigned char *buf;
	uint64_t lba;
	size_t i;
	bool zero = true;
	int r;

	if (arg_lba(cli, argv[0], &lba) < 0)
		return -EINVAL;
	if (bs == 0)	/* no session yet: let the library say so */
		return cd_pr_read_blocks(cli->pr, lba, NULL, 0);
	buf = calloc(1, bs);
	if (!buf)
		return -ENOMEM;
	r = cd_pr_read_blocks(cli->pr, lba, buf, bs);
	if (r == 0) {
		char tag[128] = "";

		for (i = 0; i < bs && zero; i++)
			zero = buf[i] == 0;
		if (memcmp(buf, PATTERN_MAGIC, strlen(PATTERN_MAGIC)) == 0) {
			const char *p = (const char *)buf + strlen(PATTERN_MAGIC);
			size_t n = strcspn(p, "\n");

			snprintf(tag, sizeof(tag), "%.*s", (int)(n < 127 ? n : 127), p);
		}
		add_int(out, "lba", (int64_t)lba);
		add_bool(out, "zero", zero);
		add_str(out, "pattern", tag);
		add_key(out, "fnv", fnv1a(buf, bs));
	}
	free(buf);
	return r;
}

static int
cmd_write(struct cli *cli, char **argv, json_object *out)
{
	uint32_t bs = cd_pr_block_size(cli->pr);
	const char *tag = argv[1] ? argv[1] : cli->initiator;
	unsigned char *buf;
	uint64_t lba;
	size_t i, n;
	int r;

	if (arg_lba(cli, argv[0], &lba) < 0)
		return -EINVAL;
	if (bs == 0)
		return cd_pr_write_blocks(cli->pr, lba, NULL, 0, 0);
	buf = malloc(bs);
	if (!buf)
		return -ENOMEM;
	/* A text line a human recognises in a hex dump, then a fill that
	 * depends on the address. */
	n = (size_t)snprintf((char *)buf, bs, PATTERN_MAGIC "%s lba=%" PRIu64 " t=%" PRIu64 "\n",
			     tag, lba, cd_now_mono_ns());
	for (i = n < bs ? n : bs; i < bs; i++)
		buf[i] = (unsigned char)(i * 7 + lba);
	r = cd_pr_write_blocks(cli->pr, lba, buf, bs, CD_PR_WRITE_FUA);
	if (r == 0) {
		add_int(out, "lba", (int64_t)lba);
		add_key(out, "fnv", fnv1a(buf, bs));
	}
	free(buf);
	return r;
}

static int
cmd_reconnect(struct cli *cli, char **argv, json_object *out)
{
	int r = cd_pr_reconnect(cli->pr);

	if (r == 0)
		add_str(out, "initiator", cli->initiator);
	return r;
}

static const struct command commands[] = {
	{ "inquiry", 0, 0, "", "vendor, product, serial, device id, capacity", cmd_inquiry },
	{ "keys", 0, 0, "", "PR generation and registered keys", cmd_keys },
	{ "reservation", 0, 0, "", "the reservation: holder key and type", cmd_reservation },
	{ "caps", 0, 0, "", "REPORT CAPABILITIES: supported types, persistence", cmd_caps },
	{ "tur", 0, 0, "", "TEST UNIT READY", cmd_tur },
	{ "register", 1, 1, "KEY", "register KEY (this session must not be registered)", cmd_register },
	{ "register-ignore", 1, 1, "KEY", "REGISTER AND IGNORE EXISTING KEY", cmd_register_ignore },
	{ "unregister", 1, 1, "KEY", "drop our registration KEY", cmd_unregister },
	{ "reserve", 2, 2, "KEY TYPE", "reserve with our KEY", cmd_reserve },
	{ "release", 2, 2, "KEY TYPE", "release our reservation", cmd_release },
	{ "clear", 1, 1, "KEY", "drop every registration and the reservation", cmd_clear },
	{ "preempt", 3, 3, "KEY VICTIM TYPE", "remove VICTIM's registration (fence it)", cmd_preempt },
	{ "read", 1, 1, "LBA", "read one block; shows a clusterd-pr pattern if any", cmd_read },
	{ "write", 1, 2, "LBA [TAG]", "write one recognisable pattern block (FUA)", cmd_write },
	{ "reconnect", 0, 0, "", "drop the session and log in anew (unregistered)", cmd_reconnect },
	{ "connect", 0, 0, "", "the same (the first line of --script is its result)", cmd_reconnect },
};

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}

/* ---- output ------------------------------------------------------------ */

/* A value as text: strings raw, arrays comma-joined. */
static void
value_text(json_object *v, char *buf, size_t len)
{
	size_t i, o = 0;

	switch (json_object_get_type(v)) {
	case json_type_string:
		snprintf(buf, len, "%s", json_object_get_string(v));
		break;
	case json_type_array:
		buf[0] = '\0';
		for (i = 0; i < json_object_array_length(v) && o < len; i++)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "," : "",
					      json_object_get_string(json_object_array_get_idx(v, i)));
		break;
	default:
		snprintf(buf, len, "%s", json_object_to_json_string(v));
		break;
	}
}

/* k=v, v quoted when it has blanks, quotes, '=' or is empty. */
static void
print_field(const char *k, const char *v)
{
	const char *p;

	if (*v && !strpbrk(v, " \t\"\\=")) {
		printf(" %s=%s", k, v);
		return;
	}
	printf(" %s=\"", k);
	for (p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			putchar('\\');
		putchar(*p);
	}
	putchar('"');
}

static void
emit(struct cli *cli, const char *name, int r, json_object *out, uint64_t us)
{
	char buf[4096];
	struct cd_pr_sense sense = { .status = -1 };
	const char *msg = cli->usage_msg[0] ? cli->usage_msg :
		cli->pr && r < 0 ? cd_pr_last_error(cli->pr) : cd_pr_strerror(r);

	if (cli->pr && r < 0 && !cli->usage_msg[0])
		cd_pr_last_sense(cli->pr, &sense);
	if (cli->json) {
		json_object *o = json_object_new_object();

		add_str(o, "command", name);
		add_bool(o, "ok", r == 0);
		add_int(o, "elapsed_us", (int64_t)us);
		if (r < 0) {
			add_str(o, "error", cli->usage_msg[0] ? "usage" : cd_pr_errname(r));
			add_str(o, "message", msg);
			if (sense.status == 2) {
				snprintf(buf, sizeof(buf), "%X/%02X/%02X", sense.key,
					 sense.asc, sense.ascq);
				add_str(o, "sense", buf);
			}
		}
		json_object_object_foreach(out, k, v)
			json_object_object_add(o, k, json_object_get(v));
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else if (cli->script) {
		printf("%s %s us=%" PRIu64, r == 0 ? "ok" : "err", name, us);
		if (r < 0) {
			print_field("error", cli->usage_msg[0] ? "usage" : cd_pr_errname(r));
			print_field("message", msg);
		}
		json_object_object_foreach(out, k, v) {
			value_text(v, buf, sizeof(buf));
			print_field(k, buf);
		}
		putchar('\n');
	} else if (r < 0) {
		fprintf(stderr, PROG ": %s: %s\n", name, msg);
	} else {
		json_object_object_foreach(out, k, v) {
			value_text(v, buf, sizeof(buf));
			printf("%s: %s\n", k, buf);
		}
	}
	fflush(stdout);
}

static int
exit_code(int r, bool usage)
{
	if (r == 0)
		return EXIT_OK;
	if (usage)
		return EXIT_USAGE;
	switch (r) {
	case -ETIMEDOUT:
	case -ECONNRESET:
	case -ENOTCONN:
	case -CD_PR_E_CONNECT:
	case -CD_PR_E_LOGIN:
		return EXIT_CONNECT;
	default:
		return EXIT_SCSI;
	}
}

/* Run one command line (argv[0] is the command). @return an exit code */
static int
run(struct cli *cli, int argc, char **argv)
{
	const struct command *c = find_command(argv[0]);
	json_object *out = json_object_new_object();
	char *args[MAX_WORDS] = { 0 };
	uint64_t t0 = cd_now_mono_ns();
	int r, i;

	cli->usage_msg[0] = '\0';
	if (!c) {
		r = usage_error(cli, "unknown command '%s' (try --help)", argv[0]);
	} else if (argc - 1 < c->min_args || argc - 1 > c->max_args) {
		r = usage_error(cli, "usage: %s %s", c->name, c->args);
	} else {
		for (i = 1; i < argc; i++)
			args[i - 1] = argv[i];
		r = c->fn(cli, args, out);
	}
	emit(cli, argv[0], r, out, (cd_now_mono_ns() - t0) / 1000);
	json_object_put(out);
	return exit_code(r, cli->usage_msg[0] != '\0');
}

/* ---- main -------------------------------------------------------------- */

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f,
"Usage: " PROG " [OPTIONS] URL COMMAND [ARGS]\n"
"       " PROG " [OPTIONS] --script URL < commands\n"
"SCSI-3 persistent reservations and block I/O on an iSCSI LUN.\n"
"URL: iscsi://HOST[:PORT]/TARGET-IQN/LUN\n"
"\n"
"Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-16s %-16s %s\n", commands[i].name, commands[i].args,
			commands[i].help);
	fprintf(f,
"KEY is hex (0x4344000100000001 = clusterd node 1, incarnation 1);\n"
"TYPE is WE, EA, WERO, EARO, WEAR or EAAR.\n"
"\n"
"Options:\n"
"  -i, --initiator IQN  our initiator name (default " IQN_PREFIX "HOSTNAME)\n"
"  -t, --timeout MS     deadline of each command, login included (default %d)\n"
"  -j, --json           JSON output (one object per command)\n"
"  -s, --script         read commands from stdin, one per line, and run them\n"
"                       on one session; print one line per command:\n"
"                       'ok CMD us=N k=v...' or 'err CMD us=N error=NAME message=...'\n"
"                       (the first line is the login, command 'connect')\n"
"  -h, --help, -V, --version\n"
"\n"
"A registration belongs to the session that made it: registering in one run\n"
"and writing in the next does not work. Use --script for sequences.\n"
"Exit codes: 0 ok; 1 the target refused (reservation conflict, unit\n"
"attention, ...); 2 usage; 3 cannot connect or log in, or the session broke.\n"
"In --script mode: the code of the first failing command.\n",
		CD_PR_DEFAULT_TIMEOUT_MS);
}

static void
default_initiator(char *buf, size_t len)
{
	char host[64] = "localhost";
	size_t o, i;

	gethostname(host, sizeof(host) - 1);
	o = (size_t)snprintf(buf, len, "%s", IQN_PREFIX);
	for (i = 0; host[i] && o + 1 < len; i++) {
		char ch = host[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		buf[o++] = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
			   ch == '.' || ch == '-' ? ch : '-';
	}
	buf[o] = '\0';
}

/* Split a line into words in place. @return the count, or -1 if too many */
static int
split(char *line, char **words)
{
	int n = 0;
	char *save = NULL, *w;

	for (w = strtok_r(line, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == MAX_WORDS)
			return -1;
		words[n++] = w;
	}
	return n;
}

static int
script(struct cli *cli, int connect_rc)
{
	char *line = NULL, *words[MAX_WORDS];
	size_t cap = 0;
	int rc = connect_rc, n;

	while (getline(&line, &cap, stdin) >= 0) {
		int r;

		n = split(line, words);
		if (n == 0 || words[0][0] == '#')
			continue;
		if (n < 0) {
			printf("err line us=0 error=usage message=\"too many words\"\n");
			fflush(stdout);
			r = EXIT_USAGE;
		} else if (strcmp(words[0], "quit") == 0 || strcmp(words[0], "exit") == 0) {
			break;
		} else {
			r = run(cli, n, words);
		}
		if (rc == EXIT_OK)
			rc = r;
	}
	free(line);
	return rc;
}

static int
one_command(struct cli *cli, int argc, char **argv)
{
	uint64_t t0 = cd_now_mono_ns();
	json_object *empty;
	int r = cd_pr_reconnect(cli->pr);

	if (r < 0) {
		empty = json_object_new_object();
		emit(cli, "connect", r, empty, (cd_now_mono_ns() - t0) / 1000);
		json_object_put(empty);
		return exit_code(r, false);
	}
	return run(cli, argc, argv);
}

/*
 * Options, URL and command. @return -1 to go on (*cmd_index is the index of
 * the command in argv), or an exit code
 */
static int
parse_args(struct cli *cli, int argc, char **argv, int *cmd_index)
{
	static const struct option opts[] = {
		{ "initiator", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "script", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char err[256], *end;
	long v;
	int c;

	while ((c = getopt_long(argc, argv, "+i:t:jshV", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (cd_iscsi_name_check(optarg, err, sizeof(err)) < 0) {
				fprintf(stderr, PROG ": --initiator: %s\n", err);
				return EXIT_USAGE;
			}
			snprintf(cli->initiator, sizeof(cli->initiator), "%s", optarg);
			break;
		case 't':
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || v < 1 || v > 3600000) {
				fprintf(stderr, PROG ": --timeout: milliseconds 1..3600000\n");
				return EXIT_USAGE;
			}
			cli->timeout_ms = (int)v;
			break;
		case 'j': cli->json = true; break;
		case 's': cli->script = true; break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': printf(PROG " %s\n", CLUSTERD_VERSION); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc || (!cli->script && optind + 1 >= argc) ||
	    (cli->script && optind + 1 != argc)) {
		fprintf(stderr, PROG ": %s\n", cli->script ?
			"--script takes a URL and no command" : "a URL and a command are needed");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (cd_iscsi_url_parse(argv[optind], &cli->url, err, sizeof(err)) < 0) {
		fprintf(stderr, PROG ": %s: %s\n", argv[optind], err);
		return EXIT_USAGE;
	}
	if (!cli->script && !find_command(argv[optind + 1])) {
		fprintf(stderr, PROG ": unknown command '%s'\n", argv[optind + 1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	*cmd_index = optind + 1;
	return -1;
}

int
main(int argc, char **argv)
{
	struct cli cli = { .timeout_ms = CD_PR_DEFAULT_TIMEOUT_MS };
	char *connect_argv[] = { "connect", NULL };
	int cmd, rc;

	signal(SIGPIPE, SIG_IGN);	/* libiscsi writes with writev() */
	default_initiator(cli.initiator, sizeof(cli.initiator));
	rc = parse_args(&cli, argc, argv, &cmd);
	if (rc >= 0)
		return rc;
	cli.pr = cd_pr_new(&cli.url, cli.initiator, cli.timeout_ms);
	if (!cli.pr) {
		fprintf(stderr, PROG ": %s\n", strerror(errno));
		return EXIT_CONNECT;
	}
	/* In --script mode the login's result is the first line, which a
	 * reader waits for; a single command reports only a failed login. */
	if (cli.script)
		rc = script(&cli, run(&cli, 1, connect_argv));
	else
		rc = one_command(&cli, argc - cmd, argv + cmd);
	cd_pr_close(cli.pr);
	return rc;
}
