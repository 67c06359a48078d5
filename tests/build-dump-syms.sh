#!/bin/sh
# Build Breakpad's Mac dump_syms (dump_syms_mac) for Linux from the source in the npm package
# minidump@0.26.0 that tests/fetch-breakpad.sh fetched into BUILD_DIR/breakpad
# (../shared/docs/minidump-oracle.md: about 15 s with g++ and make). The result is cached as
# BUILD_DIR/breakpad/dump_syms_mac next to the tarball's checksum; the build tree is removed.
# tests/cli/dumpsyms.sh compares crashport dump-syms with it and skips that part without it.
# usage: tests/build-dump-syms.sh BUILD_DIR
set -eu
dest=$(cd "$1" && pwd)/breakpad
sum=0b09e132e39a5bf555324078a7f1fa2f3fe5c498f44bd80bf6fdfca92c1e2bbd
out=$dest/dump_syms_mac
if [ -x "$out" ] && [ "$(cat "$out.sum" 2>/dev/null)" = "$sum" ]; then
	exit 0
fi
tgz=$dest/minidump-0.26.0.tgz
if [ ! -f "$tgz" ] || ! command -v g++ >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1; then
	echo "build-dump-syms: no $tgz, g++ or make; the dump_syms comparison will be skipped" >&2
	exit 0
fi
echo "$sum  $tgz" | sha256sum -c - >/dev/null
work=$dest/dump-syms-build
rm -rf "$work"
mkdir -p "$work/obj"
tar xzf "$tgz" -C "$work" package/deps/breakpad package/deps/third_party
(cd "$work/obj" && "$work/package/deps/breakpad/configure" -q CPPFLAGS="-I$work/package/deps" &&
	make -s -j"${JOBS:-2}" src/tools/mac/dump_syms/dump_syms_mac) >"$dest/dump-syms-build.log" 2>&1 || {
	echo "build-dump-syms: build failed (see $dest/dump-syms-build.log); comparison skipped" >&2
	rm -rf "$work"
	exit 0
}
cp "$work/obj/src/tools/mac/dump_syms/dump_syms_mac" "$out"
echo "$sum" >"$out.sum"
rm -rf "$work"
echo "build-dump-syms: $out"
