/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `proclens run` options -> struct pl_run_opts. No I/O beyond --help, so the unit tests can
 * drive every branch. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "launcher.h"
#include "proclens/cleanup.h"
#include "proclens/util.h"

#define PL_CPU_PERIOD_USEC 100000  /* 100 ms, the period other runtimes use for --cpus */
#define PL_CPU_MIN_QUOTA_USEC 1000 /* the kernel refuses a smaller cfs quota */
#define PL_USERNS_DEFAULT_ID 100000

enum {
	OPT_MEMORY_SWAP = 256,
	OPT_CPUS,
	OPT_CPUSET_CPUS,
	OPT_PIDS_LIMIT,
	OPT_ROOTFS,
	OPT_OVERLAY,
	OPT_READ_ONLY,
	OPT_HOSTNAME,
	OPT_NAME,
	OPT_USERNS,
	OPT_NET,
	OPT_PID,
	OPT_SHARE_NET,
	OPT_SHARE_PID,
	OPT_VIEW,
	OPT_NO_VIEW,
	OPT_CAP_ADD,
	OPT_CAP_DROP,
	OPT_INIT,
	OPT_ALL_CPUS,
};

static const struct option run_options[] = {
    {"memory", required_argument, NULL, 'm'},
    {"memory-swap", required_argument, NULL, OPT_MEMORY_SWAP},
    {"cpus", required_argument, NULL, OPT_CPUS},
    {"cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS},
    {"all-cpus", no_argument, NULL, OPT_ALL_CPUS},
    {"pids-limit", required_argument, NULL, OPT_PIDS_LIMIT},
    {"rootfs", required_argument, NULL, OPT_ROOTFS},
    {"overlay", optional_argument, NULL, OPT_OVERLAY},
    {"read-only", no_argument, NULL, OPT_READ_ONLY},
    {"volume", required_argument, NULL, 'v'},
    {"workdir", required_argument, NULL, 'w'},
    {"env", required_argument, NULL, 'e'},
    {"hostname", required_argument, NULL, OPT_HOSTNAME},
    {"name", required_argument, NULL, OPT_NAME},
    {"userns", optional_argument, NULL, OPT_USERNS},
    {"net", required_argument, NULL, OPT_NET},
    {"pid", required_argument, NULL, OPT_PID},
    {"share-net", no_argument, NULL, OPT_SHARE_NET},
    {"share-pid", no_argument, NULL, OPT_SHARE_PID},
    {"view", required_argument, NULL, OPT_VIEW},
    {"no-view", no_argument, NULL, OPT_NO_VIEW},
    {"cap-add", required_argument, NULL, OPT_CAP_ADD},
    {"cap-drop", required_argument, NULL, OPT_CAP_DROP},
    {"init", no_argument, NULL, OPT_INIT},
    {"tty", no_argument, NULL, 't'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

void pl_run_usage(FILE *f)
{
	fputs("Usage: proclens run [OPTIONS] [--] COMMAND [ARG...]\n"
	      "Run COMMAND in new namespaces and its own cgroup, with /proc telling the truth.\n"
	      "\n"
	      "Limits (cgroup v1 and v2):\n"
	      "  -m, --memory SIZE        memory limit (K, M, G suffixes)\n"
	      "      --memory-swap SIZE   memory + swap limit; -1: unlimited swap\n"
	      "      --cpus FLOAT         CPU quota over a 100 ms period (1.5 = one and a half CPUs),\n"
	      "                           on ceil(FLOAT) CPUs: those least used by other containers\n"
	      "      --all-cpus           with --cpus, keep every CPU (the quota alone limits; nproc\n"
	      "                           then counts them all)\n"
	      "      --cpuset-cpus LIST   CPUs the container may run on (\"0-2,4\")\n"
	      "      --pids-limit N       maximum number of tasks\n"
	      "Filesystem:\n"
	      "      --rootfs DIR         switch root to DIR (default: the host's root, privately)\n"
	      "      --overlay[=DIR]      writable layer over the rootfs; changes go to DIR\n"
	      "                           (DIR/upper, DIR/work) or are thrown away\n"
	      "      --read-only          mount the root read-only\n"
	      "  -v, --volume SRC:DST[:ro]  bind-mount host SRC at DST\n"
	      "  -w, --workdir DIR        working directory inside\n"
	      "  -e, --env KEY[=VALUE]    set (or copy from here) an environment variable\n"
	      "Namespaces and identity:\n"
	      "      --name NAME          container name (cgroup proclens/NAME)\n"
	      "      --hostname NAME      hostname inside (default: the container name)\n"
	      "      --userns[=ID]        add a user namespace: container ids 0-65535 map to\n"
	      "                           host ids ID... (default 100000)\n"
	      "      --net=host, --share-net   keep the host's network namespace\n"
	      "      --pid=host, --share-pid   keep the host's pid namespace\n"
	      "The view:\n"
	      "      --view DIR           use the proclensfs mounted at DIR (default: the one at\n"
	      "                           " PL_VIEW_DEFAULT_DIR ", else a private one)\n"
	      "      --no-view            leave /proc as the kernel shows it\n"
	      "Security and processes:\n"
	      "      --cap-add CAP        add capabilities (CAP_NET_ADMIN, net_admin, ALL; comma list)\n"
	      "      --cap-drop CAP       drop capabilities\n"
	      "      --init               run a tiny pid 1 that reaps zombies and forwards signals\n"
	      "  -t, --tty                allocate a pseudo-terminal\n"
	      "  -h, --help               this text\n",
	      f);
}

void pl_run_opts_init(struct pl_run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->userns_host_id = PL_USERNS_DEFAULT_ID;
	o->memory_bytes = PL_UNLIMITED;
	o->memory_swap_bytes = PL_UNLIMITED;
	o->cpu_quota_usec = PL_UNLIMITED;
	o->cpu_period_usec = PL_CPU_PERIOD_USEC;
	o->pids_limit = PL_UNLIMITED;
}

void pl_run_opts_free(struct pl_run_opts *o)
{
	size_t i;

	for (i = 0; i < o->n_volumes; i++) {
		free(o->volumes[i].src);
		free(o->volumes[i].dst);
	}
	free(o->volumes);
	for (i = 0; i < o->n_env; i++)
		free(o->env[i]);
	free(o->env);
	free(o->cpuset_cpus);
	pl_run_opts_init(o);
}

/* "1.5" -> 150000 usec over a 100000 usec period, in integers: a float would turn "0.3"
 * into 29999. */
int pl_parse_cpus(const char *s, uint64_t period_usec, uint64_t *quota_usec)
{
	return pl_parse_arg_decimal(s, period_usec, UINT64_C(1000000) * period_usec, quota_usec);
}

bool pl_valid_name(const char *name)
{
	size_t n = strlen(name), suffix = strlen(PL_LOCK_SUFFIX);

	/* Not an option nor a hidden file; and not NAME.lock, whose private view directory
	 * (view.NAME.lock in /run/proclens) would be the lock file of a container "view.NAME". */
	if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
		return false;
	if (n >= suffix && strcmp(name + n - suffix, PL_LOCK_SUFFIX) == 0)
		return false;
	for (const char *p = name; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

/* An absolute path with ".", ".." and repeated slashes taken out, in place ("/" stays). */
static void normalize_abs(char *path)
{
	char *out = path, *in = path;

	while (*in) {
		size_t len;

		while (*in == '/')
			in++;
		len = strcspn(in, "/");
		if (len == 0)
			break;
		if (len == 1 && in[0] == '.') {
			/* nothing */
		} else if (len == 2 && in[0] == '.' && in[1] == '.') {
			while (out > path && *--out != '/')
				;
		} else {
			*out++ = '/';
			memmove(out, in, len);
			out += len;
		}
		in += len;
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
}

/* SRC:DST[:ro|:rw]; both absolute. -EBUSY: DST is the container's root or its /proc, which
 * are the container's own (a volume there would hide the views and the masks). */
int pl_parse_volume(const char *s, struct pl_volume *v)
{
	_cleanup_free_ char *copy = strdup(s);
	char *src, *dst, *mode;

	if (!copy)
		return -ENOMEM;
	src = copy;
	dst = strchr(src, ':');
	if (!dst)
		return -EINVAL;
	*dst++ = '\0';
	mode = strchr(dst, ':');
	if (mode)
		*mode++ = '\0';
	if (src[0] != '/' || dst[0] != '/')
		return -EINVAL;
	if (mode && strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)
		return -EINVAL;
	normalize_abs(dst);
	if (strcmp(dst, "/") == 0 || strcmp(dst, "/proc") == 0)
		return -EBUSY;
	v->read_only = mode && strcmp(mode, "ro") == 0;
	v->src = strdup(src);
	v->dst = strdup(dst);
	if (!v->src || !v->dst) {
		free(v->src);
		free(v->dst);
		return -ENOMEM;
	}
	return 0;
}

static int push_ptr(void *vec_p, size_t *n, size_t elem, const void *item)
{
	char **vec = vec_p;
	char *grown = realloc(*vec, (*n + 1) * elem);

	if (!grown)
		return -ENOMEM;
	memcpy(grown + *n * elem, item, elem);
	*vec = grown;
	(*n)++;
	return 0;
}

static int add_env(struct pl_run_opts *o, const char *arg, struct pl_err *e)
{
	char *entry;
	int r;

	if (!arg[0] || arg[0] == '=')
		return pl_usagef(e, "--env '%s': expected KEY=VALUE or KEY", arg);
	if (strchr(arg, '=')) {
		entry = strdup(arg);
	} else {
		/* KEY alone copies the variable from here, as other runtimes do; unset: skipped. */
		const char *value = getenv(arg);
		if (!value)
			return 0;
		if (asprintf(&entry, "%s=%s", arg, value) < 0)
			entry = NULL;
	}
	if (!entry)
		return pl_errf(e, -ENOMEM, "--env");
	r = push_ptr(&o->env, &o->n_env, sizeof(char *), &entry);
	if (r < 0) {
		free(entry);
		return pl_errf(e, r, "--env");
	}
	return 0;
}

static int parse_size_opt(const char *opt, const char *arg, uint64_t *out, struct pl_err *e)
{
	int r = pl_parse_size(arg, out);

	if (r == -ERANGE)
		return pl_usagef(e, "%s '%s': too large", opt, arg);
	if (r < 0 || *out == 0)
		return pl_usagef(e, "%s '%s': expected a size such as 512M or 2G", opt, arg);
	return 0;
}

static int parse_one(struct pl_run_opts *o, int c, const char *arg, struct pl_err *e)
{
	struct pl_cpuset set;
	char buf[1024];
	int r;

	switch (c) {
	case 'm':
		return parse_size_opt("--memory", arg, &o->memory_bytes, e);
	case OPT_MEMORY_SWAP:
		/* The last one counts, as for every other option. */
		if (strcmp(arg, "-1") == 0) {
			o->memory_swap_unlimited = true;
			o->memory_swap_bytes = PL_UNLIMITED;
			return 0;
		}
		o->memory_swap_unlimited = false;
		return parse_size_opt("--memory-swap", arg, &o->memory_swap_bytes, e);
	case OPT_CPUS:
		r = pl_parse_cpus(arg, o->cpu_period_usec, &o->cpu_quota_usec);
		if (r == -ERANGE)
			return pl_usagef(e, "--cpus '%s': at most 1000000 CPUs", arg);
		if (r < 0)
			return pl_usagef(e, "--cpus '%s': expected a number of CPUs such as 1 or 0.5", arg);
		if (o->cpu_quota_usec < PL_CPU_MIN_QUOTA_USEC)
			return pl_usagef(e, "--cpus '%s': the smallest quota is 0.01 CPU", arg);
		return 0;
	case OPT_CPUSET_CPUS:
		/* pl_cpuset_parse reads the kernel's files, blanks and newline included; a
		 * person's list is digits, '-' and ',' only. */
		r = arg[strspn(arg, "0123456789-,")] ? -EINVAL : pl_cpuset_parse(arg, &set);
		if (r < 0 || pl_cpuset_count(&set) == 0)
			return pl_usagef(e, "--cpuset-cpus '%s': expected a CPU list such as 0-2,4", arg);
		if (pl_cpuset_format(&set, buf, sizeof(buf)) < 0)
			return pl_usagef(e, "--cpuset-cpus '%s': list too long", arg);
		free(o->cpuset_cpus);
		o->cpuset_cpus = strdup(buf);
		return o->cpuset_cpus ? 0 : pl_errf(e, -ENOMEM, "--cpuset-cpus");
	case OPT_ALL_CPUS:
		o->all_cpus = true;
		return 0;
	case OPT_PIDS_LIMIT:
		r = pl_parse_arg_u64(arg, INT32_MAX, &o->pids_limit);
		if (r == -ERANGE)
			return pl_usagef(e, "--pids-limit '%s': at most %d tasks", arg, INT32_MAX);
		if (r < 0 || o->pids_limit == 0)
			return pl_usagef(e, "--pids-limit '%s': expected a positive number of tasks (decimal digits)",
					 arg);
		return 0;
	case OPT_ROOTFS:
		o->rootfs = (char *)arg;
		return 0;
	case OPT_OVERLAY:
		o->overlay = true;
		o->overlay_dir = (char *)arg;
		if (arg && arg[0] != '/')
			return pl_usagef(e, "--overlay='%s': the directory must be an absolute path", arg);
		return 0;
	case OPT_READ_ONLY:
		o->read_only = true;
		return 0;
	case 'v': {
		struct pl_volume v;
		r = pl_parse_volume(arg, &v);
		if (r == -ENOMEM)
			return pl_errf(e, r, "--volume");
		if (r == -EBUSY)
			return pl_usagef(e,
					 "--volume '%s': the container's / and /proc are its own (--rootfs "
					 "gives the root; bind single files below /proc)",
					 arg);
		if (r < 0)
			return pl_usagef(e, "--volume '%s': expected /SRC:/DST[:ro]", arg);
		r = push_ptr(&o->volumes, &o->n_volumes, sizeof(v), &v);
		if (r < 0) {
			free(v.src);
			free(v.dst);
			return pl_errf(e, r, "--volume");
		}
		return 0;
	}
	case 'w':
		if (arg[0] != '/')
			return pl_usagef(e, "--workdir '%s': must be an absolute path", arg);
		o->workdir = (char *)arg;
		return 0;
	case 'e':
		return add_env(o, arg, e);
	case OPT_HOSTNAME:
		if (!arg[0] || strlen(arg) > 64)
			return pl_usagef(e, "--hostname '%s': expected 1 to 64 characters", arg);
		o->hostname = (char *)arg;
		return 0;
	case OPT_NAME:
		if (!pl_valid_name(arg))
			return pl_usagef(e, "--name '%s': use up to 64 letters, digits, '-', '_', '.', not first "
					 "'-' or '.', not ending in .lock",
					 arg);
		o->name = (char *)arg;
		return 0;
	case OPT_USERNS:
		o->userns = true;
		if (arg) {
			uint64_t id;
			if (pl_parse_arg_u64(arg, UINT32_MAX - 65536, &id) < 0 || id == 0)
				return pl_usagef(e, "--userns=%s: expected a host id from 1 to %u", arg,
						 UINT32_MAX - 65536);
			o->userns_host_id = (uid_t)id;
		}
		return 0;
	case OPT_NET:
	case OPT_PID:
		if (strcmp(arg, "host") != 0 && strcmp(arg, "private") != 0)
			return pl_usagef(e, "--%s '%s': expected host or private",
					 c == OPT_NET ? "net" : "pid", arg);
		*(c == OPT_NET ? &o->share_net : &o->share_pid) = strcmp(arg, "host") == 0;
		return 0;
	case OPT_SHARE_NET:
		o->share_net = true;
		return 0;
	case OPT_SHARE_PID:
		o->share_pid = true;
		return 0;
	case OPT_VIEW:
		if (arg[0] != '/')
			return pl_usagef(e, "--view '%s': must be an absolute path", arg);
		o->view_dir = (char *)arg;
		return 0;
	case OPT_NO_VIEW:
		o->no_view = true;
		return 0;
	case OPT_CAP_ADD:
	case OPT_CAP_DROP:
		r = pl_caps_parse(arg, c == OPT_CAP_ADD ? &o->cap_add : &o->cap_drop);
		if (r < 0)
			return pl_usagef(e, "--%s '%s': unknown capability",
					 c == OPT_CAP_ADD ? "cap-add" : "cap-drop", arg);
		return 0;
	case OPT_INIT:
		o->init = true;
		return 0;
	case 't':
		o->tty = true;
		return 0;
	default:
		return pl_usagef(e, "unknown option (see proclens run --help)");
	}
}

static int check_combinations(struct pl_run_opts *o, struct pl_err *e)
{
	if (o->memory_swap_bytes != PL_UNLIMITED) {
		if (o->memory_bytes == PL_UNLIMITED)
			return pl_usagef(e, "--memory-swap needs --memory");
		if (o->memory_swap_bytes < o->memory_bytes)
			return pl_usagef(e, "--memory-swap must be at least --memory (it counts both)");
	}
	if (o->memory_swap_unlimited && o->memory_bytes == PL_UNLIMITED)
		return pl_usagef(e, "--memory-swap needs --memory");
	if (o->overlay && !o->rootfs)
		return pl_usagef(e, "--overlay needs --rootfs (the read-only layer)");
	if (o->all_cpus && o->cpuset_cpus)
		return pl_usagef(e, "--all-cpus and --cpuset-cpus contradict each other");
	if (o->all_cpus && o->cpu_quota_usec == PL_UNLIMITED)
		return pl_usagef(e, "--all-cpus goes with --cpus (without a quota every CPU is kept)");
	if (o->view_dir && o->no_view)
		return pl_usagef(e, "--view and --no-view contradict each other");
	return 0;
}

int pl_run_opts_parse(int argc, char **argv, struct pl_run_opts *o, struct pl_err *e)
{
	int c, r;

	/* "+": stop at the command, whose own options are not ours. optind = 0 re-initialises
	 * getopt, so a second parse (the unit tests) starts clean. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:m:v:w:e:th", run_options, NULL)) != -1) {
		if (c == 'h') {
			pl_run_usage(stdout);
			return 1;
		}
		if (c == ':')
			return pl_usagef(e, "missing argument for '%s' (see proclens run --help)",
					 argv[optind - 1]);
		if (c == '?') {
			/* An unknown short option inside a cluster ("-xv") is named alone. */
			if (optopt > 0 && optopt < 256)
				return pl_usagef(e, "unknown option '-%c' (see proclens run --help)", optopt);
			return pl_usagef(e, "unknown option '%s' (see proclens run --help)",
					 argv[optind - 1]);
		}
		r = parse_one(o, c, optarg, e);
		if (r < 0)
			return r;
	}
	if (optind >= argc)
		return pl_usagef(e, "no command given (usage: proclens run [OPTIONS] [--] COMMAND)");
	o->argv = argv + optind;
	return check_combinations(o, e);
}
