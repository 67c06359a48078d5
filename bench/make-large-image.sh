#!/bin/sh
# make-large-image.sh OUTDIR [FUNCTIONS]: a large generated dylib with DWARF (libbig.dylib and
# libbig.dylib.dSYM) for the symbolication benchmark: FUNCTIONS C++ functions (default 30000) in
# namespaces, each with an inlined helper, spread over 30 compile units. Needs clang, ld64.lld
# and dsymutil (14 or later). Prints nothing on success.
set -eu
out=$1
n=${2:-30000}
tool() {
	for v in "" -19 -18 -17 -16 -15 -14; do
		command -v "$1$v" >/dev/null 2>&1 && { echo "$1$v"; return; }
	done
	echo "make-large-image: $1 not found" >&2
	exit 2
}
CLANG=$(tool clang) LD=$(tool ld64.lld) DSYMUTIL=$(tool dsymutil)
mkdir -p "$out/src" "$out/obj"
units=30
per=$(( (n + units - 1) / units ))
u=0
while [ $u -lt $units ]; do
	awk -v u=$u -v per=$per 'BEGIN {
		print "#define KEEP(v) __asm__ volatile(\"\" : \"+r\"(v))"
		printf "namespace gen { namespace unit%d {\n", u
		for (i = 0; i < per; i++) {
			printf "static inline __attribute__((always_inline)) int mix%d(int x)\n{\n\tint y = x * %d;\n\tKEEP(y);\n\treturn y ^ %d;\n}\n", i, i + 3, i
			printf "__attribute__((noinline)) int step%d(int x)\n{\n\tint r = mix%d(x);\n", i, i
			if (i > 0)
				printf "\tif (r & 1)\n\t\tr += step%d(r >> 1);\n", i - 1
			printf "\treturn r + %d;\n}\n", i
		}
		printf "} }\nextern \"C\" int entry%d(int x) { return gen::unit%d::step%d(x); }\n", u, u, per - 1
	}' >"$out/src/unit$u.cpp"
	u=$((u + 1))
done
cd "$out/src"
for f in unit*.cpp; do
	"$CLANG" -target x86_64-apple-macos10.15 -g -O1 -ffreestanding -nostdinc -nostdinc++ -fno-builtin \
		-fno-exceptions -fno-rtti -fno-stack-protector -c "$f" -o "../obj/${f%.cpp}.o"
done
cd ../obj
printf -- '--- !tapi-tbd\ntbd-version: 4\ntargets: [ x86_64-macos ]\ninstall-name: /usr/lib/libSystem.B.dylib\nexports:\n  - targets: [ x86_64-macos ]\n    symbols: [ dyld_stub_binder ]\n...\n' >libSystem.tbd
ZERO_AR_DATE=1 "$LD" -arch x86_64 -platform_version macos 10.15 10.15 -dylib \
	-install_name @rpath/libbig.dylib -o ../libbig.dylib unit*.o libSystem.tbd
"$DSYMUTIL" ../libbig.dylib -o ../libbig.dylib.dSYM
