#!/usr/bin/env python3
"""The soak's producer, sampler and final check (run by deploy/soak, which starts the services and the daemon).

Registration events go to a Redis stream at a steady rate, round-robin over N presentities (sip:<prefix>u<i>):
the k-th event of a presentity is a contact-insert when k is even and a contact-delete when k is odd, with
seq k + 1, so what the feed last said of each presentity is known. Every 10 s the daemon's RSS, open file
descriptors and in-flight transactions (/status) are sampled into a CSV. After the run the stream is drained
(every entry acknowledged, nothing in flight), then Kamailio's presentity table is compared with what the
feed last said: open presentities must have exactly one live row with <basic>open</basic>, closed ones none
or one with <basic>closed</basic>. Exit status 0 only if every check holds. Standard library only; talks
to 127.0.0.1 only.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request


class Redis:
    """A minimal RESP client (no dependency), pipelining commands."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buffer = b""

    @staticmethod
    def encode(args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def _line(self):
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buffer) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n + 2:]
        return data

    def reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError("redis: " + rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n).decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise RuntimeError("redis: unexpected reply %r" % line)

    def pipeline(self, commands):
        self.sock.sendall(b"".join(self.encode(c) for c in commands))
        return [self.reply() for _ in commands]

    def command(self, *args):
        return self.pipeline([args])[0]


