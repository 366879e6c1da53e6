#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tests/lab/l1-watch and l1-snapshot --stopped, against a
fake QEMU: a sleeping process for QEMU_PID and two QMP sockets, the watch
monitor (events) and the snapshot monitor (registers, memory).
(selftest/harness-check runs it: harness-l1-watch.)"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
WATCH = os.path.join(HERE, "l1-watch")
SNAPSHOT = os.path.join(HERE, "l1-snapshot")

# CPU 0 stopped in a function, its stack holding a return address into
# another; CPU 1 halted.
RIP0 = 0xffffffff81000104
RSP0 = 0xffa0000000433b00
REGS0 = ("RAX=0000000000000000 RBX=0000000000000000\n"
         "RSI=00000000000000ff RDI=0 RBP=0 RSP=%016x\n"
         "RIP=%016x RFL=00000046 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=0\n"
         "GS =0000 0000000000000000 00000000 00000000\n" % (RSP0, RIP0))
REGS1 = ("RSI=0 RDI=0 RBP=0 RSP=fffffe0000048ea8\n"
         "RIP=ffffffff81000010 RFL=00000246 [---Z-P-] HLT=1\n")


class FakeQEMU:
    """SHUTDOWN with REASON on the watch socket as soon as the watcher has
    negotiated; "quit" ends the fake QEMU process (unless deaf)."""

    def __init__(self, tmp, reason, deaf=False, early=False):
        self.proc = subprocess.Popen(["sleep", "60"])
        self.reason, self.deaf, self.early = reason, deaf, early
        self.commands = []
        self.watch = os.path.join(tmp, "qmp-watch.sock")
        self.snap = os.path.join(tmp, "qmp.sock")
        self.servers = []
        for path, fn in ((self.watch, self.serve_watch),
                         (self.snap, self.serve_snapshot)):
            srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            srv.bind(path)
            srv.listen(4)
            self.servers.append(srv)
            threading.Thread(target=self.accept, args=(srv, fn),
                             daemon=True).start()

    def close(self):
        for srv in self.servers:
            srv.close()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def accept(self, srv, fn):
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            with c, c.makefile("rwb") as f:
                f.write(b'{"QMP": {}}\n')
                f.flush()
                fn(f)

    def serve_watch(self, f):
        for line in f:
            req = json.loads(line)
            self.commands.append(req["execute"])
            if req["execute"] == "qmp_capabilities":
                f.write(b'{"return": {}}\n')
                f.flush()
            elif req["execute"] == "query-status":
                # early: stopped before the watcher came, no event left
                status = "shutdown" if self.early else "running"
                f.write(json.dumps({"return": {
                    "status": status,
                    "running": False}}).encode() + b"\n")
                if not self.early:
                    f.write(json.dumps({"event": "SHUTDOWN", "data": {
                        "guest": True,
                        "reason": self.reason}}).encode() + b"\n")
                f.flush()
            elif req["execute"] == "quit" and not self.deaf:
                f.write(b'{"return": {}}\n')
                f.flush()
                self.proc.kill()
                self.proc.wait()
                return

    def serve_snapshot(self, f):
        for line in f:
            req = json.loads(line)
            args = req.get("arguments", {})
            cmd = args.get("command-line", "")
            self.commands.append(cmd or req["execute"])
            ret = {}
            if cmd == "info registers -a":
                ret = "CPU#0\n" + REGS0 + "CPU#1\n" + REGS1
            elif cmd == "info registers":
                ret = REGS0 if args.get("cpu-index") == 0 else REGS1
            elif cmd.startswith("x /64xg 0x%x" % RSP0):
                # a return address into caller, a data word, a pointer
                # far past any text
                ret = ("%016x: 0xffffffff81000208 0x0000000000000007\n"
                       "%016x: 0xffffffff8200f000 0xffa0000000433c38\n"
                       % (RSP0, RSP0 + 16))
            elif cmd.startswith("x /64xg"):
                ret = "fffffe0000048ea8: 0x0000000000000000\n"
            elif cmd.startswith("x /16xb"):
                ret = "%s: 0x0f 0x0b\n" % cmd.split()[-1]
            elif cmd.startswith("info lapic"):
                ret = "dumping local APIC state\n"
            f.write(json.dumps({"return": ret}).encode() + b"\n")
            f.flush()


