/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proclens/cleanup.h"
#include "proclens/cpuview.h"
#include "proclens/trace.h"
#include "proclens/util.h"


static bool has_quota(uint64_t quota_usec, uint64_t period_usec)
{
	return quota_usec != PL_UNLIMITED && period_usec > 0;
}

/* ceil(quota/period), at least 1: a 0.5 CPU quota still runs on one CPU. */
static uint64_t quota_cpu_count(const struct pl_cpu_limits *limits)
{
	uint64_t want =
	    limits->quota_usec / limits->period_usec + (limits->quota_usec % limits->period_usec != 0);

	return want ? want : 1;
}

int pl_cpuview_visible(const struct pl_cpuset *online, const struct pl_cpu_limits *limits,
		       bool count_from_quota, struct pl_cpuset *visible, bool *reduced)
{
	unsigned n;

	*visible = *online;
	if (limits->has_cpuset)
		pl_cpuset_and(visible, &limits->cpus);
	if (reduced)
		*reduced = false;
	n = pl_cpuset_count(visible);
	if (n == 0)
		return -EINVAL;
	if (count_from_quota && has_quota(limits->quota_usec, limits->period_usec)) {
		uint64_t want = quota_cpu_count(limits);

		if (want < n) {
			pl_cpuset_truncate(visible, (unsigned)want);
			if (reduced)
				*reduced = true;
		}
	}
	return 0;
}

void pl_cpuview_spread(uint64_t total_ns, unsigned n, uint64_t *out_ns)
{
	/* floor((B + n-1-i)/n) without overflowing B + n: B = q*n + rem, and the first rem
	 * CPUs get one extra ns. */
	uint64_t q = total_ns / n, rem = total_ns % n;

	for (unsigned i = 0; i < n; i++)
		out_ns[i] = q + (i < rem ? 1 : 0);
}

uint64_t pl_cpuview_capacity_ns(uint64_t elapsed_ns, uint64_t quota_usec, uint64_t period_usec, unsigned n)
{
	unsigned __int128 whole = (unsigned __int128)period_usec * n;

	if (!has_quota(quota_usec, period_usec) || n == 0 || quota_usec >= whole)
		return (uint64_t)PL_MIN((unsigned __int128)elapsed_ns * n, (unsigned __int128)UINT64_MAX);
	return (uint64_t)PL_MIN((unsigned __int128)elapsed_ns * quota_usec / period_usec, (unsigned __int128)UINT64_MAX);
}

uint64_t pl_ns_to_ticks(uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * (uint64_t)pl_clk_tck() / PL_NSEC_PER_SEC);
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void pl_cpuview_free(struct pl_cpuview *v)
{
	free(v->user_ns);
	free(v->system_ns);
	free(v->idle_ns);
	memset(v, 0, sizeof(*v));
}

static int alloc_triple(unsigned n, uint64_t **a, uint64_t **b, uint64_t **c)
{
	_cleanup_free_ uint64_t *x = calloc(n, sizeof(*x));
	_cleanup_free_ uint64_t *y = calloc(n, sizeof(*y));
	_cleanup_free_ uint64_t *z = calloc(n, sizeof(*z));

	if (!x || !y || !z)
		return -ENOMEM;
	*a = TAKE_PTR(x);
	*b = TAKE_PTR(y);
	*c = TAKE_PTR(z);
	return 0;
}

static uint64_t sum_of(const uint64_t *v, unsigned n)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < n; i++)
		sum = sat_add(sum, v[i]);
	return sum;
}

/* A history of another container start means nothing now: it starts afresh. One of another
 * set of visible CPUs (a cpuset or a quota changed) still holds what the container was
 * shown: *shown gets its totals of user, system and idle and *rebase is set, so that the new
 * lines carry on from them (the kernel's "cpu" line sums every possible CPU and never goes
 * back, and a reader was promised counters that do not). */
