#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Attacks on the engine and the store, measured: the figures behind tests/api/hardening.c.

usage: bench/engine-attack/attack.py FLYTE_BINARY [SCENARIO...]

Scenarios (all by default):
  costly   one event whose template runs until the render deadline; meanwhile
           an unrelated pack posts events: their latency, and the costly
           event's own wall time
  backlog  101,000 NEW actions for W {env: prod}; take latency of W {env: dev}
           and of a take filtered on another command
  audit    20,000 executions; six concurrent readers of
           GET /v1/audit/flows?limit=10000: server RSS and /health latency

Each scenario starts its own server on a fresh database in a temporary
directory (release build recommended) and prints one line per figure.
"""
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, env=None):
        self.dir = tempfile.mkdtemp(prefix="flyte-attack-")
        self.port = free_port()
        e = {k: v for k, v in os.environ.items() if not k.startswith("FLYTE_")}
        e.update({"FLYTE_PORT": str(self.port), "FLYTE_BIND_ADDRESS": "127.0.0.1",
                  "FLYTE_DB_PATH": os.path.join(self.dir, "flyte.db"), "FLYTE_LOG_LEVEL": "warn"})
        e.update(env or {})
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        self.proc = subprocess.Popen([binary], env=e, stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if self.request("GET", "/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def request(self, method, path, body=None, timeout=60):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        data = json.dumps(body) if body is not None and not isinstance(body, (str, bytes)) else body
        c.request(method, path, body=data, headers={"Content-Type": "application/json"})
        r = c.getresponse()
        out = r.read()
        c.close()
        return r.status, out

    def rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def timed(fn):
    t = time.perf_counter()
    r = fn()
    return (time.perf_counter() - t) * 1000, r


def costly_run(binary, title, template, payload, env=None):
    srv = Server(binary, env)
    try:
        for name in ("Src", "Other", "Worker"):
            srv.request("POST", "/v1/packs", {"name": name})
        srv.request("POST", "/v1/flows", {"name": "costly", "steps": [{"id": "c",
                    "event": {"name": "Big", "packName": "Src"},
                    "command": {"name": "Run", "packName": "Worker", "input": template}}]})
        srv.request("POST", "/v1/flows", {"name": "plain", "steps": [{"id": "p",
                    "event": {"name": "Ping", "packName": "Other"},
                    "command": {"name": "Pong", "packName": "Worker", "input": "{{ Event.Name }}"}}]})
        result = {}

        def post_big():
            result["ms"], result["status"] = timed(lambda: srv.request(
                "POST", "/v1/packs/Src/events", {"event": "Big", "payload": payload}, timeout=600)[0])

        th = threading.Thread(target=post_big)
        th.start()
        time.sleep(0.3)  # the costly event is rendering
        lat = []
        while th.is_alive() and len(lat) < 200:
            ms, st = timed(lambda: srv.request("POST", "/v1/packs/Other/events", {"event": "Ping"}, timeout=600)[0])
            lat.append(ms)
            time.sleep(0.02)
        th.join()
        print(f"costly ({title}): costly event answered {result['status']} after {result['ms']:.0f} ms")
        if lat:
            print(f"costly ({title}): unrelated events meanwhile: n={len(lat)} p50={statistics.median(lat):.1f} ms "
                  f"max={max(lat):.1f} ms")
        else:
            print(f"costly ({title}): the costly event was answered before an unrelated one was sent")
    finally:
        srv.stop()


def costly(binary):
    # the template of the original report: |length of a 3 MB string in a loop
    costly_run(binary, "3 MB |length x 1400, default budgets",
               "{% for m in Event.Payload.l %}{{ Event.Payload.s|length }}{% endfor %}",
               {"s": "x" * 3_000_000, "l": list(range(1400))})
    # a template only the deadline stops (step budget lifted)
    costly_run(binary, "10^6 cheap iterations, step budget lifted",
               "{% for a in Event.Payload.l %}{% for b in Event.Payload.l %}{% for c in Event.Payload.l %}"
               "{% if Event.Payload.s|length == 0 %}x{% endif %}{% endfor %}{% endfor %}{% endfor %}",
               {"s": "x" * 3200, "l": list(range(100))}, {"FLYTE_TEMPLATE_MAX_STEPS": "1000000000000"})


def backlog(binary):
    srv = Server(binary, {"FLYTE_TAKE_WAIT_MS": "0"})
    try:
        srv.request("POST", "/v1/packs", {"name": "Src"})
        srv.request("POST", "/v1/packs", {"name": "W", "labels": {"env": "prod"}})
        srv.request("POST", "/v1/packs", {"name": "W", "labels": {"env": "dev"}})
        steps = [{"id": f"s{i}", "event": {"name": "Flood", "packName": "Src"},
                  "command": {"name": "Work", "packName": "W", "packLabels": {"env": "prod"}, "input": i}}
                 for i in range(1000)]
        srv.request("POST", "/v1/flows", {"name": "flood", "steps": steps})
        srv.request("POST", "/v1/flows", {"name": "mine", "steps": [
            {"id": "m", "event": {"name": "Mine", "packName": "Src"},
             "command": {"name": "Mine", "packName": "W", "packLabels": {"env": "dev"}}},
            {"id": "o", "event": {"name": "Mine", "packName": "Src"},
             "command": {"name": "Other", "packName": "W", "packLabels": {"env": "prod"}}}]})
        for _ in range(101):
            srv.request("POST", "/v1/packs/Src/events", {"event": "Flood"})
        lat_dev, lat_cmd = [], []
        for _ in range(20):
            srv.request("POST", "/v1/packs/Src/events", {"event": "Mine"})
            ms, (st, _) = timed(lambda: srv.request("POST", "/v1/packs/W.env.dev/actions/take"))
            lat_dev.append((ms, st))
            ms, (st2, _) = timed(lambda: srv.request("POST", "/v1/packs/W.env.prod/actions/take?commandName=Other"))
            lat_cmd.append((ms, st2))
        for label, lat in (("other label", lat_dev), ("other command", lat_cmd)):
            oks = [ms for ms, st in lat if st == 200]
            print(f"backlog: take behind 101,000 actions for another {label.split()[1]}: "
                  f"{len(oks)}/{len(lat)} answered 200"
                  + (f", p50={statistics.median(oks):.2f} ms max={max(oks):.2f} ms" if oks else ""))
    finally:
        srv.stop()


def audit(binary):
    srv = Server(binary)
    try:
        srv.request("POST", "/v1/packs", {"name": "P"})
        srv.request("POST", "/v1/flows", {"name": "f", "steps": [
            {"id": "a", "event": {"name": "E", "packName": "P"},
             "command": {"name": "C", "packName": "P", "input": {"text": "{{ Event.Payload.t }}"}}}]})
        body = json.dumps({"event": "E", "payload": {"t": "y" * 600}})

        def sender(n):
            for _ in range(n):
                srv.request("POST", "/v1/packs/P/events", body)

        ths = [threading.Thread(target=sender, args=(5000,)) for _ in range(4)]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        rss0 = srv.rss_mb()
        stop = threading.Event()
        sizes = []

        def reader():
            while not stop.is_set():
                st, out = srv.request("GET", "/v1/audit/flows?limit=10000", timeout=600)
                sizes.append(len(out))

        readers = [threading.Thread(target=reader) for _ in range(6)]
        for t in readers:
            t.start()
        health, peak = [], rss0
        end = time.time() + 20
        while time.time() < end:
            ms, _ = timed(lambda: srv.request("GET", "/health"))
            health.append(ms)
            peak = max(peak, srv.rss_mb())
            time.sleep(0.1)
        stop.set()
        for t in readers:
            t.join()
        print(f"audit: RSS before {rss0:.1f} MB, peak with 6 readers {peak:.1f} MB, after {srv.rss_mb():.1f} MB; "
              f"{len(sizes)} answers of {max(sizes) / 1e6 if sizes else 0:.1f} MB")
        print(f"audit: /health under the readers p50={statistics.median(health):.1f} ms "
              f"max={max(health):.1f} ms (n={len(health)})")
    finally:
        srv.stop()


SCENARIOS = {"costly": costly, "backlog": backlog, "audit": audit}


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    names = sys.argv[2:] or list(SCENARIOS)
    for n in names:
        SCENARIOS[n](sys.argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
