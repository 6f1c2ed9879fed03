/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tree.h"

#define NONE UINT32_MAX

static int add_node(struct pl_tree *t, uint32_t parent, const char *name, size_t len, const struct pl_view *view)
{
	struct pl_tree_node *nd;
	struct pl_tree_node *grown;

	if (len == 0 || len >= sizeof(nd->name))
		return -EINVAL;
	/* Built once at start: growing one node at a time is fine. */
	grown = realloc(t->node, (t->n + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	t->node = grown;
	nd = &t->node[t->n];
	memcpy(nd->name, name, len);
	nd->name[len] = '\0';
	nd->parent = parent;
	nd->view = view;
	nd->first_child = NONE;
	nd->next_sibling = NONE;
	nd->mirror = -1;
	/* Append so readdir lists entries in table order. */
	if (t->n != parent) {
		uint32_t *link = &t->node[parent].first_child;
		while (*link != NONE)
			link = &t->node[*link].next_sibling;
		*link = (uint32_t)t->n;
	}
	return (int)t->n++;
}

static int find_child(const struct pl_tree *t, uint32_t dir, const char *name, size_t len)
{
	for (uint32_t c = t->node[dir].first_child; c != NONE; c = t->node[c].next_sibling)
		if (strlen(t->node[c].name) == len && memcmp(t->node[c].name, name, len) == 0)
			return (int)c;
	return -ENOENT;
}

int pl_tree_build(struct pl_tree *t, const struct pl_view *views, size_t nviews)
{
	int r;

	t->n = 0;
	t->node = NULL;
	r = add_node(t, 0, "/", 1, NULL);
	if (r < 0)
		return r;
	for (size_t i = 0; i < nviews; i++) {
		const char *p = views[i].path;
		uint32_t dir = 0;

		for (;;) {
			const char *slash = strchr(p, '/');
			size_t len = slash ? (size_t)(slash - p) : strlen(p);
			int c = find_child(t, dir, p, len);

			if (!slash) {
				if (c >= 0) /* a path listed twice */
					return -EEXIST;
				r = add_node(t, dir, p, len, &views[i]);
				if (r < 0)
					return r;
				break;
			}
			if (c < 0) {
				c = add_node(t, dir, p, len, NULL);
				if (c < 0)
					return c;
			} else if (t->node[c].view) {
				return -ENOTDIR;
			}
			dir = (uint32_t)c;
			p = slash + 1;
		}
	}
	return 0;
}

int pl_tree_add_dir(struct pl_tree *t, const char *path)
{
	uint32_t dir = 0;

	while (*path) {
		const char *slash = strchr(path, '/');
		size_t len = slash ? (size_t)(slash - path) : strlen(path);
		int c = find_child(t, dir, path, len);

		if (c < 0)
			c = add_node(t, dir, path, len, NULL);
		else if (t->node[c].view)
			return -ENOTDIR;
		if (c < 0)
			return c;
		dir = (uint32_t)c;
		path += len + (slash ? 1 : 0);
	}
	return (int)dir;
}

void pl_tree_free(struct pl_tree *t)
{
	free(t->node);
	t->node = NULL;
	t->n = 0;
}

int pl_tree_child(const struct pl_tree *t, uint32_t dir, const char *name)
{
	if (dir >= t->n)
		return -ENOENT;
	if (t->node[dir].view)
		return -ENOTDIR;
	return find_child(t, dir, name, strlen(name));
}
