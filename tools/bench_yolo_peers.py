#!/usr/bin/env python3
"""The peers of `argus bench --weights` for YOLOv8-family checkpoints and ONNX exports: the reference code
timed on the same decoded image with the same thread count, printing one JSON line for argus to read.

  *.pt (Ultralytics YOLOv8 detect/segment): `YOLO(pt).predict(img, imgsz, conf 0.25, iou 0.7, max_det 300,
    retina_masks=True)` on PyTorch (letterbox, forward, NMS, masks, Results).
  *.onnx with Ultralytics metadata: the same `predict` on onnxruntime (Ultralytics' AutoBackend; its session
    is created with --threads intra-op threads).
  *.pt with --engine onnxruntime: the checkpoint exported by Ultralytics to ONNX (float32, dynamic shapes so the
    letterbox is the same minimal rectangle; written once next to a temporary copy), then `predict` on onnxruntime.
  *.onnx without (YOLOX): onnxruntime + YOLOX's preproc, decode and postprocess (class-aware batched_nms,
    conf 0.3, nms 0.45: Argus's YOLOX defaults) as in gen_yolov8_onnx_fixtures.py.
The image is decoded once (cv2.imread, BGR) outside the timed region, as Argus decodes once too.

Usage (run by argus bench; the venv is made by `bash ../shared/bench/install_venv.sh DIR`):
    VENV/bin/python tools/bench_yolo_peers.py --weights W --image IMG --threads 1 --runs 10 [--imgsz 640] \
        [--engine torch|onnxruntime]
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "false")
os.environ.setdefault("YOLO_CONFIG_DIR", tempfile.mkdtemp(prefix="argus-bench-yolo-"))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402
import ultralytics  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))


def with_threads(threads):
    """Every onnxruntime session made from now on uses `threads` intra-op threads and one inter-op thread."""
    original = ort.InferenceSession

    class Session(original):
        def __init__(self, path, sess_options=None, *args, **kwargs):
            opts = sess_options or ort.SessionOptions()
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            super().__init__(path, opts, *args, **kwargs)

    ort.InferenceSession = Session


def ultralytics_runner(weights, imgsz, image):
    from ultralytics import YOLO
    yolo = YOLO(weights)
    task = yolo.task
    kwargs = {"conf": 0.25, "iou": 0.7, "max_det": 300, "retina_masks": True, "verbose": False}
    if imgsz:
        kwargs["imgsz"] = imgsz
    elif weights.endswith(".onnx"):
        meta = {p.key: p.value for p in onnx.load(weights, load_external_data=False).metadata_props}
        kwargs["imgsz"] = eval(meta.get("imgsz", "640"), {})  # a list literal written by Ultralytics

    def once():
        r = yolo.predict(image, **kwargs)[0]
        if task == "segment" and r.masks is not None:
            r.masks.data.numpy()  # materialise the masks as a caller would
        return len(r.boxes)
    engine = ("ultralytics %s + torch %s" % (ultralytics.__version__, torch.__version__) if weights.endswith(".pt")
              else "ultralytics %s + onnxruntime %s" % (ultralytics.__version__, ort.__version__))
    return once, engine


def onnx_export(pt, imgsz):
    """The Ultralytics ONNX export of a .pt (dynamic axes, float32), cached by the checkpoint's content."""
    import hashlib
    import shutil
    from ultralytics import YOLO
    digest = hashlib.sha256(Path(pt).read_bytes()).hexdigest()[:16]
    out = Path(tempfile.gettempdir()) / f"argus-bench-onnx-{digest}-{imgsz}"
    onnx_file = out / (Path(pt).stem + ".onnx")
    if not onnx_file.exists():
        out.mkdir(parents=True, exist_ok=True)
        copy = out / Path(pt).name
        shutil.copyfile(pt, copy)
        exported = YOLO(str(copy)).export(format="onnx", imgsz=imgsz, dynamic=True, simplify=False, verbose=False)
        Path(exported).replace(onnx_file)
    return str(onnx_file)


def yolox_runner(weights, image, threads):
    from gen_yolov8_onnx_fixtures import yolox_decode, yolox_preproc
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(weights, opts, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    size = sess.get_inputs()[0].shape[2]

    def once():
        x, r, _ = yolox_preproc(image, size)
        out = sess.run(None, {name: x[None]})[0]
        t = torch.from_numpy(yolox_decode(out, size))
        xyxy = torch.cat([t[:, :2] - t[:, 2:4] / 2, t[:, :2] + t[:, 2:4] / 2], 1)
        conf, cls = t[:, 5:].max(1)
        score = t[:, 4] * conf
        m = score >= 0.3
        keep = torchvision.ops.batched_nms(xyxy[m], score[m], cls[m], 0.45)
        boxes = xyxy[m][keep] / r
        return len(boxes)
    return once, "onnxruntime %s + YOLOX postprocess" % ort.__version__


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--imgsz", type=int)
    ap.add_argument("--engine", choices=["torch", "onnxruntime"], default="torch",
                    help="for a .pt: run it on PyTorch, or its ONNX export on onnxruntime")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cv2.setNumThreads(a.threads)
    with_threads(a.threads)
    if a.weights.endswith(".pt") and a.engine == "onnxruntime":
        a.weights = onnx_export(a.weights, a.imgsz or 640)
        a.imgsz = a.imgsz or 640
    image = cv2.imread(a.image)
    if image is None:
        sys.exit(f"cannot read {a.image}")
    is_ultralytics = a.weights.endswith(".pt") or any(
        p.key == "task" for p in onnx.load(a.weights, load_external_data=False).metadata_props)
    once, engine = ultralytics_runner(a.weights, a.imgsz, image) if is_ultralytics else yolox_runner(a.weights, image, a.threads)
    for _ in range(3):
        once()
    times = []
    n = 0
    for _ in range(a.runs):
        t0 = time.perf_counter()
        n = once()
        times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"engine": engine, "threads": a.threads, "median_ms": statistics.median(times),
                      "min_ms": min(times), "runs": len(times), "times_ms": times, "detections": n}))


if __name__ == "__main__":
    main()