def event(prefix, i, k):
    user = "%su%d" % (prefix, i)
    aor = "sip:%s@127.0.0.1" % user
    contact = "sip:%s@192.0.2.1:5060" % user
    if k % 2 == 0:
        return '{"event":"contact-insert","aor":"%s","contact":"%s","expires":7200,"seq":%d}' % (aor, contact, k + 1)
    return '{"event":"contact-delete","aor":"%s","contact":"%s","seq":%d}' % (aor, contact, k + 1)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def status(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/status" % port, timeout=10) as r:
        return json.load(r)


def log(text):
    print("[soak] %s %s" % (time.strftime("%H:%M:%S"), text), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--redis-port", type=int, required=True)
    p.add_argument("--stream", required=True)
    p.add_argument("--group", required=True)
    p.add_argument("--status-port", type=int, required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--psql", required=True, help="psql command line reaching Kamailio's database, as one string")
    p.add_argument("--prefix", required=True)
    p.add_argument("--presentities", type=int, default=100000)
    p.add_argument("--rate", type=int, default=250)
    p.add_argument("--seconds", type=int, default=3600)
    p.add_argument("--samples", required=True, help="CSV file for the samples")
    p.add_argument("--max-transactions", type=int, default=1024)
    a = p.parse_args()

    redis = Redis(a.redis_port)
    samples = open(a.samples, "w")
    samples.write("elapsed_s,events,rss_kib,fds,transactions_in_flight,publications,stream_pending\n")
    rows = []

    def sample(elapsed, sent):
        fds = len(os.listdir("/proc/%d/fd" % a.pid))
        st = status(a.status_port)
        in_flight = st.get("transactionsInFlight") or 0
        pubs = sum(sum(v.values()) for v in (st.get("publications") or {}).values())
        pending = redis.command("XPENDING", a.stream, a.group)[0]
        row = (round(elapsed), sent, rss_kib(a.pid), fds, in_flight, pubs, pending)
        rows.append(row)
        samples.write(",".join(str(x) for x in row) + "\n")
        samples.flush()
        return row

    log("%d presentities, %d events/s for %d s on stream %s" % (a.presentities, a.rate, a.seconds, a.stream))
    start = time.monotonic()
    sent = 0
    tick = 0.1
    per_tick = max(1, round(a.rate * tick))
    next_sample = 0.0
    next_report = 60.0
    while True:
        elapsed = time.monotonic() - start
        if elapsed >= a.seconds:
            break
        due = int(elapsed / tick) * per_tick
        if sent < due:
            batch = []
            for c in range(sent, min(due, sent + 5000)):
                batch.append(("XADD", a.stream, "*", "payload", event(a.prefix, c % a.presentities, c // a.presentities)))
            redis.pipeline(batch)
            sent += len(batch)
        if elapsed >= next_sample:
            row = sample(elapsed, sent)
            next_sample += 10
            if elapsed >= next_report:
                log("t=%ds events=%d rss=%.1f MiB fds=%d in-flight=%d publications=%d pending=%d"
                    % (row[0], row[1], row[2] / 1024, row[3], row[4], row[5], row[6]))
                next_report += 60
        time.sleep(max(0.0, tick - ((time.monotonic() - start) % tick)))
    log("producer done: %d events in %.0f s" % (sent, time.monotonic() - start))

    # Drain: every entry acknowledged, nothing in flight, for 10 s in a row.
    deadline = time.monotonic() + 600
    quiet_since = None
    while time.monotonic() < deadline:
        row = sample(time.monotonic() - start, sent)
        idle = row[6] == 0 and row[4] == 0
        if idle and quiet_since is None:
            quiet_since = time.monotonic()
        if not idle:
            quiet_since = None
        if quiet_since is not None and time.monotonic() - quiet_since >= 10:
            break
        time.sleep(2)
    drained = quiet_since is not None

    # What the feed last said of each presentity.
    expected_open = {}
    for i in range(a.presentities):
        count = (sent - i + a.presentities - 1) // a.presentities if sent > i else 0
        expected_open["%su%d" % (a.prefix, i)] = None if count == 0 else (count - 1) % 2 == 0
    query = ("SELECT username, replace(convert_from(body, 'UTF8'), E'\\n', ' ') FROM presentity "
             "WHERE username LIKE '%s%%' AND event = 'presence' AND expires > extract(epoch FROM now())" % a.prefix)
    out = subprocess.run(a.psql.split() + ["-At", "-F", "\t", "-c", query], capture_output=True, text=True, check=True).stdout
    held = {}
    for line in out.splitlines():
        user, _, body = line.partition("\t")
        held.setdefault(user, []).append(body)
    wrong = []
    for user, want in expected_open.items():
        bodies = held.get(user, [])
        if want is None:
            ok = not bodies
        elif want:
            ok = len(bodies) == 1 and "<basic>open</basic>" in bodies[0]
        else:
            ok = not bodies or (len(bodies) == 1 and "<basic>closed</basic>" in bodies[0])
        if not ok:
            wrong.append((user, want, bodies[:2]))
    strays = [u for u in held if u not in expected_open]

    # Verdicts. RSS over the second half of the run (long after every presentity exists and has been
    # refreshed or changed many times): the end against the middle.
    run_rows = [r for r in rows if r[0] <= a.seconds]
    def mean_rss(lo, hi):
        window = [r[2] for r in run_rows if lo * a.seconds <= r[0] <= hi * a.seconds] or [run_rows[-1][2]]
        return sum(window) / len(window)
    rss_middle = mean_rss(0.45, 0.55)
    rss_end = mean_rss(0.90, 1.00)
    ramp_done = next((r for r in run_rows if r[5] >= a.presentities), run_rows[-1])
    growth = (rss_end - rss_middle) / max(1, rss_middle)
    fds = [r[3] for r in rows]
    in_flight = [r[4] for r in rows]
    checks = [
        ("RSS flat (mean of the last tenth of the run vs the tenth around its middle, growth <= 5 %)",
         growth <= 0.05, "%.1f MiB when every presentity existed (%d s); %.1f MiB mid-run -> %.1f MiB at the end (%+.1f %%); peak %.1f MiB" % (
             ramp_done[2] / 1024, ramp_done[0], rss_middle / 1024, rss_end / 1024, growth * 100, max(r[2] for r in rows) / 1024)),
        ("file descriptors bounded (max - min <= 16)", max(fds) - min(fds) <= 16, "min %d, max %d" % (min(fds), max(fds))),
        ("in-flight PUBLISHes bounded (at most one per presentity) and 0 once drained", max(in_flight) <= a.presentities and in_flight[-1] == 0,
         "max %d, at the end %d (the endpoint runs at most %d transactions at once; the others wait their turn)" % (max(in_flight), in_flight[-1], a.max_transactions)),
        ("stream drained (every entry acknowledged)", drained, "pending at the end %d" % rows[-1][6]),
        ("every presentity at Kamailio equals what the feed last said", not wrong and not strays,
         "%d presentities, %d open expected, %d rows held, %d wrong, %d strays" % (
             len(expected_open), sum(1 for v in expected_open.values() if v), sum(len(v) for v in held.values()), len(wrong), len(strays))),
    ]
    print()
    print("| check | result | figures |")
    print("|---|---|---|")
    for name, ok, figures in checks:
        print("| %s | %s | %s |" % (name, "pass" if ok else "FAIL", figures))
    print()
    for w in wrong[:10]:
        print("wrong: %s expected %s, held %s" % (w[0], {None: "nothing", True: "open", False: "closed"}[w[1]], w[2]))
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
