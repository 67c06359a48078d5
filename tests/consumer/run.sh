#!/bin/sh
# Install the built project into a scratch prefix, then build and run a tiny external program
# against it both ways: CMake's find_package(crashport) and pkg-config (shared and static).
# usage: run.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
src=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/crashport-consumer.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
test -x "$prefix/bin/crashport"
test -f "$prefix/share/man/man1/crashport.1"
"$prefix/bin/crashport" --version

cmake -S "$src/tests/consumer" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake" >/dev/null
"$work/cmake/consumer_shared"
"$work/cmake/consumer_static"

libdir=$(ls -d "$prefix"/lib*/pkgconfig | head -1)
export PKG_CONFIG_PATH="$libdir"
cc -o "$work/pc_shared" "$src/tests/consumer/consumer.c" $(pkg-config --cflags --libs crashport) \
	-Wl,-rpath,"$(dirname "$libdir")"
"$work/pc_shared"
cc -DCRP_STATIC -o "$work/pc_static" "$src/tests/consumer/consumer.c" \
	$(pkg-config --cflags crashport) "$(dirname "$libdir")/libcrashport.a" $(pkg-config --static --libs-only-l --libs-only-other crashport | sed 's/-lcrashport//')
"$work/pc_static"
echo "consumer: installed package works with find_package and pkg-config (shared and static)"
