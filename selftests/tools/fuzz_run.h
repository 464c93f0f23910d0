/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz_run - what bounds and seeds a fuzzer's run: the --iterations,
 * --seconds and --seed options, a seed from the clock when none is given,
 * and a generator reseeded per iteration, so that --seed X with the
 * iteration's number replays one iteration alone.
 */
#ifndef SELFTESTS_TOOLS_FUZZ_RUN_H
#define SELFTESTS_TOOLS_FUZZ_RUN_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

struct fuzz_run {
	uint64_t iterations;
	double seconds;
	uint64_t seed;
	bool seeded;		/* --seed given */
};

/* Their getopt_long entries; the short options are "i:s:S:". */
#define FUZZ_RUN_LONGOPTS						\
	{ "iterations", required_argument, NULL, 'i' },			\
	{ "seconds", required_argument, NULL, 's' },			\
	{ "seed", required_argument, NULL, 'S' }

/* Takes -i, -s and -S; false for any other option. */
bool fuzz_run_opt(struct fuzz_run *r, int opt, const char *arg);

/* Without --seed: a seed from the clock and the pid. */
void fuzz_run_seed(struct fuzz_run *r);

/* Whether the --seconds budget, counted from t0 (now_s()), is spent. */
bool fuzz_run_expired(const struct fuzz_run *r, double t0);

/* Reseed the generator (splitmix.h) for iteration i. */
void fuzz_run_iteration(const struct fuzz_run *r, uint64_t i);

#endif
