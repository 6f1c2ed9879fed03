/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* proclens show FILE (--pid PID | --cgroup PATH): what a reader of proclensfs's FILE gets,
 * rendered by the daemon's own code (fs/ is linked in), with no mount. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "inspect.h"
#include "proclens/cleanup.h"

/* {"file": ..., "pid"|"cgroup": ..., "content": ...} */
int pl_show_format_json(const struct pl_inspect_opts *o, const char *content, struct pl_buf *out)
{
	pl_inspect_json_head(out, o);
	pl_buf_puts(out, ", \"content\": ");
	pl_json_string(out, content);
	pl_buf_puts(out, "}\n");
	return pl_buf_error(out);
}

int pl_cmd_show(int argc, char **argv)
{
	struct pl_inspect_opts o;
	struct pl_err e = {0};
	struct pl_trace t = {0};
	_cleanup_free_ char *content = NULL;
	struct pl_buf json;
	size_t len = 0;
	int r;

	r = pl_inspect_parse(argc, argv, &o, &e);
	if (r != 0)
		return r > 0 ? pl_inspect_help_done("show") : pl_inspect_fail("show", &e, true);
	r = pl_inspect_render(&o, &t, &content, &len, &e);
	pl_trace_free(&t);
	if (r < 0)
		return pl_inspect_fail("show", &e, false);
	if (!o.json)
		return pl_inspect_output(content, len, &e) < 0 ? pl_inspect_fail("show", &e, false) : 0;
	pl_buf_init(&json);
	r = pl_show_format_json(&o, content, &json);
	if (r < 0)
		pl_errf(&e, r, "cannot format the JSON");
	else
		r = pl_inspect_output(json.data, json.len, &e);
	pl_buf_free(&json);
	return r < 0 ? pl_inspect_fail("show", &e, false) : 0;
}
