// SPDX-License-Identifier: GPL-2.0
// NVO_API marks what libnvo_nl.so exports: the public API of these headers.
// The shared library is built with -fvisibility=hidden; everything else
// (the libnl socket and codec) stays inside it.
#ifndef NVO_EXPORT_H_
#define NVO_EXPORT_H_

#define NVO_API __attribute__((visibility("default")))

#endif  // NVO_EXPORT_H_
