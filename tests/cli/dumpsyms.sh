#!/bin/sh
# End-to-end tests of crashport dump-syms: Breakpad .sym files of the Mach-O fixtures byte for
# byte against fixtures/macho/expected (regenerate deliberately with
# fixtures/macho/regen-goldens.sh), every instruction against llvm-symbolizer's answers in
# expected.tsv, the --store layout, bad inputs. When Breakpad's tools are there (built by
# tests/fetch-breakpad.sh and tests/build-dump-syms.sh into the build directory, or named by
# CRP_BREAKPAD_BIN / CRP_DUMP_SYMS_MAC), also against Breakpad's dump_syms_mac, and
# minidump_stackwalk on a converted fixture report symbolicated with our store.
# usage: dumpsyms.sh path/to/crashport SOURCE_DIR
set -u
LIB=$(cd "$(dirname "$0")" && pwd)/lib.sh
CHECK=$(cd "$(dirname "$0")" && pwd)/sym_vs_tsv.py
CP=$1
BUILD=$(cd "$(dirname "$CP")" && pwd)
cd "$2" || exit 1
M=fixtures/macho
E=$M/expected
. "$LIB"

# The fixtures: golden name, arguments
cases="x86_64-Demo|$M/x86_64/Demo $M/x86_64/Demo.dSYM
x86_64-libdemo|$M/x86_64/libdemo.dylib $M/x86_64/libdemo.dylib.dSYM
x86_64-Demo.stripped|$M/x86_64/Demo.stripped
arm64e-Demo|$M/arm64e/Demo.dSYM
universal-armv7|--arch armv7 $M/universal/Demo $M/universal/Demo.dSYM
universal-x86_64|--arch x86_64 $M/universal/Demo $M/universal/Demo.dSYM"

# -- goldens --------------------------------------------------------------------------------
echo "$cases" | while IFS='|' read -r name args; do
	# shellcheck disable=SC2086
	"$CP" dump-syms $args >"$T/$name.sym" 2>"$T/$name.err" || echo "exit $?" >>"$T/$name.err"
done
for name in $(echo "$cases" | cut -d'|' -f1); do
	same_file "$T/$name.sym" "$E/dump-syms-$name.sym"
	if [ -s "$T/$name.err" ]; then bad "$name: stderr: $(cat "$T/$name.err")"; else ok; fi
done
# the bundle's DWARF file alone, and the binary alone, agree with their goldens' MODULE lines
expect_exit 0 "$CP" dump-syms $M/x86_64/Demo.dSYM/Contents/Resources/DWARF/Demo
head -1 "$E/dump-syms-x86_64-Demo.sym" >"$T/module"
if [ "$(head -1 "$T/out")" = "$(cat "$T/module")" ]; then ok; else bad "DWARF file alone: $(head -1 "$T/out")"; fi
expect_exit 0 "$CP" dump-syms $M/x86_64/Demo.dSYM
same_file "$T/out" "$E/dump-syms-x86_64-Demo.sym"
# MODULE ids are what the minidump writer puts in its CodeView records (UUID + age 0)
uuid=$(awk -F'"' '/"uuid"/ { print $4; exit }' $M/report-x86_64.json | tr -d - | tr a-f A-F)
contains "$E/dump-syms-x86_64-Demo.sym" "^MODULE mac x86_64 ${uuid}0 Demo\$"
# -n, --no-inlines, -m
expect_exit 0 "$CP" dump-syms -n Other --no-inlines $M/x86_64/Demo $M/x86_64/Demo.dSYM
contains "$T/out" "^MODULE mac x86_64 ${uuid}0 Other\$"
lacks "$T/out" "^INLINE"
grep -v '^INLINE' "$E/dump-syms-x86_64-Demo.sym" | sed 1d >"$T/noinl"
sed 1d "$T/out" >"$T/noinl.out"
same_file "$T/noinl.out" "$T/noinl"
expect_exit 0 "$CP" dump-syms -m $M/x86_64/Demo.stripped
contains "$T/out" "^PUBLIC 520 0 die_now\$"

