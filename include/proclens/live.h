/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Whether a proclensfs mount has a live daemon, told without asking the daemon.
 *
 * A FUSE mount whose daemon died answers ENOTCONN, but only to requests: a stat the kernel
 * answers from its cache passes. Asking (statfs) is a round trip to a daemon thread, which
 * on a small VM costs tens of µs: too much for every container start. So the daemon holds a
 * shared flock on DIR/mount-MAJOR-MINOR.lock, named after its mount's device number, for as
 * long as it serves: the kernel drops the lock when the process dies, however it dies, and
 * a device number is not given to another mount while this one exists. The file holds the
 * mount point, for people (`fuser FILE` names the daemon). */

#include <stddef.h>
#include <sys/types.h>

#define PL_LIVE_DIR "/run/proclensfs"

/* The device number of the filesystem mounted at path, from the kernel's cached attributes
 * (statx AT_STATX_DONT_SYNC): never a request to a FUSE daemon, not even one that has not
 * started serving. */
int pl_live_dev(const char *path, dev_t *dev);

/* DIR/mount-MAJOR-MINOR.lock into buf. */
void pl_live_path(const char *dir, dev_t dev, char *buf, size_t size);

/* The daemon: create DIR (0755) if missing and put its lock file for dev in place, locked,
 * written to a temporary name first so that a checker never sees it unlocked or half
 * written. Returns the fd that holds the lock (close-on-exec; keep it open while serving). */
int pl_live_hold(const char *dir, dev_t dev, const char *mountpoint);

/* Remove dev's lock file if it is the one held through fd (a clean exit); closes fd. */
void pl_live_release(const char *dir, dev_t dev, int fd);

/* 1: a process holds dev's lock and the file is root's (or ours): the daemon is alive.
 * 0: no file (an older daemon, or one that could not write DIR), nobody holds it (the
 * daemon died), or someone else's file: ask the daemon then. */
int pl_live_check(const char *dir, dev_t dev);
