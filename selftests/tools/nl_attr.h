/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nl_attr - netlink attributes without libnl: appending them to a request
 * buffer (with lengths that may lie, for the fuzzer), walking them in an
 * answer with every length checked against what is left.
 */
#ifndef SELFTESTS_TOOLS_NL_ATTR_H
#define SELFTESTS_TOOLS_NL_ATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

/* A request being built: len bytes used of cap at p. */
struct nl_buf {
	uint8_t *p;
	size_t len, cap;
};

/*
 * Append len bytes (zeros when data is NULL) and pad them to NLA_ALIGNTO.
 * Returns where they went, or NULL when they do not fit.
 */
void *nl_put(struct nl_buf *b, const void *data, size_t len);

/*
 * Append an attribute. nla_len 0: its true length; anything else is
 * written instead (a lie, for the fuzzer). False when it does not fit.
 */
bool nl_put_attr(struct nl_buf *b, uint16_t type, const void *data, size_t len,
		 uint32_t nla_len);

/* Whether a whole attribute starts at nla with rem bytes left. */
bool nla_ok(const struct nlattr *nla, size_t rem);
/* The attribute after nla; *rem shrinks by what nla took. */
const struct nlattr *nla_next(const struct nlattr *nla, size_t *rem);

/* Each well-formed attribute of len bytes at data; stops at the first bad one. */
#define for_each_nla(nla, data, len, rem)				\
	for (nla = (const void *)(data), rem = (len); nla_ok(nla, rem);	\
	     nla = nla_next(nla, &rem))

const void *nla_payload(const struct nlattr *nla);
size_t nla_payload_len(const struct nlattr *nla);
/* A u32 payload; 0 when the attribute is too short for one. */
uint32_t nla_u32(const struct nlattr *nla);

#endif