static int history_prepare(struct pl_cpu_history *h, const struct pl_cpuview_sample *s, bool *rebase,
			   uint64_t shown[3])
{
	bool arrays = h->user_ns && h->system_ns && h->idle_ns;
	unsigned n = s->ncpu;
	uint64_t *u, *sy, *i;
	int r;

	*rebase = false;
	if (arrays && h->init_start_ns == s->init_start_ns && h->ncpu == n && h->cpus_key == s->cpus_key)
		return 0;
	r = alloc_triple(n, &u, &sy, &i);
	if (r < 0)
		return r;
	if (arrays && h->init_start_ns == s->init_start_ns) {
		shown[0] = sum_of(h->user_ns, h->ncpu);
		shown[1] = sum_of(h->system_ns, h->ncpu);
		shown[2] = sum_of(h->idle_ns, h->ncpu);
		*rebase = true;
		free(h->user_ns);
		free(h->system_ns);
		free(h->idle_ns);
	} else {
		pl_cpu_history_free(h);
		h->init_start_ns = s->init_start_ns;
	}
	h->ncpu = n;
	h->cpus_key = s->cpus_key;
	h->user_ns = u;
	h->system_ns = sy;
	h->idle_ns = i;
	return 0;
}

/* shown - target, and n-1 ticks more: the new lines' ticks, each rounded down, then sum to
 * at least what the old ones' did (n values rounded down lose less than n ticks). */
static int64_t base_for(uint64_t shown_ns, uint64_t target_ns, unsigned n)
{
	__int128 d = (__int128)shown_ns - (__int128)target_ns +
		     (__int128)(n - 1) * (__int128)(PL_NSEC_PER_SEC / (uint64_t)pl_clk_tck());

	return (int64_t)PL_MAX(PL_MIN(d, (__int128)INT64_MAX), (__int128)INT64_MIN);
}

/* A base spread over n CPUs as pl_cpuview_spread does, a negative one as its opposite. */
static void spread_signed(int64_t base_ns, unsigned n, int64_t *out_ns)
{
	uint64_t mag = base_ns < 0 ? (uint64_t)0 - (uint64_t)base_ns : (uint64_t)base_ns;
	uint64_t q = mag / n, rem = mag % n;

	for (unsigned i = 0; i < n; i++) {
		uint64_t part = q + (i < rem ? 1 : 0);

		out_ns[i] = base_ns < 0 ? -(int64_t)part : (int64_t)part;
	}
}

static uint64_t add_base(uint64_t v, int64_t base_ns)
{
	if (base_ns >= 0)
		return sat_add(v, (uint64_t)base_ns);
	return v > (uint64_t)0 - (uint64_t)base_ns ? v + (uint64_t)base_ns : 0;
}

/* Share out total_ns over n CPUs in proportion to weight_ns (exact sum: the rounding left
 * over goes 1 ns each to the first CPUs of some weight); evenly when no CPU has any. */
static void share_by_weight(uint64_t total_ns, unsigned n, const uint64_t *weight_ns, uint64_t *out_ns)
{
	unsigned __int128 sum = 0;
	uint64_t given = 0;

	for (unsigned i = 0; i < n; i++)
		sum += weight_ns[i];
	if (sum == 0) {
		pl_cpuview_spread(total_ns, n, out_ns);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		out_ns[i] = (uint64_t)((unsigned __int128)total_ns * weight_ns[i] / sum);
		given += out_ns[i];
	}
	for (unsigned i = 0; i < n && given < total_ns; i++)
		if (weight_ns[i]) {
			out_ns[i]++;
			given++;
		}
}

/* The CPUs' capacity since the container's init started. A quota is a rate: changed, it
 * applies to the time after the change, not to the container's whole past (a quota halved
 * would hold idle still for as long as the container had lived, and top show it 100% busy
 * for that long; a quota raised would make idle jump). So the history adds up the capacity
 * of each interval between renders at the rate read at its end; the first render counts
 * from the start at its rate, as a one-shot render does. */
static uint64_t capacity_now(const struct pl_cpuview_sample *s, const struct pl_cpu_history *history)
{
	uint64_t now_ns = s->init_start_ns + s->elapsed_ns;

	if (!history || !history->capacity_at_ns)
		return pl_cpuview_capacity_ns(s->elapsed_ns, s->quota_usec, s->period_usec, s->ncpu);
	if (now_ns <= history->capacity_at_ns)
		return history->capacity_ns;
	return sat_add(history->capacity_ns, pl_cpuview_capacity_ns(now_ns - history->capacity_at_ns,
								     s->quota_usec, s->period_usec, s->ncpu));
}

/* The busy time each CPU is shown: the cgroup's on it, moved by the history's base, held
 * where it was shown higher. */
