#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""
attack.py - replays three attacks on a flyte server binary and prints figures.

  halfclose  five clients send a take and then shutdown(SHUT_WR) (what nc -N,
             socat and some proxies do) while their takes wait; five events
             create one action each; afterwards five ordinary takes show
             whether any action was handed out a second time.  Prints the
             deliveries per action (audit states and answers seen).
  trickle    N connections from 127.0.0.2 each send one header byte every
             T seconds; meanwhile GET /health from 127.0.0.1 is timed once per
             second.  Prints /health latency (p50, max) and failures.
  keepalive  N keep-alive connections each make one request and stay open;
             prints the server's VmRSS before and after.

The server is started from --bin on 127.0.0.1 with a free port and a
throw-away database, with the extra FLYTE_* settings given with --env, and
is stopped at the end.  Figures are timings: they belong here, not in tests.
"""
import argparse, json, os, resource, select, signal, socket, statistics, subprocess, sys, tempfile, time
import urllib.request

def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

class Server:
    def __init__(self, binary, env):
        self.dir = tempfile.mkdtemp(prefix="flyte-attack.")
        self.port = free_port()
        e = {k: v for k, v in os.environ.items() if not k.startswith("FLYTE_")}
        e.update(FLYTE_PORT=str(self.port), FLYTE_BIND_ADDRESS="127.0.0.1",
                 FLYTE_DB_PATH=os.path.join(self.dir, "flyte.db"))
        e.update(env)
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen([binary], env=e, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(400):
            try:
                if self.get("/health")[0] == 200: return
            except OSError: pass
            time.sleep(0.05)
        raise SystemExit("the server did not become healthy")
    def url(self, path): return "http://127.0.0.1:%d%s" % (self.port, path)
    def request(self, method, path, body=None, timeout=30):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url(path), data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()
    def get(self, path, timeout=30): return self.request("GET", path, timeout=timeout)
    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"): return int(line.split()[1])
    def logtext(self):
        self.log.flush()
        with open(os.path.join(self.dir, "server.log"), "rb") as f: return f.read().decode("utf-8", "replace")
    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try: self.proc.wait(15)
        except subprocess.TimeoutExpired: self.proc.kill(); self.proc.wait()
        subprocess.run(["rm", "-rf", self.dir])

def raw_take(port, path):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(("POST %s HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
               "Content-Length: 4\r\n\r\nnull" % path).encode())
    s.shutdown(socket.SHUT_WR)
    return s

def read_all(s, timeout):
    s.settimeout(timeout); out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d: break
            out += d
    except (socket.timeout, ConnectionResetError): pass
    s.close(); return out

def skip_interim(a):
    """Drop interim (1xx) answers in front of the final one."""
    while a.startswith(b"HTTP/1.1 1") and b"\r\n\r\n" in a:
        a = a.split(b"\r\n\r\n", 1)[1]
    return a

def halfclose(srv, args):
    srv.request("POST", "/v1/packs", {"name": "HcSrc"})
    srv.request("POST", "/v1/packs", {"name": "HcWorker", "commands": [{"name": "Job"}]})
    flow = {"name": "hc", "steps": [{"id": "s", "event": {"packName": "HcSrc", "name": "Go"},
            "command": {"packName": "HcWorker", "name": "Job", "input": "{{ Event.Payload.n }}"}}]}
    st, _ = srv.request("POST", "/v1/flows", flow)
    assert st == 201, st
    n = args.clients
    socks = [raw_take(srv.port, "/v1/packs/HcWorker/actions/take") for _ in range(n)]
    time.sleep(0.5)  # the takes are parked
    for i in range(n):
        srv.request("POST", "/v1/packs/HcSrc/events", {"event": "Go", "payload": {"n": str(i)}})
    answers = [skip_interim(read_all(s, 15)) for s in socks]
    got = {}
    for a in answers:
        if b" 200 " in a.split(b"\r\n", 1)[0]:
            body = json.loads(a.split(b"\r\n\r\n", 1)[1])
            got.setdefault(body["input"], 0); got[body["input"]] += 1
    time.sleep(0.5)
    second = 0
    for _ in range(n):
        st, body = srv.request("POST", "/v1/packs/HcWorker/actions/take", None, timeout=15)
        if st == 200:
            inp = json.loads(body)["input"]; got.setdefault(inp, 0); got[inp] += 1; second += 1
    st, body = srv.get("/v1/audit/flows?flowName=hc&limit=100")
    states = {}
    for f in json.loads(body)["flows"]:
        a = f["actions"]["s"]
        states[a["input"]] = [x["value"] for x in a.get("states", [])] or [a["state"]["value"]]
    released = srv.logtext().count("was not delivered; released it")
    print("half-closing clients: %d, actions: %d" % (n, n))
    print("answers with an action to the half-closing clients: %d" % sum(1 for a in answers if b" 200 " in a[:20]))
    print("actions handed out again to later takers: %d" % second)
    print("deliveries per action: %s" % ", ".join("%s:%d" % (k, v) for k, v in sorted(got.items())))
    print("\"released\" log lines: %d" % released)
    for k in sorted(states): print("  action %s states: %s" % (k, ",".join(states[k])))

def trickle(srv, args):
    raise_nofile()
    conns, refused = [], 0
    t0 = time.time()
    for i in range(args.connections):
        s = socket.socket(); s.setblocking(True)
        try:
            s.bind(("127.0.0.2", 0)); s.connect(("127.0.0.1", srv.port)); s.setblocking(False)
            conns.append(s)
        except OSError:
            refused += 1; s.close()
    req = b"GET /health HTTP/1.1\r\nHost: a\r\nX-Trickle: " + b"x" * 100000
    pos = {id(s): 0 for s in conns}
    lat, fails = [], 0
    next_byte = time.time(); next_probe = time.time() + 1
    closed = 0
    end = t0 + args.duration
    while time.time() < end:
        now = time.time()
        if now >= next_byte:
            alive = []
            for s in conns:
                try:
                    s.send(req[pos[id(s)]:pos[id(s)] + 1]); pos[id(s)] += 1; alive.append(s)
                except (BlockingIOError,):
                    alive.append(s)
                except OSError:
                    closed += 1; s.close()
            conns = alive
            next_byte = now + args.interval
        if now >= next_probe:
            t = time.time()
            try:
                st, _ = srv.get("/health", timeout=10)
                if st == 200: lat.append((time.time() - t) * 1000)
                else: fails += 1
            except OSError:
                fails += 1
            next_probe = t + 1
        # drop connections the server closed
        po = select.poll()
        byfd = {}
        for s in conns:
            po.register(s, select.POLLIN); byfd[s.fileno()] = s
        for fd, _ in po.poll(0):
            s = byfd[fd]
            try:
                if not s.recv(4096): raise OSError
            except BlockingIOError: continue
            except OSError: pass
            closed += 1; conns.remove(s); s.close()
        time.sleep(0.05)
    for s in conns: s.close()
    lat.sort()
    print("trickle: %d connections opened from 127.0.0.2 (%d refused at connect), one byte every %.0f s, %.0f s"
          % (args.connections, refused, args.interval, args.duration))
    print("connections closed by the server during the attack: %d" % closed)
    if lat:
        print("/health from 127.0.0.1: %d answered, %d failed or timed out (10 s); p50 %.1f ms, max %.1f ms"
              % (len(lat), fails, statistics.median(lat), lat[-1]))
    else:
        print("/health from 127.0.0.1: 0 answered, %d failed or timed out (10 s)" % fails)

def keepalive(srv, args):
    raise_nofile()
    time.sleep(0.5)
    rss0 = srv.rss_kb()
    socks = []
    for i in range(args.connections):
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(b"GET /v1/packs HTTP/1.1\r\nHost: a\r\n\r\n")
        socks.append(s)
    ok = 0
    for s in socks:
        s.settimeout(10)
        d = s.recv(65536)
        if d.startswith(b"HTTP/1.1 200"): ok += 1
    time.sleep(1)
    rss1 = srv.rss_kb()
    print("keep-alive: %d connections, %d answered 200, still open" % (len(socks), ok))
    print("server VmRSS: %d kB before, %d kB with the connections open (+%d kB, %.1f kB per connection)"
          % (rss0, rss1, rss1 - rss0, (rss1 - rss0) / max(1, len(socks))))
    for s in socks: s.close()

def main():
    p = argparse.ArgumentParser()
    p.add_argument("scenario", choices=["halfclose", "trickle", "keepalive"])
    p.add_argument("--bin", required=True)
    p.add_argument("--env", action="append", default=[], help="NAME=value for the server")
    p.add_argument("--clients", type=int, default=5)
    p.add_argument("--connections", type=int, default=4096)
    p.add_argument("--interval", type=float, default=20)
    p.add_argument("--duration", type=float, default=60)
    args = p.parse_args()
    env = dict(e.split("=", 1) for e in args.env)
    srv = Server(args.bin, env)
    try:
        {"halfclose": halfclose, "trickle": trickle, "keepalive": keepalive}[args.scenario](srv, args)
    finally:
        srv.stop()

if __name__ == "__main__":
    main()