# -- every instruction agrees with llvm-symbolizer (function, inline chain, file:line) ------
# A function whose symbol is an asm label is named by the symbol, as llvm-symbolizer and
# --symbols name it; with --dwarf-names by its DWARF name, as Breakpad's dump_syms names it.
slices="x86_64-Demo x86_64/Demo x86_64 100000000
x86_64-libdemo x86_64/libdemo.dylib x86_64 0
arm64e-Demo arm64e/Demo arm64e 100000000
universal-armv7 universal/Demo armv7 1000
universal-x86_64 universal/Demo x86_64 100000000"
if command -v python3 >/dev/null 2>&1; then
	echo "$slices" | while read -r name image arch base; do
		if python3 "$CHECK" "$T/$name.sym" $M/expected.tsv "$image" "$arch" "$base" >"$T/check" 2>&1; then
			echo ok >>"$T/tsv"
		else
			{ echo "FAIL: $name disagrees with llvm-symbolizer"; head -20 "$T/check"; } >>"$T/tsv"
		fi
		tail -1 "$T/check"
	done
	n=$((n + $(grep -c '^ok$' "$T/tsv") + $(grep -c '^FAIL' "$T/tsv")))
	fails=$((fails + $(grep -c '^FAIL' "$T/tsv")))
	grep -v '^ok$' "$T/tsv"
	"$CP" dump-syms --dwarf-names $M/x86_64/Demo $M/x86_64/Demo.dSYM >"$T/dwarf-names.sym"
	if python3 "$CHECK" "$T/dwarf-names.sym" $M/expected.tsv x86_64/Demo x86_64 100000000 \
		'$s4Demo5crashyySiF=swift_crash' '-[CPDemoView tap:]=objc_tap' >"$T/check" 2>&1; then
		ok
	else
		bad "--dwarf-names disagrees with llvm-symbolizer (but for DWARF's names of asm labels)"
		head -20 "$T/check"
	fi
	contains "$T/dwarf-names.sym" '^FUNC 610 b 0 objc_tap$'
else
	echo "dumpsyms: python3 not found: expected.tsv comparison skipped"
fi

# -- every FUNC is named as crashport's own symbolication (atos, --symbols) names it ---------
echo "$slices" | while read -r name image arch _; do
	awk '$1 == "FUNC" { printf "0x%s ", $2; $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print }' \
		"$T/$name.sym" >"$T/$name.funcs"
	cut -d' ' -f1 "$T/$name.funcs" | xargs "$CP" atos -offset -arch "$arch" -o "$M/$image" |
		sed 's/ (in [^)]*)\( .*\)\{0,1\}$//' >"$T/$name.atos"
	# atos shows Swift demangled (full style); dump-syms keeps it mangled, as Breakpad does
	cut -d' ' -f2- "$T/$name.funcs" | "$CP" demangle --no-cxx >"$T/$name.names"
	if cmp -s "$T/$name.names" "$T/$name.atos"; then echo ok; else
		echo "FAIL: $name: FUNC names differ from atos's"; diff "$T/$name.names" "$T/$name.atos" | head -10
	fi
done >"$T/agree"
n=$((n + $(grep -c '^ok$' "$T/agree") + $(grep -c '^FAIL' "$T/agree")))
fails=$((fails + $(grep -c '^FAIL' "$T/agree")))
grep -v '^ok$' "$T/agree"

