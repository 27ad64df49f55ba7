#!/usr/bin/env python3
"""Memory returned by hot model management: a server's RSS across load / use / replace / unload cycles.

    python3 tools/model_memory.py .build/release/argus [--cycles 3]

Writes a torchvision maskrcnn_resnet50_fpn checkpoint with random weights (the tensor names and shapes of the
committed fixture Tests/ArgusModelsTests/Fixtures/torchvision_seg/maskrcnn_resnet50_fpn.json, 44 million
parameters, 178 MB as float32 safetensors; numpy only, no torch), starts `argus serve` with an admin key beside the
built-in default model, then per cycle: POST /models, 4 /detect requests with it, the same name replaced, DELETE.
Prints the process's RSS (VmRSS) after each step. Random weights make no sensible boxes; the memory is a real
model's. Meanwhile a client keeps sending /detect to the built-in model, one request at a time: its latencies while
a model loads, against those while nothing loads, show that loading does not stop the other models' serving.
"""
import argparse, json, os, pathlib, random, secrets, socket, statistics, struct, subprocess, sys, tempfile, threading, time
import urllib.request, urllib.error

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
SPEC = ROOT / "Tests/ArgusModelsTests/Fixtures/torchvision_seg/maskrcnn_resnet50_fpn.json"


def write_checkpoint(path):
    state = json.loads(SPEC.read_text())["state_dict"]
    rng = np.random.default_rng(0)
    header, blobs, offset = {}, [], 0
    for name, entry in state.items():
        if entry["dtype"] != "float32":
            continue  # num_batches_tracked: unused at inference
        shape = entry["shape"]
        if name.endswith("running_var"):
            array = np.ones(shape, np.float32)
        else:
            array = (rng.standard_normal(shape, dtype=np.float32) * 0.01).astype("<f4")
        blob = array.tobytes()
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    return offset


def rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def request(port, method, path, body=None, headers=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def multipart(image):
    boundary = "argus" + secrets.token_hex(8)
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + image + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("argus")
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--image", default=str(ROOT.parent / "shared/datasets/coco-val96/images/val2017/000000000139.jpg"))
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="argus-memory-"))
    checkpoint = work / "maskrcnn_resnet50_fpn.safetensors"
    size = write_checkpoint(checkpoint)
    print(f"checkpoint: {checkpoint.name}, {size / 2**20:.0f} MiB of float32 weights")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    key = secrets.token_hex(16)
    server = subprocess.Popen([args.argus, "serve", "--port", str(port), "--admin-key", key, "--quiet", "--workers", "1"],
                              stderr=subprocess.PIPE, text=True)
    admin = {"X-API-Key": key, "Content-Type": "application/json"}
    image = pathlib.Path(args.image).read_bytes()
    rows = []
    loading = []  # (start, end) of each POST /models
    latencies = []  # (start, seconds, status) of the background client's requests
    stop = threading.Event()

    def background_client():
        body, headers = multipart(image)
        while not stop.is_set():
            start = time.monotonic()
            status = request(port, "POST", "/detect", body, headers)[0]
            latencies.append((start, time.monotonic() - start, status))

    client = threading.Thread(target=background_client)
    try:
        for _ in range(600):
            try:
                if request(port, "GET", "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        def step(label, status=None):
            time.sleep(0.2)
            rows.append((label, status, rss_mib(server.pid)))
            print(f"{label:<34} {'' if status is None else status:>6} {rows[-1][2]:9.1f} MiB", flush=True)
        step("started (built-in yolox_nano)")
        client.start()
        body, headers = multipart(image)

        def timed_load(payload):
            start = time.monotonic()
            status = request(port, "POST", "/models", payload, admin)[0]
            loading.append((start, time.monotonic()))
            return status
        for cycle in range(1, args.cycles + 1):
            load = json.dumps({"weights": str(checkpoint), "name": "maskrcnn"}).encode()
            step(f"cycle {cycle}: POST /models", timed_load(load))
            statuses = {request(port, "POST", "/detect?model=maskrcnn", body, headers)[0] for _ in range(4)}
            step(f"cycle {cycle}: 4 x /detect", ",".join(map(str, sorted(statuses))))
            step(f"cycle {cycle}: POST /models (replace)", timed_load(load))
            step(f"cycle {cycle}: DELETE /models/maskrcnn", request(port, "DELETE", "/models/maskrcnn", None, admin)[0])
    finally:
        stop.set()
        if client.is_alive():
            client.join()
        server.terminate()
        server.wait(timeout=60)
        checkpoint.unlink()
        work.rmdir()
    base = rows[0][2]
    unloaded = [r[2] for r in rows if "DELETE" in r[0]]
    loaded = [r[2] for r in rows if "4 x" in r[0]]
    print(f"\nwith the model: {max(loaded) - base:+.1f} MiB over the start; after each unload: "
          + ", ".join(f"{u - base:+.1f}" for u in unloaded) + " MiB")
    during = [l for l in latencies if any(a <= l[0] <= b for a, b in loading)]
    outside = [l for l in latencies if l not in during]
    def summary(items):
        ms = sorted(l[1] * 1000 for l in items)
        return f"{len(ms)} answered, median {statistics.median(ms):.0f} ms, max {ms[-1]:.0f} ms" if ms else "none"
    print(f"built-in model's /detect (one client): while a model loads: {summary(during)}; otherwise: {summary(outside)}; "
          f"loads took {statistics.median([b - a for a, b in loading]):.1f} s (median)")
    bad = [r for r in rows if r[1] not in (None, 200, 201, "200")] + [l for l in latencies if l[2] != 200]
    if bad:
        print("unexpected answers:", bad, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
