#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit test of tests/bench/wakeup-trace.py on a hand-made trace
(testdata/wakeup-trace.txt: a vCPU thread 500 preempted by a hog, kicked and
boosted, demoted, preempted again, then halted and woken)."""
import importlib.util
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "wakeup-trace.py")
DATA = os.path.join(HERE, "testdata", "wakeup-trace.txt")

spec = importlib.util.spec_from_file_location("wakeup_trace", SCRIPT)
wt = importlib.util.module_from_spec(spec)
spec.loader.exec_module(wt)


class WakeupTrace(unittest.TestCase):
    def setUp(self):
        self.r = wt.analyse(wt.parse(DATA), 500)

    def test_parse_comm_with_spaces(self):
        ev = wt.parse(DATA)
        self.assertEqual(len(ev), 12)
        sw = [e for e in ev if e["event"] == "sched_switch"]
        self.assertEqual(sw[0]["prev_pid"], 500)
        self.assertEqual(sw[0]["prev_state"], "R+")
        self.assertEqual(sw[1]["next_pid"], 500)

    def test_time_split(self):
        t = self.r["time_ms_per_s"]
        span = self.r["span_s"]
        # runnable: 0 -> 1.1 ms, 2.1 -> 10 ms, 12.001 -> 12.1 ms
        self.assertAlmostEqual(t["wait"] * span / 1e3, 0.0011 + 0.0079 + 0.000099, places=6)
        self.assertAlmostEqual(t["sleep"] * span / 1e3, 0.001001, places=6)
        self.assertAlmostEqual(sum(t.values()) * span / 1e3, span, places=6)

    def test_preemptions_and_slices(self):
        self.assertEqual(round(self.r["preemptions_per_s"] * self.r["span_s"]), 2)
        self.assertAlmostEqual(self.r["wait_after_preemption"]["median_us"], 1100, places=0)
        self.assertEqual(self.r["run_slice"]["n"], 2)

    def test_kicks(self):
        self.assertEqual(self.r["kicks_by_state"]["wait"], 1)
        self.assertEqual(self.r["kicks_by_state"]["sleep"], 1)
        self.assertEqual(self.r["preempted_kicks_boosted"], 1)
        self.assertAlmostEqual(self.r["kick_to_run_preempted"]["median_us"], 100, places=0)
        self.assertAlmostEqual(self.r["kick_to_inject"]["median_us"], 200, places=0)

    def test_demotion(self):
        self.assertEqual(self.r["unboost_then_preempted"], 1)
        self.assertAlmostEqual(self.r["wait_after_demotion"]["median_us"], 7900, places=0)
        self.assertEqual(self.r["reboost_within_1ms"], 0)

    def test_cli_and_table(self):
        with tempfile.TemporaryDirectory() as d:
            j = os.path.join(d, "busy-pvsched.json")
            out = subprocess.run([sys.executable, SCRIPT, "--tid", "500", "--scenario", "busy",
                                  "--config", "pvsched", "--json", j, DATA],
                                 capture_output=True, text=True, check=True).stdout
            self.assertIn("wake-up breakdown, busy / pvsched", out)
            tab = subprocess.run([sys.executable, SCRIPT, "--table", d],
                                 capture_output=True, text=True, check=True).stdout
            self.assertIn("| busy | pvsched | 752 |", tab)

    def test_stranded(self):
        # none in the first trace: each preemption came after an injection
        self.assertEqual(self.r["wait_stranded"]["n"], 0)
        self.assertEqual(self.r["stranded_per_s"], 0)
        # preempted 0.2 ms after a kick, not injected: stranded for 40 ms;
        # the later preemption, after the injection, is not
        r = wt.analyse(wt.parse(os.path.join(HERE, "testdata", "wakeup-trace-stranded.txt")), 500)
        self.assertEqual(r["wait_stranded"]["n"], 1)
        self.assertAlmostEqual(r["wait_stranded"]["median_us"], 40000, places=0)
        self.assertAlmostEqual(r["stranded_per_s"] * r["span_s"], 1)

    def test_longest_injection_gaps(self):
        # one injection here: no interval between two
        self.assertEqual(self.r["longest_injection_gaps"], [])
        r = wt.analyse(wt.parse(os.path.join(HERE, "testdata", "wakeup-trace-stranded.txt")), 500)
        g = r["longest_injection_gaps"]
        # three injections, two intervals, the longest first: 199.9995 ->
        # 200.0403, 40 ms of it preempted by the hog after the demotion
        self.assertEqual(len(g), 2)
        self.assertAlmostEqual(g[0]["gap_us"], 40800, places=0)
        self.assertAlmostEqual(g[0]["us"]["wait"], 40000, places=0)
        self.assertAlmostEqual(g[0]["longest_wait_us"], 40000, places=0)
        self.assertAlmostEqual(g[0]["us"]["run"], 100, places=0)
        self.assertEqual(g[0]["preemptions"], 1)
        self.assertEqual(g[0]["preempted_by"], {"stress-ng-cpu": 1})
        self.assertEqual(g[0]["pvsched"], {"kick": 1, "unboost:task_prio": 1, "apply": 1})
        self.assertAlmostEqual(g[1]["gap_us"], 550, places=0)
        # running all through the second (boost and unboost inside it)
        self.assertAlmostEqual(g[1]["us"]["run"], 550, places=0)
        self.assertEqual(g[1]["preemptions"], 0)
        self.assertEqual(g[1]["pvsched"], {"boost:task_prio": 1, "apply": 1, "unboost:task_prio": 1})
        self.assertNotIn("cpu_us_by_comm", g[0])
        self.assertNotIn("vruntime_lead_ms", g[0])

    def test_cpu_trace(self):
        # the CPU instance adds the hogs' switches (the vCPU's own are in
        # both files: one copy kept) and the runtime records
        ev = wt.merge_cpu_trace(
            wt.parse(os.path.join(HERE, "testdata", "wakeup-trace-stranded.txt")),
            wt.parse(os.path.join(HERE, "testdata", "wakeup-trace-cpu.txt")), 500)
        sw = [e for e in ev if e["event"] == "sched_switch"]
        self.assertEqual(len(sw), 6)
        r = wt.analyse(ev, 500)
        self.assertEqual(r["wait_stranded"]["n"], 1)
        g = r["longest_injection_gaps"][0]
        self.assertEqual(g["cpu_us_by_comm"], {"stress-ng-cpu": 40000, "CPU 0/KVM": 100})
        self.assertAlmostEqual(g["vruntime_lead_ms"], 30.0)
        self.assertEqual(g["preemptions"], 1)
        self.assertEqual(r["wait_after_preemption"]["n"], 2)
        # the kick came during the RT task's boost, and the demotion that
        # followed before the injection is counted; the later one is not
        self.assertEqual(r["kicks_in_task_boost"], 1)
        self.assertEqual(r["unboosts_undelivered"], 1)
        self.assertEqual(self.r["unboosts_undelivered"], 0)
        self.assertEqual(self.r["kicks_in_task_boost"], 0)

    def test_empty(self):
        self.assertIn("error", wt.analyse([], 1))


if __name__ == "__main__":
    unittest.main()
