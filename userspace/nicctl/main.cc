// SPDX-License-Identifier: GPL-2.0
// nicctl: manage NVMe/TCP target offload to SmartNICs through the
// nvmet_offload generic netlink family. See nicctl(8).
#include <exception>
#include <iostream>

#include "commands.h"

int main(int argc, char** argv) {
  try {
    nicctl::Context ctx = nicctl::SystemContext();
    return nicctl::Main(argc, argv, ctx);
  } catch (const std::exception& e) {
    std::cerr << "nicctl: error: " << e.what() << "\n";
    return nicctl::kExitKernel;
  }
}
