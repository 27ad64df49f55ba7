#!/usr/bin/env python3
"""R-CNN's test-time pipeline as a Python user would assemble it from the references, timed on one image, to set
next to `argus detect --rcnn-classifier` (or `--model rcnn_<arch>`) on the same weights:
  OpenCV contrib's selective search (fast mode) on the image, its first 2000 boxes; each box grown by 16 px of context
  and warped to 224x224 (tools/gen_rcnn_fixtures.py's warp: torchvision roi_align on the cropped window, float32);
  the torchvision classifier over the regions in batches of 16 (--engine torch), or its ONNX export on onnxruntime
  (--engine onnxruntime); softmax; per class, probability >= --conf, batched_nms(0.3), the first 100.

Prints one JSON line: {"engine", "threads", "median_ms", "min_ms", "runs", "regions", "detections",
"stages_ms": {"selective_search", "warp", "network", "postprocess"} (of the last run), "peak_rss_mb"}.

Run from the repository root with the reference venv (bash ../shared/bench/install_venv.sh DIR):
  /work/venv-ref/bin/python tools/bench_rcnn_peer.py --arch alexnet --weights W.pth \\
      --image ../shared/datasets/coco128/images/train2017/000000000025.jpg --threads 2 --runs 3 [--engine onnxruntime]
"""
import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torchvision

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_rcnn_fixtures as rcnn  # noqa: E402
from bench_peer import peak_rss_mb  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--arch", default="alexnet")
    p.add_argument("--weights", required=True)
    p.add_argument("--image", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--conf", type=float, default=0.5)
    p.add_argument("--engine", choices=["torch", "onnxruntime"], default="torch")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    import cv2
    cv2.setNumThreads(a.threads)
    model = getattr(torchvision.models, a.arch)(weights=None)
    model.load_state_dict(torch.load(a.weights, map_location="cpu"))
    model.eval()
    if a.engine == "onnxruntime":
        import onnxruntime as ort
        path = Path(tempfile.mkdtemp()) / f"{a.arch}.onnx"
        torch.onnx.export(model, torch.zeros(1, 3, rcnn.S, rcnn.S), str(path), input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "n"}, "y": {0: "n"}}, opset_version=17, dynamo=False)
        options = ort.SessionOptions()
        options.intra_op_num_threads = a.threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

        def network(x):
            return torch.from_numpy(session.run(None, {"x": x.numpy()})[0])
    else:
        def network(x):
            with torch.inference_mode():
                return model(x)

    from PIL import Image
    rgb = np.asarray(Image.open(a.image).convert("RGB"))
    img = torch.from_numpy(rgb.copy()).permute(2, 0, 1).contiguous()
    h, w = rgb.shape[:2]

    def once():
        stages = {}
        t = time.perf_counter()
        boxes = rcnn.selective_search(rgb)[:2000]
        stages["selective_search"] = time.perf_counter() - t
        t = time.perf_counter()
        pls = [rcnn.placement(b, w, h) for b in boxes]
        inside = [i for i, pl in enumerate(pls) if pl is not None]
        frames = [rcnn.warp(img, pls[i], torch.float32) for i in inside]
        stages["warp"] = time.perf_counter() - t
        t = time.perf_counter()
        probs = torch.zeros(len(boxes), 1000)
        out = [torch.softmax(network(torch.stack(frames[k:k + rcnn.BATCH])), 1) for k in range(0, len(frames), rcnn.BATCH)]
        probs[inside] = torch.cat(out)
        stages["network"] = time.perf_counter() - t
        t = time.perf_counter()
        dets, _ = rcnn.detections(boxes, probs, inside, w, h, a.conf)
        stages["postprocess"] = time.perf_counter() - t
        return len(boxes), len(dets["scores"]), stages

    once()  # warm-up
    times = []
    for _ in range(a.runs):
        t = time.perf_counter()
        regions, count, stages = once()
        times.append((time.perf_counter() - t) * 1000)
    print(json.dumps({"engine": a.engine, "threads": a.threads, "median_ms": statistics.median(times), "min_ms": min(times),
                      "runs": a.runs, "regions": regions, "detections": count,
                      "stages_ms": {k: round(v * 1000, 1) for k, v in stages.items()}, "peak_rss_mb": peak_rss_mb()}))


if __name__ == "__main__":
    main()
