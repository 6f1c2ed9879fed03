/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* proclens: the launcher's command line. Subcommands live in a table; each gets argv from
 * its own name on. */
#include <stdio.h>
#include <string.h>

#include "launcher.h"

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
    {"run", pl_cmd_run, "run a command in a container whose /proc tells the truth"},
    {"show", pl_cmd_show, "print what a process or cgroup reads from a proclensfs file"},
    {"explain", pl_cmd_explain, "each field of a proclensfs file with the cgroup files and rules behind it"},
    {"stats", pl_cmd_stats, "live table of the containers: memory, CPU, pids, load"},
};

static void usage(FILE *f)
{
	fputs("Usage: proclens [--help|--version] COMMAND [ARGS...]\n\nCommands:\n", f);
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
	fputs("\nproclens COMMAND --help describes each one.\n", f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 125;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("proclens %s\n", PROCLENS_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "proclens: unknown command '%s' (see proclens --help)\n", argv[1]);
	return 125;
}
