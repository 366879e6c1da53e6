#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A fake QEMU for pvschedctl attach's tests: QMP on a unix socket, and
vCPU threads of its own named as QEMU names them ("CPU N/KVM").

  fake-qemu.py SOCKET [--vcpus N] [--report INDEX:TID,...] [--status-error]
               [--ready FILE] [-name VALUE]

Listens on SOCKET (so it is the socket's SO_PEERCRED peer), starts N
threads (default 2) named "CPU 0/KVM", "CPU 1/KVM"..., writes
"PID TID0 TID1..." to FILE (--ready) once it listens, and serves QMP
clients one after the other until SIGTERM: the greeting, then every
command's reply with the command's "id".  query-cpus-fast reports its own
vCPU threads, or with --report the given cpu-index:thread-id pairs (a
lying QEMU; a thread-id "selfN" is its own vCPU thread N); query-status says "running" or, with --status-error, an
error; query-name says -name's guest name (QemuOpts: NAME or guest=NAME).
-name is also there for /proc/PID/cmdline, as QEMU's own would be.  The
lab's hostile-lying-qmp test runs it too.
"""
import argparse
import json
import os
import signal
import socket
import sys
import threading


def guest_name(value):
    if not value:
        return None
    for i, elem in enumerate(value.split(",")):
        if elem.startswith("guest="):
            return elem[len("guest="):]
        if i == 0 and "=" not in elem:
            return elem
    return None


def vcpu_threads(n):
    """n threads named "CPU i/KVM", waiting for ever; their thread ids."""
    tids = [None] * n
    started = threading.Barrier(n + 1)

    def run(i):
        tids[i] = threading.get_native_id()
        with open("/proc/self/task/%d/comm" % tids[i], "w") as f:
            f.write("CPU %d/KVM" % i)
        started.wait()
        threading.Event().wait()

    for i in range(n):
        threading.Thread(target=run, args=(i,), daemon=True).start()
    started.wait()
    return tids


def reply(req, args, vcpus):
    cmd = req.get("execute")
    if cmd == "query-cpus-fast":
        return {"return": [{"cpu-index": i, "thread-id": t, "target": "x86_64",
                            "qom-path": "/machine/unattached/device[%d]" % i}
                           for i, t in vcpus]}
    if cmd == "query-status":
        if args.status_error:
            return {"error": {"class": "GenericError",
                              "desc": "fake-qemu was told to fail query-status"}}
        return {"return": {"status": "running", "running": True}}
    if cmd == "query-name":
        name = guest_name(args.name)
        return {"return": {"name": name} if name is not None else {}}
    if cmd in ("qmp_capabilities", "cont"):
        return {"return": {}}
    return {"error": {"class": "CommandNotFound",
                      "desc": "The command %s has not been found" % cmd}}


def serve(conn, args, vcpus):
    f = conn.makefile("rwb", buffering=0)
    f.write(json.dumps({"QMP": {"version": {"qemu": {"micro": 0, "minor": 2,
                                                     "major": 7}},
                                "capabilities": []}}).encode() + b"\r\n")
    for line in f:
        req = json.loads(line)
        rep = reply(req, args, vcpus)
        if "id" in req:
            rep["id"] = req["id"]
        f.write(json.dumps(rep).encode() + b"\r\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("socket")
    p.add_argument("--vcpus", type=int, default=2)
    p.add_argument("--report")
    p.add_argument("--status-error", action="store_true")
    p.add_argument("--ready")
    p.add_argument("-name", dest="name")
    args = p.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    tids = vcpu_threads(args.vcpus)
    if args.report:
        vcpus = []
        for pair in args.report.split(","):
            index, tid = pair.split(":")
            tid = tids[int(tid[4:])] if tid.startswith("self") else int(tid)
            vcpus.append((int(index), tid))
    else:
        vcpus = list(enumerate(tids))
    if os.path.exists(args.socket):
        os.unlink(args.socket)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(args.socket)
    srv.listen(1)
    if args.ready:
        with open(args.ready + ".tmp", "w") as f:
            f.write(" ".join(str(x) for x in [os.getpid()] + tids) + "\n")
        os.rename(args.ready + ".tmp", args.ready)
    while True:
        conn, _ = srv.accept()
        try:
            serve(conn, args, vcpus)
        except (OSError, ValueError) as e:
            print("fake-qemu: %s" % e, file=sys.stderr)
        conn.close()


if __name__ == "__main__":
    main()
