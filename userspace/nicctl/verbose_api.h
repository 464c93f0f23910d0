// SPDX-License-Identifier: GPL-2.0
// nicctl -v / -vv: an nvo::Api that logs every request and reply around
// another one. -v (debug) one line per request and per reply, -vv (trace)
// the attributes of each request and each object of a reply, as JSON.
#ifndef NICCTL_VERBOSE_API_H_
#define NICCTL_VERBOSE_API_H_

#include <spdlog/logger.h>

#include <memory>

#include "nvo/client.h"

namespace nicctl {

std::unique_ptr<nvo::Api> MakeVerboseApi(std::unique_ptr<nvo::Api> inner,
                                         spdlog::logger& log);

}  // namespace nicctl

#endif  // NICCTL_VERBOSE_API_H_
