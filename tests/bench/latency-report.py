#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Table, targets and charts for the pvsched latency benchmark.

  latency-report.py --raw DIR --out DIR [--name NAME] [--check]
                    [--loadavg FILE] [--max-load L] [--exit-cost FILE]
                    [--svg-title T]

Reads DIR/raw.txt (one measurement per line, key=value pairs, written in L1
by tests/bench/latency-lib.sh) and DIR/meta.txt, prints the report on stdout
and writes into OUT:

  NAME.md            the table (medians over the repetitions, min-max), the
                     issue 19 targets as met / not met, the run metadata
  NAME.png/.svg      guest and host cyclictest avg and max per configuration
  NAME-tradeoff.*    guest cyclictest latency against host hog throughput
  NAME-rundelay.*    vCPU run delay per scenario and configuration
  NAME.raw.txt       a copy of raw.txt

The charts need matplotlib (Debian's python3-matplotlib, hence
/usr/bin/python3 rather than a python3 of its own on PATH); without it the
table is still written and says the charts were skipped.

--loadavg FILE: the build machine's load during the run, as written by
tests/bench/loadavg-sampler ("time load1 load5 load15 [others1]" lines).
For each measurement (t_start/t_end in raw.txt, L1's clock) the report takes
the highest load between t_start - 2 and t_end + 2 s, or the whole run's
highest when the measurement has no times; a scenario x configuration cell
is flagged (table and charts) when one of its measurements saw more than
--max-load (1.5).  The load compared is the fifth column, the load of the
processes other than the benchmark's own lab VM, when the file has it (the
lab's QEMU/TCG threads alone make a load of ~2 while L1 is busy), else the
kernel's 1-min load average.

--check: exit 1 unless every scenario x configuration of the run has a
complete row (a pvsched configuration may be "pending" when its pieces are
not built) and, when the charts were drawn, each SVG is well-formed with one
bar or point per measured cell and each PNG is a PNG.  It asserts nothing
about the values.
"""
import argparse
import math
import os
import shutil
import statistics
import sys
import traceback
import xml.etree.ElementTree as ET

CONFIG_NAMES = {
    "vanilla": "vanilla",
    "rt": "static RT",
    "pvsched": "pvsched",
    "pvsched-0.1": "pvsched 0.1 policy",
    "pvsched-nolazy": "pvsched, lazy_demote=0",
    "pvsched-nodriver": "pvsched, no guest driver",
    "pvsched-nodriver-nohold": "pvsched, no guest driver, irq_hold=0",
    "pvsched-lazy": "pvsched, guest exit_demote=0 (lazy demotion)",
}
CONFIG_COLORS = {
    "vanilla": "#7f7f7f",
    "rt": "#d62728",
    "pvsched": "#1f77b4",
    "pvsched-0.1": "#17becf",
    "pvsched-nolazy": "#2ca02c",
    "pvsched-nodriver": "#9467bd",
    "pvsched-nodriver-nohold": "#c5b0d5",
    "pvsched-lazy": "#ff7f0e",
}
SERIES = [
    ("guest_avg", "guest avg", "#1f77b4"),
    ("guest_max", "guest max", "#9ecae1"),
    ("host_avg", "host avg", "#d62728"),
    ("host_max", "host max", "#f4a6a6"),
]
# Counters of pvsched.ko per measurement: raw key, column, scale to the
# column's unit per ns of wall time, digits.
PV_COUNTERS = [
    ("pv_boosted_ns", "boosted % of time", 100.0, 1),
    ("pv_throttled_ns", "throttled % of time", 100.0, 1),
    ("pv_boosts", "boosts/s", 1e9, 0),
    ("pv_throttles", "throttles/s", 1e9, 1),
    ("pv_kicks", "kicks/s", 1e9, 0),
    ("pv_kick_boosts", "kick boosts/s", 1e9, 0),
    ("pv_idle_holds", "idle holds/s", 1e9, 0),
]
TARGET_CONFIG = "pvsched"
NODRIVER_CONFIG = "pvsched-nodriver"
# Issue 19's targets (make bench, Debian 6.1 and 6.12 L1): scenarios, the
# configuration judged, figure, reference configuration, comparison, limit
# of the ratio of medians.
TARGETS = [
    (("busy", "contended"), TARGET_CONFIG, "guest_avg", "rt", "<=", 1.2),
    (("busy", "contended"), TARGET_CONFIG, "guest_avg", "vanilla", "<=", 0.5),
    (("busy", "contended"), TARGET_CONFIG, "cycles", "rt", ">=", 0.95),
    (("busy", "contended"), TARGET_CONFIG, "guest_max", "rt", "<=", 1.5),
    (("busy", "contended"), TARGET_CONFIG, "hog_bogo", "vanilla", ">=", 0.9),
    (("busy", "contended"), TARGET_CONFIG, "host_max", "vanilla", "<=", 1.2),
    (("busy", "contended"), NODRIVER_CONFIG, "guest_avg", "vanilla", "<=", 0.7),
]
TARGET_KERNELS = ("6.1.", "6.12.")
# The per-VM-exit cost (tests/bench/exit-cost): configuration, limit of the
# ratio to "absent", each the minimum over its rounds (the least disturbed
# figure of an emulated L1), per exit kind.
EXIT_TARGETS = [("loaded", 1.02), ("registered", 1.05)]
EXIT_CONFIGS = {
    "absent": "pvsched.ko absent",
    "loaded": "pvsched.ko loaded, nothing registered",
    "registered": "vCPU registered",
}
# The idle target (issue 10's, kept): no configuration worse than vanilla by
# more than the repetitions' spread, in these figures (all lower is better).
IDLE_FIGURES = ["guest_avg", "guest_max", "rundelay", "host_avg", "host_max"]
FIGURES = {
    "guest_avg": ("guest avg", "µs", 0),
    "guest_max": ("guest max", "µs", 0),
    "host_avg": ("host avg", "µs", 0),
    "host_max": ("host cyclictest max", "µs", 0),
    "rundelay": ("vCPU run delay", "ms/s", 1),
    "hog_bogo": ("host hog throughput", "bogo ops/s", 0),
    "cycles": ("guest cycles done", "%", 1),
}
FLAG = "⚠"


def parse_kv(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            rows.append(dict(w.split("=", 1) for w in line.split() if "=" in w))
    return rows


def parse_meta(path):
    meta = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    meta[k] = v
    return meta


def num(v):
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def label(conf):
    return CONFIG_NAMES.get(conf, conf)


def is_pvsched(conf):
    return conf == "pvsched" or conf.startswith("pvsched-")


def fmt_num(v, digits=0):
    return ("{:,.%df}" % digits).format(v)


class Cell:
    """The values of one figure over the repetitions."""

    def __init__(self, values):
        self.values = [v for v in values if v is not None]
        self.missing = len(values) - len(self.values)

    def ok(self):
        return bool(self.values) and self.missing == 0

    def med(self):
        return statistics.median(self.values) if self.values else None

    def lo(self):
        return min(self.values) if self.values else None

    def hi(self):
        return max(self.values) if self.values else None

    def spread(self):
        return self.hi() - self.lo() if len(self.values) > 1 else None

    def fmt(self, digits=0):
        if not self.values:
            return "—"
        s = fmt_num(self.med(), digits)
        if len(self.values) > 1:
            s += " (" + fmt_num(self.lo(), digits) + "–" + fmt_num(self.hi(), digits) + ")"
        if self.missing:
            s += " [%d missing]" % self.missing
        return s


class LoadLog:
    """The build machine's load during the run (tests/bench/loadavg-sampler).

    The sampler starts just before the lab run: its first sample is the
    load before the run, its last one (at the time of the report, which
    runs after L1 has stopped) the load after."""

    def __init__(self, path):
        self.path = path
        self.samples = []  # (time, load1, others1 or None)
        with open(path, encoding="utf-8") as f:
            for line in f:
                w = line.split()
                if not w or w[0].startswith("#") or len(w) < 4:
                    continue
                t, l1 = num(w[0]), num(w[1])
                if t is None or l1 is None:
                    continue
                self.samples.append((t, l1, num(w[4]) if len(w) > 4 else None))
        self.samples.sort()
        self.has_others = bool(self.samples) and all(s[2] is not None for s in self.samples)
        self.run_end = None

    def value(self, s):
        """The figure a cell is flagged on."""
        return s[2] if self.has_others else s[1]

    def before(self):
        return self.samples[0] if self.samples else None

    def during(self):
        """Samples after the first one, up to the end of the last
        measurement (+2 s) when the measurements have times, else all but
        the last one when there are more than two."""
        s = self.samples[1:]
        if self.run_end is not None:
            return [x for x in s if x[0] <= self.run_end] or s
        return s[:-1] if len(s) > 1 else s

    def after(self):
        if len(self.samples) < 2:
            return None
        last = self.samples[-1]
        if self.run_end is not None and last[0] <= self.run_end:
            return None
        return last

    def window(self, t0, t1):
        """Samples between t0 - 2 and t1 + 2, the two around it when none
        falls inside (the sampler stalled), or None when the window lies
        outside what was sampled (L1's clock off?)."""
        if not self.samples or t1 + 2 < self.samples[0][0] or t0 - 2 > self.samples[-1][0]:
            return None
        inside = [s for s in self.samples if t0 - 2 <= s[0] <= t1 + 2]
        if inside:
            return inside
        before = [s for s in self.samples if s[0] < t0 - 2]
        after = [s for s in self.samples if s[0] > t1 + 2]
        return before[-1:] + after[:1]


def measurement_load(load, row):
    """(load figure, how) of one measurement: how is "window", "run" (no
    t_start/t_end) or "outside" (its times are outside the sampled period)."""
    t0, t1 = num(row.get("t_start")), num(row.get("t_end"))
    how = "run"
    if t0 is not None and t1 is not None:
        w = load.window(t0, t1)
        if w:
            return max(load.value(s) for s in w), "window"
        how = "outside"
    d = load.during()
    return (max(load.value(s) for s in d) if d else None), how


def aggregate(rows, scenarios, configs, load=None, max_load=1.5):
    res = {}
    if load:
        ends = [num(r.get("t_end")) for r in rows if num(r.get("t_end")) is not None]
        load.run_end = max(ends) + 2 if ends else None
    for scen in scenarios:
        for conf in configs:
            rs = [r for r in rows if r.get("scenario") == scen and r.get("config") == conf]
            entry = {"n": len(rs), "pending": any(r.get("pending") for r in rs)}
            meas = [r for r in rs if not r.get("pending")]
            for key in ("guest_avg", "guest_max", "host_avg", "host_max", "hog_bogo"):
                entry[key] = Cell([num(r.get(key)) for r in meas])
            rd, cyc = [], []
            for r in meas:
                ns, el = num(r.get("rundelay_ns")), num(r.get("elapsed_ns"))
                rd.append(ns / el * 1000.0 if ns is not None and el else None)
                c, e = num(r.get("guest_cycles")), num(r.get("expect_cycles"))
                cyc.append(100.0 * c / e if c is not None and e else None)
            entry["rundelay"] = Cell(rd)
            entry["cycles"] = Cell(cyc)
            entry["measured"] = len(meas)
            pv = {}
            for key, _, scale, _ in PV_COUNTERS:
                vals = []
                for r in meas:
                    el = num(r.get("elapsed_ns"))
                    if key in r and el:
                        v = num(r[key])
                        vals.append(v * scale / el if v is not None else None)
                if vals:
                    pv[key] = Cell(vals)
            entry["pv"] = pv
            entry["bad_rc"] = [r.get("guest_rc") for r in meas if r.get("guest_rc", "0") != "0"]
            # (rep, load, how) per measurement; flagged above max_load.
            entry["load"] = []
            if load and load.samples:
                for r in meas:
                    v, how = measurement_load(load, r)
                    entry["load"].append((r.get("rep", "?"), v, how))
            entry["flag"] = any(v is not None and v > max_load for _, v, _ in entry["load"])
            res[(scen, conf)] = entry
    return res


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "—"
    return "%.2f×" % (a / b)


def exit_cost_values(path):
    """{(kind, config): [ns per exit, one per round]} from tests/bench/exit-cost's
    raw file ("CONFIG KIND REP NS_PER_EXIT" lines); {} without one."""
    vals = {}
    if not path or not os.path.exists(path):
        return vals
    with open(path, encoding="utf-8") as f:
        for line in f:
            w = line.split()
            if len(w) == 4 and num(w[3]) is not None:
                vals.setdefault((w[1], w[0]), []).append(num(w[3]))
    return vals


def exit_cost(vals):
    """(column text, Markdown lines) of the exit-cost figures, or (None, [])."""
    kinds = sorted({k for k, _ in vals})
    col, lines = [], ["| exit kind | pvsched.ko | min ns | median ns | max ns | ÷ absent |",
                      "|---|---|---:|---:|---:|---:|"]
    for kind in kinds:
        base = vals.get((kind, "absent"))
        bmed = statistics.median(base) if base else None
        parts = []
        for conf in ("absent", "loaded", "registered"):
            v = vals.get((kind, conf))
            if not v:
                parts.append("?")
                continue
            md = statistics.median(v)
            r = md / bmed if bmed else None
            parts.append("%.2f" % r if r else "?")
            lines.append("| %s | %s | %.0f | %.0f | %.0f | %s |"
                         % (kind, conf, min(v), md, max(v), "%.2f" % r if r else "—"))
        col.append("%s %s" % (kind, " / ".join(parts)))
    if not col:
        return None, []
    return "; ".join(col), lines


def load_header(load, max_load):
    """The line above the table: the build machine's load before, during
    and after the run."""
    if not load:
        return ("L0 (build machine) load: not recorded for this run (no --loadavg; "
                "make bench records it), so no cell can be flagged.")
    if not load.samples:
        return "L0 (build machine) load: %s has no samples; no cell can be flagged." % load.path

    def three(i):
        b, a = load.before(), load.after()
        d = [s[i] for s in load.during()]
        return "%s before the run, %s max during, %s after" % (
            "%.2f" % b[i] if b else "n/a", "%.2f" % max(d) if d else "n/a",
            "%.2f" % a[i] if a else "n/a")

    s = "L0 (build machine) 1-min load average: %s" % three(1)
    if load.has_others:
        s += ("; of the processes other than this benchmark's lab VM: %s. %s marks a cell "
              "where the latter exceeded %g during one of its measurements (t_start − 2 s to "
              "t_end + 2 s)." % (three(2), FLAG, max_load))
    else:
        s += (". %s marks a cell where it exceeded %g during one of its measurements "
              "(t_start − 2 s to t_end + 2 s); this load file has no column for the other "
              "processes alone, so the figure includes the lab VM's own load (~2 while L1 "
              "is busy)." % (FLAG, max_load))
    return s


def table(res, scenarios, configs, meta, xcost=None, load=None, max_load=1.5):
    hdr = [
        "Scenario", "Config", "Guest avg µs", "Guest max µs", "Host avg µs",
        "Host max µs", "vCPU run delay ms/s", "Guest cycles done %",
        "Hog cpu bogo ops/s", "Guest avg ÷ idle vanilla", "Guest avg ÷ static RT",
        "Exit cost absent/loaded/registered",
    ]
    with_load = bool(load and load.samples)
    if with_load:
        hdr.append("L0 load max")
    out = [load_header(load, max_load), "",
           "| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
    base = res.get(("idle", "vanilla"))
    base_avg = base["guest_avg"].med() if base else None
    exit_col = xcost or "n/a¹"
    xconf = TARGET_CONFIG if TARGET_CONFIG in configs else next(
        (c for c in configs if is_pvsched(c)), None)
    flagged = []
    for scen in scenarios:
        rt = res.get((scen, "rt"))
        rt_avg = rt["guest_avg"].med() if rt else None
        for conf in configs:
            e = res[(scen, conf)]
            name = label(conf)
            if e["flag"]:
                name += " " + FLAG
                flagged.append((scen, conf, e))
            xc = exit_col if conf == xconf else ""
            if e["pending"] and not e["measured"]:
                cells = [scen, name] + ["pending²"] * (len(hdr) - 3 - with_load) + [xc]
            else:
                ga = e["guest_avg"].med()
                cells = [
                    scen, name, e["guest_avg"].fmt(), e["guest_max"].fmt(),
                    e["host_avg"].fmt(), e["host_max"].fmt(), e["rundelay"].fmt(1),
                    e["cycles"].fmt(1),
                    e["hog_bogo"].fmt() if scen != "idle" else "—",
                    ratio(ga, base_avg), ratio(ga, rt_avg), xc,
                ]
            if with_load:
                lv = [v for _, v, _ in e["load"] if v is not None]
                cells.append(("%.2f" % max(lv) + (" " + FLAG if e["flag"] else ""))
                             if lv else "—")
            out.append("| " + " | ".join(cells) + " |")
    reps = max((e["measured"] for e in res.values()), default=0)
    if str(reps) != meta.get("reps", str(reps)):
        reps = "%s (of %s planned)" % (reps, meta["reps"])
    out.append("")
    out.append("Values: median over %s repetition(s), (min–max) when more than one. "
               "Run delay: time the vCPU thread was runnable but not running on L1, "
               "per second of wall time (schedstat)." % reps)
    if exit_col.startswith("n/a"):
        out.append("¹ n/a: the per-VM-exit cost (tests/bench/exit-cost) was not run with "
                   "this benchmark (make bench runs it).")
    else:
        out.append("Exit cost: median ns per VM exit with pvsched.ko absent / loaded, VM not "
                   "registered / vCPU registered, as a ratio to absent (tests/bench/exit-cost, "
                   "a separate lab boot of the same run; table below).")
    if meta.get("pvsched_pending"):
        out.append("² pvsched pending: %s." % meta["pvsched_pending"])
    if with_load:
        what = ("load of the other processes" if load.has_others else "1-min load")
        if flagged:
            parts = []
            for scen, conf, e in flagged:
                ms = ", ".join("rep %s %s" % (rep, "%.2f" % v if v is not None else "?")
                               for rep, v, _ in e["load"] if v is not None and v > max_load)
                parts.append("%s / %s (%s)" % (scen, label(conf), ms))
            out.append("%s L0 %s above %g during: %s. These cells' figures are not "
                       "trustworthy: run the benchmark again on a quiet machine."
                       % (FLAG, what, max_load, "; ".join(parts)))
        hows = {how for e in res.values() for _, _, how in e["load"]}
        if "run" in hows:
            out.append("L0 load max: measurements without t_start/t_end are given the whole "
                       "run's maximum.")
        if "outside" in hows:
            out.append("L0 load max: some measurements' times (L1's clock) fall outside the "
                       "sampled period; they are given the whole run's maximum.")
    pvrows = [(scen, conf, res[(scen, conf)]["pv"]) for scen in scenarios for conf in configs
              if res[(scen, conf)]["pv"].get("pv_boosted_ns")
              and res[(scen, conf)]["pv"]["pv_boosted_ns"].values]
    if pvrows:
        cols = [c for c in PV_COUNTERS if any(pv.get(c[0]) for _, _, pv in pvrows)]
        out += ["", "pvsched's own counters during the pvsched measurements (per-vCPU "
                "counters of pvsched.ko, deltas over each run, per second of wall time):", "",
                "| Scenario | Config | " + " | ".join(c[1] for c in cols) + " |",
                "|---|---|" + "---|" * len(cols)]
        for scen, conf, pv in pvrows:
            out.append("| %s | %s | %s |" % (scen, label(conf), " | ".join(
                pv[k].fmt(d) if k in pv else "—" for k, _, _, d in cols)))
    return "\n".join(out)


def target_rows(res, scenarios, configs, meta, xvals=None):
    """Issue 19's targets: Markdown lines and the counts
    {"met": n, "not met": n, "n/a": n}.  xvals: exit_cost_values()."""
    counts = {"met": 0, "not met": 0, "n/a": 0}
    others = [c for c in configs if is_pvsched(c) and c != TARGET_CONFIG]

    def cell(scen, conf):
        e = res.get((scen, conf))
        if not e or not e["measured"]:
            return None
        return e

    def verdict(ok, cells):
        v = "met" if ok else "not met"
        counts[v] += 1
        if any(c["flag"] for c in cells):
            v += " " + FLAG
        return "**%s**" % v if ok is False else v

    def row(cells):
        return "| " + " | ".join(cells) + " |"

    kernel = meta.get("l1_kernel", "")
    intro = ("Issue 19's targets, on the medians above (ratio = the judged configuration's "
             "median ÷ the reference configuration's median, same scenario; pvsched unless "
             "the target names another). They are set for L1 = Debian 6.1 and 6.12")
    if kernel and not kernel.startswith(TARGET_KERNELS):
        intro += "; this run's L1 kernel is %s, so read them as indicative only" % kernel
    elif not kernel:
        intro += "; this run does not say which kernel L1 ran"
    intro += "."
    hdr = ["Scenario", "Target", "measured (median)", "reference (median)", "ratio", "result"]
    hdr += ["%s ratio" % label(c) for c in others]
    rows = [row(hdr), "|" + "---|" * len(hdr)]
    none = ["—"] * len(others)
    for scen in ("busy", "contended"):
        for scens, conf, key, ref, op, limit in TARGETS:
            if scen not in scens:
                continue
            name, unit, digits = FIGURES[key]
            text = "%s%s %s %g× %s" % ("" if conf == TARGET_CONFIG else label(conf) + ": ",
                                       name, "≤" if op == "<=" else "≥", limit, label(ref))
            pv, rf = cell(scen, conf), cell(scen, ref)
            extra = none
            if conf == TARGET_CONFIG:
                extra = []
                for c in others:
                    oc = cell(scen, c)
                    om = oc[key].med() if oc else None
                    extra.append(ratio(om, rf[key].med()) if rf else "—")
            if scen not in scenarios:
                rows.append(row([scen, text, "—", "—", "—", "n/a (scenario not run)"] + extra))
                counts["n/a"] += 1
                continue
            pm = pv[key].med() if pv else None
            rm = rf[key].med() if rf else None
            if pm is None or rm is None or rm == 0:
                why = "%s not measured" % label(conf if pm is None else ref)
                rows.append(row([scen, text,
                                 "—" if pm is None else fmt_num(pm, digits) + " " + unit,
                                 "—" if rm is None else fmt_num(rm, digits) + " " + unit,
                                 "—", "n/a (%s)" % why] + extra))
                counts["n/a"] += 1
                continue
            r = pm / rm
            ok = r <= limit if op == "<=" else r >= limit
            rows.append(row([scen, text, fmt_num(pm, digits) + " " + unit,
                             fmt_num(rm, digits) + " " + unit, "%.2f×" % r,
                             verdict(ok, [pv, rf])] + extra))
    # the per-VM-exit cost: the minimum of the rounds, per kind of exit
    kinds = sorted({k for k, _ in (xvals or {})}) or ["any kind"]
    for kind in kinds:
        base = (xvals or {}).get((kind, "absent"))
        for conf, limit in EXIT_TARGETS:
            text = "VM exit, %s ≤ %g× %s (minimum of rounds)" % (
                EXIT_CONFIGS[conf], limit, EXIT_CONFIGS["absent"])
            v = (xvals or {}).get((kind, conf))
            scen = "exit cost (%s)" % kind
            if not v or not base:
                why = ("not measured in this run" if not xvals else
                       "%s not measured" % EXIT_CONFIGS[conf if not v else "absent"])
                rows.append(row([scen, text, "—", "—", "—", "n/a (%s)" % why] + none))
                counts["n/a"] += 1
                continue
            r = min(v) / min(base)
            rows.append(row([scen, text, "%.0f ns" % min(v), "%.0f ns" % min(base),
                             "%.2f×" % r, verdict(r <= limit, [])] + none))
    # idle: no configuration worse than vanilla by more than the spread
    # (one target over every configuration).
    text = "no configuration worse than vanilla beyond the repetitions' spread"
    van = cell("idle", "vanilla")
    confs = [c for c in configs if c != "vanilla" and cell("idle", c)]
    worse, compared, cells = [], 0, [van]
    for conf in confs if van else []:
        e = cell("idle", conf)
        cells.append(e)
        for key in IDLE_FIGURES:
            a, b = e[key], van[key]
            if len(a.values) < 2 or len(b.values) < 2:
                continue
            compared += 1
            spread = max(a.spread(), b.spread())
            if a.med() - b.med() > spread:
                name, unit, digits = FIGURES[key]
                worse.append("%s: %s %s vs %s (spread %s)" % (
                    label(conf), name, fmt_num(a.med(), digits), fmt_num(b.med(), digits),
                    fmt_num(spread, digits) + " " + unit))
    tail = " — |" * len(others)
    if "idle" not in scenarios or not van or not confs:
        rows.append("| idle | %s | — | — | — | n/a (%s) |%s" % (
            text, "scenario not run" if "idle" not in scenarios else "not measured", tail))
        counts["n/a"] += 1
    elif not compared:
        rows.append("| idle | %s | — | — | — | n/a (needs ≥ 2 repetitions) |%s"
                    % (text, tail))
        counts["n/a"] += 1
    else:
        rows.append("| idle | %s | %s | vanilla | — | %s |%s" % (
            text, "; ".join(worse) if worse else "%s: none of %s worse" % (
                ", ".join(label(c) for c in confs),
                ", ".join(FIGURES[k][0] for k in IDLE_FIGURES)),
            verdict(not worse, cells), tail))
    summary = "Targets: %d met, %d not met, %d n/a." % (
        counts["met"], counts["not met"], counts["n/a"])
    lines = [intro, "", summary, ""] + rows + [
        "", "Exit cost: the least ns per VM exit over every round of each configuration "
        "(tests/bench/exit-cost), as a ratio to the least with pvsched.ko absent, per kind "
        "of exit.",
        "Idle (issue 10's target, kept): a configuration is worse than vanilla in a figure "
        "(%s) when its median exceeds vanilla's by more than the larger of the two cells' "
        "min–max ranges." % ", ".join(FIGURES[k][0] for k in IDLE_FIGURES)]
    if any(FLAG in r for r in rows[2:]):
        lines += ["%s: a cell the verdict rests on was flagged for the build machine's "
                  "load; the verdict is not trustworthy." % FLAG]
    return lines, counts


# --- charts (matplotlib) ----------------------------------------------------

def config_color(conf, i):
    return CONFIG_COLORS.get(conf, "C%d" % (i % 10))


def measured(res, scen, conf):
    e = res[(scen, conf)]
    return e if e["measured"] else None


def chart_latency(plt, res, scenarios, configs, title):
    """Per scenario, per configuration: guest and host cyclictest avg and
    max, median bars with min-max whiskers, log scale."""
    fig, axes = plt.subplots(1, len(scenarios), figsize=(max(7.0, 1.2 + 1.1 * len(scenarios) *
                             max(1, len(configs))), 5.0), sharey=True, squeeze=False)
    w = 0.8 / len(SERIES)
    for ax, scen in zip(axes[0], scenarios):
        for ci, conf in enumerate(configs):
            e = measured(res, scen, conf)
            if not e:
                if res[(scen, conf)]["pending"]:
                    ax.text(ci, 0.02, "pending", transform=ax.get_xaxis_transform(),
                            ha="center", color="#888", fontsize=8)
                continue
            for si, (key, name, color) in enumerate(SERIES):
                c = e[key]
                if not c.values:
                    continue
                md = c.med()
                bars = ax.bar(ci - 0.4 + w * (si + 0.5), md, w, color=color,
                              label=name if ci == 0 else None,
                              yerr=[[md - c.lo()], [c.hi() - md]] if len(c.values) > 1
                              else None, ecolor="black", capsize=2,
                              hatch="//" if e["flag"] else None, edgecolor="white")
                bars.patches[0].set_gid("bar-%s-%s-%s" % (scen, conf, key))
        ax.set_xticks(range(len(configs)))
        ax.set_xlim(-0.6, len(configs) - 0.4)
        ax.set_xticklabels([label(c) + (" " + FLAG if res[(scen, c)]["flag"] else "")
                            for c in configs], rotation=20, ha="right", fontsize=8)
        for t, c in zip(ax.get_xticklabels(), configs):
            if res[(scen, c)]["flag"]:
                t.set_color("#c00000")
        ax.set_title(scen)
        ax.set_yscale("log")
        ax.grid(axis="y", which="major", color="#ddd")
        ax.set_axisbelow(True)
    axes[0][0].set_ylabel("cyclictest latency µs (log scale)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    for ax in axes[0][1:]:
        h, l = ax.get_legend_handles_labels()
        for hh, ll in zip(h, l):
            if ll not in labels:
                handles.append(hh)
                labels.append(ll)
    fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 0.035),
               ncol=len(SERIES), fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=10)
    fig.text(0.01, 0.01, "bars: median; whiskers: min–max over repetitions; hatched, "
             + FLAG + ": L0 load above the threshold", fontsize=7, color="#555")
    fig.tight_layout(rect=(0, 0.1, 1, 0.95))
    return fig


def chart_tradeoff(plt, res, scenarios, configs, title):
    """Guest cyclictest avg (max as a marker) against host hog throughput,
    one point per configuration, one panel per scenario with a hog."""
    scens = [s for s in scenarios if any(
        measured(res, s, c) and res[(s, c)]["hog_bogo"].values for c in configs)]
    if not scens:
        return None
    fig, axes = plt.subplots(1, len(scens), figsize=(max(8.0, 1 + 4.2 * len(scens)), 4.6),
                             sharey=True, squeeze=False)
    for ax, scen in zip(axes[0], scens):
        for ci, conf in enumerate(configs):
            e = measured(res, scen, conf)
            if not e or not e["hog_bogo"].values or not e["guest_avg"].values:
                continue
            col = config_color(conf, ci)
            x, y = e["hog_bogo"], e["guest_avg"]
            eb = ax.errorbar([x.med()], [y.med()],
                             xerr=[[x.med() - x.lo()], [x.hi() - x.med()]],
                             yerr=[[y.med() - y.lo()], [y.hi() - y.med()]],
                             fmt="o", color=col, ms=7, capsize=3, label=label(conf))
            eb.lines[0].set_gid("pt-%s-%s" % (scen, conf))
            m = e["guest_max"]
            if m.values:
                ax.plot([x.med(), x.med()], [y.med(), m.med()], ":", color=col, lw=1)
                ax.plot([x.med()], [m.med()], marker="v", color=col, ms=7, ls="none",
                        mfc="none")
            if e["flag"]:
                ax.plot([x.med()], [y.med()], "o", ms=16, mfc="none", mec="#c00000", mew=1.5)
                ax.annotate(FLAG, (x.med(), y.med()), textcoords="offset points",
                            xytext=(8, 6), color="#c00000", fontsize=11)
        ax.set_title(scen)
        ax.set_yscale("log")
        ax.set_xlabel("host hog throughput, stress-ng cpu bogo ops/s")
        ax.grid(color="#eee")
        xs = [res[(scen, c)]["hog_bogo"].hi() for c in configs
              if res[(scen, c)]["hog_bogo"].values]
        ax.set_xlim(0, max(xs) * 1.1 if xs else None)
    axes[0][0].set_ylabel("guest cyclictest latency µs (log scale)")
    axes[0][0].plot([], [], marker="v", color="#555", mfc="none", ls="none",
                    label="guest max (median)")
    axes[0][0].legend(fontsize=8, loc="best")
    fig.suptitle(title + ": latency against host throughput", fontsize=10)
    fig.text(0.01, 0.01, "dot: guest avg, median with min–max bars; ▽: guest max (median); "
             "lower and further right is better; red ring, " + FLAG +
             ": L0 load above the threshold", fontsize=7, color="#555")
    fig.tight_layout(rect=(0, 0.04, 1, 0.95))
    return fig


def chart_rundelay(plt, res, scenarios, configs, title):
    """vCPU run delay per scenario and configuration, median bars with the
    repetitions' min-max."""
    fig, ax = plt.subplots(figsize=(max(7.5, 3.0 + 0.6 * len(scenarios) * max(1, len(configs))),
                                    4.4))
    w = 0.8 / max(1, len(configs))
    for ci, conf in enumerate(configs):
        col = config_color(conf, ci)
        for si, scen in enumerate(scenarios):
            e = measured(res, scen, conf)
            xpos = si - 0.4 + w * (ci + 0.5)
            if not e or not e["rundelay"].values:
                if res[(scen, conf)]["pending"]:
                    ax.text(xpos, 0, "pending", rotation=90, ha="center", va="bottom",
                            color="#888", fontsize=7)
                continue
            c = e["rundelay"]
            md = c.med()
            bars = ax.bar(xpos, md, w, color=col, label=label(conf) if not any(
                l == label(conf) for l in ax.get_legend_handles_labels()[1]) else None,
                yerr=[[md - c.lo()], [c.hi() - md]] if len(c.values) > 1 else None,
                capsize=3, ecolor="black", hatch="//" if e["flag"] else None,
                edgecolor="white")
            bars.patches[0].set_gid("rd-%s-%s" % (scen, conf))
            if e["flag"]:
                ax.annotate(FLAG, (xpos, c.hi()), textcoords="offset points", xytext=(0, 3),
                            ha="center", color="#c00000", fontsize=11)
    ax.set_xticks(range(len(scenarios)))
    ax.set_xticklabels(scenarios)
    ax.set_xlim(-0.5, len(scenarios) - 0.5)
    ax.set_ylabel("vCPU run delay, ms per s of wall time")
    ax.set_ylim(0, ax.get_ylim()[1] * 1.08)
    ax.grid(axis="y", color="#ddd")
    ax.set_axisbelow(True)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title(title + ": vCPU run delay", fontsize=10)
    fig.text(0.01, 0.01, "bars: median; whiskers: min–max over repetitions; hatched, " +
             FLAG + ": L0 load above the threshold", fontsize=7, color="#555")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def charts(res, scenarios, configs, out, name, title):
    """Draw the charts; returns {kind: [png, svg]}.  Raises ImportError when
    matplotlib is missing."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams["svg.hashsalt"] = "pvsched-" + name
    done = {}
    for kind, fn in (("latency", chart_latency), ("tradeoff", chart_tradeoff),
                     ("rundelay", chart_rundelay)):
        fig = fn(plt, res, scenarios, configs, title)
        if fig is None:
            continue
        base = os.path.join(out, name if kind == "latency" else "%s-%s" % (name, kind))
        fig.savefig(base + ".png", dpi=110)
        fig.savefig(base + ".svg", metadata={"Date": None})
        plt.close(fig)
        done[kind] = [base + ".png", base + ".svg"]
    return done


def chart_paths(out, name):
    return [os.path.join(out, n) for n in (
        name + ".png", name + ".svg", name + "-tradeoff.png", name + "-tradeoff.svg",
        name + "-rundelay.png", name + "-rundelay.svg")]


def check(res, scenarios, configs, drawn):
    errors = []
    for scen in scenarios:
        for conf in configs:
            e = res[(scen, conf)]
            if e["pending"] and not e["measured"]:
                if not is_pvsched(conf):
                    errors.append("%s/%s: pending" % (scen, conf))
                continue
            if not e["measured"]:
                errors.append("%s/%s: no measurement" % (scen, conf))
                continue
            if e["bad_rc"]:
                errors.append("%s/%s: guest command failed (status %s)"
                              % (scen, conf, ", ".join(e["bad_rc"])))
            keys = ["guest_avg", "guest_max", "host_avg", "host_max", "rundelay", "cycles"]
            if scen != "idle":
                keys.append("hog_bogo")
            for k in keys:
                if not e[k].ok():
                    errors.append("%s/%s: %s missing" % (scen, conf, k))
    if drawn is None:
        return errors
    # What each chart must hold for each measured cell (by SVG id).
    want = {"latency": [], "tradeoff": [], "rundelay": []}
    for scen in scenarios:
        for conf in configs:
            e = res[(scen, conf)]
            if not e["measured"]:
                continue
            want["latency"] += ["bar-%s-%s-%s" % (scen, conf, k) for k, _, _ in SERIES
                                if e[k].values]
            if e["rundelay"].values:
                want["rundelay"].append("rd-%s-%s" % (scen, conf))
            if e["hog_bogo"].values and e["guest_avg"].values:
                want["tradeoff"].append("pt-%s-%s" % (scen, conf))
    for kind, ids in want.items():
        if not ids:
            continue
        if kind not in drawn:
            errors.append("chart %s: not drawn" % kind)
            continue
        png, svg = drawn[kind]
        try:
            with open(png, "rb") as f:
                if f.read(8) != b"\x89PNG\r\n\x1a\n":
                    errors.append("%s: not a PNG" % png)
            root = ET.parse(svg).getroot()
            if root.tag != "{http://www.w3.org/2000/svg}svg":
                errors.append("%s: root is %s" % (svg, root.tag))
            have = {el.get("id") for el in root.iter()}
            for i in ids:
                if i not in have:
                    errors.append("%s: no element %s" % (svg, i))
        except (ET.ParseError, OSError) as err:
            errors.append("chart %s: %s" % (kind, err))
    return errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raw", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default="latency")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--svg-title", default=None)
    ap.add_argument("--exit-cost", default=None,
                    help="raw file of tests/bench/exit-cost (exit-cost.raw)")
    ap.add_argument("--loadavg", default=None,
                    help="the build machine's load during the run (tests/bench/loadavg-sampler)")
    ap.add_argument("--max-load", type=float, default=1.5,
                    help="flag cells that saw more load than this (1.5)")
    a = ap.parse_args()

    raw = os.path.join(a.raw, "raw.txt")
    if not os.path.exists(raw):
        print("latency-report: %s missing (did the lab run fail?)" % raw, file=sys.stderr)
        return 1
    rows = parse_kv(raw)
    meta = parse_meta(os.path.join(a.raw, "meta.txt"))
    scenarios = meta.get("scenarios", "idle busy contended").split()
    configs = meta.get("configs", "vanilla rt pvsched").split()
    load = None
    if a.loadavg:
        try:
            load = LoadLog(a.loadavg)
        except OSError as err:
            print("latency-report: %s: %s; no load figures" % (a.loadavg, err), file=sys.stderr)
    res = aggregate(rows, scenarios, configs, load, a.max_load)

    os.makedirs(a.out, exist_ok=True)
    md_path = os.path.join(a.out, a.name + ".md")
    xvals = exit_cost_values(a.exit_cost)
    xcol, xlines = exit_cost(xvals)
    tab = table(res, scenarios, configs, meta, xcol, load, a.max_load)
    tlines, _ = target_rows(res, scenarios, configs, meta, xvals)
    tab += "\n\n## Targets (issue 19)\n\n" + "\n".join(tlines)
    if xlines:
        tab += "\n\nPer-VM-exit cost (L1 KVM host, pvsched-vmm):\n\n" + "\n".join(xlines)
    title = a.svg_title or ("pvsched latency benchmark, %s × %s s"
                            % (meta.get("reps", "?"), meta.get("dur", "?")))
    for p in chart_paths(a.out, a.name):
        if os.path.exists(p):
            os.remove(p)
    drawn, chart_note = None, None
    try:
        drawn = charts(res, scenarios, configs, a.out, a.name, title)
    except ImportError as err:
        chart_note = ("Charts skipped: matplotlib is missing for %s (%s; install "
                      "python3-matplotlib and run this with /usr/bin/python3)."
                      % (sys.executable, err))
    except Exception as err:  # a bug in a chart must not cost the table
        traceback.print_exc()
        chart_note = "Charts failed: %s: %s." % (type(err).__name__, err)
    with open(md_path, "w", encoding="utf-8") as f:
        f.write("# pvsched latency benchmark (%s)\n\n" % a.name)
        f.write(tab + "\n\n## Run\n\n")
        for k in sorted(meta):
            f.write("- %s: %s\n" % (k, meta[k]))
        if load:
            f.write("- L0 load: %s (threshold %g)\n" % (os.path.basename(load.path), a.max_load))
        f.write("\n")
        if chart_note:
            f.write(chart_note + "\n")
        else:
            for kind in ("latency", "tradeoff", "rundelay"):
                if kind in drawn:
                    f.write("Chart (%s): %s, %s\n" % (kind, *[os.path.basename(p)
                                                          for p in drawn[kind]]))
    shutil.copyfile(raw, os.path.join(a.out, a.name + ".raw.txt"))

    print(tab)
    print()
    print("Table: %s" % md_path)
    if chart_note:
        print(chart_note)
    else:
        for kind in ("latency", "tradeoff", "rundelay"):
            if kind in drawn:
                print("Chart: %s" % drawn[kind][1])
    if a.check:
        errors = check(res, scenarios, configs, drawn)
        if chart_note and drawn is None and chart_note.startswith("Charts failed"):
            errors.append(chart_note)
        for e in errors:
            print("check: " + e, file=sys.stderr)
        if errors:
            return 1
        print("check: table complete" + (", charts valid" if drawn else
                                         " (charts skipped: matplotlib missing)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
