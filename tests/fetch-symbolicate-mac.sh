#!/bin/sh
# Fetch the npm package @electron/symbolicate-mac@3.0.0 (a consumer of macOS .crash text: it
# finds the Binary Images by their macOS line form and symbolicates frames with Breakpad .sym
# files) and its two dependencies, pinned by checksum, into BUILD_DIR/symbolicate-mac. The
# CLI test tests/cli/apple_read.sh uses it and skips cleanly when it is absent, so a machine
# without npm or network only loses that check.
# usage: tests/fetch-symbolicate-mac.sh BUILD_DIR
set -eu
mkdir -p "$1"
dest=$(cd "$1" && pwd)/symbolicate-mac
mods=$dest/node_modules
if [ -f "$mods/@electron/symbolicate-mac/index.js" ]; then
	exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
	echo "fetch-symbolicate-mac: npm not found; that check will be skipped" >&2
	exit 0
fi
mkdir -p "$dest"
cd "$dest"
if ! npm pack --silent @electron/symbolicate-mac@3.0.0 @indutny/breakpad@1.2.3 \
	@indutny/breakpad-parser-wasm@1.0.4 >/dev/null 2>npm-pack.log; then
	echo "fetch-symbolicate-mac: npm pack failed (see $dest/npm-pack.log); check skipped" >&2
	exit 0
fi
sha256sum -c - >/dev/null <<'EOF'
b7120c5536938fc50c1124f9abcaa0864ea65204b0bc6450e4b0f0829200b81e  electron-symbolicate-mac-3.0.0.tgz
ebff2bcf0ce90839ce5fdba858b63dae0242e76f4a5c8c09271a79c611568e0b  indutny-breakpad-1.2.3.tgz
ccc3c34f147af86dcf9a9ac54a01ab1d494538dcad9443e4cecb44273030fbe1  indutny-breakpad-parser-wasm-1.0.4.tgz
EOF
for p in electron/symbolicate-mac:electron-symbolicate-mac-3.0.0 indutny/breakpad:indutny-breakpad-1.2.3 \
	indutny/breakpad-parser-wasm:indutny-breakpad-parser-wasm-1.0.4; do
	dir=$mods/@${p%%:*}
	mkdir -p "$dir"
	tar xzf "${p#*:}.tgz" -C "$dir" --strip-components=1
done
echo "fetch-symbolicate-mac: $mods/@electron/symbolicate-mac"
