// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "splitmix.h"

uint64_t splitmix_state;

void rnd_fill(void *buf, size_t len)
{
	uint8_t *b = buf;

	while (len) {
		uint64_t v = rnd64();
		size_t n = len < 8 ? len : 8;

		memcpy(b, &v, n);
		b += n;
		len -= n;
	}
}
