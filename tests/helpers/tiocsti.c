/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tiocsti: push one character into the input of the terminal on stdin (TIOCSTI), as a
 * process that wants the terminal's next reader (the caller's shell) to run something
 * would; prints "injected" or "refused ERRNO". */
#include <errno.h>
#include <stdio.h>
#include <sys/ioctl.h>

int main(void)
{
	char c = '#';

	if (ioctl(0, TIOCSTI, &c) == 0) {
		puts("injected");
		return 0;
	}
	printf("refused %d\n", errno);
	return 1;
}
