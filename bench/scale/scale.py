#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""
scale.py - does the cost of flyte grow with the data it holds?  Each
measurement runs at two sizes side by side and prints the ratio.

  flows     event matching with 10 and 10,000 stored flows, one of which
            matches the event: server CPU per event (from /proc) and the
            event's answer time
  actions   a database holding 1,000 and 1,000,000 finished actions (one
            execution each): the server's cold start (to its first answer,
            flyte-ready), then take and result answer times and server CPU of
            a loop event -> take -> result
  audit     on the same two databases: GET /v1/audit/flows, first page,
            filtered by flow, by action name, and a page further down
  parked    the server's resident memory with 10,000 takes parked at once,
            after a burst of 2,000 connections (long polls that end, then
            kept-alive GETs) has closed
  ttl       database bytes per full loop, and the file size while actions
            and executions expire after 20 s (it stops growing)

The large database is made with SQL from rows the server itself wrote
(copies with new ids and times), so that it takes seconds instead of the
hours a million loops through the API would; everything measured afterwards
goes through the API.  Usage (bench/scale/run.sh calls it):

  scale.py --server BUILD/src/server/flyte --ready BUILD/bench/load/flyte-ready
           [--load BUILD/bench/load/flyte-load] [--only flows,actions,...]
           [--big 1000000]
