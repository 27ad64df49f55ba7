#!/usr/bin/env python3
"""The peers of `argus bench` for YOLOv5: end to end exactly as the reference detect.py runs it (JPEG bytes ->
cv2 decode -> letterbox -> tensor -> network -> NMS -> scale_boxes -> JSON), timed, with the network on PyTorch
(the fused model), or exported to ONNX on onnxruntime or OpenVINO (--engine; one engine per process, so each
reports its own peak RSS). The ONNX engines run the same pipeline with the network swapped, as YOLOv5's own
DetectMultiBackend does: decode, letterbox, NMS and scale_boxes stay the official code (NMS on torch tensors).

The export (torch.onnx.export of the fused model, TorchScript exporter, opset 17, Detect in export mode) has the
fixed input shape this image letterboxes to; it is made once in a child process and cached next to the weights
(or in the temporary directory), keyed by the checkpoint's content and that shape.

Prints one JSON line: {"engine": ..., "threads": N, "median_ms": ..., "min_ms": ..., "runs": ..., "detections": ...,
"peak_rss_mb": ...}, or {"engine": ..., "skipped": reason} when the engine cannot run here.

Needs a venv with torch 2.13 CPU, opencv-python-headless and the `yolov5` package (the official
ultralytics/yolov5 code on PyPI): `bash tools/setup_bench_venv.sh VENV_DIR`.
Usage: VENV/bin/python tools/bench_yolov5_peers.py --weights yolov5n.pt --image IMG.jpg --threads 1 [--engine openvino]
"""
import argparse
import json
import os
import sys
from pathlib import Path

import cv2
import numpy as np
import torch

# The checkpoint pickles refer to `models.yolo.Model`: put the yolov5 package's folder on the path.
import yolov5  # noqa: E402
sys.path.insert(0, os.path.dirname(yolov5.__file__))
from utils.augmentations import letterbox  # noqa: E402
from utils.general import non_max_suppression, scale_boxes  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_peer import ONNX_ENGINES, cached_export, onnx_runner, print_skipped, run_child, time_and_print  # noqa: E402


def load(weights):
    ckpt = torch.load(weights, map_location="cpu", weights_only=False)
    return (ckpt.get("ema") or ckpt["model"]).float().fuse().eval()


def export(a, model, shape):
    """The fused model with Detect in export mode (one output, no in-place ops), for a fixed input shape."""
    for m in model.modules():
        if type(m).__name__ == "Detect":
            m.inplace, m.export = False, True
    torch.onnx.export(model, torch.zeros(1, 3, *shape), a.export_onnx, opset_version=17, dynamo=False,
                      do_constant_folding=True, input_names=["images"], output_names=["output0"])


def network(a, model, shape):
    """`forward(x) -> predictions [1, N, 85]` on the chosen engine, and the engine's name; None when it cannot run."""
    if a.engine == "torch":
        return (lambda x: model(x)[0]), "pytorch " + torch.__version__
    path = cached_export(a.weights, f"yolov5-{a.imgsz}-{shape[0]}x{shape[1]}", lambda p: run_child([
        __file__, "--weights", a.weights, "--image", a.image, "--threads", str(a.threads), "--imgsz", str(a.imgsz),
        "--export-onnx", p]))
    try:
        run, engine = onnx_runner(a.engine, path, a.threads)
    except Exception as e:  # noqa: BLE001 - any load or compile failure means the engine does not run this graph
        print_skipped(a.engine, e)
        return None
    return (lambda x: torch.from_numpy(run({"images": x.numpy()})[0])), engine + " + YOLOv5 pipeline"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--imgsz", type=int, default=640)
    ap.add_argument("--engine", choices=("torch",) + ONNX_ENGINES, default="torch")
    ap.add_argument("--export-onnx", help="only export the network for this image's letterbox shape to this path")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    cv2.setNumThreads(1)
    model = load(a.weights)  # its class names and stride; the ONNX engines then drop it
    names, stride = model.names, int(model.stride.max())
    data = open(a.image, "rb").read()
    shape = letterbox(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), a.imgsz, stride=stride,
                      auto=True)[0].shape[:2]
    if a.export_onnx:
        export(a, model, shape)
        return
    made = network(a, model, shape)
    del model
    if made is None:
        return
    forward, engine = made

    def once():
        im0 = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        im = letterbox(im0, a.imgsz, stride=stride, auto=True)[0]
        im = np.ascontiguousarray(im.transpose((2, 0, 1))[::-1])
        x = torch.from_numpy(im).float()[None] / 255
        with torch.inference_mode():
            pred = forward(x)
            det = non_max_suppression(pred, 0.25, 0.45, None, False, max_det=1000)[0]
            det[:, :4] = scale_boxes(x.shape[2:], det[:, :4], im0.shape).round()
        out = [{"box": d[:4].tolist(), "score": float(d[4]), "class_id": int(d[5]), "label": names[int(d[5])]}
               for d in det]
        json.dumps({"width": im0.shape[1], "height": im0.shape[0], "detections": out})
        return len(out)

    time_and_print(once, a.threads, a.runs, a.warmup, engine)


if __name__ == "__main__":
    main()
