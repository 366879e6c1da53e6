#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""L1-side helper for the guest driver's lab tests: writes and reads a
pvsched shared-memory region file (the memory-backend-file behind an L2's
ivshmem-plain device), laid out as in uapi/linux/pvsched.h.

  guest-region.py init FILE SIZE NR_SLOTS [key=value...]
      zero-filled FILE of SIZE bytes with a region header (host side);
      keys override header fields: magic, abi_major, abi_minor, slot_size,
      slot_offset, host_features.  "init FILE SIZE 0 magic=0" makes a
      non-pvsched (all-zero) region.
  guest-region.py header FILE         header fields, one "key value" a line
  guest-region.py slot-header FILE I VCPU_ID VCPU_PID
                                      writes slot I's header as pvsched.ko
                                      does at VCPU_ADD (vcpu_id first)
  guest-region.py slot FILE I         slot I's guest area, "key value" lines
  guest-region.py brief FILE          one line: guest_state, generation,
                                      guest_features, then per slot
                                      "seq/policy/nice/rt_prio/flags"
  guest-region.py expect FILE [--where QMP_SOCKET SYMBOLS MODULES OUT]
                  [state=S] [gen=G] [quiet=I] [moving=I]...
                                      checks in one process: guest_state,
                                      generation, slot I zero and still
                                      (0.5 s), slot I's seq advancing
                                      (within 30 s); exit 1 with a reason.
                                      With --where, a slot that does not
                                      move is explained: where the L2's
                                      CPUs are (tests/lab/l1-snapshot on
                                      its QMP socket, into OUT.N.txt); a
                                      slot whose CPU was in the guest
                                      driver's code fails at once, any
                                      other gets 90 s more (an L2 vCPU
                                      that L1 did not run) and a line
                                      saying so if it then moves
  guest-region.py sample FILE I N     reads slot I's flags N times; prints
                                      per-bit counts of samples seen set
"""
import mmap
import os
import struct
import sys
import time

MAGIC = 0x48435650
HDR = struct.Struct("<6IQQ4I2I")  # 64 bytes
HDR_KEYS = ("magic", "abi_major", "abi_minor", "nr_slots", "slot_size",
            "slot_offset", "host_features", "guest_features",
            "guest_abi_major", "guest_abi_minor", "guest_state",
            "guest_generation", "reserved0", "reserved1")
GUEST = struct.Struct("<IIIiII")  # at slot + 8
GUEST_KEYS = ("seq", "flags", "sched_policy", "sched_nice", "rt_prio",
              "reserved")
HOST = struct.Struct("<IIIiII")  # at slot + 32
HOST_KEYS = ("host_seq", "vcpu_status", "host_policy", "host_nice",
             "host_rt_prio", "throttled")


def header(buf):
    return dict(zip(HDR_KEYS, HDR.unpack_from(buf, 0)))


def slot_base(h, i):
    return h["slot_offset"] + i * h["slot_size"]


# How long a reader waits out an odd seq.  The writer is an L2 vCPU, which
# L1 can deschedule between its few stores (its odd seq then stays for as
# long as L1 runs something else, under TCG possibly this very reader):
# a count of back-to-back reads is no deadline.
ODD_SECS = 10.0
# "moving": the seq must move within MOVING_SECS; with --where, a slot whose
# CPU is not in the guest driver's code gets STALL_SECS more.
MOVING_SECS = 30.0
STALL_SECS = 90.0
# The guest module, as tests/lab/l1-snapshot names its code.
DRIVER = "pvsched_guest"
L1_SNAPSHOT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "..", "l1-snapshot")


def read_guest(buf, h, i):
    """One consistent snapshot of the guest area (seq protocol)."""
    off = slot_base(h, i) + 8
    end = None
    while True:
        s1 = struct.unpack_from("<I", buf, off)[0]
        if not s1 & 1:
            vals = GUEST.unpack_from(buf, off)
            s2 = struct.unpack_from("<I", buf, off)[0]
            if s1 == s2:
                return dict(zip(GUEST_KEYS, vals))
        if end is None:
            end = time.monotonic() + ODD_SECS
        elif time.monotonic() > end:
            raise SystemExit("slot %d: no consistent snapshot for %gs (seq %d:"
                             " an update never finished, or its CPU stopped"
                             " in the middle of one)" % (i, ODD_SECS, s1))
        time.sleep(0.001)


def seq_moves(buf, h, i, seq, secs):
    """True once slot i's seq differs from seq, False after secs."""
    end = time.monotonic() + secs
    while read_guest(buf, h, i)["seq"] == seq:
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def module_text(modules, name=DRIVER):
    """(start, end) of module name's .text, from a modules file of
    tests/lab/l1-snapshot ("NAME TEXT_ADDRESS KO_PATH" lines) and the .ko's
    section size; None if either is unknown."""
    import subprocess  # here: its import costs ~0.2 s of each call under TCG
    try:
        with open(modules) as f:
            entry = [p for p in (line.split() for line in f)
                     if len(p) == 3 and p[0] == name]
        if not entry:
            return None
        base, ko = int(entry[0][1], 16), entry[0][2]
        out = subprocess.run(["size", "-A", ko], capture_output=True,
                             text=True, timeout=30).stdout
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    for line in out.splitlines():
        p = line.split()
        if len(p) >= 2 and p[0] == ".text":
            return base, base + int(p[1])
    return None


