#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Minimal QMP client for the lab (runs in L1).

  qmp.py SOCKET COMMAND [JSON-ARGUMENTS]   print the command's "return" as JSON
  qmp.py --vcpu-tids SOCKET                print "CPU-INDEX THREAD-ID" per vCPU
"""
import json
import socket
import sys


class QMP:
    """timeout: seconds per socket operation, None to wait for ever."""

    def __init__(self, path, timeout=10.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
        except OSError:
            self.sock.close()
            raise
        self.buf = b""
        self.events = []  # events that came while a command waited
        self.read()  # greeting
        self.cmd("qmp_capabilities")

    def message(self):
        """The next message, event or not."""
        while True:
            while b"\n" not in self.buf:
                data = self.sock.recv(65536)
                if not data:
                    raise ConnectionError("QMP socket closed")
                self.buf += data
            line, self.buf = self.buf.split(b"\n", 1)
            if line.strip():
                return json.loads(line)

    def read(self):
        """The next message that is not an event (kept for event())."""
        while True:
            msg = self.message()
            if "event" not in msg:
                return msg
            self.events.append(msg)

    def event(self):
        """The next event, those that came during commands first."""
        if self.events:
            return self.events.pop(0)
        while True:
            msg = self.message()
            if "event" in msg:
                return msg

    def cmd(self, name, args=None):
        req = {"execute": name}
        if args:
            req["arguments"] = args
        self.sock.sendall(json.dumps(req).encode() + b"\n")
        reply = self.read()
        if "error" in reply:
            raise RuntimeError("%s: %s" % (name, reply["error"].get("desc", reply)))
        return reply.get("return")


def main(argv):
    if len(argv) == 3 and argv[1] == "--vcpu-tids":
        for cpu in QMP(argv[2]).cmd("query-cpus-fast"):
            print(cpu["cpu-index"], cpu["thread-id"])
        return 0
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__)
        return 2
    args = json.loads(argv[3]) if len(argv) == 4 else None
    print(json.dumps(QMP(argv[1]).cmd(argv[2], args)))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (OSError, RuntimeError, ValueError) as err:
        sys.stderr.write("qmp.py: %s\n" % err)
        sys.exit(1)
