#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Where a vCPU's wake-up time goes: the breakdown of one traced benchmark run.

Input: the text of an ftrace instance (the "trace" file) that recorded, in the
L1 KVM host, for one vCPU thread TID:
  sched_switch (TID in or out), sched_wakeup (TID), kvm_inj_virq (in TID),
  a kprobe event "kick" on kvm_vcpu_kick (any waker), and pvsched:* events.
tests/bench/latency-lib.sh records it (BENCH_TRACE=SECONDS); this script
runs inside L1 after each traced run, and again on the build machine with
--table to put every cell side by side (docs/benchmarks.md).

What it answers (issue 10):
  - how the vCPU thread's time splits into running, runnable-but-waiting
    (preempted) and sleeping (halted), how often it is preempted, how long
    it waits then, and how long it runs between preemptions;
  - for each kick (an interrupt made pending for the vCPU): the thread's
    state at that moment, the time until it runs, and until it injects;
    for kicks to a preempted thread, whether anything boosted it;
  - for each wake-up of a halted vCPU: the time until it runs;
  - demotions: how often pvsched returns the vCPU to base (pvsched_unboost),
    how often the thread is then preempted before the next boost and how
    long it waits, and how often a boost follows within 1 ms (a demotion
    that came too early, while the guest still had latency work);
  - stranded interrupts: preemptions of the thread while a kicked interrupt
    was not yet injected (a kick, no kvm_inj_virq since), and how long the
    thread then waited: KVM's LAPIC timer does not kick again while its
    interrupt is pending, so such a wait ends only at the host scheduler's
    turn unless something else boosts the vCPU.