static void busy_shown(const uint64_t *busy_ns, int64_t base_ns, const uint64_t *prev_ns, unsigned n,
		       int64_t *share_ns, uint64_t *out_ns)
{
	spread_signed(base_ns, n, share_ns);
	for (unsigned i = 0; i < n; i++)
		out_ns[i] = PL_MAX(add_base(busy_ns[i], share_ns[i]), prev_ns[i]);
}

int pl_cpuview_compute(const struct pl_cpuview_sample *s, struct pl_cpu_history *history,
		       struct pl_cpuview *out)
{
	unsigned n = s->ncpu;
	_cleanup_free_ uint64_t *zero = NULL, *room_ns = NULL, *cap_ns = NULL;
	_cleanup_free_ int64_t *share_ns = NULL;
	const uint64_t *prev_user, *prev_system, *prev_idle;
	uint64_t capacity_ns, prev_capacity_ns, busy_ns = 0, idle_target_ns, idle_prev_ns, idle_now_ns;
	uint64_t shown[3] = {0, 0, 0};
	int64_t no_base[3] = {0, 0, 0}, *base = no_base;
	bool rebase = false;
	int r;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return -EINVAL;
	if (history) {
		r = history_prepare(history, s, &rebase, shown);
		if (r < 0)
			return r;
		base = history->base_ns;
	}
	r = alloc_triple(n, &out->user_ns, &out->system_ns, &out->idle_ns);
	if (r < 0)
		return r;
	r = alloc_triple(n, &zero, &room_ns, &cap_ns);
	share_ns = calloc(n, sizeof(*share_ns));
	if (r < 0 || !share_ns) {
		pl_cpuview_free(out);
		return -ENOMEM;
	}
	out->ncpu = n;
	/* What was shown last (nothing for a one-shot render): every counter starts from it. */
	prev_user = history ? history->user_ns : zero;
	prev_system = history ? history->system_ns : zero;
	prev_idle = history ? history->idle_ns : zero;
	prev_capacity_ns = history ? history->capacity_ns : 0;
	capacity_ns = capacity_now(s, history);
	if (pl_tracing())
		pl_trace_field("idle", NULL, "cpu quota",
			       "the capacity of the %u visible CPUs, min(%u, quota/period) CPUs per second "
			       "%s = %.2f s, minus their busy time, >= 0%s; shared out over the CPUs by what "
			       "each left of its share of the capacity",
			       n, n,
			       history && history->capacity_at_ns
				   ? "at each read's quota for the time since the read before, added up"
				   : "over the time since the container's init started",
			       (double)capacity_ns / 1e9,
			       history ? ", never below what this reader was shown before" : "");
	for (unsigned i = 0; i < n; i++)
		busy_ns = sat_add(busy_ns, sat_add(s->busy_user_ns[i], s->busy_system_ns[i]));
	/* Idle is one budget for all the CPUs: the capacity minus all their busy time. A CPU
	 * that ran past its share of the capacity (one thread of a 1.5 CPU quota on 2 CPUs)
	 * takes the excess from the others' idle: clipped at 0 per CPU, the sum would make the
	 * container look less busy than it is (57% instead of 67%). */
	idle_target_ns = capacity_ns > busy_ns ? capacity_ns - busy_ns : 0;
	/* Other CPUs now (a cpuset or quota changed): the counters of the new lines carry on
	 * from the totals shown, each field moved by a base, spread over the lines, that the
	 * later renders keep, so that differences go on being the container's use (dropped,
	 * the history made every counter of "cpu" and uptime's idle fall, by half when a
	 * cpuset went from 2 CPUs to 1). */
	if (rebase) {
		base[0] = base_for(shown[0], sum_of(s->busy_user_ns, n), n);
		base[1] = base_for(shown[1], sum_of(s->busy_system_ns, n), n);
		base[2] = base_for(shown[2], idle_target_ns, n);
	}
	busy_shown(s->busy_user_ns, base[0], prev_user, n, share_ns, out->user_ns);
	busy_shown(s->busy_system_ns, base[1], prev_system, n, share_ns, out->system_ns);
	/* A burst above capacity (the quota is enforced per period, usage is not smooth) makes
	 * the target fall; tools take differences, so the total is held until the target
	 * passes it again. */
	idle_target_ns = add_base(idle_target_ns, base[2]);
	idle_prev_ns = rebase ? shown[2] : sum_of(prev_idle, n);
	idle_now_ns = PL_MAX(idle_target_ns, idle_prev_ns);
	/* The idle gained since the last render goes to the CPUs that had room in that time:
	 * their share of the capacity gained, minus the busy time they gained. After a rebase
	 * the new lines have no past to weigh: all of it is spread evenly (no room at all). */
	pl_cpuview_spread(capacity_ns > prev_capacity_ns && !rebase ? capacity_ns - prev_capacity_ns : 0, n,
			  cap_ns);
	for (unsigned i = 0; i < n; i++) {
		uint64_t gained_ns = sat_add(out->user_ns[i], out->system_ns[i]) -
				     sat_add(prev_user[i], prev_system[i]);

		room_ns[i] = cap_ns[i] > gained_ns ? cap_ns[i] - gained_ns : 0;
	}
	share_by_weight(idle_now_ns - sum_of(prev_idle, n), n, room_ns, out->idle_ns);
	for (unsigned i = 0; i < n; i++)
		out->idle_ns[i] = sat_add(out->idle_ns[i], prev_idle[i]);
	if (history) {
		memcpy(history->user_ns, out->user_ns, n * sizeof(uint64_t));
		memcpy(history->system_ns, out->system_ns, n * sizeof(uint64_t));
		memcpy(history->idle_ns, out->idle_ns, n * sizeof(uint64_t));
		history->capacity_ns = capacity_ns;
		history->capacity_at_ns = PL_MAX(history->capacity_at_ns, s->init_start_ns + s->elapsed_ns);
	}
	return 0;
}

