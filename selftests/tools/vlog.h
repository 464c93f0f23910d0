/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vlog - the test clients' -v trace: "# ..." lines on stderr, which KTAP
 * output treats as comments.
 */
#ifndef SELFTESTS_TOOLS_VLOG_H
#define SELFTESTS_TOOLS_VLOG_H

#include <stdbool.h>

/* Set by the tool's -v/--verbose option. */
extern bool vlog_on;

void vlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
