// SPDX-License-Identifier: GPL-2.0
/*
 * Standalone driver for pdu_fuzz.c without libFuzzer: runs every file named
 * on the command line, and every regular file in every directory named, once
 * through LLVMFuzzerTestOneInput(). A broken invariant aborts, so CTest runs
 * this over the seed corpus as a regression test in any build.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (len == cap) {
			uint8_t *nbuf;

			cap = cap ? cap * 2 : 4096;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				fprintf(stderr, "replay: out of memory\n");
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nbuf;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n);
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int only_visible(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int main(int argc, char **argv)
{
	int i, j, n, runs = 0, errors = 0;
	struct dirent **names;
	char path[4096];
	struct stat st;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st)) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
				strerror(errno));
			errors++;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			errors += run_file(argv[i]) ? 1 : 0;
			runs++;
			continue;
		}
		n = scandir(argv[i], &names, only_visible, alphasort);
		if (n < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
				strerror(errno));
			errors++;
			continue;
		}
		for (j = 0; j < n; j++) {
			snprintf(path, sizeof(path), "%s/%s", argv[i],
				 names[j]->d_name);
			if (!stat(path, &st) && S_ISREG(st.st_mode)) {
				errors += run_file(path) ? 1 : 0;
				runs++;
			}
			free(names[j]);
		}
		free(names);
	}
	printf("replay: %d input(s) ran, %d error(s)\n", runs, errors);
	return errors || !runs ? 1 : 0;
}
