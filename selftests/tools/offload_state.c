// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "offload_state.h"

int nvo_queue_ostate(unsigned int cntlid, unsigned int qid, char *buf,
		     size_t len)
{
	FILE *f = fopen(NVO_QUEUES_DEBUGFS, "r");
	char line[512];
	int rc = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *tok[17], *save = NULL, *t = strtok_r(line, " \t\n", &save);
		int n = 0;

		while (t && n < 17) {
			tok[n++] = t;
			t = strtok_r(NULL, " \t\n", &save);
		}
		if (n < 16 || (unsigned int)atoi(tok[2]) != cntlid ||
		    (unsigned int)atoi(tok[3]) != qid)
			continue;
		snprintf(buf, len, "%s", tok[15]);
		rc = 0;
	}
	fclose(f);
	return rc;
}
