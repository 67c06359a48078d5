#!/usr/bin/env python3
"""Checks a Breakpad .sym file against llvm-symbolizer's answers in fixtures/macho/expected.tsv.

usage: sym_vs_tsv.py SYM TSV IMAGE ARCH BASE [LLVM_NAME=BREAKPAD_NAME...]

For every `dsym` row of IMAGE/ARCH (every instruction of __text, looked up as a PC), the
address is resolved the way Breakpad's resolver does (FUNC covering it, the line record
covering it, the INLINE records covering it, deepest last) and compared with the row:
- the outermost frame (FUNC name) and each inlined frame's name and call line;
- the innermost location (line record file:line) against llvm-symbolizer's file:line;
- an address no FUNC covers must be one llvm-symbolizer has no DWARF location for.
Aliases name functions the two tools name differently on purpose: for a raw linkage name that
is not C++ (an asm label such as a Swift-style symbol), llvm-symbolizer prints it and Breakpad
the DWARF name. Prints "N addresses checked, M failed" and exits 1 on any failure.
"""
import bisect
import sys


def parse_sym(path):
    files, origins, funcs = {}, {}, []
    cur = None
    for raw in open(path, encoding="utf-8"):
        line = raw.rstrip("\n")
        kind, _, rest = line.partition(" ")
        if kind == "FILE":
            i, _, name = rest.partition(" ")
            files[int(i)] = name
        elif kind == "INLINE_ORIGIN":
            i, _, name = rest.partition(" ")
            origins[int(i)] = name
        elif kind == "FUNC":
            parts = rest.split(" ", 3)
            if parts[0] == "m":
                parts = rest.split(" ", 4)[1:]
            cur = {"addr": int(parts[0], 16), "size": int(parts[1], 16), "name": parts[3],
                   "lines": [], "inlines": []}
            funcs.append(cur)
        elif kind == "INLINE":
            f = rest.split()
            ranges = [(int(f[k], 16), int(f[k + 1], 16)) for k in range(4, len(f), 2)]
            cur["inlines"].append({"level": int(f[0]), "call_line": int(f[1]),
                                   "call_file": int(f[2]), "origin": int(f[3]), "ranges": ranges})
        elif kind in ("MODULE", "PUBLIC", "STACK", "INFO"):
            pass
        else:
            a, s, ln, fi = line.split()
            cur["lines"].append((int(a, 16), int(s, 16), int(ln), int(fi)))
    funcs.sort(key=lambda f: f["addr"])
    return files, origins, funcs


def resolve(sym, rel):
    files, origins, funcs = sym
    starts = [f["addr"] for f in funcs]
    i = bisect.bisect_right(starts, rel) - 1
    if i < 0 or rel >= funcs[i]["addr"] + funcs[i]["size"]:
        return None
    f = funcs[i]
    loc = None
    for a, s, ln, fi in f["lines"]:
        if a <= rel < a + s:
            loc = "%s:%d" % (files[fi], ln)
    chain = [inl for inl in f["inlines"]
             if any(a <= rel < a + s for a, s in inl["ranges"])]
    chain.sort(key=lambda inl: inl["level"])
    # frames innermost first: (name, location)
    frames = []
    names = [f["name"]] + [origins[inl["origin"]] for inl in chain]
    calls = ["%s:%d" % (files.get(inl["call_file"], "?"), inl["call_line"]) for inl in chain]
    for k in range(len(names) - 1, -1, -1):
        where = loc if k == len(names) - 1 else calls[k]
        frames.append((names[k], where))
    return frames


def expected(row, aliases):
    """(name, file:line) innermost first, from the row's function, location and inlined."""
    def strip_col(loc):
        return loc.rsplit(":", 1)[0]
    frames = [(aliases.get(row[4], row[4]), strip_col(row[5]))]
    if row[6] != "-":
        for part in row[6].split(" ; "):
            name, _, loc = part.rpartition("@")
            frames.append((aliases.get(name, name), strip_col(loc)))
    return frames


def main():
    sym_path, tsv, image, arch, base = sys.argv[1:6]
    base = int(base, 16)
    aliases = dict(a.split("=", 1) for a in sys.argv[6:])
    sym = parse_sym(sym_path)
    checked = failed = 0
    for raw in open(tsv, encoding="utf-8"):
        if raw.startswith("#"):
            continue
        row = raw.rstrip("\n").split("\t")
        if row[0] != image or row[1] != arch or row[2] != "dsym":
            continue
        addr = int(row[3], 16)
        got = resolve(sym, addr - base)
        want = expected(row, aliases)
        checked += 1
        if got is None:
            ok = want[0][1] == "??:0"  # no FUNC: llvm-symbolizer had no DWARF answer either
        else:
            ok = got == want
        if not ok:
            failed += 1
            print("FAIL %s %s 0x%x: got %s, want %s" % (image, arch, addr, got, want))
    print("%s %s: %d addresses checked, %d failed" % (image, arch, checked, failed))
    return 1 if failed or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
