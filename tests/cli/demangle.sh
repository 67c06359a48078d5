#!/bin/sh
# End-to-end tests of `crashport demangle` (c++filt and swift-demangle on the command line),
# of Swift names in `info` and in dump-syms's --swift-names option.
# usage: demangle.sh path/to/crashport SOURCE_DIR
set -u
LIB=$(cd "$(dirname "$0")" && pwd)/lib.sh
CP=$1
SRC=$2
FX=$SRC/fixtures
. "$LIB"

# -- names as arguments, both styles, untouched when not mangled -----------------------------
expect_exit 0 "$CP" demangle '$s7Fixture14ViewControllerC11crashTappedyyF' _ZN3foo3barEv main '$s4mai'
printf '%s\n' 'Fixture.ViewController.crashTapped() -> ()' 'foo::bar()' main '$s4mai' > "$T/want"
same_file "$T/out" "$T/want"
expect_exit 0 "$CP" demangle --simplified '$s7Fixture14ViewControllerC11viewDidLoadyyFyycfU_TA' \
	'$ss17_assertionFailure__4file4line5flagss5NeverOs12StaticStringV_A2HSus6UInt32VtF' __TFC3foo3bar3basfT3zimCS_3zim_T_
printf '%s\n' 'partial apply for closure #1 in ViewController.viewDidLoad()' \
	'_assertionFailure(_:_:file:line:flags:)' 'bar.bas(zim:)' > "$T/want"
same_file "$T/out" "$T/want"
expect_exit 0 "$CP" demangle --no-swift '$s4main3fooyyF' _ZN3foo3barEv
printf '%s\n' '$s4main3fooyyF' 'foo::bar()' > "$T/want"
same_file "$T/out" "$T/want"
expect_exit 0 "$CP" demangle -s --no-cxx _ZN3foo3barEv '$s4main3fooyyF'
printf '%s\n' _ZN3foo3barEv 'foo()' > "$T/want"
same_file "$T/out" "$T/want"

# -- a filter: names inside running text, everything else copied, no newline added ----------
printf 'at $s4main3fooyyF + 76 (_ZN3foo3barEv), _$s4main3fooyyF.\n\n$sSi\n  $s4mai x\n_T0: end' \
	> "$T/in"
"$CP" demangle < "$T/in" > "$T/out" 2> "$T/err"
printf 'at main.foo() -> () + 76 (foo::bar()), main.foo() -> ().\n\nSwift.Int\n  $s4mai x\n_T0: end' \
	> "$T/want"
same_file "$T/out" "$T/want"
"$CP" demangle -s < "$T/in" > "$T/out" 2> "$T/err"
printf 'at foo() + 76 (foo::bar()), foo().\n\nInt\n  $s4mai x\n_T0: end' > "$T/want"
same_file "$T/out" "$T/want"
# every name of the simplified fixtures, one per line on stdin
grep -v '^#' "$FX/demangle/swift-simplified.txt" | sed 's/ ---> .*//' > "$T/names"
grep -v '^#' "$FX/demangle/swift-simplified.txt" | sed 's/.* ---> //' > "$T/want"
"$CP" demangle --simplified < "$T/names" > "$T/out"
same_file "$T/out" "$T/want"

# -- usage ----------------------------------------------------------------------------------
expect_exit 0 "$CP" demangle --help
contains "$T/out" "--simplified"
expect_exit 2 "$CP" demangle --bogus
expect_exit 0 "$CP" --help
contains "$T/out" "demangle"

# -- info shows Swift names demangled (full style), the report's own names unchanged ---------
expect_exit 0 "$CP" info "$FX/kscrash/ios18-arm64-swift-trap.json"
contains "$T/out" "Shop.CartModel.total(currency: Swift.String) -> Swift.Double + 152"
contains "$T/out" "closure #1 (Shop.Item) -> Swift.Double in Shop.CartModel.total"
contains "$T/out" "shop::detail::renderCell(shop::Item const&) + 64"
expect_exit 0 "$CP" convert --to json "$FX/kscrash/ios18-arm64-swift-trap.json"
contains "$T/out" '"symbol_name": "$s4Shop9CartModelC5total8currencySdSS_tF"'

# -- dump-syms --swift-names ------------------------------------------------------------------
expect_exit 2 "$CP" dump-syms --swift-names=pretty "$FX/macho/x86_64/Demo"
contains "$T/err" "mangled, full or simplified"
# the fixture's one Swift function (names.c: _$s4Demo5crashyySiF): only its name changes
G=$FX/macho/expected/dump-syms-x86_64-Demo.sym
expect_exit 0 "$CP" dump-syms --swift-names=full "$FX/macho/x86_64/Demo" "$FX/macho/x86_64/Demo.dSYM"
sed 's/^FUNC 620 9 0 \$s4Demo5crashyySiF$/FUNC 620 9 0 Demo.crash(Swift.Int) -> ()/' "$G" > "$T/want"
same_file "$T/out" "$T/want"
expect_exit 0 "$CP" dump-syms --swift-names=simplified "$FX/macho/x86_64/Demo" "$FX/macho/x86_64/Demo.dSYM"
sed 's/^FUNC 620 9 0 \$s4Demo5crashyySiF$/FUNC 620 9 0 crash(_:)/' "$G" > "$T/want"
same_file "$T/out" "$T/want"
expect_exit 0 "$CP" dump-syms --swift-names=full "$FX/macho/x86_64/Demo.stripped"
sed 's/^PUBLIC 620 0 $s4Demo5crashyySiF$/PUBLIC 620 0 Demo.crash(Swift.Int) -> ()/' \
	"$FX/macho/expected/dump-syms-x86_64-Demo.stripped.sym" > "$T/want"
same_file "$T/out" "$T/want"

# -- atos and JSON symbolication: the symbolicator leaves Swift names mangled, they print
# demangled (JSON: with the mangled name as linkage_name) ------------------------------------
expect_exit 0 "$CP" atos -o "$FX/macho/x86_64/Demo.dSYM" 0x100000624
printf '%s\n' 'Demo.crash(Swift.Int) -> () (in Demo) (names.c:16)' > "$T/want"
same_file "$T/out" "$T/want"
sed 's/"instruction_addr": 4470879554/"instruction_addr": 4470879780/' "$FX/macho/report-x86_64.json" > "$T/r.json"
expect_exit 0 "$CP" convert --to json -O indent=0 --symbols "$FX/macho/x86_64" "$T/r.json"
contains "$T/out" '"linkage_name":"$s4Demo5crashyySiF","locations":\[{"function":"Demo.crash(Swift.Int) -> ()","linkage_name":"$s4Demo5crashyySiF","file":"/crashport/src/names.c","line":16'
contains "$T/out" '"symbol_name":"crash_here"'
expect_exit 0 "$CP" convert --to apple --symbols "$FX/macho/x86_64" "$T/r.json"
contains "$T/out" 'crash(_:) + 4 (names.c:16)'


echo "demangle.sh: $n checks, $fails failed"
[ "$fails" -eq 0 ]
