#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/attack/run.sh BUILD_DIR [SERVER_BINARY]
#
# Replays three attacks against a release server (build it with
#   meson setup BUILD_DIR --buildtype=release -Dtests=false && ninja -C BUILD_DIR)
# and prints the figures: deliveries per action with five half-closing
# takers, /health latency while 4,096 connections trickle one header byte
# every 20 s (60 s), and the server's RSS with 1,000 kept-alive connections
# (default header limit, then the largest allowed one).  SERVER_BINARY
# overrides BUILD_DIR/src/server/flyte (e.g. an older build to compare).
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [SERVER_BINARY]}
bin=${2:-$build/src/server/flyte}
[ -x "$bin" ] || { echo "run.sh: $bin not built" >&2; exit 1; }
here=$(dirname "$0")
echo "-- half-closing takers (FLYTE_TAKE_WAIT_MS=9000)"
python3 "$here/attack.py" halfclose --bin "$bin" --env FLYTE_TAKE_WAIT_MS=9000
echo "-- trickle"
python3 "$here/attack.py" trickle --bin "$bin" --connections 4096 --interval 20 --duration 60
echo "-- 1000 kept-alive connections, default header limit"
python3 "$here/attack.py" keepalive --bin "$bin" --connections 1000
echo "-- 1000 kept-alive connections, FLYTE_MAX_HEADER_BYTES=65536"
python3 "$here/attack.py" keepalive --bin "$bin" --connections 1000 --env FLYTE_MAX_HEADER_BYTES=65536
