#!/usr/bin/env python3
"""Soak of `argus serve`: a mixed request stream at a fraction of the measured capacity for a long time, the server's
resident memory sampled each minute (a measurement, not a test). Python 3 stdlib only.

    python3 tools/soak.py [--argus .build/release/argus] [--minutes 60] [--load 0.8] [--warmup-minutes 5]
                          [--images ../shared/datasets/coco-val96/images/val2017] [-- extra argus serve flags]

1. Starts the server (the built-in model unless serve flags say otherwise) on a free loopback port.
2. Capacity: closed-loop clients (workers + queue of them) for 30 s on the same request mix: requests/s.
3. Soak: requests sent open-loop at `load` x capacity (fixed intervals, a thread per request in flight), for
   `minutes`. The mix, drawn with a fixed seed: 80% /detect with one of the images (some with render=png,
   format=coco, classes, conf), 10% /detect with two images in one JSON body, 5% malformed bodies (a cut JPEG, bad
   JSON, an unknown parameter), 5% GET /models, /healthz or /metrics.
4. Every minute a row: requests, 2xx / 4xx / 503 / other, p50 and p99 latency of the /detect requests, VmRSS and
   VmHWM (MiB). At the end: RSS growth from the end of the warm-up to the end, which the reliability goal puts
   under 5%.
"""
import argparse
import base64
import http.client
import json
import os
import random
import re
import sys
import threading
import time
import uuid

from argus_server import ArgusServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def multipart(images, fields=()):
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields]
    for data in images:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="i.jpg"\r\n'
                     f"Content-Type: image/jpeg\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class Mix:
    """The request stream: (method, path, body, content type, is_detect) drawn from a seeded generator."""

    def __init__(self, images, seed=7):
        self.images = images
        self.random = random.Random(seed)
        self.lock = threading.Lock()

    def next(self):
        with self.lock:
            r = self.random.random()
            image = self.random.choice(self.images)
            other = self.random.choice(self.images)
            choice = self.random.random()
        if r < 0.80:
            fields = []
            if choice < 0.05:
                fields.append(("render", "png"))
            elif choice < 0.20:
                fields.append(("format", "coco"))
            elif choice < 0.30:
                fields.append(("classes", "person,car,dog"))
            elif choice < 0.45:
                fields.append(("conf", "0.1"))
            body, ctype = multipart([image], fields)
            return "POST", "/detect", body, ctype, True
        if r < 0.90:
            body = json.dumps({"images": [base64.b64encode(image).decode(), base64.b64encode(other).decode()]}).encode()
            return "POST", "/detect", body, "application/json", True
        if r < 0.95:
            bad = [(image[: len(image) // 2], "image/jpeg"), (b'{"image": ', "application/json"),
                   (image, "image/jpeg")]
            body, ctype = bad[int(choice * len(bad))]
            path = "/detect?confidence=0.5" if body is image else "/detect"
            return "POST", path, body, ctype, False
        return "GET", ["/models", "/healthz", "/metrics"][int(choice * 3)], None, None, False


def send(port, request):
    method, path, body, ctype, _ = request
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    start = time.monotonic()
    try:
        connection.request(method, path, body=body, headers={"Content-Type": ctype} if ctype else {})
        response = connection.getresponse()
        response.read()
        return response.status, time.monotonic() - start
    except (OSError, http.client.HTTPException):
        return 0, time.monotonic() - start
    finally:
        connection.close()


def memory_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        text = f.read()
    rss = int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024
    hwm = int(re.search(r"VmHWM:\s+(\d+)", text).group(1)) / 1024
    return rss, hwm


def capacity(port, mix, clients, seconds):
    done = []
    stop = time.monotonic() + seconds

    def loop():
        while time.monotonic() < stop:
            status, _ = send(port, mix.next())
            done.append(status)

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(done) / seconds


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--argus", default=os.path.join(ROOT, ".build/release/argus"))
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--load", type=float, default=0.8)
    ap.add_argument("--warmup-minutes", type=float, default=5)
    ap.add_argument("--images", default=os.path.join(ROOT, "../shared/datasets/coco-val96/images/val2017"))
    args = ap.parse_args(argv)
    images = [open(os.path.join(args.images, f), "rb").read() for f in sorted(os.listdir(args.images))
              if f.lower().endswith((".jpg", ".jpeg", ".png"))]
    if not images:
        sys.exit(f"no images in {args.images}")

    workers = os.cpu_count() or 1
    with ArgusServer(args.argus, ["--quiet", *extra]) as server:
        port = server.port
        mix = Mix(images)
        rate = capacity(port, mix, clients=3 * workers, seconds=30)
        target = args.load * rate
        print(f"capacity {rate:.1f} requests/s with {3 * workers} closed-loop clients; soak at {target:.1f}/s "
              f"({args.load:.0%}) for {args.minutes:g} min; server pid {server.pid}", flush=True)
        print("| minute | requests | 2xx | 4xx | 503 | other | detect p50 ms | detect p99 ms | RSS MiB | peak RSS MiB |")
        print("|---|---|---|---|---|---|---|---|---|---|", flush=True)

        lock = threading.Lock()
        window = []  # (status, seconds, is_detect) of the current minute
        in_flight = threading.Semaphore(64)  # a client that falls behind waits rather than piling up threads

        def one(request):
            status, seconds = send(port, request)
            with lock:
                window.append((status, seconds, request[4]))
            in_flight.release()

        start = time.monotonic()
        interval = 1.0 / target
        next_send = start
        minute_end = start + 60
        minute = 0
        rows = []
        end = start + args.minutes * 60
        while True:
            now = time.monotonic()
            if now >= minute_end or now >= end:
                minute += 1
                with lock:
                    batch, window[:] = list(window), []
                rss, hwm = memory_mib(server.pid)
                detect = sorted(s for st, s, d in batch if d and 200 <= st < 300)
                count = lambda f: sum(1 for st, _, _ in batch if f(st))
                p = lambda q: f"{1000 * detect[min(len(detect) - 1, int(q * len(detect)))]:.0f}" if detect else "-"
                row = (minute, len(batch), count(lambda s: 200 <= s < 300), count(lambda s: 400 <= s < 500),
                       count(lambda s: s == 503), count(lambda s: s == 0 or s >= 500 and s != 503), p(0.5), p(0.99), rss, hwm)
                rows.append(row)
                print("| " + " | ".join(f"{v:.1f}" if isinstance(v, float) else str(v) for v in row) + " |", flush=True)
                minute_end += 60
                if now >= end:
                    break
            if now < next_send:
                time.sleep(min(next_send - now, 0.05))
                continue
            next_send += interval
            in_flight.acquire()
            threading.Thread(target=one, args=(mix.next(),), daemon=True).start()

        warm = [r for r in rows if r[0] > args.warmup_minutes]
        if len(warm) >= 2:
            first, last = warm[0][8], warm[-1][8]
            print(f"\nRSS after the {args.warmup_minutes:g}-minute warm-up: {first:.1f} MiB; at the end: {last:.1f} MiB; "
                  f"growth {100 * (last - first) / first:+.1f}%; peak {max(r[9] for r in rows):.1f} MiB; "
                  f"requests {sum(r[1] for r in rows)}, other-than-4xx/503 failures {sum(r[5] for r in rows)}")


if __name__ == "__main__":
    main()