Figures are medians and 99th percentiles in microseconds; rates per second
of traced time.  No figure here is asserted anywhere: it explains.
"""
import argparse
import bisect
import glob
import json
import os
import re
import sys

LINE_RE = re.compile(
    r"^\s*(?P<comm>.+)-(?P<pid>\d+)\s+\[(?P<cpu>\d+)\]\s+(?P<flags>\S+)\s+"
    r"(?P<ts>\d+\.\d+):\s+(?P<event>[\w]+):\s*(?P<rest>.*)$")
KV_RE = re.compile(r"(\w+)=(\S+)")
COMM_RE = re.compile(r"next_comm=(.*) next_pid=")


def parse(path):
    events = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("#"):
                continue
            m = LINE_RE.match(line.rstrip("\n"))
            if not m:
                continue
            rest = m.group("rest")
            ev = {
                "ts": float(m.group("ts")),
                "pid": int(m.group("pid")),
                "cpu": int(m.group("cpu")),
                "event": m.group("event"),
                "rest": rest,
            }
            if ev["event"] == "sched_switch":
                # prev_comm may hold spaces: take the numeric fields only
                a, _, b = rest.partition(" ==> ")
                kv = dict(KV_RE.findall(a))
                kv2 = dict(KV_RE.findall(b))
                ev["prev_pid"] = int(kv.get("prev_pid", -1))
                ev["prev_state"] = kv.get("prev_state", "?")
                ev["prev_prio"] = int(kv.get("prev_prio", 120))
                ev["next_pid"] = int(kv2.get("next_pid", -1))
                ev["next_prio"] = int(kv2.get("next_prio", 120))
                c = COMM_RE.match(b)
                ev["next_comm"] = c.group(1) if c else "?"
            else:
                ev.update(KV_RE.findall(rest))
            events.append(ev)
    events.sort(key=lambda e: e["ts"])
    return events


# PVSCHED_IRQ_HOLD_MAX_NS: how long an interrupt hold may last
HOLD_MAX_S = 0.004


def pct(values, q):
    if not values:
        return None
    v = sorted(values)
    i = min(len(v) - 1, max(0, int(round(q / 100.0 * (len(v) - 1)))))
    return v[i]


def stat(values):
    """median, p99, count of a list of seconds, in microseconds."""
    us = [x * 1e6 for x in values]
    return {"n": len(us), "median_us": pct(us, 50), "p99_us": pct(us, 99)}


def analyse(events, tid):
    if not events:
        return {"error": "no events"}
    t0, t1 = events[0]["ts"], events[-1]["ts"]
    span = max(t1 - t0, 1e-9)
    state, since = None, t0  # "run", "wait" (runnable), "sleep"
    time_in = {"run": 0.0, "wait": 0.0, "sleep": 0.0}
    slices, waits, wake_waits = [], [], []
    preemptions = 0
    # pending kicks/wake-ups waiting for the thread to run or inject
    kicks = {"run": 0, "wait": 0, "sleep": 0, "unknown": 0}
    kick_run = {"wait": [], "sleep": []}
    kick_inject = []
    kick_boosted = {"wait": 0}
    pending_kicks = []  # (ts, state_at_kick, boosted)
    pending_inject = []  # kick times not yet followed by an injection
    pending_wake = None
    boosted = False  # pvsched's decision, from its events
    last_unboost = None
    unboosts = 0
    reboost_1ms = 0
    demoted_preempted = 0
    demoted_waits = []
    plain_fair_waits = []
    demoted_pending = False
    wait_started_after_demotion = False
    kick_events = 0
    undelivered_since = None  # the first kick not yet followed by an injection
    boost_reason = None  # the reason of the boost in force, from the events
    kicks_task_boost = 0
    unboosts_undelivered = 0
    demotion_to_apply = False  # an unboost decided, its apply not seen yet
    stranded = 0
    stranded_waits = []
    wait_stranded = False

    def set_state(new, ts):
        nonlocal state, since
        if state is not None:
            time_in[state] += ts - since
        state, since = new, ts

    for e in events:
        ts, name = e["ts"], e["event"]
        if name == "sched_switch":
            if e["next_pid"] == tid:
                if state == "wait":
                    waits.append(ts - since)
                    if wait_started_after_demotion:
                        demoted_waits.append(ts - since)
                    if wait_stranded:
                        stranded_waits.append(ts - since)
                wait_stranded = False
                for k in pending_kicks:
                    if k[1] in kick_run:
                        kick_run[k[1]].append(ts - k[0])
                pending_kicks = []
                if pending_wake is not None:
                    wake_waits.append(ts - pending_wake)
                    if not boosted:
                        plain_fair_waits.append(ts - pending_wake)
                    pending_wake = None
                set_state("run", ts)
                wait_started_after_demotion = False
            elif e["prev_pid"] == tid:
                if state == "run":
                    slices.append(ts - since)
                if e["prev_state"].startswith("R"):
                    preemptions += 1
                    if undelivered_since is not None:
                        stranded += 1
                        wait_stranded = True
                    if demoted_pending:
                        demoted_preempted += 1
                        wait_started_after_demotion = True
                        demoted_pending = False
                    set_state("wait", ts)
                else:
                    set_state("sleep", ts)
        elif name == "sched_wakeup":
            if state == "sleep":
                pending_wake = ts
                set_state("wait", ts)
        elif name == "kick":
            kick_events += 1
            st = state if state else "unknown"
            if e["pid"] == tid:
                st = "run"
            kicks[st] = kicks.get(st, 0) + 1
            if st in ("wait", "sleep"):
                pending_kicks.append((ts, st))
            pending_inject.append(ts)
            if undelivered_since is None:
                undelivered_since = ts
        elif name == "kvm_inj_virq":
            undelivered_since = None
            for k in pending_inject:
                kick_inject.append(ts - k)
            pending_inject = []
        elif name == "pvsched_kick":
            if e.get("boosted") == "1":
                kick_boosted["wait"] += 1
            if boost_reason == "task_prio":
                kicks_task_boost += 1
        elif name in ("pvsched_boost", "pvsched_unthrottle"):
            if name == "pvsched_boost":
                if not boosted and last_unboost is not None and ts - last_unboost < 1e-3:
                    reboost_1ms += 1
                boosted = True
                boost_reason = e.get("reason")
                demoted_pending = False
            demotion_to_apply = False
        elif name in ("pvsched_unboost", "pvsched_throttle"):
            boosted = False
            boost_reason = None
            if name == "pvsched_unboost":
                unboosts += 1
                last_unboost = ts
                demoted_pending = True
                demotion_to_apply = True
            else:
                demotion_to_apply = False
        elif name == "pvsched_apply":
            # the demotion lands here (at the exit, at the next entry with
            # the lazy demotion, or from the worker): an injection before it
            # raised the boost again and there is nothing to count
            if (demotion_to_apply and undelivered_since is not None
                    and ts - undelivered_since < HOLD_MAX_S):
                unboosts_undelivered += 1
            demotion_to_apply = False
    if state is not None:
        time_in[state] += t1 - since

    preempted_kicks = kicks.get("wait", 0)
    return {
        "span_s": span,
        "events": len(events),
        "time_ms_per_s": {k: v / span * 1e3 for k, v in time_in.items()},
        "preemptions_per_s": preemptions / span,
        "wait_after_preemption": stat(waits),
        "run_slice": stat(slices),
        "kicks_per_s": kick_events / span,
        "kicks_by_state": kicks,
        "kick_to_run_preempted": stat(kick_run["wait"]),
        "kick_to_run_halted": stat(kick_run["sleep"]),
        "kick_to_inject": stat(kick_inject),
        "preempted_kicks_boosted": kick_boosted["wait"],
        "preempted_kicks_boosted_frac":
            (kick_boosted["wait"] / preempted_kicks) if preempted_kicks else None,
        "wakeup_to_run": stat(wake_waits),
        "wakeup_to_run_fair": stat(plain_fair_waits),
        "unboosts_per_s": unboosts / span,
        "unboost_then_preempted": demoted_preempted,
        "wait_after_demotion": stat(demoted_waits),
        "reboost_within_1ms": reboost_1ms,
        "stranded_per_s": stranded / span,
        "kicks_in_task_boost": kicks_task_boost,
        "unboosts_undelivered": unboosts_undelivered,
        "wait_stranded": stat(stranded_waits),
        "longest_injection_gaps": injection_gaps(events, tid),
    }


def sleep_intervals(events, tid):
    """The thread's sleeps (a halted vCPU): (from, to) pairs, in order."""
    out, since = [], None
    for e in events:
        if e["event"] == "sched_switch" and e["prev_pid"] == tid and not e["prev_state"].startswith("R"):
            since = e["ts"]
        elif e["event"] == "sched_wakeup" and e.get("pid") in (str(tid), tid) and since is not None:
            out.append((since, e["ts"]))
            since = None
    if since is not None:
        out.append((since, events[-1]["ts"]))
    return out


