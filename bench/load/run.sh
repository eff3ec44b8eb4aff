#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/load/run.sh BUILD_DIR [flyte-load options...]
#
# Starts BUILD_DIR/src/server/flyte (build it with
#   meson setup BUILD_DIR --buildtype=release -Dtests=false && ninja -C BUILD_DIR)
# on 127.0.0.1, a free port and a throw-away database (durable settings:
# the server's defaults), runs BUILD_DIR/bench/load/flyte-load against it and
# prints its summary.  The server and the temporary directory are removed on
# exit, also on failure or Ctrl-C.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [flyte-load options]}
shift
build=$(cd "$build" && pwd)
server=$build/src/server/flyte
load=$build/bench/load/flyte-load
for f in "$server" "$load"; do
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
FLYTE_PORT=$port FLYTE_BIND_ADDRESS=127.0.0.1 FLYTE_DB_PATH=$tmp/flyte.db \
	"$server" >"$tmp/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do
	curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
	kill -0 "$pid" 2>/dev/null || { echo "run.sh: the server exited:" >&2; tail -20 "$tmp/server.log" >&2; exit 1; }
	sleep 0.05
done
curl -fs "http://127.0.0.1:$port/health" >/dev/null || { echo "run.sh: the server is not healthy" >&2; exit 1; }

echo "flyte-load against $server (port $port, database $tmp/flyte.db, $(nproc) cores)"
"$load" --server "http://127.0.0.1:$port" "$@"
