#!/usr/bin/python3
"""Turns libFuzzer logs written by tools/fuzz.sh (build-fuzz*/logs/<target>-<time>.log) into the Markdown rows of
tests/fuzz/RESULTS.md: target, wall seconds, executions, exec/s, coverage (cov, ft), corpus size, new units, peak
RSS, slow units (> 1 s), findings, and the load average recorded next to the log.

    /usr/bin/python3 tests/fuzz/summarise_logs.py build-fuzz/logs/*.log
"""
import datetime
import os
import re
import sys


def summarise(path):
    text = open(path, errors="replace").read()
    name = os.path.basename(path)
    target = re.sub(r"-\d{8}T\d{6}\.log$", "", name)
    stats = dict(re.findall(r"^stat::(\w+):\s*(\d+)", text, re.M))
    # The last status line ("#123 DONE cov: 456 ft: 789 corp: 12/3456b ...") or, failing that, the last pulse.
    status = re.findall(r"^#(\d+)\s+(?:DONE|pulse|NEW|REDUCE|INITED)\s+cov: (\d+) ft: (\d+) corp: (\d+)/", text, re.M)
    cov = ft = corpus = "?"
    if status:
        _, cov, ft, corpus = status[-1]
    seconds = re.search(r"Done (\d+) runs in (\d+) second", text)
    if seconds:
        wall = seconds.group(2)
    else:
        # Stopped by a finding: from the start time in the name to the log's last write.
        started = re.search(r"-(\d{8}T\d{6})\.log$", name)
        wall = "?"
        if started:
            start = datetime.datetime.strptime(started.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=datetime.timezone.utc)
            wall = "%d (stopped)" % (os.path.getmtime(path) - start.timestamp())
    execs = stats.get("number_of_executed_units", "?")
    rate = stats.get("average_exec_per_sec", "?")
    slow = len(re.findall(r"^Slowest unit: (\d+) s", text, re.M))
    slowest = max([int(s) for s in re.findall(r"^Slowest unit: (\d+) s", text, re.M)] or [0])
    findings = re.findall(r"^==\d+==\s*ERROR: (\w+): ([^\n]*)|^SUMMARY: ([^\n]*)", text, re.M)
    summary = "; ".join(f[2].strip().removesuffix(" in").strip() for f in findings if f[2]) or "none"
    started = re.search(r"-\d{8}T(\d{2})(\d{2})\d{2}\.log$", name)
    if started:
        target += " (%s:%s)" % started.groups()
    load = open(path + ".load").read().strip() if os.path.exists(path + ".load") else "?"
    return (f"| {target} | {wall} | {execs} | {rate} | {cov} / {ft} | {corpus} | {stats.get('new_units_added', '?')} "
            f"| {stats.get('peak_rss_mb', '?')} | {slow} (max {slowest} s) | {summary} | {load} |")


if __name__ == "__main__":
    print("| target (start, UTC) | s | executions | exec/s | cov / ft | corpus | new units | peak RSS MB | slow units | findings "
          "| load (start -> end) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for log in sys.argv[1:]:
        print(summarise(log))
