#!/usr/bin/env python3
"""LLDB walks crashport's minidumps as the reports say, as Breakpad does.

usage: lldb_vs_report.py CRASHPORT LLDB WORKDIR REPORT...

Every REPORT that converts is written as a minidump (-O stack=hybrid, the default) and read by
one LLDB session (`target create --core`, `bt all`). Each thread's frames must be the report's
backtrace: addresses as the model has them (arm64e pointer-auth bits stripped, 32-bit values
masked), up to the first caller below 4096 (walkers stop there). Threads of a recrash file are
the original's, then the crash reporter's thread (README, "The minidump writer"). LLDB shows a
thread without frames with one frame (its pc), and ARM return addresses without the Thumb
bit. One case LLDB cannot walk and is skipped: on ARM, a caller outside every module at the
very address of some thread's frame 0 (that address must stay non-executable for frame 0's
caller to come from lr). Prints the threads that differ; exits 1 when any does, or when LLDB
crashes.
"""
import json
import os
import re
import struct
import subprocess
import sys


def model(cp, path):
    out = subprocess.run([cp, "convert", "-q", "--to", "json", "-O", "indent=0", path],
                         capture_output=True, text=True)
    if out.returncode != 0 or not out.stdout:
        return None
    return json.loads(out.stdout.splitlines()[0])


def threads_of(r):
    orig = r.get("recrash_report")
    body, handler = (r, None) if orig is None else (orig, r)
    crash = body.get("crash") or {}
    ts = [t for t in crash.get("threads") or [] if isinstance(t, dict)]
    kept_apart = crash.get("crashed_thread")
    if isinstance(kept_apart, dict) and not any(t.get("crashed") is True for t in ts):
        ts.append(kept_apart)
    if handler and isinstance((handler.get("crash") or {}).get("crashed_thread"), dict):
        ts.append(handler["crash"]["crashed_thread"])
    return ts


def frames_of(t):
    bt = t.get("backtrace") if isinstance(t.get("backtrace"), dict) else {}
    return [f for f in bt.get("contents") or [] if isinstance(f, dict)]


def address(f, word):
    a = f.get("instruction_addr")
    if not isinstance(a, int) or isinstance(a, bool) or not -2**63 <= a < 2**64:
        return 0  # not a typed address: the model has none
    a %= 2**64
    if word == 4:
        return a & 0xFFFFFFFF
    return a & 0xFFFFFFFFF if a >> 47 else a


def modules(dump):
    d = open(dump, "rb").read()
    count, directory = struct.unpack_from("<II", d, 8)
    for i in range(count):
        kind, _, rva = struct.unpack_from("<III", d, directory + 12 * i)
        if kind == 4:
            n = struct.unpack_from("<I", d, rva)[0]
            return [struct.unpack_from("<QI", d, rva + 4 + 108 * k) for k in range(n)]
    return []


def expected(t, word, arm, mods, pcs):
    want = []
    for k, f in enumerate(frames_of(t)):
        a = address(f, word)
        if k and a < 4096:
            break
        outside = not any(base <= a < base + size for base, size in mods)
        if arm and k >= 2 and outside and a & ~3 in pcs:
            break
        want.append(a & ~1 if arm and word == 4 else a)
    return want


def lldb_frames(block):
    got, cur = {}, None
    for line in block.splitlines():
        m = re.match(r"\s*\*?\s*thread #(\d+)", line)
        if m:
            cur = int(m.group(1))
            got[cur] = []
            continue
        m = re.match(r"\s*\*?\s*frame #\d+: (0x[0-9a-f]+)", line)
        if m and cur is not None:
            got[cur].append(int(m.group(1), 16))
    return got


def main():
    cp, lldb, work = sys.argv[1:4]
    dumps = []
    for rep in sys.argv[4:]:
        r = model(cp, rep)
        dump = os.path.join(work, "%d.dmp" % len(dumps))
        if r is None or subprocess.run([cp, "convert", "-q", "--to", "minidump", "-o", dump, rep],
                                       capture_output=True).returncode:
            continue
        dumps.append((rep, dump, threads_of(r)))
    script = os.path.join(work, "bt.lldb")
    with open(script, "w") as f:
        for _, dump, _ in dumps:
            f.write("target create --core %s\nbt all\ntarget delete\n" % dump)
    run = subprocess.run([lldb, "-b", "-o", "command source -e false " + script],
                         capture_output=True, text=True, timeout=600)
    blocks = re.split(r"\(lldb\) target create --core ", run.stdout)[1:]
    if run.returncode != 0 or len(blocks) != len(dumps):
        print("lldb failed (status %d) after %d of %d dumps" % (run.returncode, len(blocks), len(dumps)))
        print(run.stderr[-2000:])
        return 1
    total = good = 0
    for (rep, dump, ts), block in zip(dumps, blocks):
        loaded = re.search(r"\((\w+)\) was loaded", block)
        arch = loaded.group(1) if loaded else ""
        word = 4 if arch in ("arm", "armv7", "i386") else 8
        arm = arch.startswith("arm")
        got, mods = lldb_frames(block), modules(dump)
        pcs = {address(frames_of(t)[0], word) & ~3 for t in ts if frames_of(t)}
        for i, t in enumerate(ts):
            want, g = expected(t, word, arm, mods, pcs), got.get(i + 1, [])
            total += 1
            if g == want or (not want and len(g) == 1):
                good += 1
            else:
                print("%s: thread %d: lldb %s; the report %s" % (os.path.basename(rep), i,
                      " ".join(map(hex, g)), " ".join(map(hex, want))))
    print("lldb: %d of %d threads walk as their reports say (%d dumps)" % (good, total, len(dumps)))
    return 0 if good == total and total else 1


if __name__ == "__main__":
    sys.exit(main())
