// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "fuzz_run.h"
#include "monotime.h"
#include "splitmix.h"

bool fuzz_run_opt(struct fuzz_run *r, int opt, const char *arg)
{
	switch (opt) {
	case 'i':
		r->iterations = strtoull(arg, NULL, 0);
		return true;
	case 's':
		r->seconds = atof(arg);
		return true;
	case 'S':
		r->seed = strtoull(arg, NULL, 0);
		r->seeded = true;
		return true;
	default:
		return false;
	}
}

void fuzz_run_seed(struct fuzz_run *r)
{
	struct timespec ts;

	if (r->seeded)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	r->seed = mix64((uint64_t)ts.tv_sec * 1000000007ull + (uint64_t)ts.tv_nsec +
			(uint64_t)getpid());
}

bool fuzz_run_expired(const struct fuzz_run *r, double t0)
{
	return now_s() - t0 >= r->seconds;
}

void fuzz_run_iteration(const struct fuzz_run *r, uint64_t i)
{
	rnd_seed(r->seed ^ mix64(i + 1));
}
