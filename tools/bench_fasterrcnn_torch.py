#!/usr/bin/env python3
"""The PyTorch peer for `argus bench --arch NAME`: a torchvision Faster R-CNN or Mask R-CNN end to end, timed.

The model is torchvision's own builder (`weights=None, weights_backbone=None`, eval mode). Its weights are
either a state dict (--weights) or the deterministic rule of tools/gen_torchvision_fixtures.py with that
script's gains (spread-out objectness and class scores, so the RPN, box head and NMS do real work; random
init leaves nothing above the default 0.05 box score). --save-weights writes the state dict used, so Argus
can load exactly the same weights.

The image is read as torchvision users do (PIL -> to_tensor) outside the timed region; each timed run is
`model([img])` under inference_mode: GeneralizedRCNNTransform (resize, normalize, pad), backbone + FPN, RPN,
RoIAlign, box head, postprocess (box decoding, NMS, rescale to the original image).

Prints one JSON line, the shape tools/bench_yolov5_torch.py prints:
  {"engine": ..., "threads": N, "median_ms": ..., "min_ms": ..., "runs": R, "times_ms": [...],
   "detections": D, "torch": ..., "torchvision": ...}
With --runs 0 it only writes --save-weights and prints {"saved": PATH, ...}.

Run from the repository root with the reference venv (made by `bash ../shared/bench/install_venv.sh DIR`):
  /work/venv-ref/bin/python tools/bench_fasterrcnn_torch.py --arch fasterrcnn_mobilenet_v3_large_fpn \
      --image ../shared/datasets/coco128/images/train2017/000000000139.jpg --threads 1 --runs 5
"""
import argparse
import json
import math
import sys
from pathlib import Path

import torch
import torchvision
from PIL import Image
from torchvision.models import detection
from torchvision.transforms.functional import to_tensor

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_torchvision_fixtures import MNV3_GAIN  # noqa: E402
from bench_peer import load_or_fill, time_and_print  # noqa: E402

ARCHS = ["fasterrcnn_mobilenet_v3_large_fpn", "fasterrcnn_mobilenet_v3_large_320_fpn",
         "fasterrcnn_resnet50_fpn", "fasterrcnn_resnet50_fpn_v2",
         "maskrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn_v2"]  # Mask R-CNN: its output includes the pasted masks
RESNET_GAIN = (3.0, 3.0)  # what gen_torchvision_fixtures.py (and gen_segmentation_fixtures.py) use for ResNet-50


def build(a):
    kwargs = dict(weights=None, weights_backbone=None)
    if a.box_score_thresh is not None:
        kwargs["box_score_thresh"] = a.box_score_thresh
    model = getattr(detection, a.arch)(**kwargs)
    load_or_fill(model, a.weights, MNV3_GAIN if "mobilenet" in a.arch else RESNET_GAIN, a.save_weights)
    t = model.transform
    if a.min_size is not None:
        # Argus's FasterRCNN.transformFor: the long-side cap scales with the short side.
        default_min = t.min_size[-1]
        t.max_size = a.max_size or math.ceil(t.max_size * a.min_size / default_min)
        t.min_size = (a.min_size,)
    return model.eval()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", required=True, choices=ARCHS)
    ap.add_argument("--image", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--weights", help="state dict to load (default: the fixture weight rule)")
    ap.add_argument("--save-weights", help="write the state dict used here")
    ap.add_argument("--box-score-thresh", type=float)
    ap.add_argument("--min-size", type=int, help="GeneralizedRCNNTransform min_size (default: the builder's)")
    ap.add_argument("--max-size", type=int, help="default: the builder's, scaled with --min-size")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    model = build(a)
    versions = {"torch": torch.__version__, "torchvision": torchvision.__version__}
    if a.runs == 0:
        print(json.dumps({"saved": a.save_weights, **versions}))
        return
    img = to_tensor(Image.open(a.image).convert("RGB"))

    def once():
        with torch.inference_mode():
            return len(model([img])[0]["boxes"])

    time_and_print(once, a.threads, a.runs, a.warmup, versions)

if __name__ == "__main__":
    main()
