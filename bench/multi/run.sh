#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/multi/run.sh BUILD_DIR [SECONDS]
#
# Environment: RATE, the events per second of the latency scenario (default
# 500); SCENARIOS, which of "loop ingest latency" to run (default all).
# flyte on PostgreSQL, one and two servers, beside SQLite: full loops per
# second, ingest events per second and the event -> waiting-take latency,
# measured with BUILD_DIR/bench/load/flyte-load (SECONDS per scenario,
# default 10).  Build it with
#   meson setup BUILD_DIR --buildtype=release -Dtests=false && ninja -C BUILD_DIR
#
# It starts a PostgreSQL cluster of its own (Debian's postgresql binaries,
# initdb in a temporary directory, Unix socket only, default durability:
# fsync on, synchronous_commit on) and, for the balanced runs, haproxy with
# the configuration of docs/multi-instance.md (addresses replaced).  Each
# configuration gets a fresh database.  Configurations:
#
#   sqlite       1 server on SQLite (WAL, synchronous=FULL)
#   pg-1         1 server on PostgreSQL
#   pg-2-split   2 servers on one PostgreSQL database, the load generator
#                spreading packs and senders over both (latency: events to
#                the first server, takes on the second)
#   pg-2-haproxy 2 servers behind haproxy, the load generator talking to
#                haproxy only
#
# Everything it started is stopped and removed on exit (also on failure or
# Ctrl-C).  The machine's cores are shared by the servers, PostgreSQL,
# haproxy and the load generator.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [SECONDS]}
secs=${2:-10}
build=$(cd "$build" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
server=$build/src/server/flyte
load=$build/bench/load/flyte-load
for f in "$server" "$load"; do
	[ -x "$f" ] || { echo "run.sh: $f not built" >&2; exit 1; }
done
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "run.sh: PostgreSQL is not installed (Debian package postgresql)" >&2; exit 1; }
haproxy=$(command -v haproxy || echo /usr/sbin/haproxy)
[ -x "$haproxy" ] || { echo "run.sh: haproxy is not installed (Debian package haproxy)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/flyte-bench-multi.XXXXXX)
pids=()
as_pg=()
[ "$(id -u)" = 0 ] && as_pg=(runuser -u postgres --)
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	[ -d "$tmp/pg/data" ] && "${as_pg[@]}" "$pgbin/pg_ctl" -D "$tmp/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_health() { # URL PID LOG
	for _ in $(seq 1 400); do
		curl -fs "$1/health" >/dev/null 2>&1 && return 0
		kill -0 "$2" 2>/dev/null || { echo "run.sh: a server exited:" >&2; tail -20 "$3" >&2; exit 1; }
		sleep 0.05
	done
	echo "run.sh: $1 is not healthy" >&2
	tail -20 "$3" >&2
	exit 1
}

# start_server NAME ENV... -> prints its URL, appends its pid to pids
started_url=""
start_server() {
	local name=$1 port
	shift
	port=$(free_port)
	env FLYTE_PORT="$port" FLYTE_BIND_ADDRESS=127.0.0.1 FLYTE_MAX_CONNECTIONS_PER_ADDRESS=0 "$@" \
		"$server" >"$tmp/$name.log" 2>&1 &
	pids+=($!)
	wait_health "http://127.0.0.1:$port" $! "$tmp/$name.log"
	started_url="http://127.0.0.1:$port"
}

stop_servers() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	pids=()
}

# the PostgreSQL cluster
mkdir -p "$tmp/pg"
if [ "$(id -u)" = 0 ]; then # PostgreSQL refuses to run as root
	chmod 755 "$tmp"
	chown postgres: "$tmp/pg"
fi
"${as_pg[@]}" "$pgbin/initdb" -D "$tmp/pg/data" -U postgres -A trust -E UTF8 >"$tmp/initdb.log" 2>&1 ||
	{ echo "run.sh: initdb failed:" >&2; cat "$tmp/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$tmp/pg/data" -l "$tmp/pg/server.log" -w \
	-o "-k $tmp/pg -c listen_addresses='' -p 5432 -c max_connections=200" start >/dev/null
pgconn="host=$tmp/pg port=5432 user=postgres"
ndb=0
db=""
new_db() { # -> $db
	ndb=$((ndb + 1))
	"$pgbin/psql" -q "$pgconn dbname=postgres" -c "CREATE DATABASE bench$ndb" >/dev/null
	db="$pgconn dbname=bench$ndb"
}

# haproxy with the documented configuration, in front of the given URLs
start_haproxy() {
	local port servers="$*"
	port=$(free_port)
	awk -v port="$port" -v servers="${servers//http:\/\//}" '
		BEGIN { ns = split(servers, s, " ") }
		$0 == "<!-- haproxy.cfg -->" { f = 1; next }
		f == 1 && /^```/ { f = 2; next }
		f == 2 && /^```/ { exit }
		f != 2 { next }
		$1 == "bind" { print "    bind 127.0.0.1:" port; next }
		$1 == "server" { if (++n <= ns) { $3 = s[n]; print "    " $0 } next }
		{ print }' "$root/docs/multi-instance.md" >"$tmp/haproxy.cfg"
	"$haproxy" -f "$tmp/haproxy.cfg" -db >"$tmp/haproxy.log" 2>&1 &
	pids+=($!)
	wait_health "http://127.0.0.1:$port" $! "$tmp/haproxy.log"
	started_url="http://127.0.0.1:$port"
}

echo "flyte multi-instance benchmark: $(nproc) cores, $secs s per scenario, $("$pgbin/postgres" --version), $("$haproxy" -v | head -1)"
settle() { # what the previous configuration wrote reaches the disk before the next one is measured
	sync
	sleep 2
}
scenarios=${SCENARIOS:-loop ingest latency}
run_load() { # URLS SCENARIO...
	local urls=$1 s
	shift
	for s in "$@"; do
		case " $scenarios " in *" $s "*) ;; *) continue ;; esac
		if [ "$s" = latency ]; then
			"$load" --server "$urls" --scenario latency --duration "$secs" --rate "${RATE:-500}"
		else
			"$load" --server "$urls" --scenario "$s" --duration "$secs"
		fi
	done
}
bench() { # LABEL URLS
	local label=$1 urls=$2
	settle
	echo "== $label"
	run_load "$urls" loop ingest latency
}

start_server sqlite FLYTE_DB_PATH="$tmp/flyte.db"
bench "sqlite: 1 server" "$started_url"
stop_servers

new_db
start_server pg1 FLYTE_DB_URL="$db"
bench "pg-1: 1 server on PostgreSQL" "$started_url"
stop_servers

new_db
start_server pg2a FLYTE_DB_URL="$db"
a=$started_url
start_server pg2b FLYTE_DB_URL="$db"
b=$started_url
bench "pg-2-split: 2 servers on one PostgreSQL database, load spread by the generator" "$a,$b"
stop_servers

new_db
start_server pg3a FLYTE_DB_URL="$db"
a=$started_url
start_server pg3b FLYTE_DB_URL="$db"
b=$started_url
start_haproxy "$a" "$b"
lb=$started_url
settle
echo "== pg-2-haproxy: 2 servers behind haproxy"
run_load "$lb" loop ingest
stop_servers