def not_halted(sleeps, ends, a, b):
    """The part of [a, b] the vCPU was not halted (sleeps and their ends
    from sleep_intervals()): a guest with nothing to do makes long
    intervals without injections that are no latency."""
    i = bisect.bisect_left(ends, a)
    halted = 0.0
    while i < len(sleeps) and sleeps[i][0] < b:
        halted += max(0.0, min(b, sleeps[i][1]) - max(a, sleeps[i][0]))
        i += 1
    return (b - a) - halted


def injection_gaps(events, tid, n=3):
    """The n longest intervals between two injections into the vCPU (not
    counting the time it was halted), each
    broken down: where the thread was (running, runnable-waiting, halted),
    who preempted it, its longest single wait, and pvsched's events in it.
    A guest's worst latency is one of these intervals: cyclictest's timer
    is an injected interrupt.  With every switch of the vCPU's CPU in the
    events (--cpu-trace), also who had that CPU meanwhile, and at the
    start of the longest wait how far the vCPU's CFS vruntime was ahead of
    the task that took the CPU (sched_stat_runtime, kernels before 6.8)."""
    inj = [e["ts"] for e in events if e["event"] == "kvm_inj_virq"]
    sleeps = sleep_intervals(events, tid)
    ends = [t for _, t in sleeps]
    pairs = sorted(zip(inj, inj[1:]), key=lambda p: not_halted(sleeps, ends, p[0], p[1]),
                   reverse=True)[:n]
    cpus = [e["cpu"] for e in events if e["event"] == "sched_switch"
            and tid in (e["prev_pid"], e["next_pid"])]
    vcpu_cpu = max(set(cpus), key=cpus.count) if cpus else None
    # the CPU's other switches are there only with --cpu-trace: without
    # them "who had the CPU" would credit a whole wait to its first task
    all_switches = any(e["event"] == "sched_switch" and e["cpu"] == vcpu_cpu
                       and tid not in (e["prev_pid"], e["next_pid"]) for e in events)
    out = []
    for a, b in pairs:
        state, since = None, a
        on_cpu, cpu_since = None, a  # the comm running on vcpu_cpu
        vr = {}  # pid -> last vruntime seen (ns)
        # the states at a: the last switches before it decide
        for e in events:
            if e["ts"] > a:
                break
            if e["event"] == "sched_switch":
                if e["cpu"] == vcpu_cpu:
                    on_cpu = e["next_comm"]
                if e["next_pid"] == tid:
                    state = "run"
                elif e["prev_pid"] == tid:
                    state = "wait" if e["prev_state"].startswith("R") else "sleep"
            elif e["event"] == "sched_wakeup" and state == "sleep":
                state = "wait"
            elif e["event"] == "sched_stat_runtime" and "vruntime" in e:
                vr[int(e["pid"])] = int(e["vruntime"])
        time_in = {"run": 0.0, "wait": 0.0, "sleep": 0.0}
        by, pv, preempt, longest, lead = {}, {}, 0, 0.0, None
        lead_at_wait = None  # the vruntime lead when the current wait began
        cpu_by = {}
        for e in events:
            ts = e["ts"]
            if ts <= a:
                continue
            if ts >= b:
                break
            name = e["event"]
            if name == "sched_stat_runtime" and "vruntime" in e:
                vr[int(e["pid"])] = int(e["vruntime"])
                continue
            if name == "sched_switch" and e["cpu"] == vcpu_cpu:
                if on_cpu is not None:
                    cpu_by[on_cpu] = cpu_by.get(on_cpu, 0.0) + ts - cpu_since
                on_cpu, cpu_since = e["next_comm"], ts
            if name == "sched_switch" and e["next_pid"] == tid:
                if state is not None:
                    time_in[state] += ts - since
                if state == "wait" and ts - since > longest:
                    longest = ts - since
                    lead = lead_at_wait
                state, since = "run", ts
            elif name == "sched_switch" and e["prev_pid"] == tid:
                if state is not None:
                    time_in[state] += ts - since
                if e["prev_state"].startswith("R"):
                    preempt += 1
                    by[e["next_comm"]] = by.get(e["next_comm"], 0) + 1
                    state = "wait"
                    lead_at_wait = None
                    # only a fair thread's vruntime is kept current
                    if tid in vr and e["next_pid"] in vr and e["prev_prio"] >= 100:
                        lead_at_wait = (vr[tid] - vr[e["next_pid"]]) / 1e6
                else:
                    state = "sleep"
                since = ts
            elif name == "sched_wakeup" and state == "sleep":
                time_in[state] += ts - since
                state, since = "wait", ts
                lead_at_wait = None
            elif name.startswith("pvsched_"):
                key = name[len("pvsched_"):]
                if e.get("reason"):
                    key += ":" + e["reason"]
                pv[key] = pv.get(key, 0) + 1
        if state is not None:
            time_in[state] += b - since
            if state == "wait" and b - since > longest:
                longest = b - since
                lead = lead_at_wait
        if on_cpu is not None:
            cpu_by[on_cpu] = cpu_by.get(on_cpu, 0.0) + b - cpu_since
        g = {
            "start_s": a - events[0]["ts"],
            "gap_us": (b - a) * 1e6,
            "us": {k: v * 1e6 for k, v in time_in.items()},
            "preemptions": preempt,
            "preempted_by": by,
            "longest_wait_us": longest * 1e6,
            "pvsched": pv,
        }
        if cpu_by and all_switches:
            g["cpu_us_by_comm"] = {k: round(v * 1e6) for k, v in cpu_by.items()}
        if lead is not None:
            g["vruntime_lead_ms"] = lead
        out.append(g)
    return out


