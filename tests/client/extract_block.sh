#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# extract_block.sh MARKER DOC OUT: copy the fenced code block that follows the
# line "<!-- MARKER -->" in DOC into OUT (so examples in the docs are compiled
# and run by the tests).  Fails if the block is missing.
marker=$1 doc=$2 out=$3
awk -v m="<!-- $marker -->" '
	$0 == m { found = 1; next }
	found == 1 && /^```/ { found = 2; next }
	found == 2 && /^```/ { exit }
	found == 2 { print }
' "$doc" > "$out.tmp" || exit 1
if [ ! -s "$out.tmp" ]; then
	echo "extract_block.sh: no block after '<!-- $marker -->' in $doc" >&2
	rm -f "$out.tmp"
	exit 1
fi
mv "$out.tmp" "$out"