def snapshot_cpu(text, cpu, driver_text=None):
    """From tests/lab/l1-snapshot's output: (True if a sample of CPU cpu
    was in the guest driver's code: its rip within driver_text, or without
    that range a symbol of the module, that CPU's summary)."""
    in_driver = False
    for line in text.splitlines():
        p = line.split()
        if len(p) < 4 or p[0] != "sample" or p[2] != "cpu%d" % cpu:
            continue
        if driver_text:
            rip = int(p[3][len("rip="):], 16)
            in_driver |= driver_text[0] <= rip < driver_text[1]
        else:
            in_driver |= "[%s]" % DRIVER in line
    where = "no sample"
    for line in text.splitlines():
        if line.startswith("summary: "):
            where = line[len("summary: "):]
            for part in where.split(" | "):
                if part.startswith("cpu%d " % cpu):
                    where = part
    return in_driver, where


def l2_where(sock, symbols, modules, out, host_kallsyms="/proc/kallsyms"):
    """A where(cpu) for check_moving: samples the L2's CPUs through its QMP
    socket into OUT.N.txt, the first N free.  host_kallsyms: L1's own
    symbols, which name an address L2 cannot read (the emulator showing
    L1's state as L2's)."""
    import subprocess
    driver_text = []

    def where(cpu):
        n = 1
        while os.path.exists("%s.%d.txt" % (out, n)):
            n += 1
        path = "%s.%d.txt" % (out, n)
        try:
            subprocess.run([L1_SNAPSHOT, "--host-kallsyms", host_kallsyms,
                            sock, symbols, modules, path],
                           timeout=180, check=False)
            with open(path) as f:
                text = f.read()
        except (OSError, subprocess.SubprocessError) as e:
            return False, "no snapshot (%s)" % e
        # the module's text range, looked up only when a slot is stuck
        if not driver_text:
            driver_text.append(module_text(modules))
        in_driver, summary = snapshot_cpu(text, cpu, driver_text[0])
        return in_driver, "%s; %s" % (summary, path)
    return where


def check_moving(buf, h, i, where=None):
    """None if slot i's seq moves, else why not.  where(cpu), if given,
    says where the slot's CPU is: (in the guest driver's code?, text)."""
    seq = read_guest(buf, h, i)["seq"]
    if seq_moves(buf, h, i, seq, MOVING_SECS):
        return None
    if where is None:
        return "slot %d seq stuck at %d" % (i, seq)
    in_driver, text = where(i)
    if in_driver:
        return ("slot %d seq stuck at %d for %gs, and L2 CPU %d was in the"
                " guest driver's code: %s" % (i, seq, MOVING_SECS, i, text))
    start = time.monotonic()
    if not seq_moves(buf, h, i, seq, STALL_SECS):
        return ("slot %d seq stuck at %d for %gs; L2 CPU %d was at: %s"
                % (i, seq, MOVING_SECS + STALL_SECS, i, text))
    print("slot %d seq stalled at %d for %.0fs, then moved; L2 CPU %d was"
          " not in the guest driver's code: %s"
          % (i, seq, MOVING_SECS + time.monotonic() - start, i, text))
    return None