def merge_cpu_trace(events, cpu_events, tid):
    """Add the switches of other tasks and the runtime records from the CPU
    instance; the vCPU thread's own switches are in both, keep one copy."""
    extra = [e for e in cpu_events
             if e["event"] == "sched_stat_runtime"
             or (e["event"] == "sched_switch" and tid not in (e["prev_pid"], e["next_pid"]))]
    return sorted(events + extra, key=lambda e: e["ts"])


def fmt(v, unit=""):
    if v is None:
        return "-"
    if isinstance(v, float):
        return ("%.0f" % v if abs(v) >= 10 else "%.2g" % v) + unit
    return str(v) + unit


def text_report(r, scen, conf):
    if "error" in r:
        return "%s/%s: %s" % (scen, conf, r["error"])
    t = r["time_ms_per_s"]
    lines = [
        "wake-up breakdown, %s / %s (%.1f s traced, %d events)" % (scen, conf, r["span_s"], r["events"]),
        "  vCPU thread: running %s, runnable-waiting %s, sleeping %s ms/s" % (
            fmt(t["run"]), fmt(t["wait"]), fmt(t["sleep"])),
        "  preempted %s/s; wait after preemption median %s p99 %s us; run slice median %s p99 %s us" % (
            fmt(r["preemptions_per_s"]), fmt(r["wait_after_preemption"]["median_us"]),
            fmt(r["wait_after_preemption"]["p99_us"]), fmt(r["run_slice"]["median_us"]),
            fmt(r["run_slice"]["p99_us"])),
        "  kicks %s/s by state %s; preempted ones boosted: %s" % (
            fmt(r["kicks_per_s"]), json.dumps(r["kicks_by_state"]),
            fmt(r["preempted_kicks_boosted"])),
        "  kick -> running: preempted median %s p99 %s us (n %d); halted median %s p99 %s us (n %d)" % (
            fmt(r["kick_to_run_preempted"]["median_us"]), fmt(r["kick_to_run_preempted"]["p99_us"]),
            r["kick_to_run_preempted"]["n"], fmt(r["kick_to_run_halted"]["median_us"]),
            fmt(r["kick_to_run_halted"]["p99_us"]), r["kick_to_run_halted"]["n"]),
        "  kick -> injection median %s p99 %s us; wake-up -> running median %s p99 %s us" % (
            fmt(r["kick_to_inject"]["median_us"]), fmt(r["kick_to_inject"]["p99_us"]),
            fmt(r["wakeup_to_run"]["median_us"]), fmt(r["wakeup_to_run"]["p99_us"])),
        "  demotions %s/s; then preempted before the next boost: %d (wait median %s p99 %s us); "
        "re-boosted within 1 ms: %d; plain fair wake-up -> running median %s us" % (
            fmt(r["unboosts_per_s"]), r["unboost_then_preempted"],
            fmt(r["wait_after_demotion"]["median_us"]), fmt(r["wait_after_demotion"]["p99_us"]),
            r["reboost_within_1ms"], fmt(r["wakeup_to_run_fair"]["median_us"])),
        "  preempted with a kicked interrupt not yet injected %s/s; then waited median %s p99 %s us" % (
            fmt(r["stranded_per_s"]), fmt(r["wait_stranded"]["median_us"]),
            fmt(r["wait_stranded"]["p99_us"])),
        "  kicks while boosted for the guest's RT task %d; demotions (not throttles) applied with a "
        "kicked interrupt not yet injected, within 4 ms of the kick: %d" % (
            r["kicks_in_task_boost"], r["unboosts_undelivered"]),
    ]
    for g in r.get("longest_injection_gaps", []):
        lines.append(
            "  no injection for %s us from %.3f s: running %s, runnable %s (longest %s), halted %s us; "
            "preempted %d times by %s; pvsched %s" % (
                fmt(g["gap_us"]), g["start_s"], fmt(g["us"]["run"]), fmt(g["us"]["wait"]),
                fmt(g["longest_wait_us"]), fmt(g["us"]["sleep"]), g["preemptions"],
                json.dumps(g["preempted_by"], sort_keys=True), json.dumps(g["pvsched"], sort_keys=True)))
        if "cpu_us_by_comm" in g:
            lines.append("    its CPU meanwhile (us): %s" % json.dumps(
                dict(sorted(g["cpu_us_by_comm"].items(), key=lambda kv: -kv[1]))))
        if "vruntime_lead_ms" in g:
            lines.append("    at the longest wait's start the vCPU's vruntime was %.1f ms ahead of the "
                         "task that took its CPU" % g["vruntime_lead_ms"])
    return "\n".join(lines)


