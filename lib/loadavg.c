/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A container's load average, computed as the kernel computes the machine's
 * (kernel/sched/loadavg.c): every 5 s each average moves towards the number of active
 * tasks by a fixed factor, exp(-5 s / 1, 5, 15 min) in 11-bit fixed point. Using the same
 * constants and rounding makes a container running one busy task for a minute show what a
 * machine would (0.63 after 60 s from idle), so load-based tools read it the same way. */
#include "proclens/view.h"

/* 2048 * exp(-5/60), exp(-5/300), exp(-5/900), rounded as the kernel's EXP_1/5/15. */
static const uint64_t exp_fixed[3] = {1884, 2014, 2037};

/* x^n in fixed point, rounding each product to nearest (the kernel's fixed_power_int), so
 * catching up n intervals at once matches n single steps with a constant count closely. */
static uint64_t fixed_power(uint64_t x, uint64_t n)
{
	uint64_t result = PL_LOADAVG_FIXED_1;

	while (n) {
		if (n & 1)
			result = (result * x + PL_LOADAVG_FIXED_1 / 2) >> PL_LOADAVG_FSHIFT;
		n >>= 1;
		if (!n)
			break;
		x = (x * x + PL_LOADAVG_FIXED_1 / 2) >> PL_LOADAVG_FSHIFT;
	}
	return result;
}

/* One step: load * e + active * (1 - e). Rounding up while rising is the kernel's fix
 * that lets a constant load actually reach its value instead of stopping just short. */
static uint64_t calc_load(uint64_t load_fixed, uint64_t exp, uint64_t active_fixed)
{
	uint64_t newload = load_fixed * exp + active_fixed * (PL_LOADAVG_FIXED_1 - exp);

	if (active_fixed >= load_fixed)
		newload += PL_LOADAVG_FIXED_1 - 1;
	return newload / PL_LOADAVG_FIXED_1;
}

void pl_loadavg_update(struct pl_loadavg *la, unsigned active, uint64_t now_ns)
{
	uint64_t active_fixed = (uint64_t)active * PL_LOADAVG_FIXED_1, n;

	if (!la->sampled) {
		la->sampled = true;
		la->last_sample_ns = now_ns;
		n = 1;
	} else {
		if (now_ns < la->last_sample_ns || now_ns - la->last_sample_ns < PL_LOADAVG_INTERVAL_NS)
			return;
		n = (now_ns - la->last_sample_ns) / PL_LOADAVG_INTERVAL_NS;
		/* Advance by whole intervals: a sampler waking a little late does not shift
		 * the 5 s phase, so no interval is lost or counted twice over time. */
		la->last_sample_ns += n * PL_LOADAVG_INTERVAL_NS;
	}
	for (int i = 0; i < 3; i++)
		la->avg_fixed[i] = calc_load(la->avg_fixed[i], fixed_power(exp_fixed[i], n), active_fixed);
}

void pl_loadavg_split(uint64_t avg_fixed, unsigned long *int_part, unsigned long *hundredths)
{
	/* + 0.005 so the two decimals are rounded, not truncated, as /proc/loadavg does. */
	uint64_t v = avg_fixed + PL_LOADAVG_FIXED_1 / 200;

	*int_part = (unsigned long)(v >> PL_LOADAVG_FSHIFT);
	*hundredths = (unsigned long)(((v & (PL_LOADAVG_FIXED_1 - 1)) * 100) >> PL_LOADAVG_FSHIFT);
}
