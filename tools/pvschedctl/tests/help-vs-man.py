#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check that pvschedctl's help at every level and pvschedctl.8 agree.

  help-vs-man.py PVSCHEDCTL MANPAGE

Compared: the objects (OBJECT := {...}), every synopsis line (help's Usage
blocks vs. the man page's SYNOPSIS), the long options, the caps keys and
the attach --params keys.  Prints what differs; exit 0 if they agree.
"""
import re
import subprocess
import sys


def run(tool, *args):
    p = subprocess.run([tool, *args], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit("%s %s exited %d" % (tool, " ".join(args), p.returncode))
    return p.stdout


def synopses(text):
    """Synopsis lines of a Usage block, continuation lines joined."""
    out, cur, inblock = [], None, False
    for line in text.splitlines():
        s = line.strip()
        if line.startswith("Usage:"):
            inblock, s = True, line[len("Usage:"):].strip()
        elif not inblock:
            continue
        if not s:
            break
        if s.startswith("pvschedctl"):
            if cur:
                out.append(cur)
            cur = s
        elif cur:
            cur += " " + s
    if cur:
        out.append(cur)
    return [" ".join(x.split()) for x in out]


def man_text(path):
    src = open(path).read()
    src = re.sub(r"\\f[BIRP]", "", src)
    src = src.replace("\\-", "-").replace("\\e", "\\")
    return src


def man_synopses(src):
    m = re.search(r"^\.SH SYNOPSIS\n(.*?)^\.SH ", src, re.S | re.M)
    block = m.group(1)
    lines = [l for l in block.splitlines() if not l.startswith(".")]
    return synopses("Usage: " + "\n".join(lines).replace("\n\n", "\n"))


def braces(text, name):
    m = re.search(re.escape(name) + r"\s*:=\s*\{([^}]*)\}", text, re.S)
    return set(x.strip() for x in m.group(1).split("|")) if m else set()


def main():
    tool, manpath = sys.argv[1], sys.argv[2]
    raw = open(manpath).read()
    src = man_text(manpath)
    top = run(tool, "help")
    objects = braces(top, "OBJECT")
    helps = {"": top}
    for o in sorted(objects - {"help"}):
        helps[o] = run(tool, o, "help")
    bad = 0

    def diff(what, a, b):
        nonlocal bad
        for x in sorted(a - b):
            print("only in help: %s %s" % (what, x))
            bad += 1
        for x in sorted(b - a):
            print("only in man page: %s %s" % (what, x))
            bad += 1

    man_objs = set(re.findall(r"^\.SS (\w+)", src, re.M))
    diff("object", objects - {"help"}, man_objs)
    m = re.search(r"OBJECT \" := \{ \"(.*?)\" \}\"", src)
    man_obj_list = set(x.strip(' "') for x in m.group(1).split("|")) if m else set()
    diff("OBJECT := entry", objects, man_obj_list)

    help_syn = set(s for h in helps.values() for s in synopses(h))
    diff("synopsis", help_syn, set(man_synopses(src)))

    help_opts = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", "\n".join(helps.values())))
    man_opts = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", src))
    diff("option", help_opts, man_opts)

    # keys: every KEY := {...} list of a help must be in the man page
    for o, h in helps.items():
        keys = braces(h, "KEY")
        if not keys:
            continue
        # keys are set in bold in the object's section
        sect = re.search(r"^\.SS %s\n(.*?)(^\.SS |^\.SH )" % o, raw, re.S | re.M)
        man_keys = set(re.findall(r"(?:\\fB|^\.B )([a-z_]+)", sect.group(1), re.M)) if sect else set()
        missing = keys - man_keys
        for k in sorted(missing):
            print("only in help: %s key %s" % (o, k))
            bad += 1
    print("help and man page %s (%d objects, %d synopses, %d options)" %
          ("agree" if not bad else "DISAGREE", len(objects), len(help_syn), len(help_opts)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
