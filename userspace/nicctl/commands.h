// SPDX-License-Identifier: GPL-2.0
// Running nicctl's commands against an nvo::Api, with injected streams,
// clock and sleep so that the tests run them against a fake kernel.
#ifndef NICCTL_COMMANDS_H_
#define NICCTL_COMMANDS_H_

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>

#include "cli.h"
#include "nvo/client.h"

namespace nicctl {

// Exit statuses (nicctl(8)).
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;
inline constexpr int kExitKernel = 2;
inline constexpr int kExitNoModule = 3;

struct Context {
  // Opens the family (FamilyNotFound when the module is not loaded); called
  // only when a command needs the kernel.
  std::function<std::unique_ptr<nvo::Api>()> connect;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  std::istream* in = nullptr;         // config restore -
  std::function<std::string()> now;   // "12:00:01"
  std::function<void(double)> sleep;  // seconds
  // Unix time in milliseconds (monitor -ts), and a monotonic clock in
  // seconds (the measured interval of stats watch).
  std::function<int64_t()> epoch_ms;
  std::function<double()> monotonic;
  // Opens FILE of -b FILE (nullptr: cannot).
  std::function<std::unique_ptr<std::istream>(const std::string&)> open;
};

// The real thing: nvo::Client, std::cout/cerr/cin, the wall clock.
Context SystemContext();

// Parses, runs, prints errors; returns the exit status.
int Main(int argc, const char* const* argv, Context& ctx);

}  // namespace nicctl

#endif  // NICCTL_COMMANDS_H_
