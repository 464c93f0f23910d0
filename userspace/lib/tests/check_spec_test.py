#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""scripts/check-netlink-spec.py catches disagreements: each test copies the
checked files to a scratch tree, breaks one thing, and expects a failure
naming it."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..",
                                    ".."))
SCRIPT = os.path.join(ROOT, "scripts", "check-netlink-spec.py")
FILES = [
    "Documentation/netlink/specs/nvmet_offload.yaml",
    "include/linux/nvmet_offload.h",
    "Documentation/netlink.rst",
]


class CheckSpecTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        for rel in FILES:
            src = os.path.join(ROOT, rel)
            if os.path.exists(src):
                os.makedirs(os.path.dirname(os.path.join(self.tmp, rel)),
                            exist_ok=True)
                shutil.copy(src, os.path.join(self.tmp, rel))

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def run_check(self):
        r = subprocess.run([sys.executable, SCRIPT, "--root", self.tmp],
                           capture_output=True, text=True)
        return r.returncode, r.stdout + r.stderr

    def edit(self, rel, old, new, count=1):
        path = os.path.join(self.tmp, rel)
        with open(path) as f:
            text = f.read()
        self.assertIn(old, text, "test setup: %r not in %s" % (old, rel))
        with open(path, "w") as f:
            f.write(text.replace(old, new, count))

    def expect_fail(self, pattern):
        rc, out = self.run_check()
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, pattern)

    def test_clean_tree_passes(self):
        rc, out = self.run_check()
        self.assertEqual(rc, 0, out)
        self.assertIn("0 failed", out)

    def test_spec_u64_needs_pad(self):
        self.edit(FILES[0], "        name: nr-queues\n        type: u32",
                  "        name: nr-queues\n        type: u64")
        self.expect_fail(r"attribute-set dev: 64-bit attributes but no pad")

    def test_spec_doc_missing(self):
        self.edit(FILES[0], "        doc: Number of engines (NIC cores) "
                  "serving queues.\n", "")
        self.expect_fail(r"dev.engines: no doc")

    def test_spec_uint_rejected(self):
        self.edit(FILES[0], "        name: read-cmds\n        type: u64",
                  "        name: read-cmds\n        type: uint")
        self.expect_fail(r"needs kernel 6.8")

    def test_spec_admin_perm_required(self):
        self.edit(FILES[0], "      attribute-set: queue\n"
                  "      flags: [admin-perm]\n", "      attribute-set: queue\n")
        self.expect_fail(r"queue-get: operation without admin-perm")

    def test_spec_bad_reference(self):
        self.edit(FILES[0], "            - nr-queues\n",
                  "            - nr-queue\n")
        self.expect_fail(r"no attribute nr-queue")

    def test_driver_api_reason_order(self):
        if not os.path.exists(os.path.join(self.tmp, FILES[1])):
            self.skipTest("no driver API header")
        self.edit(FILES[1], "NVO_FALLBACK_REFUSED,",
                  "NVO_FALLBACK_REFUSED = 7,")
        self.expect_fail(r"enum nvo_fallback_reason differs")

    def test_rst_out_of_date(self):
        if not os.path.exists(os.path.join(self.tmp, FILES[2])):
            self.skipTest("no netlink.rst")
        self.edit(FILES[0], "doc: Queues offloaded to the device now.",
                  "doc: Queues offloaded to the device right now.")
        self.expect_fail(r"generated part is out of date")


if __name__ == "__main__":
    unittest.main(verbosity=2)
