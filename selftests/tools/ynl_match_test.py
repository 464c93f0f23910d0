#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit test of ynl_match.py (CTest ynl_match): the shapes ynl's
--output-json and nicctl -j give for the same objects agree, and each kind
of disagreement (a value, an attribute nicctl drops or invents, an object
one side lacks, a counter, a latency bucket) is found."""
import copy
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
MATCH = os.path.join(HERE, 'ynl_match.py')

YNL_DEV = [{'id': 1, 'name': 'nicsim1', 'state': 'live', 'nr-queues': 2,
            'engines': 2,
            'caps': {'max-queues': 64, 'io-opcodes': '0x0000000000000807',
                     'max-io-size': 131072, 'min-queue-depth': 16,
                     'max-queue-depth': 1024, 'hdgst': True,
                     'max-inline': 8192, 'backends': ['bdev', 'null']}}]
NIC_DEV = [{'id': 1, 'name': 'nicsim1', 'state': 'live', 'nr_queues': 2,
            'engines': 2,
            'caps': {'max_queues': 64,
                     'io_opcodes': ['flush', 'write', 'read', 'write-zeroes'],
                     'io_opcodes_mask': 2055, 'max_io_size': 131072,
                     'min_queue_depth': 16, 'max_queue_depth': 1024,
                     'hdgst': True, 'ddgst': False, 'max_inline': 8192,
                     'backends': ['null', 'bdev']}}]
YNL_QUEUE = [{'id': 3, 'port-id': 1, 'ctrl-id': 1, 'qid': 0,
              'state': 'software', 'depth': 32, 'inflight': 0, 'cpu': 0,
              'hostnqn': 'h', 'subsysnqn': 's'},
             {'id': 4, 'port-id': 1, 'ctrl-id': 1, 'qid': 1,
              'state': 'offloaded', 'dev-id': 1, 'engine': 0, 'depth': 128,
              'inflight': 0, 'cpu': 1, 'hostnqn': 'h', 'subsysnqn': 's'}]
NIC_QUEUE = [{'id': 4, 'port_id': 1, 'ctrl_id': 1, 'qid': 1,
              'state': 'offloaded', 'dev_id': 1, 'dev_name': 'nicsim1',
              'engine': 0, 'depth': 128, 'inflight': 0, 'cpu': 1,
              'hostnqn': 'h', 'subsysnqn': 's'},
             {'id': 3, 'port_id': 1, 'ctrl_id': 1, 'qid': 0,
              'state': 'software', 'dev_id': None, 'dev_name': None,
              'engine': None, 'depth': 32, 'inflight': 0, 'cpu': 0,
              'hostnqn': 'h', 'subsysnqn': 's'}]
YNL_STATS = [{'scope': 'dev', 'dev-id': 1,
              'counters': {'write-cmds': 64, 'write-blocks': 64,
                           'punted-cmds': 2,
                           'lat-hist': {'bucket': [0, 60, 4]},
                           'punted-by-opcode': [{'opcode': 9, 'count': 2}]}}]
NIC_STATS = [{'scope': 'dev', 'dev_id': 1, 'dev_name': 'nicsim1',
              'port_id': None, 'nsid': None, 'queue_id': None,
              'subsysnqn': None, 'interval_s': None, 'per_second': False,
              'counters': {'write_cmds': 64, 'write_blocks': 64,
                           'punted_cmds': 2,
                           'punted_by_opcode': [{'opcode': 9, 'name': 'dsm',
                                                 'count': 2}]},
              'latency': {'quantile_buckets': {'p50': 1},
                          'buckets': [{'from_us': 0, 'below_us': 1,
                                       'count': 0},
                                      {'from_us': 1, 'below_us': 2,
                                       'count': 60},
                                      {'from_us': 2, 'below_us': None,
                                       'count': 4}]}}]


def _set(path, value):
    """A change to nicctl's side: the value at PATH (keys and indexes)."""
    def change(obj):
        for k in path[:-1]:
            obj = obj[k]
        obj[path[-1]] = value
    return change


def _del(path):
    def change(obj):
        for k in path[:-1]:
            obj = obj[k]
        del obj[path[-1]]
    return change


# (what the report names, kind, ynl's side, nicctl's side, nicctl's change)
DIFFERENCES = [
    ('queue 4 engine', 'queue', YNL_QUEUE, NIC_QUEUE, _set((0, 'engine'), 1)),
    # a hex display-hint compared by value
    ('caps.io_opcodes_mask', 'dev', YNL_DEV, NIC_DEV,
     _set((0, 'caps', 'io_opcodes_mask'), 7)),
    # a flag the kernel did not send
    ('caps.ddgst', 'dev', YNL_DEV, NIC_DEV, _set((0, 'caps', 'ddgst'), True)),
    # a value (0, not null) where the kernel sent nothing
    ('queue 3 engine', 'queue', YNL_QUEUE, NIC_QUEUE, _set((1, 'engine'), 0)),
    ('not in nicctl -j', 'queue', YNL_QUEUE, NIC_QUEUE, _del((0, 'cpu'))),
    ('objects', 'queue', YNL_QUEUE, NIC_QUEUE, _del((1,))),
    ('counters.write_blocks', 'stats', YNL_STATS, NIC_STATS,
     _set((0, 'counters', 'write_blocks'), 63)),
    ('counters.lat_hist.bucket', 'stats', YNL_STATS, NIC_STATS,
     _set((0, 'latency', 'buckets', 2, 'count'), 5)),
    ('counters.punted', 'stats', YNL_STATS, NIC_STATS,
     _set((0, 'counters', 'punted_by_opcode', 0, 'opcode'), 8)),
]


def match(kind, ynl, nic):
    with tempfile.TemporaryDirectory() as d:
        paths = []
        for name, obj in (('ynl', ynl), ('nic', nic)):
            paths.append(os.path.join(d, name))
            with open(paths[-1], 'w') as f:
                json.dump(obj, f)
        r = subprocess.run([sys.executable, MATCH, kind] + paths,
                           capture_output=True, text=True, check=False)
        return r.returncode, r.stdout


class YnlMatch(unittest.TestCase):
    def agree(self, kind, ynl, nic):
        rc, out = match(kind, ynl, nic)
        self.assertEqual(rc, 0, out)

    def differ(self, kind, ynl, nic, what):
        rc, out = match(kind, ynl, nic)
        self.assertEqual(rc, 1, out)
        self.assertIn(what, out)

    def test_agree(self):
        self.agree('dev', YNL_DEV, NIC_DEV)
        self.agree('queue', YNL_QUEUE, NIC_QUEUE)
        self.agree('stats', YNL_STATS, NIC_STATS)
        # a do's reply is one object
        self.agree('queue', YNL_QUEUE[1], [NIC_QUEUE[0]])

    def test_differences(self):
        for what, kind, ynl, nic, change in DIFFERENCES:
            with self.subTest(what):
                nic = copy.deepcopy(nic)
                change(nic)
                self.differ(kind, ynl, nic, what)

if __name__ == '__main__':
    unittest.main()
