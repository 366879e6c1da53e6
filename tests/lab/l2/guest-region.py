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
  guest-region.py expect FILE [state=S] [gen=G] [quiet=I] [moving=I]...
                                      checks in one process: guest_state,
                                      generation, slot I zero and still
                                      (0.5 s), slot I's seq advancing
                                      (within 30 s); exit 1 with a reason
  guest-region.py sample FILE I N     reads slot I's flags N times; prints
                                      per-bit counts of samples seen set
"""
import mmap
import struct
import sys

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


def read_guest(buf, h, i):
    """One consistent snapshot of the guest area (seq protocol)."""
    off = slot_base(h, i) + 8
    for _ in range(1000):
        s1 = struct.unpack_from("<I", buf, off)[0]
        if s1 & 1:
            continue
        vals = GUEST.unpack_from(buf, off)
        s2 = struct.unpack_from("<I", buf, off)[0]
        if s1 == s2:
            return dict(zip(GUEST_KEYS, vals))
    raise SystemExit("slot %d: no consistent snapshot (seq stuck odd?)" % i)


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
            import time
            for kv in argv[3:]:
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
                    a = read_guest(buf, h, v)["seq"]
                    end = time.time() + 30
                    while read_guest(buf, h, v)["seq"] == a:
                        if time.time() > end:
                            raise SystemExit("slot %d seq stuck at %d" % (v, a))
                        time.sleep(0.05)
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
