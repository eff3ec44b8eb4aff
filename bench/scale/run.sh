#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/scale/run.sh BUILD_DIR [scale.py options...]
#
# Does flyte's cost grow with the data it holds?  Runs bench/scale/scale.py
# against BUILD_DIR/src/server/flyte (build it with
#   meson setup BUILD_DIR --buildtype=release -Dtests=false && ninja -C BUILD_DIR)
# and prints, each at two sizes side by side with their ratio: event
# matching with 10 and 10,000 stored flows; cold start, take and result
# answer times and audit queries on databases of 1,000 and 1,000,000
# actions; resident memory with 10,000 parked takes; database bytes per loop
# and the file size while actions expire.  It takes about six minutes and
# needs about 3 GB of free space in $TMPDIR (default /tmp) for the large
# database.  Options: --only flows,actions,parked,ttl (a subset),
# --big N (size of the large database), see scale.py --help.
# FLYTE_SERVER=PATH measures another server binary.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [scale.py options]}
shift
build=$(cd "$build" && pwd)
server=${FLYTE_SERVER:-$build/src/server/flyte}
for f in "$server" "$build/bench/load/flyte-ready" "$build/bench/load/flyte-load"; do
	[ -x "$f" ] || { echo "run.sh: $f not built" >&2; exit 1; }
done
exec python3 "$(dirname "$0")/scale.py" --server "$server" --ready "$build/bench/load/flyte-ready" \
	--load "$build/bench/load/flyte-load" "$@"