/* Per visible CPU busy time. With per-CPU accounting and the visible set not cut by the
 * quota, visible CPU i is host CPU nth(i) and its own counters apply. Otherwise (v2, or
 * fewer visible CPUs than the cgroup runs on) the total is spread evenly, which keeps the
 * sum exact and every part monotonic. */
static int busy_per_visible(const struct pl_cgroup *cg, const struct pl_cpuset *online,
			    const struct pl_cpuset *visible, bool reduced, uint64_t *user_ns,
			    uint64_t *system_ns)
{
	unsigned n = pl_cpuset_count(visible);
	uint64_t total_user_ns, total_system_ns;
	int r;

	if (!reduced) {
		unsigned host_ncpu = (unsigned)pl_cpuset_nth(online, pl_cpuset_count(online) - 1) + 1;
		_cleanup_free_ uint64_t *pu = calloc(host_ncpu, sizeof(*pu));
		_cleanup_free_ uint64_t *ps = calloc(host_ncpu, sizeof(*ps));

		if (!pu || !ps)
			return -ENOMEM;
		r = pl_cgroup_cpu_usage_percpu(cg, pu, ps, host_ncpu);
		if (r >= 0) {
			if (pl_tracing())
				pl_trace_field("busy time", NULL, "cpu usage",
					       "each visible CPU's user and system time is the cgroup's own "
					       "on that host CPU "
					       "(per-CPU accounting)");
			for (unsigned i = 0; i < n; i++) {
				unsigned cpu = (unsigned)pl_cpuset_nth(visible, i);
				user_ns[i] = pu[cpu];
				system_ns[i] = ps[cpu];
			}
			return 0;
		}
		if (r != -EOPNOTSUPP)
			return r;
	}
	r = pl_cgroup_cpu_usage(cg, &total_user_ns, &total_system_ns);
	if (r < 0)
		return r;
	pl_cpuview_spread(total_user_ns, n, user_ns);
	pl_cpuview_spread(total_system_ns, n, system_ns);
	if (pl_tracing())
		pl_trace_field("busy time", NULL, "cpu usage",
			       "the cgroup's total user %.2f s and system %.2f s spread evenly over the %u "
			       "visible CPUs (%s)",
			       (double)total_user_ns / 1e9, (double)total_system_ns / 1e9, n,
			       reduced
				   ? "the quota cut the visible set, so host CPUs do not map to visible ones"
				   : "no per-CPU accounting: cgroup v2");
	return 0;
}

