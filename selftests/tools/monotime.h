/* SPDX-License-Identifier: GPL-2.0 */
/*
 * monotime - seconds on CLOCK_MONOTONIC, for the clients' deadlines and
 * time budgets (immune to wall-clock steps in the test VM).
 */
#ifndef SELFTESTS_TOOLS_MONOTIME_H
#define SELFTESTS_TOOLS_MONOTIME_H

double now_s(void);

#endif
