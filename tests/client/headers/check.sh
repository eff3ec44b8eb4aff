#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Public header test (TAP): every header under include/ must compile alone
# as C11 (-Wall -Wextra -pedantic -Werror) and, when a C++ compiler is
# available, as C++11; every exported function must carry a /** */ comment.
# usage: check.sh CC CXX|"" INCLUDE_DIR header...
cc=$1 cxx=$2 inc=$3
shift 3
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
total=$(( $# * 3 ))
echo "1..$total"
for h in "$@"; do
	rel=${h#"$inc"/}
	printf '#include <%s>\nint main(void) { return 0; }\n' "$rel" > "$tmp/t.c"
	n=$((n + 1))
	if out=$($cc -std=c11 -Wall -Wextra -pedantic -Werror -I"$inc" -c "$tmp/t.c" -o "$tmp/t.o" 2>&1); then
		echo "ok $n - $rel compiles alone as C11"
	else
		echo "not ok $n - $rel compiles alone as C11"
		echo "$out" | sed 's/^/# /'
	fi
	n=$((n + 1))
	if [ -z "$cxx" ]; then
		echo "ok $n - $rel compiles as C++11 # SKIP no C++ compiler"
	else
		cp "$tmp/t.c" "$tmp/t.cc"
		if out=$($cxx -std=c++11 -Wall -Wextra -pedantic -Werror -I"$inc" -c "$tmp/t.cc" -o "$tmp/t.o" 2>&1); then
			echo "ok $n - $rel compiles as C++11"
		else
			echo "not ok $n - $rel compiles as C++11"
			echo "$out" | sed 's/^/# /'
		fi
	fi
	n=$((n + 1))
	# A FLYTE_API declaration must follow a comment block ending in "*/".
	bad=$(awk '
		/^FLYTE_API/ { if (!prev_doc) print FILENAME ":" FNR ": " $0 }
		{ if ($0 ~ /\*\/[ \t]*$/) prev_doc = 1; else if ($0 !~ /^[ \t]*$/ && $0 !~ /^FLYTE_API/ && $0 !~ /^[ \t]/) prev_doc = 0 }
	' "$h")
	if [ -z "$bad" ]; then
		echo "ok $n - $rel documents every exported function"
	else
		echo "not ok $n - $rel documents every exported function"
		echo "$bad" | sed 's/^/# /'
	fi
done