# -- -o and --store ---------------------------------------------------------------------------
expect_exit 1 "$CP" dump-syms -o "$T/o/Demo.sym" $M/x86_64/Demo $M/x86_64/Demo.dSYM
contains "$T/err" "cannot write"  # the directory of -o must exist
mkdir -p "$T/o"
expect_exit 0 "$CP" dump-syms -o "$T/o/Demo.sym" $M/x86_64/Demo $M/x86_64/Demo.dSYM
same_file "$T/o/Demo.sym" "$E/dump-syms-x86_64-Demo.sym"
no_temporaries "$T/o"
expect_exit 0 "$CP" dump-syms -o - $M/x86_64/Demo $M/x86_64/Demo.dSYM  # "-": stdout
same_file "$T/out" "$E/dump-syms-x86_64-Demo.sym"
S="$T/store dir"
expect_exit 0 "$CP" dump-syms --store "$S" $M/x86_64/Demo $M/x86_64/Demo.dSYM
id=$(awk 'NR == 1 { print $4 }' "$E/dump-syms-x86_64-Demo.sym")
if [ "$(cat "$T/out")" = "$S/Demo/$id/Demo.sym" ]; then ok; else bad "--store printed $(cat "$T/out")"; fi
same_file "$S/Demo/$id/Demo.sym" "$E/dump-syms-x86_64-Demo.sym"
expect_exit 0 "$CP" dump-syms --store "$S" $M/x86_64/libdemo.dylib $M/x86_64/libdemo.dylib.dSYM
expect_exit 0 "$CP" dump-syms --store "$S" --arch armv7 $M/universal/Demo $M/universal/Demo.dSYM
(cd "$S" && find . -type f | sort) >"$T/layout"
lid=$(awk 'NR == 1 { print $4 }' "$E/dump-syms-x86_64-libdemo.sym")
aid=$(awk 'NR == 1 { print $4 }' "$E/dump-syms-universal-armv7.sym")
printf './Demo/%s/Demo.sym\n./Demo/%s/Demo.sym\n./libdemo.dylib/%s/libdemo.dylib.sym\n' "$aid" "$id" "$lid" |
	sort >"$T/layout.want"
same_file "$T/layout" "$T/layout.want"
no_temporaries "$S"
# storing again replaces the file with the same bytes
expect_exit 0 "$CP" dump-syms --store "$S" $M/x86_64/Demo $M/x86_64/Demo.dSYM
same_file "$S/Demo/$id/Demo.sym" "$E/dump-syms-x86_64-Demo.sym"

# -- bad inputs: a clear message, exit 1, no output file ---------------------------------------
bad_input() { # bad_input MESSAGE ARGS...: fails with MESSAGE; -o and --store leave nothing
	msg=$1; shift
	expect_exit 1 "$CP" dump-syms "$@"
	contains "$T/err" "$msg"
	if [ -s "$T/out" ]; then bad "output on stdout for $*"; else ok; fi
	rm -rf "$T/fail"; mkdir -p "$T/fail"
	expect_exit 1 "$CP" dump-syms -o "$T/fail/x.sym" "$@"
	expect_exit 1 "$CP" dump-syms --store "$T/fail/store" "$@"
	if [ -z "$(ls -A "$T/fail" | grep -v '^store$')" ] && [ -z "$(ls -A "$T/fail/store" 2>/dev/null)" ]; then
		ok
	else
		bad "files left after failing: $(ls -AR "$T/fail")"
	fi
}
head -c 600 $M/x86_64/libdemo.dylib >"$T/truncated.dylib"
bad_input "truncated.dylib: load command" "$T/truncated.dylib"
head -c 20 $M/x86_64/libdemo.dylib >"$T/short.dylib"
bad_input "short.dylib: Mach-O header truncated" "$T/short.dylib"
bad_input "make.sh: not a Mach-O file" $M/make.sh
bad_input "cannot open $M/nonexistent: No such file or directory" $M/nonexistent
bad_input "$M/x86_64/Demo has no arm64 slice (it holds: x86_64)" --arch arm64 $M/x86_64/Demo
bad_input "$M/universal/Demo holds several architectures (x86_64 armv7): choose one" $M/universal/Demo
bad_input "does not belong to $M/x86_64/Demo" $M/x86_64/Demo $M/x86_64/libdemo.dylib.dSYM
bad_input "not a .dSYM bundle" $M/x86_64/Demo $M/src
: >"$T/empty"
bad_input "empty: not a Mach-O file (0 bytes)" "$T/empty"
expect_exit 1 "$CP" dump-syms -n "a/b" $M/x86_64/Demo
contains "$T/err" "'a/b' cannot be a module name"
# usage errors
expect_exit 2 "$CP" dump-syms
contains "$T/err" "dump-syms: MACHO is required"
expect_exit 2 "$CP" dump-syms -o x --store y $M/x86_64/Demo
expect_exit 2 "$CP" dump-syms a b c
expect_exit 0 "$CP" dump-syms --help
contains "$T/out" "usage: crashport dump-syms"
expect_exit 0 "$CP" --help
contains "$T/out" "dump-syms"

