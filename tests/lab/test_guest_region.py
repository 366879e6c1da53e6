#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit test of tests/lab/l2/guest-region.py's reads and its "moving" check,
on region files written by a thread standing in for a guest CPU, and of
its use of tests/lab/l1-snapshot against a fake QMP socket."""
import importlib.util
import io
import json
import mmap
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "l2", "guest-region.py")

spec = importlib.util.spec_from_file_location("guest_region", SCRIPT)
gr = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gr)


class Region:
    """A 2-slot region file, mapped, with the guest area writable."""

    def __init__(self, tmp):
        self.path = os.path.join(tmp, "region")
        gr.main(["guest-region.py", "init", self.path, "4096", "2"])
        self.fh = open(self.path, "r+b")
        self.buf = mmap.mmap(self.fh.fileno(), 0)
        self.h = gr.header(self.buf)

    def close(self):
        self.buf.close()
        self.fh.close()

    def off(self, i):
        return gr.slot_base(self.h, i) + 8

    def seq(self, i, value):
        struct.pack_into("<I", self.buf, self.off(i), value)

    def nice(self, i, value):
        struct.pack_into("<i", self.buf, self.off(i) + 12, value)

    def later(self, secs, fn):
        t = threading.Timer(secs, fn)
        t.start()
        return t

    def publish_every(self, i, period, start=0.0):
        """A CPU publishing (seq += 2) every period s, from start s on."""
        stop = threading.Event()

        def run():
            if stop.wait(start):
                return
            seq = struct.unpack_from("<I", self.buf, self.off(i))[0]
            while not stop.wait(period):
                seq += 2
                self.seq(i, seq)
        t = threading.Thread(target=run, daemon=True)
        t.start()
        return stop, t


class Case(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.r = Region(self.tmp)
        self.saved = (gr.ODD_SECS, gr.MOVING_SECS, gr.STALL_SECS)
        self.stops = []

    def tearDown(self):
        for stop, t in self.stops:
            stop.set()
            t.join()
        gr.ODD_SECS, gr.MOVING_SECS, gr.STALL_SECS = self.saved
        self.r.close()
        shutil.rmtree(self.tmp)


class ReadGuest(Case):
    def test_waits_out_a_writer_paused_mid_update(self):
        # a vCPU descheduled by L1 between "seq odd" and "seq even": the
        # old reader gave up after 1000 back-to-back reads
        self.r.seq(0, 7)
        self.r.nice(0, 3)

        def finish():
            self.r.nice(0, 5)
            self.r.seq(0, 8)
        t = self.r.later(0.3, finish)
        g = gr.read_guest(self.r.buf, self.r.h, 0)
        t.join()
        self.assertEqual((g["seq"], g["sched_nice"]), (8, 5))

    def test_gives_up_on_a_seq_left_odd(self):
        gr.ODD_SECS = 0.3
        self.r.seq(1, 9)
        t0 = time.monotonic()
        with self.assertRaises(SystemExit) as e:
            gr.read_guest(self.r.buf, self.r.h, 1)
        self.assertGreaterEqual(time.monotonic() - t0, 0.3)
        self.assertIn("slot 1", str(e.exception.code))
        self.assertIn("seq 9: an update never finished", str(e.exception.code))


def where_stub(in_driver, text, calls):
    def where(cpu):
        calls.append(cpu)
        return in_driver, text
    return where


class Moving(Case):
    def setUp(self):
        super().setUp()
        gr.MOVING_SECS = 0.4
        gr.STALL_SECS = 3.0

    def test_moving(self):
        self.stops.append(self.r.publish_every(0, 0.05))
        calls = []
        self.assertIsNone(gr.check_moving(self.r.buf, self.r.h, 0,
                                          where_stub(False, "", calls)))
        self.assertEqual(calls, [])

    def test_stuck_without_where(self):
        self.r.seq(0, 8218)
        self.assertEqual(gr.check_moving(self.r.buf, self.r.h, 0),
                         "slot 0 seq stuck at 8218")

    def test_stall_elsewhere_that_ends_passes_and_says_so(self):
        # the CPU was not running (an L2 vCPU that L1 did not run for a
        # while), then publishes again: no failure, one line
        self.r.seq(0, 100)
        self.stops.append(self.r.publish_every(0, 0.05, start=1.0))
        calls, out = [], io.StringIO()
        with redirect_stdout(out):
            why = gr.check_moving(self.r.buf, self.r.h, 0, where_stub(
                False, "cpu0 asm_exc_int3+0x0 (same in 5/5)", calls))
        self.assertIsNone(why)
        self.assertEqual(calls, [0])
        self.assertIn("slot 0 seq stalled at 100", out.getvalue())
        self.assertIn("asm_exc_int3", out.getvalue())

    def test_stall_in_the_driver_fails_at_once(self):
        self.r.seq(0, 100)
        self.stops.append(self.r.publish_every(0, 0.05, start=1.0))
        calls = []
        t0 = time.monotonic()
        why = gr.check_moving(self.r.buf, self.r.h, 0, where_stub(
            True, "cpu0 probe_sched_switch [pvsched_guest]+0x40 (same in 5/5)",
            calls))
        self.assertLess(time.monotonic() - t0, 1.0)
        self.assertIn("guest driver's code", why)
        self.assertIn("probe_sched_switch", why)

    def test_stuck_for_good_fails_with_where(self):
        gr.STALL_SECS = 0.5
        self.r.seq(1, 42)
        calls = []
        why = gr.check_moving(self.r.buf, self.r.h, 1, where_stub(
            False, "cpu1 native_safe_halt+0xb (halted)", calls))
        self.assertEqual(calls, [1])
        self.assertIn("slot 1 seq stuck at 42", why)
        self.assertIn("native_safe_halt", why)


SNAPSHOT = """sample 0 cpu0 rip=ffffffffc0001040 probe_sched_switch [pvsched_guest]+0x40
sample 0 cpu1 rip=ffffffff81a592eb native_safe_halt+0xb (halted)
sample 1 cpu0 rip=ffffffff81001000 asm_exc_int3+0x0
sample 1 cpu1 rip=ffffffff81a592eb native_safe_halt+0xb (halted)
summary: cpu0 asm_exc_int3+0x0 (moving) | cpu1 native_safe_halt+0xb (halted)
"""


class SnapshotParse(Case):
    def test_per_cpu_by_symbol(self):
        self.assertEqual(gr.snapshot_cpu(SNAPSHOT, 0),
                         (True, "cpu0 asm_exc_int3+0x0 (moving)"))
        self.assertEqual(gr.snapshot_cpu(SNAPSHOT, 1),
                         (False, "cpu1 native_safe_halt+0xb (halted)"))

    def test_by_the_module_text(self):
        # the rip decides, not the name: past the module's .text is not
        # the driver's, whatever symbol it was named after
        self.assertTrue(gr.snapshot_cpu(
            SNAPSHOT, 0, (0xffffffffc0001000, 0xffffffffc0001041))[0])
        self.assertFalse(gr.snapshot_cpu(
            SNAPSHOT, 0, (0xffffffffc0001000, 0xffffffffc0001040))[0])

    def test_no_answer(self):
        text = "QEMU did not answer on x: refused\nsummary: no answer\n"
        self.assertEqual(gr.snapshot_cpu(text, 0), (False, "no answer"))


class FakeQMP(threading.Thread):
    """Answers QMP as QEMU does for l1-snapshot: CPU 0 at rip0, CPU 1
    halted in the kernel."""

    def __init__(self, path, rip0):
        super().__init__(daemon=True)
        self.rip0 = rip0
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(4)

    def run(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            with c:
                f = c.makefile("rwb")
                f.write(b'{"QMP": {}}\n')
                f.flush()
                for line in f:
                    req = json.loads(line)
                    ret = {}
                    cmd = req.get("arguments", {}).get("command-line", "")
                    if cmd == "info registers -a":
                        ret = ("CPU#0\nRIP=%016x RFL=00000246 HLT=0\n"
                               "CPU#1\nRIP=ffffffff81000010 RFL=00000246"
                               " HLT=1\n" % self.rip0)
                    elif cmd.startswith("info lapic"):
                        ret = "dumping local APIC state\n"
                    elif cmd.startswith("x /16xb "):
                        addr = cmd.split()[-1]
                        if int(addr, 16) >= 0xffffffffc0400000:
                            # QEMU's answer for an address the guest's
                            # page tables do not map
                            ret = "%s: Cannot access memory\n" % addr
                        else:
                            ret = "%s: 0xcc 0x90\n" % addr
                    elif cmd == "info registers":
                        ret = "RIP=%016x RFL=00000246\n" % self.rip0
                    f.write(json.dumps({"return": ret}).encode() + b"\n")
                    f.flush()


@unittest.skipUnless(shutil.which("cc") and shutil.which("nm") and
                     shutil.which("size"), "needs cc, nm and size")
class WhereThroughL1Snapshot(Case):
    """check_moving's where() is l1-snapshot on the L2's QMP socket: a
    stuck slot whose CPU sits in the module's text is the driver's."""

    def setUp(self):
        super().setUp()
        gr.MOVING_SECS = 0.2
        gr.STALL_SECS = 0.5
        src = os.path.join(self.tmp, "m.c")
        with open(src, "w") as f:
            f.write("void probe_sched_switch(void) {}\n")
        self.ko = os.path.join(self.tmp, "m.o")
        subprocess.run(["cc", "-c", "-o", self.ko, src], check=True)
        self.map = os.path.join(self.tmp, "kallsyms")
        with open(self.map, "w") as f:
            f.write("ffffffff81000000 T default_idle\n")
        self.mods = os.path.join(self.tmp, "modules.txt")
        with open(self.mods, "w") as f:
            f.write("pvsched_guest ffffffffc0001000 %s\n" % self.ko)
        self.sock = os.path.join(self.tmp, "qmp.sock")
        self.out = os.path.join(self.tmp, "where-slot")
        # L1's own /proc/kallsyms: kvm_amd's VMRUN routine
        self.host = os.path.join(self.tmp, "l1-kallsyms")
        with open(self.host, "w") as f:
            f.write("ffffffff81000000 T _text\n"
                    "ffffffffc042f170 t __svm_vcpu_run\t[kvm_amd]\n"
                    "ffffffffc042f300 t svm_vcpu_run\t[kvm_amd]\n")

    def run_where(self, rip0):
        q = FakeQMP(self.sock, rip0)
        q.start()
        try:
            self.r.seq(0, 64)
            return gr.check_moving(self.r.buf, self.r.h, 0, gr.l2_where(
                self.sock, self.map, self.mods, self.out, self.host))
        finally:
            q.srv.close()

    def test_in_the_module(self):
        why = self.run_where(0xffffffffc0001000)
        self.assertIn("guest driver's code", why)
        self.assertIn("probe_sched_switch", why)
        with open(self.out + ".1.txt") as f:
            log = f.read()
        # the CPU that is not halted: the bytes at its RIP, its registers
        self.assertIn("cpu0 code at rip:\n  0xffffffffc0001000: 0xcc", log)
        self.assertIn("cpu0 registers:\n  RIP=ffffffffc0001000", log)
        self.assertNotIn("cpu1 code at rip", log)

    def test_elsewhere(self):
        why = self.run_where(0xffffffff81000004)
        self.assertIn("slot 0 seq stuck at 64", why)
        self.assertIn("default_idle+0x4", why)
        self.assertNotIn("guest driver", why)

    def test_past_the_module_text(self):
        # named after the module's last symbol, but beyond its .text
        start, end = gr.module_text(self.mods)
        self.assertEqual(start, 0xffffffffc0001000)
        why = self.run_where(end + 0x100)
        self.assertIn("probe_sched_switch", why)
        self.assertNotIn("guest driver", why)

    def test_unmapped_at_l1_vmrun(self):
        # the emulator reporting L1's VMRUN return as L2's RIP: L2 cannot
        # read it, and L1's kvm_amd holds it
        why = self.run_where(0xffffffffc042f20c)
        self.assertIn("not mapped in this guest; L1's own code: "
                      "__svm_vcpu_run+0x9c [kvm_amd]", why)
        self.assertNotIn("guest driver", why)

    def test_unmapped_elsewhere(self):
        # unreadable, and no L1 module holds it either: said, not named
        why = self.run_where(0xffffffffc0500000)
        self.assertIn("[not mapped in this guest]", why)
        self.assertNotIn("L1's own code", why)


if __name__ == "__main__":
    unittest.main()
