// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>

#include "errno_name.h"

#define ENOTSUPP	524	/* kernel-internal, yet it reaches userspace */

const char *errno_name(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case ENODEV: return "ENODEV";
	case EBUSY: return "EBUSY";
	case ERANGE: return "ERANGE";
	case EMSGSIZE: return "EMSGSIZE";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOMEM: return "ENOMEM";
	case EEXIST: return "EEXIST";
	case E2BIG: return "E2BIG";
	case EAGAIN: return "EAGAIN";
	case ENOBUFS: return "ENOBUFS";
	case EACCES: return "EACCES";
	case ESHUTDOWN: return "ESHUTDOWN";
	case ENOSPC: return "ENOSPC";
	case ENOTSUPP: return "ENOTSUPP";
	default: return NULL;
	}
}
