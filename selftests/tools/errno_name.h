/* SPDX-License-Identifier: GPL-2.0 */
/*
 * errno_name - symbolic names of the errnos netlink answers carry, as the
 * selftests match them (error=EINVAL ...).
 */
#ifndef SELFTESTS_TOOLS_ERRNO_NAME_H
#define SELFTESTS_TOOLS_ERRNO_NAME_H

/* "EPERM" for EPERM ...; NULL for an errno not listed. */
const char *errno_name(int e);

#endif
