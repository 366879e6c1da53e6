#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Table and chart for the pvsched latency benchmark (python3 stdlib only).

  latency-report.py --raw DIR --out DIR [--name NAME] [--check] [--svg-title T]

Reads DIR/raw.txt (one measurement per line, key=value pairs, written in L1
by tests/bench/latency-lib.sh) and DIR/meta.txt, prints a Markdown table on
stdout and writes OUT/NAME.md (table + run metadata), OUT/NAME.svg (bars per
configuration: guest and host cyclictest avg and max, median with min-max
whiskers, log scale) and OUT/NAME.raw.txt.

--check: exit 1 unless every scenario x configuration of the run has a
complete row (pvsched may be "pending" when its pieces are not built) and the
SVG is well-formed with one bar group per measured configuration.  It
asserts nothing about the values.
"""
import argparse
import math
import os
import shutil
import statistics
import sys
import xml.etree.ElementTree as ET

CONFIG_NAMES = {"vanilla": "vanilla", "rt": "static RT", "pvsched": "pvsched"}
SERIES = [
    ("guest_avg", "guest avg", "#1f77b4"),
    ("guest_max", "guest max", "#9ecae1"),
    ("host_avg", "host avg", "#d62728"),
    ("host_max", "host max", "#f4a6a6"),
]


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


class Cell:
    """The values of one figure over the repetitions."""

    def __init__(self, values):
        self.values = [v for v in values if v is not None]
        self.missing = len(values) - len(self.values)

    def ok(self):
        return bool(self.values) and self.missing == 0

    def med(self):
        return statistics.median(self.values) if self.values else None

    def fmt(self, digits=0):
        if not self.values:
            return "—"
        f = "{:,.%df}" % digits
        lo, md, hi = min(self.values), self.med(), max(self.values)
        s = f.format(md)
        if len(self.values) > 1:
            s += " (" + f.format(lo) + "–" + f.format(hi) + ")"
        if self.missing:
            s += " [%d missing]" % self.missing
        return s


def aggregate(rows, scenarios, configs):
    res = {}
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
            pv = {"boosted": [], "throttled": [], "boosts": [], "throttles": []}
            for r in meas:
                el = num(r.get("elapsed_ns"))
                if "pv_boosted_ns" not in r or not el:
                    continue
                for k, key, scale in (("boosted", "pv_boosted_ns", 100.0),
                                      ("throttled", "pv_throttled_ns", 100.0),
                                      ("boosts", "pv_boosts", 1e9),
                                      ("throttles", "pv_throttles", 1e9)):
                    v = num(r.get(key))
                    pv[k].append(v * scale / el if v is not None else None)
            entry["pv"] = {k: Cell(v) for k, v in pv.items()}
            entry["bad_rc"] = [r.get("guest_rc") for r in meas if r.get("guest_rc", "0") != "0"]
            res[(scen, conf)] = entry
    return res


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "—"
    return "%.2f×" % (a / b)


def exit_cost(path):
    """(column text, Markdown lines) from tests/bench/exit-cost's raw file
    ("CONFIG KIND REP NS_PER_EXIT" lines), or (None, [])."""
    if not path or not os.path.exists(path):
        return None, []
    vals = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            w = line.split()
            if len(w) == 4 and num(w[3]) is not None:
                vals.setdefault((w[1], w[0]), []).append(num(w[3]))
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


def table(res, scenarios, configs, meta, xcost=None):
    hdr = [
        "Scenario", "Config", "Guest avg µs", "Guest max µs", "Host avg µs",
        "Host max µs", "vCPU run delay ms/s", "Guest cycles done %",
        "Hog cpu bogo ops/s", "Guest avg ÷ idle vanilla", "Guest avg ÷ static RT",
        "Exit cost absent/loaded/registered",
    ]
    out = ["| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
    base = res.get(("idle", "vanilla"))
    base_avg = base["guest_avg"].med() if base else None
    exit_cost = xcost or "n/a¹"
    for scen in scenarios:
        rt = res.get((scen, "rt"))
        rt_avg = rt["guest_avg"].med() if rt else None
        for conf in configs:
            e = res[(scen, conf)]
            name = CONFIG_NAMES.get(conf, conf)
            if e["pending"] and not e["measured"]:
                cells = [scen, name] + ["pending²"] * 9 + [exit_cost if conf == "pvsched" else ""]
            else:
                ga = e["guest_avg"].med()
                cells = [
                    scen, name, e["guest_avg"].fmt(), e["guest_max"].fmt(),
                    e["host_avg"].fmt(), e["host_max"].fmt(), e["rundelay"].fmt(1),
                    e["cycles"].fmt(1),
                    e["hog_bogo"].fmt() if scen != "idle" else "—",
                    ratio(ga, base_avg), ratio(ga, rt_avg),
                    exit_cost if conf == "pvsched" else "",
                ]
            out.append("| " + " | ".join(cells) + " |")
    reps = max((e["measured"] for e in res.values()), default=0)
    if str(reps) != meta.get("reps", str(reps)):
        reps = "%s (of %s planned)" % (reps, meta["reps"])
    out.append("")
    out.append("Values: median over %s repetition(s), (min–max) when more than one. "
               "Run delay: time the vCPU thread was runnable but not running on L1, "
               "per second of wall time (schedstat)." % reps)
    if exit_cost.startswith("n/a"):
        out.append("¹ n/a: the per-VM-exit cost (tests/bench/exit-cost) was not run with "
                   "this benchmark (make bench runs it).")
    else:
        out.append("Exit cost: median ns per VM exit with pvsched.ko absent / loaded, VM not "
                   "registered / vCPU registered, as a ratio to absent (tests/bench/exit-cost, "
                   "a separate lab boot of the same run; table below).")
    if meta.get("pvsched_pending"):
        out.append("² pvsched pending: %s." % meta["pvsched_pending"])
    pvrows = [(scen, res[(scen, "pvsched")]["pv"]) for scen in scenarios
              if (scen, "pvsched") in res and res[(scen, "pvsched")].get("pv")
              and res[(scen, "pvsched")]["pv"]["boosted"].values]
    if pvrows:
        out += ["", "pvsched's own counters during the pvsched measurements (per-vCPU "
                "counters of pvsched.ko, deltas over each run, per second of wall time):", "",
                "| Scenario | boosted % of time | throttled % of time | boosts/s | throttles/s |",
                "|---|---|---|---|---|"]
        for scen, pv in pvrows:
            out.append("| %s | %s | %s | %s | %s |" % (scen, pv["boosted"].fmt(1),
                       pv["throttled"].fmt(1), pv["boosts"].fmt(), pv["throttles"].fmt(1)))
    return "\n".join(out)


def esc(s):
    return (str(s).replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;"))


def svg_chart(res, scenarios, configs, title):
    """Grouped bars, log-scale µs axis; one panel per scenario."""
    vals = []
    for e in res.values():
        for key, _, _ in SERIES:
            vals += [v for v in e[key].values if v > 0]
    lo_exp = math.floor(math.log10(min(vals))) if vals else 0
    hi_exp = math.ceil(math.log10(max(vals))) if vals else 1
    if hi_exp <= lo_exp:
        hi_exp = lo_exp + 1
    bar_w, bar_gap, grp_gap, panel_gap = 12, 2, 18, 40
    grp_w = len(SERIES) * (bar_w + bar_gap) - bar_gap
    panel_w = len(configs) * (grp_w + grp_gap) - grp_gap + 20
    left, top, plot_h, bottom = 70, 50, 300, 70
    width = left + len(scenarios) * (panel_w + panel_gap) + 10
    height = top + plot_h + bottom + 30

    def y(v):
        v = max(v, 10 ** lo_exp)
        return top + plot_h - (math.log10(v) - lo_exp) / (hi_exp - lo_exp) * plot_h

    o = []
    o.append('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
             'viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">'
             % (width, height, width, height))
    o.append('<rect x="0" y="0" width="%d" height="%d" fill="white"/>' % (width, height))
    o.append('<text x="%d" y="20" font-size="14" font-weight="bold">%s</text>' % (left, esc(title)))
    # axis and grid
    for ex in range(lo_exp, hi_exp + 1):
        yy = y(10 ** ex)
        o.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>'
                 % (left, yy, width - 10, yy))
        label = "{:,}".format(10 ** ex) if ex >= 0 else "%g" % 10 ** ex
        o.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>' % (left - 5, yy + 4, label))
    o.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>'
             % (left, top, left, top + plot_h))
    o.append('<text transform="translate(15,%d) rotate(-90)" text-anchor="middle">'
             'latency µs (log scale)</text>' % (top + plot_h // 2))
    for si, scen in enumerate(scenarios):
        px = left + 10 + si * (panel_w + panel_gap)
        o.append('<g data-scenario="%s">' % esc(scen))
        o.append('<text x="%.1f" y="%d" text-anchor="middle" font-weight="bold">%s</text>'
                 % (px + panel_w / 2 - 10, top - 8, esc(scen)))
        for ci, conf in enumerate(configs):
            gx = px + ci * (grp_w + grp_gap)
            e = res[(scen, conf)]
            o.append('<g data-config="%s">' % esc(conf))
            for bi, (key, label, color) in enumerate(SERIES):
                bx = gx + bi * (bar_w + bar_gap)
                cell = e[key]
                if not cell.values:
                    continue
                md, mn, mx = cell.med(), min(cell.values), max(cell.values)
                o.append('<rect x="%.1f" y="%.1f" width="%d" height="%.1f" fill="%s">'
                         '<title>%s %s %s: median %.0f µs (min %.0f, max %.0f)</title></rect>'
                         % (bx, y(md), bar_w, top + plot_h - y(md), color,
                            esc(scen), esc(CONFIG_NAMES.get(conf, conf)), label, md, mn, mx))
                if len(cell.values) > 1:
                    cx = bx + bar_w / 2
                    o.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>'
                             % (cx, y(mx), cx, y(mn)))
            name = CONFIG_NAMES.get(conf, conf)
            if e["pending"] and not e["measured"]:
                o.append('<text x="%.1f" y="%d" text-anchor="middle" fill="#888">pending</text>'
                         % (gx + grp_w / 2, top + plot_h - 6))
            o.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>'
                     % (gx + grp_w / 2, top + plot_h + 15, esc(name)))
            o.append('</g>')
        o.append('</g>')
    ly = top + plot_h + 40
    for i, (_, label, color) in enumerate(SERIES):
        lx = left + i * 110
        o.append('<rect x="%d" y="%d" width="12" height="12" fill="%s"/>' % (lx, ly, color))
        o.append('<text x="%d" y="%d">%s</text>' % (lx + 16, ly + 10, label))
    o.append('<text x="%d" y="%d" fill="#555">bars: median; whiskers: min–max over '
             'repetitions</text>' % (left, ly + 30))
    o.append('</svg>')
    return "\n".join(o) + "\n"


def check(res, scenarios, configs, svg_path):
    errors = []
    for scen in scenarios:
        for conf in configs:
            e = res[(scen, conf)]
            if e["pending"] and not e["measured"]:
                if conf != "pvsched":
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
    try:
        root = ET.parse(svg_path).getroot()
        ns = "{http://www.w3.org/2000/svg}"
        if root.tag != ns + "svg":
            errors.append("SVG root is %s" % root.tag)
        groups = [g for g in root.iter(ns + "g") if g.get("data-config")]
        for scen in scenarios:
            for conf in configs:
                e = res[(scen, conf)]
                if not e["measured"]:
                    continue
                gs = [g for g in root.iter(ns + "g") if g.get("data-scenario") == scen]
                bars = [r for g in gs for c in g if c.get("data-config") == conf
                        for r in c.iter(ns + "rect")]
                if len(bars) != len(SERIES):
                    errors.append("SVG: %s/%s has %d bars, expected %d"
                                  % (scen, conf, len(bars), len(SERIES)))
        if not groups:
            errors.append("SVG: no bar groups")
    except (ET.ParseError, OSError) as err:
        errors.append("SVG: %s" % err)
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
    a = ap.parse_args()

    raw = os.path.join(a.raw, "raw.txt")
    if not os.path.exists(raw):
        print("latency-report: %s missing (did the lab run fail?)" % raw, file=sys.stderr)
        return 1
    rows = parse_kv(raw)
    meta = parse_meta(os.path.join(a.raw, "meta.txt"))
    scenarios = meta.get("scenarios", "idle busy contended").split()
    configs = meta.get("configs", "vanilla rt pvsched").split()
    res = aggregate(rows, scenarios, configs)

    os.makedirs(a.out, exist_ok=True)
    md_path = os.path.join(a.out, a.name + ".md")
    svg_path = os.path.join(a.out, a.name + ".svg")
    xcol, xlines = exit_cost(a.exit_cost)
    tab = table(res, scenarios, configs, meta, xcol)
    if xlines:
        tab += "\n\nPer-VM-exit cost (L1 KVM host, pvsched-vmm):\n\n" + "\n".join(xlines)
    title = a.svg_title or ("pvsched latency benchmark: L2 guest and L1 host cyclictest, "
                            "%s × %s s" % (meta.get("reps", "?"), meta.get("dur", "?")))
    with open(svg_path, "w", encoding="utf-8") as f:
        f.write(svg_chart(res, scenarios, configs, title))
    with open(md_path, "w", encoding="utf-8") as f:
        f.write("# pvsched latency benchmark (%s)\n\n" % a.name)
        f.write(tab + "\n\n## Run\n\n")
        for k in sorted(meta):
            f.write("- %s: %s\n" % (k, meta[k]))
        f.write("\nChart: %s\n" % os.path.basename(svg_path))
    shutil.copyfile(raw, os.path.join(a.out, a.name + ".raw.txt"))

    print(tab)
    print()
    print("Table: %s" % md_path)
    print("Chart: %s" % svg_path)
    if a.check:
        errors = check(res, scenarios, configs, svg_path)
        for e in errors:
            print("check: " + e, file=sys.stderr)
        if errors:
            return 1
        print("check: table complete, SVG valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