# -- Breakpad's own tools --------------------------------------------------------------------
DSM=${CRP_DUMP_SYMS_MAC:-$BUILD/breakpad/dump_syms_mac}
BP=${CRP_BREAKPAD_BIN:-$BUILD/breakpad/package/bin/linux-x64}
if [ -x "$DSM" ]; then
	# Deliberate differences: Breakpad's Linux build names armv7 "arm" (its table lacks armv7),
	# and it cannot read the DWARF 3 range lists of arm64e's nested inlines (it warns "falls out
	# of the .debug_ranges section"), so its INLINE records there are a subset of ours. No STACK
	# CFI is written by us. dump_syms_mac takes arm64e dSYMs only alone. Our default names
	# functions as its -x does; its default is our --dwarf-names: both pairs are compared.
	echo "$cases" | while IFS='|' read -r name args; do
		# shellcheck disable=SC2086
		"$CP" dump-syms --dwarf-names $args >"$T/$name.dwarf.sym" 2>/dev/null
		# shellcheck disable=SC2086
		set -- $args
		a=""
		[ "$1" = --arch ] && { a="-a $2"; [ "$2" = armv7 ] && a="-a arm"; shift 2; }
		g=""
		[ $# -eq 2 ] && g="-g $2"
		# shellcheck disable=SC2086
		"$DSM" -d -x $a $g "$1" 2>/dev/null | grep -v '^STACK ' | sed 's/^MODULE mac arm /MODULE mac armv7 /' >"$T/bp-x-$name.sym"
		grep -v '^INLINE ' "$T/bp-x-$name.sym" >"$T/bp-x-$name.noinl"
		grep -v '^INLINE ' "$T/$name.sym" >"$T/our-x-$name.noinl"
		if cmp -s "$T/bp-x-$name.noinl" "$T/our-x-$name.noinl"; then echo ok >>"$T/oracle"; else
			echo "FAIL: $name: differs from Breakpad's dump_syms -x" >>"$T/oracle"
			diff "$T/bp-x-$name.noinl" "$T/our-x-$name.noinl" | head -20 >>"$T/oracle"
		fi
		# shellcheck disable=SC2086
		"$DSM" -d $a $g "$1" 2>/dev/null | grep -v '^STACK ' | sed 's/^MODULE mac arm /MODULE mac armv7 /' >"$T/bp-$name.sym"
		grep -v '^INLINE ' "$T/bp-$name.sym" >"$T/bp-$name.noinl"
		grep -v '^INLINE ' "$T/$name.dwarf.sym" >"$T/our-$name.noinl"
		if cmp -s "$T/bp-$name.noinl" "$T/our-$name.noinl"; then echo ok >>"$T/oracle"; else
			echo "FAIL: $name: differs from Breakpad's dump_syms" >>"$T/oracle"
			diff "$T/bp-$name.noinl" "$T/our-$name.noinl" | head -20 >>"$T/oracle"
		fi
		grep '^INLINE ' "$T/bp-$name.sym" | sort >"$T/bp-$name.inl"
		grep '^INLINE ' "$T/$name.dwarf.sym" | sort >"$T/our-$name.inl"
		if [ "$name" = arm64e-Demo ]; then
			missing=$(comm -23 "$T/bp-$name.inl" "$T/our-$name.inl")
		else
			missing=$(diff "$T/bp-$name.inl" "$T/our-$name.inl")
		fi
		if [ -z "$missing" ]; then echo ok >>"$T/oracle"; else
			echo "FAIL: $name: INLINE records differ from Breakpad's: $missing" >>"$T/oracle"
		fi
	done
	n_ok=$(grep -c '^ok$' "$T/oracle")
	n=$((n + n_ok))
	if grep -q FAIL "$T/oracle"; then
		grep -v '^ok$' "$T/oracle"
		n_fail=$(grep -c '^FAIL' "$T/oracle")
		n=$((n + n_fail)); fails=$((fails + n_fail))
	fi
	echo "dumpsyms: compared with $DSM"
else
	echo "dumpsyms: Breakpad's dump_syms_mac not found: comparison skipped (tests/build-dump-syms.sh)"
fi

if [ -x "$BP/minidump_stackwalk" ] && command -v python3 >/dev/null 2>&1; then
	# the crashed thread of a fixture report, through a minidump and our symbol store
	"$CP" dump-syms -q --store "$T/syms" $M/x86_64/Demo $M/x86_64/Demo.dSYM >/dev/null
	"$CP" dump-syms -q --store "$T/syms" $M/x86_64/libdemo.dylib $M/x86_64/libdemo.dylib.dSYM >/dev/null
	expect_exit 0 "$CP" convert -q --to minidump -o "$T/r.dmp" $M/report-x86_64.json
	"$BP/minidump_stackwalk" -m "$T/r.dmp" "$T/syms" >"$T/walk" 2>"$T/walk.log"
	# what llvm-symbolizer says of the report's crashed-thread frames: the PC as it is, return
	# addresses one byte earlier (Breakpad's amd64 walker does the same), inline chains expanded
	python3 - "$M/report-x86_64.json" "$M/expected.tsv" >"$T/walk.want" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
rows = {}
for line in open(sys.argv[2]):
    f = line.rstrip("\n").split("\t")
    if f[0] == "x86_64/Demo" and f[2] == "dsym":
        rows[int(f[3], 16)] = f
img = [i for i in r["binary_images"] if i["name"].endswith("/Demo")][0]
t = [t for t in r["crash"]["threads"] if t.get("crashed")][0]
n = 0
for k, fr in enumerate(t["backtrace"]["contents"]):
    a = fr["instruction_addr"] - img["image_addr"] + img["image_vmaddr"]
    row = rows.get(a if k == 0 else a + 1)
    if row is None:
        break
    fn, loc, inl = (row[4], row[5], row[6]) if k == 0 else (row[7], row[8], row[9])
    frames = [(fn, loc)] + ([tuple(p.rsplit("@", 1)) for p in inl.split(" ; ")] if inl != "-" else [])
    for name, where in frames:
        path, line, _ = where.rsplit(":", 2)
        print("0|%d|Demo|%s|%s|%s" % (n, name, path, line))
        n += 1
EOF
	grep '^0|' "$T/walk" | cut -d'|' -f1-6 | head -n "$(wc -l <"$T/walk.want")" >"$T/walk.got"
	if [ -s "$T/walk.want" ] && cmp -s "$T/walk.got" "$T/walk.want"; then ok; else
		bad "minidump_stackwalk frames differ from llvm-symbolizer's"
		diff "$T/walk.got" "$T/walk.want"
	fi
	contains "$T/walk" '^1|0|libdemo.dylib|lib_scale|/crashport/src/lib.c|19|'
	if [ -x "$DSM" ]; then
		# the same walk with Breakpad's own .sym files in the store
		for m in Demo libdemo.dylib; do
			"$DSM" -d -g $M/x86_64/$m.dSYM $M/x86_64/$m 2>/dev/null >"$T/bp.sym"
			read -r _ _ _ id mname <"$T/bp.sym"
			mkdir -p "$T/bpsyms/$mname/$id"
			mv "$T/bp.sym" "$T/bpsyms/$mname/$id/$mname.sym"
		done
		"$BP/minidump_stackwalk" -m "$T/r.dmp" "$T/bpsyms" >"$T/bpwalk" 2>"$T/bpwalk.log"
		grep '^0|' "$T/bpwalk" | cut -d'|' -f1-6 | head -n "$(wc -l <"$T/walk.want")" >"$T/bpwalk.got"
		if [ -s "$T/walk.want" ] && cmp -s "$T/bpwalk.got" "$T/walk.want"; then ok; else
			bad "minidump_stackwalk with Breakpad's .sym files differs from llvm-symbolizer's"
			diff "$T/bpwalk.got" "$T/walk.want"
		fi
	fi
else
	echo "dumpsyms: minidump_stackwalk not found: stack walk check skipped (tests/fetch-breakpad.sh)"
fi

echo "cli dumpsyms: $n checks, $fails failed"
[ "$fails" -eq 0 ]
