/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ignoring SIGNUM[,SIGNUM...] CMD [ARGS...]: run CMD with those signals ignored, as a shell's
 * background job or nohup would start it. The system call itself, so that 32 and 33 (which
 * glibc keeps to itself and its sigaction refuses) can be ignored too. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		uint64_t mask;
	} ign = {.handler = SIG_IGN};
	char *list, *tok, *save = NULL;

	if (argc < 3) {
		fprintf(stderr, "usage: ignoring SIGNUM[,SIGNUM...] CMD [ARGS...]\n");
		return 2;
	}
	list = strdup(argv[1]);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		long sig = strtol(tok, &end, 10);
		if (*end || sig < 1 || sig > 64 ||
		    syscall(SYS_rt_sigaction, (int)sig, &ign, NULL, sizeof(ign.mask)) < 0) {
			fprintf(stderr, "ignoring: cannot ignore signal '%s': %s\n", tok, strerror(errno));
			return 2;
		}
	}
	free(list);
	execvp(argv[2], argv + 2);
	fprintf(stderr, "ignoring: cannot execute %s: %s\n", argv[2], strerror(errno));
	return 127;
}
