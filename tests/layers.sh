#!/bin/sh
# The tree's architecture, checked: no source sits directly in src/, every top-level folder and
# every folder of src/ and converters/ has a README.md saying what it owns, each folder
# includes only the layers below it (the table below, which the READMEs explain), converters
# never include one another, and the CLI sees only the public headers.
# usage: layers.sh SOURCE_DIR
set -u
cd "$1" || exit 2
fails=0
bad() { fails=$((fails + 1)); echo "FAIL: $*"; }

# What each folder may include besides itself and include/crashport/ (lowest layers first).
allowed() {
	case $1 in
	src/common) echo "" ;;
	src/mem) echo "common" ;;
	src/model) echo "common mem" ;;
	src/emit) echo "common mem model" ;;
	src/json) echo "common" ;;
	src/macho) echo "common mem" ;;
	src/demangle) echo "common mem" ;;
	src/symbols) echo "common mem model macho demangle" ;;
	converters) echo "common mem model emit" ;;
	converters/*) echo "common mem model emit json macho demangle symbols" ;;
	*) echo "?" ;;
	esac
}

for f in src/*.c src/*.h; do
	[ -e "$f" ] && bad "$f: sources belong in a subsystem folder of src/"
done
for d in src/*/ converters/ converters/*/ tools/ tools/crashport/ include/ schema/ fixtures/ tests/ fuzz/ bench/ docs/ cmake/; do
	[ -f "$d/README.md" ] || bad "${d%/} has no README.md"
done

# check_file FILE DIR: every #include "X" of FILE is allowed for DIR.
check_file() {
	file=$1 dir=$2
	ok_tops=$(allowed "$dir")
	[ "$ok_tops" = "?" ] && { bad "$dir: not in the layer table of tests/layers.sh"; return; }
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file" |
	while read -r inc; do
		case $inc in
		crashport/*) continue ;;
		*/*) top=${inc%%/*} ;;
		*)
			[ -f "$dir/$inc" ] && continue
			# a format folder may use the converters' own interface (converters/format.h)
			case $dir in converters/*) [ -f "converters/$inc" ] && continue ;; esac
			echo "FAIL: $file includes \"$inc\", which is not in $dir"
			continue ;;
		esac
		case " $ok_tops " in
		*" $top "*) [ -f "src/$inc" ] || echo "FAIL: $file includes \"$inc\", which is not under src/" ;;
		*) echo "FAIL: $file ($dir) includes \"$inc\": $dir may include only: ${ok_tops:-nothing else}" ;;
		esac
	done
}

out=$(
	for f in src/*/*.[ch] src/*/*.inc converters/*.[ch] converters/*/*.[ch] converters/*/*.inc; do
		[ -f "$f" ] || continue
		check_file "$f" "$(dirname "$f")"
	done
	# the CLI: public headers and its own
	for f in tools/crashport/*.[ch]; do
		sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
		while read -r inc; do
			case $inc in
			crashport/*) ;;
			*/*) echo "FAIL: $f includes \"$inc\": the CLI uses the public API only" ;;
			*) [ -f "tools/crashport/$inc" ] || echo "FAIL: $f includes \"$inc\"" ;;
			esac
		done
	done
)
if [ -n "$out" ]; then
	echo "$out"
	fails=$((fails + $(echo "$out" | grep -c '^FAIL')))
fi
echo "layers: $fails problem(s)"
[ "$fails" -eq 0 ]