TABLE_COLS = [
    ("wait ms/s", lambda r: r["time_ms_per_s"]["wait"]),
    ("preempt/s", lambda r: r["preemptions_per_s"]),
    ("wait after preempt µs (med/p99)",
     lambda r: (r["wait_after_preemption"]["median_us"], r["wait_after_preemption"]["p99_us"])),
    ("slice µs (med)", lambda r: r["run_slice"]["median_us"]),
    ("kicks/s", lambda r: r["kicks_per_s"]),
    ("kicks to preempted %",
     lambda r: 100.0 * r["kicks_by_state"].get("wait", 0) / max(1, sum(r["kicks_by_state"].values()))),
    ("kick→run preempted µs (med/p99)",
     lambda r: (r["kick_to_run_preempted"]["median_us"], r["kick_to_run_preempted"]["p99_us"])),
    ("kick→run halted µs (med/p99)",
     lambda r: (r["kick_to_run_halted"]["median_us"], r["kick_to_run_halted"]["p99_us"])),
    ("kick→inject µs (med/p99)",
     lambda r: (r["kick_to_inject"]["median_us"], r["kick_to_inject"]["p99_us"])),
    ("demotions/s", lambda r: r["unboosts_per_s"]),
    ("demoted then preempted", lambda r: r["unboost_then_preempted"]),
    ("re-boost <1 ms", lambda r: r["reboost_within_1ms"]),
    ("stranded/s", lambda r: r.get("stranded_per_s")),
    ("stranded wait µs (med/p99)",
     lambda r: (r.get("wait_stranded", {}).get("median_us"), r.get("wait_stranded", {}).get("p99_us"))),
]