class Watch(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="l1-watch-test.")
        self.map = os.path.join(self.tmp, "System.map")
        with open(self.map, "w") as f:
            f.write("ffffffff81000000 T _text\n"
                    "ffffffff81000100 T triple_fault_here\n"
                    "ffffffff81000200 T caller\n"
                    "ffffffff81000300 T last_text\n")
        self.reset_log = os.path.join(self.tmp, "reset.log")
        self.qemu = None

    def tearDown(self):
        if self.qemu:
            self.qemu.close()
        shutil.rmtree(self.tmp)

    def watch(self, reason, deaf=False, early=False, timeout=30):
        self.qemu = FakeQEMU(self.tmp, reason, deaf, early)
        return subprocess.run(
            [sys.executable, WATCH, self.qemu.watch, str(self.qemu.proc.pid),
             self.tmp, sys.executable, SNAPSHOT, "--stopped", self.qemu.snap,
             self.map, "/dev/null", self.reset_log],
            capture_output=True, text=True, timeout=timeout)

    def read(self, name):
        with open(os.path.join(self.tmp, name)) as f:
            return f.read()

    def test_power_off_quits_without_snapshot(self):
        r = self.watch("guest-shutdown")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.read("l1-shutdown"), "guest-shutdown\n")
        self.assertFalse(os.path.exists(self.reset_log))
        self.assertIn("quit", self.qemu.commands)
        self.assertNotIn("info registers -a", self.qemu.commands)
        self.assertIsNotNone(self.qemu.proc.poll())

    def test_reset_takes_the_cpus_then_quits(self):
        r = self.watch("guest-reset")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.read("l1-shutdown"), "guest-reset\n")
        log = self.read("reset.log")
        # one sample of a stopped VM, not five
        self.assertEqual(self.qemu.commands.count("info registers -a"), 1)
        self.assertIn("summary: cpu0 triple_fault_here+0x4 (stopped) | "
                      "cpu1 _text+0x10 (halted)\n", log)
        # every CPU's registers, the halted one's too
        self.assertIn("cpu1 registers:", log)
        self.assertIn("cpu0 code at rip:", log)
        # the return address is named; data past the text is not
        self.assertIn("cpu0 stack code: caller+0x8\n", log)
        self.assertIn("cpu1 stack code: none\n", log)
        self.assertLess(self.qemu.commands.index("info registers -a"),
                        self.qemu.commands.index("quit"))
        self.assertIsNotNone(self.qemu.proc.poll())

    def test_stopped_before_the_watcher_came(self):
        r = self.watch(None, early=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.read("l1-shutdown"), "stopped-before-watch\n")
        self.assertIn("summary: cpu0 ", self.read("reset.log"))
        self.assertIsNotNone(self.qemu.proc.poll())

    def test_host_signal_takes_no_snapshot(self):
        r = self.watch("host-signal")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.read("l1-shutdown"), "host-signal\n")
        self.assertFalse(os.path.exists(self.reset_log))

    def test_quit_unanswered_gets_sigterm(self):
        r = self.watch("guest-shutdown", deaf=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("did not quit; SIGTERM", r.stderr)
        self.assertIsNotNone(self.qemu.proc.wait(timeout=5))

    def test_no_socket_waits_for_qemu_to_end(self):
        proc = subprocess.Popen(["sleep", "1"])
        t0 = time.monotonic()
        r = subprocess.run([sys.executable, WATCH,
                            os.path.join(self.tmp, "none.sock"),
                            str(proc.pid), self.tmp],
                           capture_output=True, text=True, timeout=30)
        proc.wait()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertGreater(time.monotonic() - t0, 0.5)
        self.assertFalse(os.path.exists(os.path.join(self.tmp,
                                                     "l1-shutdown")))


if __name__ == "__main__":
    unittest.main()
