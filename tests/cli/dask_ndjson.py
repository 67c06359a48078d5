#!/usr/bin/env python3
"""crashport's --ndjson filter under a real distributed engine: Dask's distributed scheduler.

usage: dask_ndjson.py CRASHPORT FIXTURES_DIR WORKDIR

A LocalCluster on loopback with two worker processes maps 10,000 report lines (fixture reports
on one line each, every line a different report id, a few bad lines among them), partition by
partition, through `crashport convert --to json --ndjson`, the way Spark's RDD.pipe does. The
collected output must be what one process makes of the same lines: line for line, in input
order, except `line` (also in error and warning positions), which counts the lines of each
process's input: each partition starts at 1. Exits 0 when it is, 1 when not, 77 when Dask cannot be imported.
"""
import json
import os
import re
import subprocess
import sys

LINES = 10000
PARTITIONS = 8


def report_lines(cp, fixtures):
    names = ["ios18-watchdog-hang", "ios12-arm64-nsexception", "ios17-oom-memory-termination",
             "ios8-user-reported-javascript"]
    compact = []
    for n in names:
        out = subprocess.run([cp, "convert", "-q", "--to", "json", "-O", "indent=0",
                              os.path.join(fixtures, "kscrash", n + ".json")],
                             check=True, capture_output=True, text=True).stdout
        compact.append(out.rstrip("\n"))
    lines = []
    for i in range(LINES):
        if i % 997 == 500:
            lines.append("not a report")  # error lines travel too
            continue
        r = json.loads(compact[i % len(compact)])
        r["report"]["id"] = "L%05d" % i
        lines.append(json.dumps(r, separators=(",", ":")))
    return lines


def convert(cp, lines):
    """One crashport process over some lines: its output lines."""
    out = subprocess.run([cp, "convert", "--to", "json", "--ndjson"], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def without_line(rows):
    """Lines counted per process (the record's and its diagnostics') left out."""
    return [re.sub(r'"line":\d+', '"line":', r) for r in rows]


def main():
    cp, fixtures, work = sys.argv[1:4]
    try:
        import dask.bag as db
        from dask.distributed import Client, LocalCluster
    except ImportError as e:
        print("skip: Dask's distributed scheduler is not installed (%s)" % e)
        return 77
    lines = report_lines(cp, fixtures)
    single = convert(cp, lines)
    os.environ["DASK_TEMPORARY_DIRECTORY"] = work
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, local_directory=work) as cluster, Client(cluster) as client:
        bag = db.from_sequence(lines, npartitions=PARTITIONS)
        parts = bag.map_partitions(lambda part: convert(cp, list(part)))
        distributed = parts.compute()
        workers = len(client.scheduler_info()["workers"])
    failures = []
    if workers != 2:
        failures.append("%d workers, want 2" % workers)
    if len(distributed) != len(lines):
        failures.append("%d output lines for %d input lines" % (len(distributed), len(lines)))
    if without_line(distributed) != without_line(single):
        failures.append("the output differs from one process's")
    starts = sum(1 for r in distributed if r.startswith('{"line":1,'))
    if starts != PARTITIONS:
        failures.append("%d partitions started at line 1, want %d" % (starts, PARTITIONS))
    errors = sum(1 for r in distributed if '"status":"error"' in r)
    if errors != sum(1 for line in lines if line == "not a report"):
        failures.append("%d error lines" % errors)
    for f in failures:
        print("FAIL: dask: " + f)
    print("dask: %d lines in %d partitions on %d workers; %s" % (len(lines), PARTITIONS, workers,
          "same as one process" if not failures else "%d failures" % len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
