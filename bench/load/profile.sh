#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/load/profile.sh BUILD_DIR [SECONDS]
#
# The per-loop breakdown of docs/performance.md: what one full loop (event
# -> action -> result -> action -> result, flyte-load's loop scenario) costs
# the server.  Starts a server of BUILD_DIR on a throw-away database, then
# runs the loop scenario several times, each with a different probe
# attached to the server during the measured window (flyte-load --probe
# counts the loops completed meanwhile, so every count is divided per loop):
#
#   1. CPU time and context switches (flyte-load --server-pid, /proc)
#   2. system calls by kind (perf stat on syscall tracepoints)
#   3. thread hand-offs: wake-ups of a server thread by another server
#      thread (perf record of sched:sched_wakeup, by waker and wakee)
#   4. heap allocations: malloc, calloc and realloc calls (uprobes on libc;
#      they slow the server down, the count per loop stays exact)
#   5. bytes: response bytes on the wire (strace of sendto/sendmsg) and
#      the JSON text stored per loop (read from the database afterwards),
#      and the database and WAL bytes written per loop
#
# Needs root, perf (Debian: linux-perf) and strace.  SECONDS (default 6) is
# the measured window of each run.  FLYTE_SERVER=PATH profiles another
# server binary with this build's generator.
set -euo pipefail
build=${1:?usage: profile.sh BUILD_DIR [SECONDS]}
secs=${2:-6}
build=$(cd "$build" && pwd)
server=${FLYTE_SERVER:-$build/src/server/flyte}
load=$build/bench/load/flyte-load
ready=$build/bench/load/flyte-ready
for f in "$server" "$load" "$ready"; do
	[ -x "$f" ] || { echo "profile.sh: $f not built" >&2; exit 1; }
done
command -v perf >/dev/null || { echo "profile.sh: perf is not installed (Debian: linux-perf)" >&2; exit 1; }
command -v strace >/dev/null || { echo "profile.sh: strace is not installed" >&2; exit 1; }

tmp=$(mktemp -d /tmp/flyte-profile.XXXXXX)
pid=""
probes_added=0
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	[ "$probes_added" = 1 ] && perf probe -q -d 'probe_libc:fl_prof_*' >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
FLYTE_PORT=$port FLYTE_BIND_ADDRESS=127.0.0.1 FLYTE_DB_PATH=$tmp/flyte.db FLYTE_LOG_LEVEL=warn \
	"$server" >"$tmp/server.log" 2>&1 &
pid=$!
"$ready" --port "$port" --timeout 10 >/dev/null || { tail -20 "$tmp/server.log" >&2; exit 1; }
url=http://127.0.0.1:$port
psecs=$(python3 -c "print(max(1.0, $secs - 1.5))")

# run PROBE -> flyte-load's output in $tmp/out; loops during the probe in $loops
run() {
	"$load" --server "$url" --server-pid "$pid" --scenario loop --duration "$secs" --probe "$1" >"$tmp/out" 2>&1
	loops=$(sed -n 's/^probe: *\([0-9]*\) full loops.*/\1/p' "$tmp/out")
	[ -n "$loops" ] && [ "$loops" -gt 0 ] || { cat "$tmp/out" >&2; echo "profile.sh: no loops measured" >&2; exit 1; }
}
per() { python3 -c "print('%.1f' % ($1 / $loops))"; }

echo "== server $server, $(nproc) cores, window ${secs}s per run"

# 1 + 2: CPU, context switches, system calls
sc="read write pwrite64 pread64 fdatasync fsync recvfrom sendto sendmsg writev epoll_wait epoll_ctl futex fcntl"
ev="raw_syscalls:sys_enter"
for s in $sc; do ev="$ev,syscalls:sys_enter_$s"; done
run "perf stat -x, -o $tmp/stat -e $ev,context-switches -p $pid -- sleep $psecs"
grep -E "^loop:|cpu/loop" "$tmp/out"
echo "-- per loop ($loops loops while perf stat ran)"
while IFS=, read -r count _ event _; do
	case "$event" in
	raw_syscalls:sys_enter) printf '  %-18s %s\n' "system calls" "$(per "$count")" ;;
	syscalls:sys_enter_*) [ "$count" != 0 ] && printf '  %-18s %s\n' "  ${event#syscalls:sys_enter_}" "$(per "$count")" ;;
	context-switches) printf '  %-18s %s\n' "context switches" "$(per "$count")" ;;
	esac
