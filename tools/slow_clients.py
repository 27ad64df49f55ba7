#!/usr/bin/env python3
"""Slow and idle clients against `argus serve` (slowloris): does a normal client keep being served? A measurement,
not a test. Python 3 stdlib only.

    python3 tools/slow_clients.py [--argus .build/release/argus] [--image IMG] [--seconds 30]

Runs the server (built-in model, `--connection-timeout 10` so the run is short) twice: with the default per-address
connection limit (64) and with none (`--max-connections-per-ip 0`). Each time, from 127.0.0.1:
  - 40 clients trickle request headers one byte a second (never finishing them);
  - 20 clients send headers for a 1 MB body, then 100 bytes every 2 seconds;
  - 200 clients connect and send nothing;
while a normal client on 127.0.0.2 (another loopback address: another client as the server sees it) posts the
image in a loop. Prints, per configuration: the normal client's p50 / p99 / failures before and during the attack,
how many attacking connections the server took, and how many it had closed (timeout or limit) by the end.
"""
import argparse
import http.client
import os
import socket
import threading
import time

from argus_server import ArgusServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Attacker(threading.Thread):
    """One hostile connection from 127.0.0.1; `kind`: trickle (headers), slow_body, idle."""

    def __init__(self, port, kind, stop):
        super().__init__(daemon=True)
        self.port, self.kind, self.stop = port, kind, stop
        self.connected = False
        self.closed_by_server = False

    def run(self):
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        except OSError:
            return
        self.connected = True
        s.settimeout(0.05)
        try:
            if self.kind == "slow_body":
                s.sendall(b"POST /detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 1000000\r\n\r\n")
            elif self.kind == "trickle":
                s.sendall(b"POST /detect HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            step, last = (1.0 if self.kind == "trickle" else 2.0), time.monotonic()
            while not self.stop.is_set():
                try:
                    if s.recv(4096) == b"":  # the server closed it
                        self.closed_by_server = True
                        return
                except socket.timeout:
                    pass
                if self.kind != "idle" and time.monotonic() - last >= step:
                    last = time.monotonic()
                    s.sendall(b"a" if self.kind == "trickle" else b"\0" * 100)
        except OSError:
            self.closed_by_server = True
        finally:
            s.close()


def normal_requests(port, image, seconds):
    """Posts the image from 127.0.0.2 one request after another for `seconds`: latencies of the 200s, failures."""
    latencies, failures = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.monotonic()
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=("127.0.0.2", 0))
            c.request("POST", "/detect", body=image, headers={"Content-Type": "image/jpeg"})
            r = c.getresponse()
            r.read()
            c.close()
            if r.status == 200:
                latencies.append(time.monotonic() - start)
            else:
                failures += 1
        except OSError:
            failures += 1
    return latencies, failures


def percentile(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def run(argus, image, seconds, per_ip):
    flags = ["--quiet", "--connection-timeout", "10", "--max-connections-per-ip", str(per_ip)]
    with ArgusServer(argus, flags) as server:
        port = server.port
        before, before_failed = normal_requests(port, image, 10)
        stop = threading.Event()
        attackers = [Attacker(port, k, stop) for k, n in (("trickle", 40), ("slow_body", 20), ("idle", 200)) for _ in range(n)]
        for a in attackers:
            a.start()
            time.sleep(0.002)
        time.sleep(1)
        held = sum(1 for a in attackers if a.connected and not a.closed_by_server)
        during, during_failed = normal_requests(port, image, seconds)
        closed = {k: sum(1 for a in attackers if a.kind == k and a.closed_by_server) for k in ("trickle", "slow_body", "idle")}
        stop.set()
        return dict(per_ip=per_ip, before=before, before_failed=before_failed, during=during,
                    during_failed=during_failed, held=held, closed=closed)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--argus", default=os.path.join(ROOT, ".build/release/argus"))
    ap.add_argument("--image", default=os.path.join(ROOT, "../shared/datasets/coco-val96/images/val2017/000000000139.jpg"))
    ap.add_argument("--seconds", type=float, default=30)
    args = ap.parse_args()
    image = open(args.image, "rb").read()
    rows = [run(args.argus, image, args.seconds, per_ip) for per_ip in (64, 0)]
    print("260 attacking connections from 127.0.0.1 (40 trickling headers, 20 slow bodies, 200 idle); a normal client "
          f"on 127.0.0.2; --connection-timeout 10, --max-connections 256; {args.seconds:g} s of attack")
    print()
    print("| --max-connections-per-ip | normal p50 / p99 ms before | during | normal failures before / during "
          "| attacking connections held 1 s in | closed by the server by the end (trickle / slow body / idle) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        ms = lambda v, q: f"{1000 * percentile(v, q):.0f}"
        print(f"| {r['per_ip'] or 'none'} | {ms(r['before'], 0.5)} / {ms(r['before'], 0.99)} "
              f"| {ms(r['during'], 0.5)} / {ms(r['during'], 0.99)} "
              f"| {r['before_failed']} of {len(r['before']) + r['before_failed']} / "
              f"{r['during_failed']} of {len(r['during']) + r['during_failed']} | {r['held']} "
              f"| {r['closed']['trickle']} / {r['closed']['slow_body']} / {r['closed']['idle']} |")


if __name__ == "__main__":
    main()
