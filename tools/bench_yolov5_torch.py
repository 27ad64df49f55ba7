#!/usr/bin/env python3
"""The PyTorch peer for `argus bench`: YOLOv5 end to end exactly as the reference detect.py runs it
(JPEG bytes -> cv2 decode -> letterbox -> tensor -> fused model -> NMS -> scale_boxes -> JSON), timed.

Prints one JSON line: {"engine": "pytorch", "threads": N, "median_ms": ..., "min_ms": ..., "runs": ..., "detections": ...}.

Needs a venv with torch 2.13 CPU, opencv-python-headless and the `yolov5` package (the official
ultralytics/yolov5 code on PyPI): `bash tools/setup_bench_venv.sh VENV_DIR`.
Usage: VENV/bin/python tools/bench_yolov5_torch.py --weights yolov5n.pt --image IMG.jpg --threads 1
"""
import argparse
import json
import os
import statistics
import sys
import time

import cv2
import numpy as np
import torch

# The checkpoint pickles refer to `models.yolo.Model`: put the yolov5 package's folder on the path.
import yolov5  # noqa: E402
sys.path.insert(0, os.path.dirname(yolov5.__file__))
from utils.augmentations import letterbox  # noqa: E402
from utils.general import non_max_suppression, scale_boxes  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--imgsz", type=int, default=640)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    cv2.setNumThreads(1)
    ckpt = torch.load(a.weights, map_location="cpu", weights_only=False)
    model = (ckpt.get("ema") or ckpt["model"]).float().fuse().eval()
    names = model.names
    stride = int(model.stride.max())
    data = open(a.image, "rb").read()

    def once():
        im0 = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        im = letterbox(im0, a.imgsz, stride=stride, auto=True)[0]
        im = np.ascontiguousarray(im.transpose((2, 0, 1))[::-1])
        x = torch.from_numpy(im).float()[None] / 255
        with torch.inference_mode():
            pred = model(x)[0]
            det = non_max_suppression(pred, 0.25, 0.45, None, False, max_det=1000)[0]
            det[:, :4] = scale_boxes(x.shape[2:], det[:, :4], im0.shape).round()
        out = [{"box": d[:4].tolist(), "score": float(d[4]), "class_id": int(d[5]), "label": names[int(d[5])]}
               for d in det]
        return json.dumps({"width": im0.shape[1], "height": im0.shape[0], "detections": out}), len(out)

    for _ in range(a.warmup):
        once()
    times = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        _, n = once()
        times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"engine": "pytorch " + torch.__version__, "threads": a.threads,
                      "median_ms": statistics.median(times), "min_ms": min(times), "runs": len(times),
                      "detections": n}))


if __name__ == "__main__":
    main()
