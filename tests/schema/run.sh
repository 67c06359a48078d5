#!/bin/sh
# Input schema test: validates every fixture and corpus report against
# schema/kscrash-report.schema.json with ajv-cli and checks that the schema and the reader agree
# (the schema rejects only reports the reader warns about or rejects; the mutated reports in
# fixtures/schema/ are rejected by both). Skips, exit 0, when node or npm is not available.
# usage: run.sh CRASHPORT_BIN SOURCE_DIR BUILD_DIR
set -u
CRASHPORT=$1
SRC=$2
BUILD=$3

AJV_VERSION=5.0.0
AJV_FORMATS_VERSION=2.1.1
AJV_CORE_VERSION=8.20.0
PREFIX=$BUILD/ajv
AJV=$PREFIX/node_modules/.bin/ajv

if ! command -v node >/dev/null 2>&1; then
	echo "schema: skip (node not available)"
	exit 0
fi
if [ ! -x "$AJV" ] || [ ! -f "$PREFIX/.ajv-$AJV_VERSION-$AJV_CORE_VERSION" ]; then
	if ! command -v npm >/dev/null 2>&1; then
		echo "schema: skip (npm not available to install ajv-cli)"
		exit 0
	fi
	mkdir -p "$PREFIX"
	if ! npm install --prefix "$PREFIX" --no-audit --no-fund --no-save \
		"ajv-cli@$AJV_VERSION" "ajv-formats@$AJV_FORMATS_VERSION" "ajv@$AJV_CORE_VERSION" >"$PREFIX/install.log" 2>&1; then
		echo "schema: skip (npm install ajv-cli@$AJV_VERSION failed, see $PREFIX/install.log)"
		exit 0
	fi
	touch "$PREFIX/.ajv-$AJV_VERSION-$AJV_CORE_VERSION"
fi

WORK=$BUILD/schema-work
rm -rf "$WORK"
mkdir -p "$WORK"

# The schema itself must compile under draft 2020-12 (strict mode).
if ! "$AJV" compile --spec=draft2020 -c ajv-formats -s "$SRC/schema/kscrash-report.schema.json" >"$WORK/compile.log" 2>&1 ||
	grep -q 'strict mode' "$WORK/compile.log"; then
	cat "$WORK/compile.log"
	echo "schema: 1 checks, 1 failed"
	exit 1
fi

node "$SRC/tests/schema/check.js" "$CRASHPORT" "$SRC" "$AJV" "$WORK"
