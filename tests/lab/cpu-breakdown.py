#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Where one host CPU's time goes: a per-thread breakdown of an ftrace capture.

Input: the text of a tracefs instance (its "trace" file) that recorded, with
trace_clock "mono" (the clock of pvsched's share windows, ktime_get_ns()):
  sched:sched_switch on every CPU (only --cpu's are used),
  pvsched:pvsched_apply (any CPU: the session's worker demotes from another)
  and pvsched:pvsched_share.
tests/lab/tests/hostile-host-share.sh records 2 s of it inside its
measurement window and runs this script inside L1 (its cpu1-breakdown.txt).

What it answers (issue 20, the host-wide share):
  - for each thread that ran on the CPU: its time at an RT priority and in
    the fair class.  A thread's class is the one it was switched in with
    (next_prio: the kernel's prio, below 100 for RT), changed when pvsched
    applies an attribute to it while it runs (pvsched_apply, the moment the
    change was made), so a boosted vCPU demoted while running counts RT up
    to its demotion and fair after it;
  - the vCPU threads' RT time in each share window fully traced (windows
    aligned on --align-ns, the share's window_start_ns from debugfs), and
    how far it went over the share;
  - for each share decision (pvsched_share on the CPU) that ended a boost:
    how long the demotion took to be applied, and how much RT time the
    vCPU ran in between;
  - pvsched's applies, direct (the vCPU thread itself) and deferred (the
    session's worker), to RT and to base, and the worker's delay;
  - events lost by the ring buffer, and switch-outs whose prio disagrees
    with the tracked class (a change this script did not see).
Nothing here is asserted: it explains.  The last line, "summary ...", has
the main figures as key=value.

Usage: cpu-breakdown.py TRACE --cpu N [--window-ns W --share-ns S
       --align-ns A] [--hog PID] [--vcpu TID=NAME ...] [--label PID=NAME ...]
"""
import argparse
import importlib.util
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# The ftrace text parser of the wake-up analysis: one parser for both.
_spec = importlib.util.spec_from_file_location(
    "wakeup_trace", os.path.join(HERE, "..", "bench", "wakeup-trace.py"))
wt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(wt)

APPLY_RE = re.compile(r"tid=(-?\d+) (direct|deferred) delay_ns=(\d+) "
                      r"attr=(\d+)/(\d+)/(-?\d+) ret=(-?\d+)")
SHARE_RE = re.compile(r"tid=(-?\d+) .*cpu=(-?\d+) until_ns=(\d+)")
LOST_RE = re.compile(r"entries-in-buffer/entries-written:\s*(\d+)/(\d+)")
SCHED_FIFO, SCHED_RR = 1, 2


def ns(ts):
    return int(round(ts * 1e9))


def is_rt_prio(prio):
    """The kernel's prio: -1 deadline, 0..99 RT, 100..139 fair."""
    return prio < 100


def lost_events(path):
    """Events the ring buffer dropped (written - kept), from its header."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.startswith("#"):
                break
            m = LOST_RE.search(line)
            if m:
                return int(m.group(2)) - int(m.group(1))
    return None


def analyse(events, cpu, vcpus=(), window_ns=0, share_ns=0, align_ns=0):
    """The breakdown of CPU @cpu (times in ns); @vcpus: the vCPU thread ids."""
    vcpus = set(vcpus)
    threads = {}  # pid -> {"comm", "rt", "fair", "slices", "rt_after_share"}
    rt_class = {}  # pid -> RT (True) or fair, as last seen
    cur = None  # [pid, rt, since]
    t0 = None
    windows = {}  # window index -> vCPU RT ns
    pending = {}  # tid -> when the share ended its boost, demotion not applied yet
    share_decisions = 0
    share_delays = []
    applies = {"direct": {"rt": 0, "base": 0}, "deferred": {"rt": 0, "base": 0}}
    deferred_base_delays = []
    mismatches = 0
    switches = 0

    def thread(pid, comm=None):
        t = threads.setdefault(pid, {"comm": comm or "?", "rt": 0, "fair": 0,
                                     "slices": 0, "rt_after_share": 0})
        if comm and t["comm"] == "?":
            t["comm"] = comm
        return t

    def account(pid, rt, a, b):
        if b <= a:
            return
        t = thread(pid)
        t["rt" if rt else "fair"] += b - a
        if rt and pid in pending:
            t["rt_after_share"] += b - max(a, pending[pid])
        if rt and pid in vcpus and window_ns:
            x = a
            while x < b:
                k = (x - align_ns) // window_ns
                y = min(b, align_ns + (k + 1) * window_ns)
                windows[k] = windows.get(k, 0) + y - x
                x = y

    t_end = ns(events[-1]["ts"]) if events else 0
    for e in events:
        t = ns(e["ts"])
        name = e["event"]
        if name == "sched_switch" and e["cpu"] == cpu:
            switches += 1
            if cur is not None:
                account(cur[0], cur[1], cur[2], t)
                if is_rt_prio(e["prev_prio"]) != cur[1]:
                    mismatches += 1
                rt_class[cur[0]] = is_rt_prio(e["prev_prio"])
            else:
                t0 = t
            nxt = e["next_pid"]
            thread(nxt, "[idle]" if nxt == 0 else e["next_comm"])["slices"] += 1
            rt = is_rt_prio(e["next_prio"])
            rt_class[nxt] = rt
            cur = [nxt, rt, t]
        elif name == "pvsched_apply":
            m = APPLY_RE.search(e["rest"])
            if not m or int(m.group(7)) != 0:
                continue
            tid, kind = int(m.group(1)), m.group(2)
            rt = int(m.group(4)) in (SCHED_FIFO, SCHED_RR)
            applies[kind]["rt" if rt else "base"] += 1
            if kind == "deferred" and not rt:
                deferred_base_delays.append(int(m.group(3)))
            if cur is not None and cur[0] == tid:
                account(cur[0], cur[1], cur[2], t)
                cur[1], cur[2] = rt, t
            rt_class[tid] = rt
            if tid in pending:
                since = pending.pop(tid)
                if not rt:
                    share_delays.append(t - since)
        elif name == "pvsched_share":
            m = SHARE_RE.search(e["rest"])
            if not m or int(m.group(2)) != cpu:
                continue
            share_decisions += 1
            tid = int(m.group(1))
            # a boost in force ended (not one refused at base)
            if rt_class.get(tid) and tid not in pending:
                pending[tid] = t
    if cur is not None:
        account(cur[0], cur[1], cur[2], t_end)

    full = []
    if window_ns and t0 is not None:
        k = -((align_ns - t0) // window_ns)  # first window starting at or after t0
        while align_ns + (k + 1) * window_ns <= t_end:
            full.append(windows.get(k, 0))
            k += 1
    return {
        "t0": t0, "t_end": t_end,
        "traced": (t_end - t0) if t0 is not None else 0,
        "switches": switches,
        "threads": threads,
        "windows": full,
        "share_ns": share_ns,
        "window_ns": window_ns,
        "share_decisions": share_decisions,
        "share_delays": share_delays,
        "applies": applies,
        "deferred_base_delays": deferred_base_delays,
        "mismatches": mismatches,
    }


def _ms(v):
    return v / 1e6


def _pct(v, whole):
    return 100.0 * v / whole if whole else 0.0


def _avg_max_us(values):
    if not values:
        return "none"
    return "avg %.0f us, max %.0f us" % (sum(values) / len(values) / 1e3,
                                         max(values) / 1e3)


def report(r, cpu, names, hog=None, vcpus=(), lost=None, others=8):
    """The text of the breakdown; @names: pid -> label."""
    out = []
    span = r["traced"]
    out.append("CPU %d: %.1f ms traced, %d switches, events lost: %s"
               % (cpu, _ms(span), r["switches"],
                  "unknown" if lost is None else lost))
    out.append("  %-28s %8s %9s %6s %9s %9s %7s %10s"
               % ("thread", "tid", "ms", "%", "RT ms", "fair ms", "slices",
                  "RT after"))
    th = r["threads"]

    def row(label, pid, t):
        tot = t["rt"] + t["fair"]
        out.append("  %-28s %8s %9.1f %6.1f %9.1f %9.1f %7d %10.1f"
                   % (label[:28], pid, _ms(tot), _pct(tot, span), _ms(t["rt"]),
                      _ms(t["fair"]), t["slices"], _ms(t["rt_after_share"])))

    named = [p for p in th if p in names]
    rest = sorted((p for p in th if p not in names),
                  key=lambda p: -(th[p]["rt"] + th[p]["fair"]))
    for p in sorted(named, key=lambda p: names[p]):
        row(names[p], p, th[p])
    for p in rest[:others]:
        row(th[p]["comm"], p, th[p])
    if rest[others:]:
        agg = {"rt": 0, "fair": 0, "slices": 0, "rt_after_share": 0}
        for p in rest[others:]:
            for k in agg:
                agg[k] += th[p][k]
        row("(%d other threads)" % len(rest[others:]), "-", agg)
    vrt = sum(th[p]["rt"] for p in vcpus if p in th)
    vfair = sum(th[p]["fair"] for p in vcpus if p in th)
    h = (th[hog]["rt"] + th[hog]["fair"]) if hog in th else 0
    out.append("vCPUs: %.1f ms at RT (%.1f %%), %.1f ms fair (%.1f %%); hog "
               "%.1f ms (%.1f %%); hog / (hog + vCPUs) %.1f %%"
               % (_ms(vrt), _pct(vrt, span), _ms(vfair), _pct(vfair, span),
                  _ms(h), _pct(h, span), _pct(h, h + vrt + vfair)))
    w = r["windows"]
    over = [x - r["share_ns"] for x in w if r["share_ns"] and x > r["share_ns"]]
    if w:
        out.append("share windows fully traced: %d (%.0f ms, share %.1f ms): "
                   "vCPU RT per window min %.1f, avg %.1f, max %.1f ms; %d over "
                   "the share, by at most %.1f ms"
                   % (len(w), _ms(r["window_ns"]), _ms(r["share_ns"]),
                      _ms(min(w)), _ms(sum(w) / len(w)), _ms(max(w)),
                      len(over), _ms(max(over) if over else 0)))
    else:
        out.append("share windows fully traced: none")
    ras = sum(t["rt_after_share"] for t in th.values())
    out.append("share decisions on CPU %d: %d; boosts they ended, demoted: %d "
               "(decision to demotion: %s); RT run after a decision: %.1f ms"
               % (cpu, r["share_decisions"], len(r["share_delays"]),
                  _avg_max_us(r["share_delays"]), _ms(ras)))
    a = r["applies"]
    out.append("applies: direct %d to RT, %d to base; deferred %d to RT, %d "
               "to base (decision to demotion by the worker: %s)"
               % (a["direct"]["rt"], a["direct"]["base"], a["deferred"]["rt"],
                  a["deferred"]["base"], _avg_max_us(r["deferred_base_delays"])))
    out.append("switch-outs whose prio disagrees with the tracked class: %d"
               % r["mismatches"])
    out.append("summary cpu=%d traced_ms=%.1f vcpu_rt_pct=%.1f vcpu_fair_pct=%.1f "
               "hog_pct=%.1f hog_vs_vcpus_pct=%.1f windows=%d window_rt_max_ms=%.1f "
               "windows_over_share=%d rt_after_share_ms=%.1f lost=%s"
               % (cpu, _ms(span), _pct(vrt, span), _pct(vfair, span),
                  _pct(h, span), _pct(h, h + vrt + vfair), len(w),
                  _ms(max(w) if w else 0), len(over), _ms(ras),
                  "unknown" if lost is None else lost))
    return "\n".join(out) + "\n"


def _pid_name(s):
    pid, _, name = s.partition("=")
    return int(pid), name or pid


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("trace")
    ap.add_argument("--cpu", type=int, required=True)
    ap.add_argument("--window-ns", type=int, default=0)
    ap.add_argument("--share-ns", type=int, default=0)
    ap.add_argument("--align-ns", type=int, default=0)
    ap.add_argument("--hog", type=int)
    ap.add_argument("--vcpu", action="append", default=[], type=_pid_name,
                    metavar="TID=NAME")
    ap.add_argument("--label", action="append", default=[], type=_pid_name,
                    metavar="PID=NAME")
    a = ap.parse_args(argv)
    names = dict(a.label)
    names.update(a.vcpu)
    if a.hog is not None:
        names.setdefault(a.hog, "hog")
    names.setdefault(0, "[idle]")
    vcpus = [t for t, _ in a.vcpu]
    events = wt.parse(a.trace)
    if not any(e["event"] == "sched_switch" and e["cpu"] == a.cpu
               for e in events):
        print("CPU %d: no sched_switch in %s" % (a.cpu, a.trace))
        return 1
    r = analyse(events, a.cpu, vcpus, a.window_ns, a.share_ns, a.align_ns)
    sys.stdout.write(report(r, a.cpu, names, a.hog, vcpus,
                            lost_events(a.trace)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