def main(argv):
    cmd, path = argv[1], argv[2]
    if cmd == "init":
        size, nr = int(argv[3], 0), int(argv[4], 0)
        f = {"magic": MAGIC, "abi_major": 1, "abi_minor": 0, "nr_slots": nr,
             "slot_size": 64, "slot_offset": 64, "host_features": 7}
        for kv in argv[5:]:
            k, v = kv.split("=", 1)
            f[k] = int(v, 0)
        with open(path, "wb") as fh:
            fh.truncate(size)
            if f["magic"] == 0:
                return
            # everything but the magic first, then the magic (host rule)
            fh.seek(4)
            fh.write(struct.pack("<5IQ", f["abi_major"], f["abi_minor"],
                                 f["nr_slots"], f["slot_size"],
                                 f["slot_offset"], f["host_features"]))
            fh.flush()
            fh.seek(0)
            fh.write(struct.pack("<I", f["magic"]))
        return
    with open(path, "r+b") as fh:
        buf = mmap.mmap(fh.fileno(), 0)
        h = header(buf)
        if cmd == "header":
            for k in HDR_KEYS:
                print(k, h[k])
        elif cmd == "slot-header":
            off = slot_base(h, int(argv[3]))
            struct.pack_into("<I", buf, off, int(argv[4], 0))
            struct.pack_into("<I", buf, off + 4, int(argv[5], 0))
            buf.flush()
        elif cmd == "slot":
            i = int(argv[3])
            for k, v in read_guest(buf, h, i).items():
                print(k, v)
            vals = HOST.unpack_from(buf, slot_base(h, i) + 32)
            for k, v in zip(HOST_KEYS, vals):
                print(k, v)
        elif cmd == "brief":
            out = ["state=%d gen=%d features=0x%x" % (
                h["guest_state"], h["guest_generation"], h["guest_features"])]
            for i in range(h["nr_slots"]):
                g = read_guest(buf, h, i)
                out.append("%d/%d/%d/%d/0x%x" % (
                    g["seq"], g["sched_policy"], g["sched_nice"],
                    g["rt_prio"], g["flags"]))
            print(" ".join(out))
        elif cmd == "expect":
            checks, where = argv[3:], None
            if checks[:1] == ["--where"]:
                where = l2_where(*checks[1:5])
                checks = checks[5:]
            for kv in checks:
                k, v = kv.split("=", 1)
                v = int(v)
                h = header(buf)
                if k == "state" and h["guest_state"] != v:
                    raise SystemExit("guest_state %d, expected %d" % (h["guest_state"], v))
                if k == "gen" and h["guest_generation"] != v:
                    raise SystemExit("generation %d, expected %d" % (h["guest_generation"], v))
                if k == "quiet":
                    a = read_guest(buf, h, v)
                    time.sleep(0.5)
                    b = read_guest(buf, h, v)
                    if a["seq"] != b["seq"] or b["seq"] & 1:
                        raise SystemExit("slot %d not quiet: seq %d -> %d" % (v, a["seq"], b["seq"]))
                    if any(b[f] for f in GUEST_KEYS if f != "seq"):
                        raise SystemExit("slot %d not cleared: %s" % (v, b))
                if k == "moving":
                    why = check_moving(buf, h, v, where)
                    if why:
                        raise SystemExit(why)
        elif cmd == "sample":
            i, n = int(argv[3]), int(argv[4])
            off = slot_base(h, i) + 12
            bits = [0] * 4
            for _ in range(n):
                fl = struct.unpack_from("<I", buf, off)[0]
                for b in range(4):
                    if fl & (1 << b):
                        bits[b] += 1
            print("hardirq %d softirq %d nmi %d preempt %d of %d" %
                  (bits[0], bits[1], bits[2], bits[3], n))
        else:
            raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
