#!/bin/sh
# Fetch Google Breakpad's minidump_stackwalk and minidump_dump, prebuilt for Linux x86-64 in the
# npm package minidump@0.26.0 (../shared/docs/minidump-oracle.md), into BUILD_DIR/breakpad.
# The minidump oracle tests use them and skip cleanly when they are absent, so a machine
# without npm or without network only loses those checks.
# usage: tests/fetch-breakpad.sh BUILD_DIR
set -eu
dest=$1/breakpad
bin=$dest/package/bin/linux-x64
sum=0b09e132e39a5bf555324078a7f1fa2f3fe5c498f44bd80bf6fdfca92c1e2bbd
if [ -x "$bin/minidump_stackwalk" ]; then
	exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
	echo "fetch-breakpad: npm not found; the Breakpad checks will be skipped" >&2
	exit 0
fi
mkdir -p "$dest"
cd "$dest"
if ! npm pack --silent minidump@0.26.0 >/dev/null 2>npm-pack.log; then
	echo "fetch-breakpad: npm pack failed (see $dest/npm-pack.log); Breakpad checks skipped" >&2
	exit 0
fi
echo "$sum  minidump-0.26.0.tgz" | sha256sum -c - >/dev/null
tar xzf minidump-0.26.0.tgz package/bin/linux-x64
echo "fetch-breakpad: $bin"
