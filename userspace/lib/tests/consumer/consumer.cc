// SPDX-License-Identifier: GPL-2.0
// A program of someone else's on the installed libnvo_nl: the public
// headers alone (no libnl), the names tables, and a Client that reports a
// missing module as FamilyNotFound.
#include <nvo/client.h>
#include <nvo/error.h>
#include <nvo/types.h>

#include <iostream>

int main() {
  if (nvo::ToString(nvo::Policy::kOn) != "on" ||
      nvo::PolicyFromString("off") != nvo::Policy::kOff) {
    return 1;
  }
  try {
    nvo::Client c;
    std::cout << "family " << c.family() << ", " << c.Devices().size()
              << " devices\n";
  } catch (const nvo::FamilyNotFound& e) {
    std::cout << "no module: " << e.what() << "\n";
  } catch (const nvo::Error& e) {
    std::cout << "error: " << e.what() << "\n";
  }
  return 0;
}
