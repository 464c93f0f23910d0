// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "nl_attr.h"

void *nl_put(struct nl_buf *b, const void *data, size_t len)
{
	uint8_t *at;

	if (b->len + NLA_ALIGN(len) > b->cap)
		return NULL;
	at = b->p + b->len;
	if (data)
		memcpy(at, data, len);
	else
		memset(at, 0, len);
	memset(at + len, 0, NLA_ALIGN(len) - len);
	b->len += NLA_ALIGN(len);
	return at;
}

bool nl_put_attr(struct nl_buf *b, uint16_t type, const void *data, size_t len,
		 uint32_t nla_len)
{
	struct nlattr *a;

	if (b->len + NLA_HDRLEN + NLA_ALIGN(len) > b->cap)
		return false;
	a = nl_put(b, NULL, NLA_HDRLEN);
	a->nla_type = type;
	a->nla_len = (uint16_t)(nla_len ? nla_len : NLA_HDRLEN + len);
	nl_put(b, data, len);
	return true;
}

bool nla_ok(const struct nlattr *nla, size_t rem)
{
	return rem >= NLA_HDRLEN && nla->nla_len >= NLA_HDRLEN &&
	       nla->nla_len <= rem;
}

const struct nlattr *nla_next(const struct nlattr *nla, size_t *rem)
{
	size_t step = NLA_ALIGN((size_t)nla->nla_len);

	*rem = step < *rem ? *rem - step : 0;
	return (const void *)((const char *)nla + step);
}

const void *nla_payload(const struct nlattr *nla)
{
	return (const char *)nla + NLA_HDRLEN;
}

size_t nla_payload_len(const struct nlattr *nla)
{
	return nla->nla_len - NLA_HDRLEN;
}

uint32_t nla_u32(const struct nlattr *nla)
{
	uint32_t v = 0;

	if (nla->nla_len >= NLA_HDRLEN + 4)
		memcpy(&v, nla_payload(nla), 4);
	return v;
}
