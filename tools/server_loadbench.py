#!/usr/bin/env python3
"""Load benchmark of `argus serve` on loopback (a benchmark, not a test). Python 3 stdlib only.

    python3 tools/server_loadbench.py [--argus .build/release/argus] [--weights ../shared/weights/ultralytics/yolov5n.pt]
                                      [--image ../shared/datasets/coco128/images/train2017/000000000009.jpg] [--seconds 10]

Starts the server on a free loopback port (127.0.0.1 only), then measures, each run bounded in time:
  1. requests/s and p50/p99 latency at 1, 2, 4 and 8 concurrent keep-alive clients (one image per request);
  2. overload: 4x (workers + queue) clients, counting 503s and the p99 of the admitted requests;
  3. per-request HTTP overhead with a tiny image: client latency minus the server's own timing_ms.total,
     and timing_ms.total minus the model's stages;
  4. resident memory (from /metrics) before and after 10,000 tiny-image requests.
Prints a markdown table. The machine's other load shows in the numbers: run it on a quiet machine.
"""
import argparse
import http.client
import json
import os
import re
import statistics
import struct
import subprocess
import sys
import threading
import time
import uuid
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def multipart(image_bytes, filename="image.jpg", content_type="image/jpeg", fields=()):
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{filename}"\r\n'
                 f'Content-Type: {content_type}\r\n\r\n'.encode() + image_bytes + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def tiny_png(width, height):
    """A flat-colour RGB PNG made with zlib (no image library needed)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes([100, 150, 200] * width) for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


class Client(threading.Thread):
    """One keep-alive connection sending the same request until `stop_at` or `count` requests;
    after a 503 it waits `Retry-After` seconds as a well-behaved client does."""

    def __init__(self, port, path, body, content_type, stop_at=None, count=None):
        super().__init__(daemon=True)
        self.port, self.path, self.body, self.content_type = port, path, body, content_type
        self.stop_at, self.count = stop_at, count
        self.results = []  # (status, seconds, parsed-json-or-None)

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = 0
        while True:
            if self.stop_at is not None and time.monotonic() >= self.stop_at:
                break
            if self.count is not None and sent >= self.count:
                break
            start = time.perf_counter()
            try:
                conn.request("POST", self.path, body=self.body, headers={"Content-Type": self.content_type})
                response = conn.getresponse()
                data = response.read()
                elapsed = time.perf_counter() - start
                parsed = json.loads(data) if response.status == 200 and self.count is not None else None
                self.results.append((response.status, elapsed, parsed))
                if response.status == 503:
                    # A well-behaved client waits as told instead of spinning on the overloaded server.
                    time.sleep(min(float(response.getheader("Retry-After", "1")), 5.0))
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            except Exception:
                self.results.append((-1, time.perf_counter() - start, None))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            sent += 1
        conn.close()


def run_level(port, clients, seconds, path, body, content_type):
    stop_at = time.monotonic() + seconds
    threads = [Client(port, path, body, content_type, stop_at=stop_at) for _ in range(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    results = [r for t in threads for r in t.results]
    ok = [s for status, s, _ in results if status == 200]
    return {
        "clients": clients, "requests": len(results), "ok": len(ok),
        "rejected_503": sum(1 for status, _, _ in results if status == 503),
        "other": sum(1 for status, _, _ in results if status not in (200, 503)),
        "rps": len(ok) / wall, "p50_ms": percentile(ok, 50) * 1000, "p99_ms": percentile(ok, 99) * 1000,
    }


def metric(port, name):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    m = re.search(rf"^{name} (\S+)$", text, re.M)
    return float(m.group(1)) if m else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--argus", default=os.path.join(ROOT, ".build/release/argus"))
    ap.add_argument("--weights", default=os.path.join(ROOT, "../shared/weights/ultralytics/yolov5n.pt"))
    ap.add_argument("--image", default=os.path.join(ROOT, "../shared/datasets/coco128/images/train2017/000000000009.jpg"))
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--memory-requests", type=int, default=10_000)
    args = ap.parse_args()

    server = subprocess.Popen([args.argus, "serve", "--weights", args.weights, "--port", "0", "--workers", str(args.workers),
                               "--quiet"], stderr=subprocess.PIPE, text=True)
    try:
        port = None
        for line in server.stderr:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                port = int(m.group(1))
            if "argus: ready" in line:
                break
        if port is None:
            sys.exit("the server did not start")
        threading.Thread(target=lambda: [None for _ in server.stderr], daemon=True).start()
        queue = 2 * args.workers

        with open(args.image, "rb") as f:
            image = f.read()
        body, ctype = multipart(image)
        rows = []
        for clients in (1, 2, 4, 8):
            rows.append(run_level(port, clients, args.seconds, "/detect", body, ctype))
        overload = run_level(port, 4 * (args.workers + queue), args.seconds, "/detect", body, ctype)

        # Tiny image: the HTTP path dominates.
        tiny = tiny_png(32, 32)
        tiny_body, tiny_type = multipart(tiny, "tiny.png", "image/png", fields=[("imgsz", "32")])
        probe = Client(port, "/detect", tiny_body, tiny_type, count=500)
        probe.start(); probe.join()
        overhead, framework = [], []
        for status, seconds, parsed in probe.results:
            if status == 200 and parsed:
                t = parsed["timing_ms"]
                overhead.append(seconds * 1000 - t["total"])
                framework.append(t["total"] - (t["decode"] + t["preprocess"] + t["inference"] + t["postprocess"]))
        rss_before = metric(port, "process_resident_memory_bytes")
        per_client = args.memory_requests // 4
        threads = [Client(port, "/detect", tiny_body, tiny_type, count=per_client) for _ in range(4)]
        start = time.monotonic()
        for t in threads: t.start()
        for t in threads: t.join()
        soak_seconds = time.monotonic() - start
        soak_ok = sum(1 for t in threads for status, _, _ in t.results if status == 200)
        rss_after = metric(port, "process_resident_memory_bytes")

        print(f"argus serve, {args.workers} worker(s), queue {queue}, image {os.path.basename(args.image)} "
              f"({len(image)} bytes), {args.seconds:.0f} s per row\n")
        print("| clients | requests/s | p50 ms | p99 ms | 200 | 503 | other |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for r in rows + [overload]:
            label = f"{r['clients']} (overload)" if r is overload else str(r["clients"])
            print(f"| {label} | {r['rps']:.2f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['ok']} | {r['rejected_503']} | {r['other']} |")
        print()
        print(f"HTTP overhead, 32x32 PNG at imgsz 32, {len(overhead)} requests on one keep-alive connection: "
              f"client latency minus the server's total: p50 {statistics.median(overhead):.3f} ms, p99 {percentile(overhead, 99):.3f} ms; "
              f"server total minus the model's stages (parse, queue, encode): p50 {statistics.median(framework):.3f} ms, "
              f"p99 {percentile(framework, 99):.3f} ms")
        print(f"Resident memory: {rss_before / 2**20:.1f} MiB before and {rss_after / 2**20:.1f} MiB after "
              f"{soak_ok} tiny-image requests ({soak_ok / soak_seconds:.0f}/s over 4 clients): "
              f"{(rss_after / rss_before - 1) * 100:+.2f}%")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