/* explain: how the visible set was reached, with the inputs. */
static void trace_visible(const struct pl_cpuset *online, const struct pl_cpu_limits *lim, bool from_quota,
			  const struct pl_cpuset *visible, bool reduced)
{
	char on[256], set[256], vis[256], value[300], quota[160];
	bool quota_set = has_quota(lim->quota_usec, lim->period_usec);

	pl_cpuset_format(online, on, sizeof(on));
	pl_cpuset_format(&lim->cpus, set, sizeof(set));
	pl_cpuset_format(visible, vis, sizeof(vis));
	snprintf(value, sizeof(value), "%u (host CPUs %s)", pl_cpuset_count(visible), vis);
	if (!quota_set)
		snprintf(quota, sizeof(quota), "no cpu quota at any level");
	else if (!from_quota)
		snprintf(quota, sizeof(quota), "cpu quota %llu/%llu us not applied (--cpu-count=cpuset)",
			 (unsigned long long)lim->quota_usec, (unsigned long long)lim->period_usec);
	else
		snprintf(quota, sizeof(quota), "cpu quota %llu/%llu us = %.2f CPUs, ceil %llu: %s",
			 (unsigned long long)lim->quota_usec, (unsigned long long)lim->period_usec,
			 (double)lim->quota_usec / (double)lim->period_usec,
			 (unsigned long long)quota_cpu_count(lim),
			 reduced ? "the first ones kept (--cpu-count=quota, the default)"
				 : "not fewer than the cpuset's, nothing cut");
	pl_trace_field("CPUs", value, "cpuset;cpu quota", "online CPUs %s, %s%s; %s", on,
		       lim->has_cpuset ? "in the effective cpuset " : "no cpuset controller",
		       lim->has_cpuset ? set : "", quota);
}

int pl_cpuview_collect_visible(const struct pl_source *src, struct pl_cpuset *visible, bool *reduced,
			       struct pl_cpu_limits *limits, struct pl_cpuset *online)
{
	struct pl_cpu_limits lim;
	struct pl_cpuset on;
	int r;

	r = pl_cgroup_cpu_limits(src->cg, &lim);
	if (r < 0)
		return r;
	r = pl_host_online_cpus(src->host, &on);
	if (r < 0)
		return r;
	r = pl_cpuview_visible(&on, &lim, src->opts && src->opts->cpu_count_from_quota, visible, reduced);
	if (r < 0)
		return r;
	if (pl_tracing()) {
		bool cut;

		pl_cpuview_visible(&on, &lim, src->opts && src->opts->cpu_count_from_quota, visible, &cut);
		trace_visible(&on, &lim, src->opts && src->opts->cpu_count_from_quota, visible, cut);
	}
	if (limits)
		*limits = lim;
	if (online)
		*online = on;
	return 0;
}

/* Which host CPUs are visible, as one number (FNV-1a of the set's words): the history's
 * per-CPU lines are those of one set. */
static uint64_t cpus_key(const struct pl_cpuset *vis)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t w = 0; w < PL_ARRAY_SIZE(vis->bits); w++)
		if (vis->bits[w])
			h = (h ^ vis->bits[w] ^ w) * 0x100000001b3ull;
	return h;
}

int pl_cpuview_collect(const struct pl_source *src, struct pl_cpuview *out, struct pl_cpuset *visible)
{
	struct pl_cpu_limits limits;
	struct pl_cpuset online, vis;
	struct pl_cpuview_sample sample;
	_cleanup_free_ uint64_t *user_ns = NULL, *system_ns = NULL;
	bool reduced;
	unsigned n;
	int r;

	r = pl_cpuview_collect_visible(src, &vis, &reduced, &limits, &online);
	if (r < 0)
		return r;
	n = pl_cpuset_count(&vis);
	user_ns = calloc(n, sizeof(*user_ns));
	system_ns = calloc(n, sizeof(*system_ns));
	if (!user_ns || !system_ns)
		return -ENOMEM;
	r = busy_per_visible(src->cg, &online, &vis, reduced, user_ns, system_ns);
	if (r < 0)
		return r;
	sample = (struct pl_cpuview_sample){
	    .ncpu = n,
	    .cpus_key = cpus_key(&vis),
	    .quota_usec = limits.quota_usec,
	    .period_usec = limits.period_usec,
	    .elapsed_ns = src->now_ns > src->init_start_ns ? src->now_ns - src->init_start_ns : 0,
	    .init_start_ns = src->init_start_ns,
	    .busy_user_ns = user_ns,
	    .busy_system_ns = system_ns,
	};
	r = pl_cpuview_compute(&sample, src->cpu_history, out);
	if (r < 0)
		return r;
	if (visible)
		*visible = vis;
	return 0;
}