done < <(grep -v '^#' "$tmp/stat" | grep -v '^$')

# 3: thread hand-offs (a server thread waking another server thread)
run "perf record -q -e sched:sched_wakeup -p $pid -o $tmp/wake.data -- sleep $psecs >/dev/null 2>&1"
perf script -i "$tmp/wake.data" -F tid,trace 2>/dev/null | python3 -c '
import re, sys, os
pid = sys.argv[1]; loops = int(sys.argv[2])
tids = set(os.listdir("/proc/%s/task" % pid))
inner = outer = 0
for line in sys.stdin:
    m = re.search(r"pid=(\d+)", line)
    if not m:
        continue
    if m.group(1) in tids:
        inner += 1
    else:
        outer += 1
print("  %-18s %.1f" % ("thread hand-offs", inner / loops))
print("  %-18s %.1f" % ("wake-ups of clients", outer / loops))
' "$pid" "$loops"

# 4: heap allocations
if perf probe -q -x "$(ldconfig -p | sed -n 's/.*libc.so.6 .*=> //p' | head -1)" \
	-a fl_prof_malloc=malloc -a fl_prof_calloc=calloc -a fl_prof_realloc=realloc >/dev/null 2>&1; then
	probes_added=1
	run "perf stat -x, -o $tmp/mstat -e probe_libc:fl_prof_malloc,probe_libc:fl_prof_calloc,probe_libc:fl_prof_realloc -p $pid -- sleep $psecs"
	total=$(grep -v '^#' "$tmp/mstat" | awk -F, 'NF > 2 { s += $1 } END { print s + 0 }')
	printf '  %-18s %s (malloc + calloc + realloc; %s loops, slowed by the probes)\n' "heap allocations" "$(per "$total")" "$loops"
else
	echo "  heap allocations: cannot add uprobes to libc (needs root and uprobes)"
fi

# 5: bytes on the wire and in the database
db0=$(stat -c %s "$tmp/flyte.db" 2>/dev/null || echo 0)
run "timeout $psecs strace -q -f -e trace=sendto,sendmsg,writev,pwrite64 -e signal=none -o $tmp/strace -p $pid >/dev/null 2>&1 || true"
python3 - "$tmp/strace" "$loops" "$tmp/flyte.db" <<'PY'
import re, sys
path, loops = sys.argv[1], int(sys.argv[2])
sent = wal = db = 0
for line in open(path):
    m = re.search(r"^\d+\s+(\w+)\((\d+),.*\)\s+=\s+(\d+)", line)
    if not m:
        continue
    call, n = m.group(1), int(m.group(3))
    if call == "pwrite64":
        wal += n
    else:
        sent += n
print("  %-18s %.0f" % ("response bytes", sent / loops))
print("  %-18s %.0f (WAL frames and checkpoints)" % ("file bytes written", wal / loops))
import sqlite3
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[3], uri=True)
n, j = c.execute("select count(*), sum(length(input) + coalesce(length(context),0) + length(trigger) + "
                 "coalesce(length(result),0) + length(states) + coalesce(length(pack_labels),0)) from actions").fetchone()
size = c.execute("select page_count * page_size from pragma_page_count(), pragma_page_size()").fetchone()[0]
loops_total = n / 2.0
print("  %-18s %.0f (input, context, trigger, result, states of its two actions)" % ("JSON stored", j / loops_total))
print("  %-18s %.0f (database file after %d loops, before expiry)" % ("database bytes", size / loops_total, loops_total))
PY