"""
import argparse
import asyncio
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def proc_cpu_us(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1e6 / TICK


def proc_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


class Server:
    """One flyte server on a database file; cold start measured by flyte-ready."""

    def __init__(self, args, db, env=None, name="server"):
        self.args, self.db, self.port = args, db, free_port()
        e = dict(os.environ, FLYTE_PORT=str(self.port), FLYTE_BIND_ADDRESS="127.0.0.1", FLYTE_DB_PATH=db,
                 FLYTE_LOG_LEVEL="warn")
        e.update(env or {})
        self.log = open(db + "." + name + ".log", "w")
        t0 = time.time_ns()
        self.proc = subprocess.Popen([args.server], env=e, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        out = subprocess.run([args.ready, "--port", str(self.port), "--since-ns", str(t0), "--timeout", "60"],
                             capture_output=True, text=True)
        if out.returncode != 0:
            self.stop()
            sys.exit("scale.py: the server did not start: " + open(db + "." + name + ".log").read()[-2000:])
        self.start_ms = float(out.stdout.split(":")[-1].split("ms")[0])
        self.pid = self.proc.pid
        self.local = threading.local()

    def conn(self):
        c = getattr(self.local, "c", None)
        if c is None:
            c = self.local.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        return c

    def req(self, method, path, body=None, headers=None):
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        data = json.dumps(body) if body is not None else None
        for attempt in range(2):
            c = self.conn()
            try:
                c.request(method, path, body=data, headers=h)
                r = c.getresponse()
                return r.status, r.read()
            except (http.client.HTTPException, OSError):
                c.close()
                self.local.c = None
                if attempt:
                    raise

    def cpu_us(self):
        return proc_cpu_us(self.pid)

    def rss_mb(self):
        return proc_rss_mb(self.pid)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def timed(fn, *a):
    t = time.perf_counter_ns()
    r = fn(*a)
    return r, (time.perf_counter_ns() - t) / 1e6


def p50(v):
    return statistics.median(v) if v else 0.0


def p99(v):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * 0.99))] if v else 0.0


def ratio(a, b):
    return b / a if a else float("inf")


def row(what, small, big, unit, limit=None):
    r = ratio(small, big)
    verdict = ""
    if limit is not None:
        verdict = "  (target <= %.1fx: %s)" % (limit, "met" if r <= limit else "NOT met")
    print("  %-46s %10.3f %s   %10.3f %s   ratio %.2fx%s" % (what, small, unit, big, unit, r, verdict))
    sys.stdout.flush()


def register(s, name):
    st, body = s.req("POST", "/v1/packs", {"name": name, "commands": [{"name": "Run", "events": ["Done"]}],
                                           "events": [{"name": "E0"}, {"name": "Done"}]})
    if st not in (200, 201, 204):
        sys.exit("scale.py: registering pack %s answered %d: %s" % (name, st, body[:200]))


def put_flow(s, body):
    st, out = s.req("POST", "/v1/flows", body)
    if st not in (200, 201, 204):
        sys.exit("scale.py: putting flow %s answered %d: %s" % (body["name"], st, out[:200]))


def parallel(n_threads, items, fn):
    it = iter(items)
    lock = threading.Lock()

    def work():
        while True:
            with lock:
                try:
                    x = next(it)
                except StopIteration:
                    return
            fn(x)

    th = [threading.Thread(target=work) for _ in range(n_threads)]
    for t in th:
        t.start()
    for t in th:
        t.join()


# ------------------------------------------------------------------ flows

def flows_one(args, tmp, nflows, events):
    s = Server(args, os.path.join(tmp, "flows%d.db" % nflows))
    try:
        register(s, "Src")
        register(s, "Dst")
        flows = [{"name": "f%05d" % i, "description": "scale",
                  "steps": [{"id": "s", "event": {"packName": "Src", "name": "E%d" % i},
                             "command": {"packName": "Dst", "name": "Run",
                                         "input": {"n": "{{ Event.Payload.n }}", "flow": i}}}]}
                 for i in range(nflows)]
        parallel(8, flows, lambda f: put_flow(s, f))
        lat = []
        # CPU over all rounds (the clock ticks of /proc are 10 ms: many events make the figure exact)
        c0 = s.cpu_us()
        for rnd in range(5):

            def post(i):
                st, body = s.req("POST", "/v1/packs/Src/events", {"event": "E0", "payload": {"n": i}})
                if st != 202:
                    sys.exit("scale.py: event answered %d: %s" % (st, body[:200]))

            per = events // 5
            times = []

            def one(i):
                _, ms = timed(post, i)
                times.append(ms)

            parallel(4, range(per), one)
            lat.extend(times)
        cpu = (s.cpu_us() - c0) / (per * 5)
        rss = s.rss_mb()
        return cpu, p50(lat), rss
    finally:
        s.stop()


def bench_flows(args, tmp):
    print("== event matching: 10 vs 10,000 stored flows, one matching (%d events each)" % args.events)
    a = flows_one(args, tmp, 10, args.events)
    b = flows_one(args, tmp, 10000, args.events)
    row("server CPU per event", a[0], b[0], "us", 1.2)
    row("event answer p50", a[1], b[1], "ms")
    row("resident memory after the events", a[2], b[2], "MB")


# ---------------------------------------------------------------- actions

LOOP_FLOW = {"name": "scale-loop", "description": "take and result",
             "steps": [{"id": "work", "event": {"packName": "Src", "name": "E0"},
                        "command": {"packName": "Dst", "name": "Run", "input": {"n": "{{ Event.Payload.n }}"}}}]}


def take_one(s):
    st, body = s.req("POST", "/v1/packs/Dst/actions/take", None, {"Prefer": "wait=5"})
    if st != 200:
        sys.exit("scale.py: take answered %d: %s" % (st, body[:200]))
    return json.loads(body)


def result_one(s, a):
    href = a["links"][0]["href"]
    path = href[href.index("/v1/"):]
    st, body = s.req("POST", path, {"event": "Done", "payload": {"ok": True}})
    if st != 202:
        sys.exit("scale.py: result answered %d: %s" % (st, body[:200]))


def make_db(args, tmp, n):
    """A database with n finished actions, each its own execution, copied from rows the server wrote."""
    db = os.path.join(tmp, "actions%d.db" % n)
    s = Server(args, db, name="make")
    try:
        register(s, "Src")
        register(s, "Dst")
        put_flow(s, LOOP_FLOW)
        for i in range(4):
            s.req("POST", "/v1/packs/Src/events", {"event": "E0", "payload": {"n": i}})
            result_one(s, take_one(s))
    finally:
        s.stop()
    t0 = time.time()
    c = sqlite3.connect(db)
    have = c.execute("SELECT count(*) FROM actions").fetchone()[0]
    todo = max(n - have, 0)
    base = int(time.time()) - 86400
    now_ns = time.time_ns()
    c.execute("BEGIN")
    # every column of the copied row, whatever the schema version of the server that wrote it
    cols = [r[1] for r in c.execute("PRAGMA table_info(actions)") if r[1] != "seq"]
    made = {"id": "printf('%08x%016x', ?2, k.i)", "correlation_id": "printf('%08x%016x', ?2 + 1, k.i)",
            "state_time": "?3 - (?1 - k.i) * 1000000", "lease_until": "0", "expired": "0", "refused": "NULL"}
    c.execute("WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?1) "
              "INSERT INTO actions(%s) SELECT %s "
              "FROM k, (SELECT * FROM actions WHERE state = 2 ORDER BY seq LIMIT 1) t"
              % (", ".join(cols), ", ".join(made.get(x, "t." + x) for x in cols)), (todo, base, now_ns))
    c.execute("""INSERT INTO executions(correlation_id, flow_name, flow_uuid, created, latest_time)
        SELECT correlation_id, flow_name, flow_uuid, state_time, state_time FROM actions
        WHERE correlation_id NOT IN (SELECT correlation_id FROM executions)""")
    c.execute("COMMIT")
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    total = c.execute("SELECT count(*) FROM actions").fetchone()[0]
    c.close()
    print("  (database of %d actions made in %.1f s, %.0f MB)" % (total, time.time() - t0,
                                                                os.path.getsize(db) / 1e6))
    sys.stdout.flush()
    return db


def loops_on(s, n):
    take_ms, result_ms = [], []
    c0 = s.cpu_us()
    for i in range(n):
        s.req("POST", "/v1/packs/Src/events", {"event": "E0", "payload": {"n": i}})
        a, ms = timed(take_one, s)
        take_ms.append(ms)
        _, ms = timed(result_one, s, a)
        result_ms.append(ms)
    return take_ms, result_ms, (s.cpu_us() - c0) / n


AUDIT_QUERIES = [
    ("audit: first page (limit 50)", "/v1/audit/flows?limit=50"),
    ("audit: by flow name", "/v1/audit/flows?flowName=scale-loop&limit=50"),
    ("audit: by action name", "/v1/audit/flows?actionName=Run&limit=50"),
    ("audit: page 11 (start=500)", "/v1/audit/flows?start=500&limit=50"),
]


def actions_one(args, db, loops):
    s = Server(args, db, name="measure")
    try:
        start_ms = s.start_ms
        take_ms, result_ms, cpu = loops_on(s, loops)
        audit = {}
        for what, path in AUDIT_QUERIES:
            t = []
            for _ in range(9):
                (st, body), ms = timed(s.req, "GET", path)
                if st != 200:
                    sys.exit("scale.py: %s answered %d: %s" % (path, st, body[:200]))
                t.append(ms)
            audit[what] = p50(t)
        return start_ms, take_ms, result_ms, cpu, audit, s.rss_mb()
    finally:
        s.stop()


def bench_actions(args, tmp):
    print("== %d vs %d stored actions (each its own execution)" % (1000, args.big))
    small = make_db(args, tmp, 1000)
    big = make_db(args, tmp, args.big)
    a = actions_one(args, small, args.loops)
    b = actions_one(args, big, args.loops)
    row("cold start to the first answer", a[0], b[0], "ms")
    print("  %-46s %s" % ("", "(target: <= 1000 ms on the large database: %s)" % ("met" if b[0] <= 1000 else "NOT met")))
    row("take answer p50", p50(a[1]), p50(b[1]), "ms")
    row("take answer p99", p99(a[1]), p99(b[1]), "ms")
    row("result answer p50", p50(a[2]), p50(b[2]), "ms")
    row("result answer p99", p99(a[2]), p99(b[2]), "ms")
    row("server CPU per event -> take -> result", a[3], b[3], "us")
    for what, _ in AUDIT_QUERIES:
        row(what + " p50", a[4][what], b[4][what], "ms")
    row("resident memory afterwards", a[5], b[5], "MB")
    for db in (small, big):
        for suffix in ("", "-wal", "-shm", ".lock"):
            if os.path.exists(db + suffix):
                os.unlink(db + suffix)


# ----------------------------------------------------------------- parked

async def park_many(port, n, ready):
    req = (b"POST /v1/packs/Dst/actions/take HTTP/1.1\r\nHost: x\r\nPrefer: wait=60\r\n"
           b"Content-Length: 0\r\n\r\n")
    conns = []
    for i in range(n):
        for attempt in range(50):
            try:
                r, w = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            raise RuntimeError("cannot connect")
        w.write(req)
        conns.append((r, w))
        if i % 500 == 499:
            await w.drain()
    await asyncio.sleep(0.5)
    ready()
    return conns


async def burst(port, n):
    """n connections at once, each a long poll that ends (204 after 1 s) then
    two kept-alive GETs (libmicrohttpd zeroes its whole pool between them),
    then all closed."""
    async def answer(r):
        head = await r.readuntil(b"\r\n\r\n")
        length = [ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length:")]
        await r.readexactly(int(length[0].split(b":")[1]) if length else 0)
    conns = []
    for i in range(n):
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(b"POST /v1/packs/Dst/actions/take HTTP/1.1\r\nHost: x\r\nPrefer: wait=1\r\n"
                b"Content-Length: 0\r\n\r\n")
        conns.append((r, w))
    for _ in range(2):
        for r, w in conns:
            await answer(r)
            w.write(b"GET /v1/packs HTTP/1.1\r\nHost: x\r\n\r\n")
    for r, w in conns:
        await answer(r)
        w.close()


def bench_parked(args, tmp):
    print("== resident memory with parked takes")
    s = Server(args, os.path.join(tmp, "parked.db"),
               {"FLYTE_MAX_CONNECTIONS": "12000", "FLYTE_MAX_CONNECTIONS_PER_ADDRESS": "0",
                "FLYTE_MAX_PARKED_TAKES": "12000", "FLYTE_TAKE_WAIT_MAX_MS": "60000",
                "FLYTE_CONNECTION_TIMEOUT_SEC": "120"})
    try:
        register(s, "Dst")
        time.sleep(0.5)
        idle = s.rss_mb()
        got = {}
        loop = asyncio.new_event_loop()
        nburst = min(2000, args.parked)
        loop.run_until_complete(burst(s.port, nburst))
        time.sleep(1.5)  # the server notices the closes and trims its heap (twice a second)
        got["burst"] = s.rss_mb()
        conns = loop.run_until_complete(park_many(s.port, args.parked, lambda: None))
        loop.run_until_complete(asyncio.sleep(2))
        got["rss"] = s.rss_mb()
        for r, w in conns:
            w.close()
        loop.run_until_complete(asyncio.sleep(0.5))
        loop.close()
        print("  %-46s %10.1f MB" % ("idle (one pack registered)", idle))
        print("  %-46s %10.1f MB" % ("after a burst of %d connections closed" % nburst, got["burst"]))
        print("  %-46s %10.1f MB   (target <= 100 MB: %s)" % ("%d takes parked" % args.parked, got["rss"],
                                                             "met" if got["rss"] <= 100 else "NOT met"))
        print("  %-46s %10.1f KB" % ("per parked take", (got["rss"] - idle) * 1024 / args.parked))
    finally:
        s.stop()


# -------------------------------------------------------------------- ttl

def db_bytes(db):
    return sum(os.path.getsize(db + x) for x in ("", "-wal") if os.path.exists(db + x))


def bench_ttl(args, tmp):
    print("== database bytes per loop; actions and executions expiring after 20 s")
    db = os.path.join(tmp, "ttl.db")
    s = Server(args, db, {"FLYTE_TTL_IN_SECONDS": "20", "FLYTE_AUDIT_TTL_IN_SECONDS": "20"})
    secs = args.ttl_secs
    try:
        p = subprocess.Popen([args.load, "--server", "http://127.0.0.1:%d" % s.port, "--scenario", "loop",
                              "--duration", str(secs), "--window", "32", "--senders", "2", "--packs", "4"],
                             stdout=subprocess.PIPE, text=True)
        samples = []
        t0 = time.time()
        while p.poll() is None:
            time.sleep(5)
            samples.append((time.time() - t0, db_bytes(db)))
        out = p.stdout.read()
        loops = 0
        for line in out.splitlines():
            if line.startswith("loop:"):
                loops = int(line.split("full loops=")[1].split()[0])
                print("  " + line[:120])
        c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        n_act = c.execute("SELECT count(*) FROM actions").fetchone()[0]
        free = c.execute("PRAGMA freelist_count").fetchone()[0] * c.execute("PRAGMA page_size").fetchone()[0]
        c.close()
        print("  file size over time (database + WAL):")
        for t, b in samples:
            print("    %5.0f s  %8.1f MB" % (t, b / 1e6))
        first = [b for t, b in samples if t <= 20]
        if first and loops:
            rate = loops / secs
            print("  %-46s %10.0f bytes (first 20 s, before anything expired)" %
                  ("database bytes per full loop", first[-1] / (rate * min(20, samples[len(first) - 1][0]))))
        print("  %-46s %10d actions, %.1f MB free pages to reuse" % ("left at the end", n_act, free / 1e6))
        late = [b for t, b in samples if t >= secs * 0.6]
        if len(late) >= 2:
            # expiry runs every 60 s: the file grows in steps up to TTL + 60 s of loops, then reuses pages
            print("  %-46s %+10.1f MB over the last %.0f s (expiry runs every 60 s: see the sizes above)" %
                  ("growth once expiry runs", (late[-1] - late[0]) / 1e6, samples[-1][0] - samples[-len(late)][0]))
    finally:
        s.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", required=True)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--load")
    ap.add_argument("--only", default="flows,actions,parked,ttl")
    ap.add_argument("--big", type=int, default=1000000)
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--loops", type=int, default=1000)
    ap.add_argument("--parked", type=int, default=10000)
    ap.add_argument("--ttl-secs", type=int, default=150)
    args = ap.parse_args()
    only = args.only.split(",")
    tmp = tempfile.mkdtemp(prefix="flyte-scale.")
    print("flyte scale benchmark: %s, %d cores" % (args.server, os.cpu_count()))
    try:
        if "flows" in only:
            bench_flows(args, tmp)
        if "actions" in only:
            bench_actions(args, tmp)
        if "parked" in only:
            bench_parked(args, tmp)
        if "ttl" in only and args.load:
            bench_ttl(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
