#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/load/run.sh BUILD_DIR [flyte-load options...]
#
# Starts BUILD_DIR/src/server/flyte (build it with
#   meson setup BUILD_DIR --buildtype=release -Dtests=false && ninja -C BUILD_DIR)
# on 127.0.0.1, a free port and a throw-away database (durable settings:
# the server's defaults), prints its cold start (time to the first answered
# request, measured by flyte-ready) and runs BUILD_DIR/bench/load/flyte-load
# against it with --server-pid, so every scenario also prints the server's
# CPU time and context switches per loop (event) and its resident memory.
# The server and the temporary directory are removed on exit, also on
# failure or Ctrl-C.
#
# Environment: FLYTE_SERVER=PATH runs another server binary (an older
# build, to compare) with this build's generator.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [flyte-load options]}
shift
build=$(cd "$build" && pwd)
server=${FLYTE_SERVER:-$build/src/server/flyte}
load=$build/bench/load/flyte-load
ready=$build/bench/load/flyte-ready
for f in "$server" "$load" "$ready"; do
	[ -x "$f" ] || { echo "run.sh: $f not built" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/flyte-load.XXXXXX)
pid=""
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
t0=$(date +%s%N)
FLYTE_PORT=$port FLYTE_BIND_ADDRESS=127.0.0.1 FLYTE_DB_PATH=$tmp/flyte.db \
	setsid "$server" >"$tmp/server.log" 2>&1 &
pid=$!
if ! "$ready" --port "$port" --since-ns "$t0" --timeout 10; then
	echo "run.sh: the server did not answer:" >&2
	tail -20 "$tmp/server.log" >&2
	exit 1
fi

echo "flyte-load against $server (port $port, pid $pid, database $tmp/flyte.db, $(nproc) cores)"
"$load" --server "http://127.0.0.1:$port" --server-pid "$pid" "$@"
