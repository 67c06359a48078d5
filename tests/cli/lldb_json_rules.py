#!/usr/bin/env python3
"""What LLDB's `crashlog` command (lldb 16, examples/python/crashlog.py, its JSON parser) needs
of an .ips, restated as checks (../shared/docs/apple-format.md section 10): the body is the JSON
after the first line; pid and procName are read unconditionally; every usedImages entry needs a
base and a uuid Python's uuid.UUID accepts; every frame's imageIndex must name a used image and
come with an imageOffset; the crashed thread is looked up by index in threads, so threads may
not be empty; exception.type is read unconditionally; a threadState's registers are objects
with a value. usage: lldb_json_rules.py FILE.ips... (exit 1 on the first file that fails)"""
import json
import sys
import uuid


def body_of(text):
    try:
        return json.loads(text)
    except ValueError:  # lldb strips the metadata line and tries again
        return json.loads(text.partition("\n")[2])


def check_registers(state, where):
    for key, reg in state.items():
        if key in ("flavor", "rosetta"):
            continue
        if key in ("x", "r"):
            assert isinstance(reg, list), f"{where}: threadState.{key} is not a list"
            continue
        if isinstance(reg, dict) and "value" in reg:
            int(reg["value"])


def check_thread(t, images, where):
    if "id" in t:
        int(t["id"])
    for k, f in enumerate(t.get("frames", [])):
        index = int(f["imageIndex"])
        assert 0 <= index < len(images), f"{where}.frames[{k}]: imageIndex {index} names no image"
        int(images[index]["base"]) + int(f["imageOffset"])
    if t.get("triggered") and "threadState" in t:
        check_registers(t["threadState"], where + ".threadState")


def check(path):
    with open(path, encoding="utf-8") as fh:
        body = body_of(fh.read())
    int(body["pid"])
    assert isinstance(body["procName"], str), "procName is not a string"
    images = body["usedImages"]
    for i, im in enumerate(images):
        uuid.UUID(im["uuid"])
        int(im["base"])
    threads = body["threads"]
    assert threads, "threads is empty: lldb indexes it with the crashed thread's number"
    for i, t in enumerate(threads):
        check_thread(t, images, f"threads[{i}]")
    crashed = [i for i, t in enumerate(threads) if t.get("triggered")]
    assert len(crashed) <= 1, "more than one triggered thread"
    assert isinstance(body["exception"]["type"], str), "exception.type is not a string"
    for key in ("lastExceptionBacktrace",):
        for k, f in enumerate(body.get(key, [])):
            int(images[int(f["imageIndex"])]["base"]) + int(f["imageOffset"])


def main():
    for path in sys.argv[1:]:
        try:
            check(path)
        except (KeyError, ValueError, TypeError, AssertionError, IndexError) as e:
            print(f"{path}: lldb's JSON crashlog parser would fail: {type(e).__name__}: {e}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
