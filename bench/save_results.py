#!/usr/bin/env python3
"""Replace one "## SECTION" of bench/RESULTS.md with a dated table.

usage: save_results.py SECTION TABLE [NOTE]
"""
import datetime, os, platform, re, subprocess, sys

section, table = sys.argv[1], sys.argv[2]
note = sys.argv[3] if len(sys.argv) > 3 else ""
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
try:
    model = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
except (OSError, StopIteration):
    model = platform.processor()
machine = f"{model}, {os.cpu_count()} cores, {round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB"
body = f"## {section}\n\n{datetime.date.today()} on {machine}.\n\n{table}\n" + (f"\n{note}\n" if note else "")
text = open(path).read() if os.path.exists(path) else "# Benchmark results\n\nLatest figures; `make bench` reruns them.\n"
pattern = re.compile(rf"^## {re.escape(section)}\n.*?(?=^## |\Z)", re.S | re.M)
text = pattern.sub(lambda _: body + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + body
open(path, "w").write(text)
