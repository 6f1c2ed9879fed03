/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The static directory tree built from the view table's paths. Node i has inode i + 1. */

#include <stddef.h>
#include <stdint.h>

#include "proclens/view.h"

struct pl_tree_node {
	char name[64];
	uint32_t parent;              /* index of the parent node; the root is its own parent */
	const struct pl_view *view;   /* NULL for a directory */
	uint32_t first_child, next_sibling; /* UINT32_MAX: none */
	int mirror;                   /* index in pl_mirror_specs of a mirrored directory, or -1 */
};

struct pl_tree {
	size_t n;
	struct pl_tree_node *node;
};

int pl_tree_build(struct pl_tree *t, const struct pl_view *views, size_t nviews);
void pl_tree_free(struct pl_tree *t);
/* Make the directory `path` (and its parents) if missing; its index. */
int pl_tree_add_dir(struct pl_tree *t, const char *path);
/* Index of the child called `name` of node `dir`, or -ENOENT / -ENOTDIR. */
int pl_tree_child(const struct pl_tree *t, uint32_t dir, const char *name);
