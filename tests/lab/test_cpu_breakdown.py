#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit test of tests/lab/cpu-breakdown.py on a hand-made trace
(testdata/cpu-breakdown.txt: on CPU 1 a hog, two boosted vCPU threads ended
by the host share, one demoted by the worker from CPU 0 while it runs, the
other by itself, a cyclictest wake-up, a boost at the next window, idle)."""
import importlib.util
import io
import os
import unittest
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "cpu-breakdown.py")
DATA = os.path.join(HERE, "testdata", "cpu-breakdown.txt")

spec = importlib.util.spec_from_file_location("cpu_breakdown", SCRIPT)
cb = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cb)

MS = 1000000
ALIGN = 100 * 1000 * MS


class CpuBreakdown(unittest.TestCase):
    def setUp(self):
        self.r = cb.analyse(cb.wt.parse(DATA), 1, [222, 223], 10 * MS,
                            5 * MS, ALIGN)
        self.th = self.r["threads"]

    def near(self, a, b):
        self.assertLessEqual(abs(a - b), 1000, "%d != %d" % (a, b))

    def test_span_and_sum(self):
        self.near(self.r["traced"], 21 * MS)
        self.near(sum(t["rt"] + t["fair"] for t in self.th.values()), 21 * MS)
        self.assertEqual(self.r["switches"], 8)  # CPU 0's are not counted

    def test_demoted_while_running_splits_at_the_apply(self):
        # RT up to the worker's apply at 4.5 ms, fair until switched out
        a = self.th[222]
        self.near(a["rt"], int(4.5 * MS) + int(5.9 * MS))
        self.near(a["fair"], int(0.1 * MS))
        self.near(a["rt_after_share"], int(0.5 * MS))
        b = self.th[223]
        self.near(b["rt"], int(0.9 * MS))
        self.near(b["fair"], int(0.1 * MS))
        self.near(b["rt_after_share"], int(0.1 * MS))
        self.assertEqual(self.r["mismatches"], 0)

    def test_other_threads(self):
        self.near(self.th[205]["fair"], int(8.4 * MS))
        self.assertEqual(self.th[205]["rt"], 0)
        self.near(self.th[281]["rt"], int(0.1 * MS))
        self.near(self.th[0]["fair"], 1 * MS)
        self.assertEqual(self.th[0]["comm"], "[idle]")
        self.assertEqual(self.th[223]["comm"], "CPU 1/KVM")
        self.assertNotIn(300, self.th)  # ran on CPU 0 only
        self.assertNotIn(400, self.th)

    def test_windows(self):
        w = self.r["windows"]
        self.assertEqual(len(w), 2)  # the third is not fully traced
        self.near(w[0], int(5.4 * MS))
        self.near(w[1], int(5.9 * MS))

    def test_share_and_applies(self):
        self.assertEqual(self.r["share_decisions"], 2)
        self.assertEqual(sorted(self.r["share_delays"]), [100000, 500000])
        a = self.r["applies"]
        self.assertEqual(a, {"direct": {"rt": 0, "base": 1},
                             "deferred": {"rt": 1, "base": 1}})
        self.assertEqual(self.r["deferred_base_delays"], [500000])

    def test_lost_events(self):
        self.assertEqual(cb.lost_events(DATA), 5)

    def test_report(self):
        names = {205: "hog", 222: "vm0.vcpu0", 223: "vm0.vcpu1", 0: "[idle]"}
        text = cb.report(self.r, 1, names, 205, [222, 223], 5)
        summary = text.splitlines()[-1]
        self.assertIn("vcpu_rt_pct=53.8 ", summary)  # 11.3 of 21 ms
        self.assertIn("hog_pct=40.0 ", summary)
        self.assertIn("hog_vs_vcpus_pct=42.2 ", summary)  # 8.4 / 19.9
        self.assertIn("windows=2 window_rt_max_ms=5.9 windows_over_share=2 ",
                      summary)
        self.assertIn("rt_after_share_ms=0.6 lost=5", summary)
        self.assertIn("vm0.vcpu0", text)
        self.assertIn("cyclictest", text)

    def test_main(self):
        buf = io.StringIO()
        with redirect_stdout(buf):
            rc = cb.main([DATA, "--cpu", "1", "--window-ns", str(10 * MS),
                          "--share-ns", str(5 * MS), "--align-ns", str(ALIGN),
                          "--hog", "205", "--vcpu", "222=vm0.vcpu0",
                          "--vcpu", "223=vm0.vcpu1"])
        self.assertEqual(rc, 0)
        self.assertIn("hog_vs_vcpus_pct=42.2", buf.getvalue())
        with redirect_stdout(io.StringIO()):
            self.assertEqual(cb.main([DATA, "--cpu", "3"]), 1)


if __name__ == "__main__":
    unittest.main()