def cell(v):
    if isinstance(v, tuple):
        return "/".join(fmt(x) for x in v)
    return fmt(v)


def table(paths):
    rows = []
    for p in sorted(paths):
        with open(p, encoding="utf-8") as f:
            d = json.load(f)
        if "error" in d.get("result", {}):
            continue
        rows.append(d)
    order = {"idle": 0, "busy": 1, "contended": 2}
    rows.sort(key=lambda d: (order.get(d["scenario"], 9), d["config"]))
    out = ["| scenario | config | " + " | ".join(c[0] for c in TABLE_COLS) + " |",
           "|" + "---|" * (len(TABLE_COLS) + 2)]
    for d in rows:
        r = d["result"]
        out.append("| %s | %s | %s |" % (d["scenario"], d["config"],
                                         " | ".join(cell(f(r)) for _, f in TABLE_COLS)))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("trace", nargs="?", help="ftrace text of one run")
    ap.add_argument("--tid", type=int, help="the vCPU thread id")
    ap.add_argument("--scenario", default="?")
    ap.add_argument("--config", default="?")
    ap.add_argument("--json", help="write the figures here too")
    ap.add_argument("--cpu-trace", metavar="FILE",
                    help="every sched_switch (and sched_stat_runtime) of the vCPU's CPU, "
                         "from a second instance: who had the CPU in the longest gaps")
    ap.add_argument("--table", metavar="DIR",
                    help="print a Markdown table of every DIR/*.json instead")
    a = ap.parse_args()
    if a.table:
        paths = glob.glob(os.path.join(a.table, "*.json"))
        if not paths:
            print("wakeup-trace: no *.json in %s" % a.table, file=sys.stderr)
            return 1
        print(table(paths))
        return 0
    if not a.trace or a.tid is None:
        ap.error("a trace file and --tid are needed (or --table DIR)")
    events = parse(a.trace)
    if a.cpu_trace:
        events = merge_cpu_trace(events, parse(a.cpu_trace), a.tid)
    r = analyse(events, a.tid)
    print(text_report(r, a.scenario, a.config))
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump({"scenario": a.scenario, "config": a.config, "tid": a.tid,
                       "result": r}, f, indent=1)
    return 0 if "error" not in r else 1


if __name__ == "__main__":
    sys.exit(main())
