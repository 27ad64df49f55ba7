#!/usr/bin/env python3
"""Tiny YOLOv5 checkpoints of other architectures and custom classes, with what the official
ultralytics/yolov5 code (PyPI `yolov5==7.0.14`) detects with them, for YOLOv5CheckpointTests.

Each model is built by the official `models.yolo.Model` from a yaml (the way `train.py --cfg X.yaml`
does for a custom data set: the yaml's `nc` overridden, `names`, `hyp` and `class_weights` attached),
given seeded random weights that behave like a trained network's (BatchNorm statistics measured on
real images, then perturbed), and saved exactly as training saves it (`torch.save` of the dict
`train.py` writes, FP16 modules; `strip_optimizer` output or a mid-training `last.pt` with `ema`).

The reference outputs come from detect.py's pipeline: `(ckpt['ema'] or ckpt['model']).float().fuse().eval()`
(attempt_load), cv2.imread, letterbox(640, stride, auto=True), /255, model, non_max_suppression,
scale_boxes (left unrounded).

Writes into Tests/ArgusModelsTests/Fixtures/: `<name>.pt`, `<name>.json` and `yolov5_synthetic.png`.
Real images are read from ../shared/datasets/coco128 and only referenced by name in the JSON.

Run from the repository root:
    /work/venv-ref/bin/python tools/gen_yolov5_fixtures.py
(the reference venv is made by `bash ../shared/bench/install_venv.sh DIR`, and `yolov5==7.0.14` is added
to it by `bash tools/setup_bench_venv.sh DIR`). Output is deterministic on one machine: a rerun writes
identical files (another CPU's float32 may differ in the last bits, in the BatchNorm statistics too, so the
checkpoints are not regenerated just to add fields).

The reference's own float32 noise (for margin-aware tests, see Tests/ArgusModelsTests/YOLOMargins.swift):
    /work/venv-ref/bin/python tools/gen_yolov5_fixtures.py --noise-only
loads the COMMITTED checkpoints (left byte-identical), runs detect.py's pipeline again in float32 and with the
fused network deep-copied `.double()` on the same letterboxed input `.double()` (NMS and scale_boxes on the
float64 output), and adds to each image entry of the existing JSON (whose float32 values stay as they are) a
`noise` record (a full regeneration writes it too):
  head            {xywh, obj, cls}: max |float32 - float64| / max(1, |float64|) over the listed head rows, per
                  column kind; float32 = the stored values and this machine's runs in three summation orders
                  (oneDNN as detect.py runs it, oneDNN off = PyTorch's im2col + BLAS GEMM, channels_last;
                  yolo_reference_noise.summation_orders), the largest
  detections      reference_noise.detection_noise(stored list, float64 list, cap=max_det, threshold=conf):
                  score, box (90th percentile |float32 - float64| over paired items), unstable, cut, extra, ...
  own             {score, box}: per stored detection, its own largest |float32 - float64| score and corner
                  difference over the stored list and the three float32 runs (yolo_reference_noise.own_errors;
                  the tests' per-item tolerance is 10x the larger of this and the typical one); `flipped`:
                  stored detections one of those float32 runs does not reproduce
  class_gap       per stored detection: best minus second-best obj x cls of its row (float64; absent for nc=1)
  nms             class-aware greedy NMS replayed in float64 on the candidates (yolo_reference_noise.nms_record,
                  checked against the reference's own float64 NMS): iou, iou_noise (typical |IoU as the float32
                  reference computes it, on class-offset boxes - IoU in float64|), per stored detection `margin`
                  (iou - its largest IoU with an earlier kept box of its class) and `gap` (smallest score gap to a
                  candidate it suppressed), `suppressed`: [IoU margin, score gap] of suppressed candidates near
                  either decision
  this_machine    information only: this machine's float32 run against the stored one
Per-item records are null for stored items the float64 run has no counterpart of (they are `unstable`).
    /work/venv-ref/bin/python tools/gen_yolov5_fixtures.py --yolov5n-noise
does the same for the official yolov5n reference in ../shared/reference/yolov5n (read-only): the three debug
dumps' head rows (`debug`: {stem: {head, mean}}) and the 224 detect-setting lists (`detect`: {stem: record}),
written to Fixtures/yolov5_yolov5n_noise.json for YOLOv5ReferenceTests.
"""
import argparse
import contextlib
import json
import math
import os
import sys
import tempfile
from copy import deepcopy
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn as nn

# The checkpoint pickles refer to `models.yolo.*`: put the yolov5 package's folder on the path.
import yolov5  # noqa: E402
sys.path.insert(0, os.path.dirname(yolov5.__file__))
import models.common  # noqa: E402
import models.yolo  # noqa: E402
import yolov5.models.common  # noqa: E402
import yolov5.models.yolo  # noqa: E402


def adopt_repo_names():
    """The PyPI package's own code uses `yolov5.models.common.Conv` and so on, while training in the
    ultralytics/yolov5 repository pickles `models.common.Conv`: give the classes the code really
    uses the repository's names, so the saved files name what real checkpoints name (and load back)."""
    for package, repo in [(yolov5.models.common, models.common), (yolov5.models.yolo, models.yolo)]:
        own = {name: obj for name, obj in vars(package).items()
               if isinstance(obj, type) and obj.__module__ == package.__name__}  # incl. aliases (Model)
        for name, obj in own.items():
            obj.__module__ = repo.__name__
            setattr(repo, name, obj)


adopt_repo_names()
from models.common import Conv  # noqa: E402
from models.yolo import Model  # noqa: E402
from utils.augmentations import letterbox  # noqa: E402
from utils.general import non_max_suppression, scale_boxes  # noqa: E402
from utils.metrics import box_iou  # noqa: E402
from utils.torch_utils import smart_optimizer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_noise import detection_noise  # noqa: E402
from yolo_reference_noise import nms_record, own_errors, per_reference, rel_noise, short, summation_orders, xywh2xyxy  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "Tests/ArgusModelsTests/Fixtures"
COCO = REPO.parent / "shared/datasets/coco128/images/train2017"
SYNTHETIC = "yolov5_synthetic.png"
DATE = "2024-01-01T00:00:00.000000"  # a fixed 'date' so reruns write the same dict
IOU = 0.45
IMGSZ = 640

V6_BACKBONE = """
backbone:
  [[-1, 1, Conv, [64, 6, 2, 2]],  # 0-P1/2
   [-1, 1, Conv, [128, 3, 2]],  # 1-P2/4
   [-1, 3, C3, [128]],
   [-1, 1, Conv, [256, 3, 2]],  # 3-P3/8
   [-1, 6, C3, [256]],
   [-1, 1, Conv, [512, 3, 2]],  # 5-P4/16
   [-1, 9, C3, [512]],
   [-1, 1, Conv, [1024, 3, 2]],  # 7-P5/32
   [-1, 3, C3, [1024]],
   [-1, 1, SPPF, [1024, 5]],  # 9
  ]
"""

V6_HEAD = """
head:
  [[-1, 1, Conv, [512, 1, 1]],
   [-1, 1, nn.Upsample, [None, 2, 'nearest']],
   [[-1, 6], 1, Concat, [1]],  # cat backbone P4
   [-1, 3, C3, [512, False]],  # 13
   [-1, 1, Conv, [256, 1, 1]],
   [-1, 1, nn.Upsample, [None, 2, 'nearest']],
   [[-1, 4], 1, Concat, [1]],  # cat backbone P3
   [-1, 3, C3, [256, False]],  # 17 (P3/8-small)
   [-1, 1, Conv, [256, 3, 2]],
   [[-1, 14], 1, Concat, [1]],  # cat head P4
   [-1, 3, C3, [512, False]],  # 20 (P4/16-medium)
   [-1, 1, Conv, [512, 3, 2]],
   [[-1, 10], 1, Concat, [1]],  # cat head P5
   [-1, 3, C3, [1024, False]],  # 23 (P5/32-large)
   [[17, 20, 23], 1, Detect, [nc, anchors]],  # Detect(P3, P4, P5)
  ]
"""

# (a) the v6.0/v7.0 layout (6x6 Conv stem, C3, SPPF) at depth 0.5 (Python's round-half-even makes
# 9 * 0.5 four bottlenecks, 3 * 0.5 two), a tiny width, 3 custom classes.
V6_YAML = """
nc: 80
depth_multiple: 0.5
width_multiple: 0.03125
anchors:
  - [10,13, 16,30, 33,23]  # P3/8
  - [30,61, 62,45, 59,119]  # P4/16
  - [116,90, 156,198, 373,326]  # P5/32
""" + V6_BACKBONE + V6_HEAD

# (b) the v5.0 layout (Focus stem, SPP) with the yaml's LeakyReLU(0.1) and a plain Bottleneck
# repeated twice (an nn.Sequential), one class.
V5_YAML = """
nc: 80
activation: nn.LeakyReLU(0.1)
depth_multiple: 0.33
width_multiple: 0.025
anchors:
  - [10,13, 16,30, 33,23]  # P3/8
  - [30,61, 62,45, 59,119]  # P4/16
  - [116,90, 156,198, 373,326]  # P5/32
backbone:
  [[-1, 1, Focus, [64, 3]],  # 0-P1/2
   [-1, 1, Conv, [128, 3, 2]],  # 1-P2/4
   [-1, 3, C3, [128]],
   [-1, 1, Conv, [256, 3, 2]],  # 3-P3/8
   [-1, 9, C3, [256]],
   [-1, 1, Conv, [512, 3, 2]],  # 5-P4/16
   [-1, 9, C3, [512]],
   [-1, 1, Conv, [1024, 3, 2]],  # 7-P5/32
   [-1, 1, SPP, [1024, [5, 9, 13]]],
   [-1, 6, Bottleneck, [1024]],  # 9
  ]
""" + V6_HEAD

# (c) a small custom yaml in the manner of hub/yolov5n6.yaml: four detection levels (P3-P6, so the
# largest stride is 64) with the n6 anchors, a C3 of two bottlenecks, Detect inputs out of order.
P6_YAML = """
nc: 80
depth_multiple: 1.0
width_multiple: 1.0
anchors:
  - [19,27,  44,40,  38,94]  # P3/8
  - [96,68,  86,152,  180,137]  # P4/16
  - [140,301,  303,264,  238,542]  # P5/32
  - [436,615,  739,380,  925,792]  # P6/64
backbone:
  [[-1, 1, Conv, [8, 6, 2, 2]],  # 0-P1/2
   [-1, 1, Conv, [8, 3, 2]],  # 1-P2/4
   [-1, 1, Conv, [16, 3, 2]],  # 2-P3/8
   [-1, 2, C3, [16]],
   [-1, 1, Conv, [16, 3, 2]],  # 4-P4/16
   [-1, 1, C3, [16]],
   [-1, 1, Conv, [24, 3, 2]],  # 6-P5/32
   [-1, 1, C3, [24]],
   [-1, 1, Conv, [24, 3, 2]],  # 8-P6/64
   [-1, 1, SPPF, [24, 5]],  # 9
  ]
head:
  [[-1, 1, Conv, [16, 1, 1]],
   [-1, 1, nn.Upsample, [None, 2, 'nearest']],
   [[-1, 7], 1, Concat, [1]],  # cat backbone P5
   [-1, 1, C3, [24, False]],  # 13 (P5/32)
   [-1, 1, Conv, [16, 1, 1]],
   [-1, 1, nn.Upsample, [None, 2, 'nearest']],
   [[-1, 5], 1, Concat, [1]],  # cat backbone P4
   [-1, 1, C3, [16, False]],  # 17 (P4/16)
   [-1, 1, nn.Upsample, [None, 2, 'nearest']],
   [[-1, 3], 1, Concat, [1]],  # cat backbone P3
   [-1, 1, C3, [16, False]],  # 20 (P3/8)
   [[20, 17, 13, 9], 1, Detect, [nc, anchors]],  # Detect(P3, P4, P5, P6)
  ]
"""

# (d) a small custom yaml in the manner of hub/yolov5-p34.yaml: two detection levels (P3, P4, so the
# largest stride is 16) and `anchors: 3`: the anchors exist only in the Detect buffer that AutoAnchor
# fills during training; the yaml keeps the count.
P34_YAML = """
nc: 80
depth_multiple: 1.0
width_multiple: 1.0
anchors: 3  # AutoAnchor evolves 3 anchors per P output layer
backbone:
  [[-1, 1, Conv, [8, 6, 2, 2]],  # 0-P1/2
   [-1, 1, Conv, [16, 3, 2]],  # 1-P2/4
   [-1, 1, C3, [16]],
   [-1, 1, Conv, [32, 3, 2]],  # 3-P3/8
   [-1, 1, C3, [32]],
   [-1, 1, Conv, [32, 3, 2]],  # 5-P4/16
   [-1, 1, SPPF, [32, 5]],  # 6
  ]
head:
  [[-1, 1, Conv, [16, 1, 1]],
   [-1, 1, nn.Upsample, [None, 2, 'nearest']],
   [[-1, 4], 1, Concat, [1]],  # cat backbone P3
   [-1, 1, C3, [32, False]],  # 10 (P3/8)
   [[10, 6], 1, Detect, [nc, anchors]],  # Detect(P3, P4)
  ]
"""

MODELS = [
    dict(name="yolov5_v6_custom3", cfg="yolov5m-custom.yaml", yaml=V6_YAML, seed=1,
         names={0: "helmet", 1: "vest", 2: "person"}, kind="stripped",
         images=["000000000036.jpg", "000000000077.jpg"]),
    dict(name="yolov5_v50_leaky_1class", cfg="yolov5s-v5.0-leaky.yaml", yaml=V5_YAML, seed=2,
         names=["drone"], kind="stripped",  # the list form older releases saved
         images=["000000000049.jpg", "000000000074.jpg"]),
    dict(name="yolov5_p6_ema", cfg="yolov5-p6-tiny.yaml", yaml=P6_YAML, seed=3,
         names={0: "car", 1: "truck", 2: "bus", 3: "motorcycle", 4: "bicycle"}, kind="training",
         anchors_px=[[21, 30, 40, 44, 36, 99], [101, 64, 80, 160, 190, 128],
                     [150, 290, 290, 270, 250, 520], [420, 600, 760, 400, 900, 810]],
         images=["000000000036.jpg", "000000000074.jpg"]),
    dict(name="yolov5_p34_anchor_count", cfg="yolov5-p34-tiny.yaml", yaml=P34_YAML, seed=4,
         names={0: "cat", 1: "dog"}, kind="stripped",
         anchors_px=[[12, 16, 19, 36, 40, 28], [36, 75, 76, 55, 72, 146]],
         images=["000000000077.jpg", "000000000074.jpg"]),
]

HYP = {"lr0": 0.01, "lrf": 0.01, "momentum": 0.937, "weight_decay": 0.0005, "warmup_epochs": 3.0,
       "box": 0.05, "cls": 0.5, "cls_pw": 1.0, "obj": 1.0, "obj_pw": 1.0, "iou_t": 0.2, "anchor_t": 4.0,
       "fl_gamma": 0.0, "hsv_h": 0.015, "hsv_s": 0.7, "hsv_v": 0.4, "degrees": 0.0, "translate": 0.1,
       "scale": 0.5, "shear": 0.0, "perspective": 0.0, "flipud": 0.0, "fliplr": 0.5, "mosaic": 1.0,
       "mixup": 0.0, "copy_paste": 0.0}

# Images the BatchNorm statistics are measured on, with the tested ones.
CALIBRATION = ["000000000030.jpg", "000000000042.jpg", "000000000064.jpg", "000000000071.jpg",
               "000000000072.jpg", "000000000073.jpg", "000000000078.jpg", "000000000081.jpg", "000000000086.jpg"]


def synthetic_image():
    """A 300x220 BGR picture of flat shapes on banded colours: small as a PNG, letterboxed with odd padding."""
    h, w = 220, 300
    y, x = np.mgrid[0:h, 0:w]
    im = np.stack([(x * 8 // w) * 32, (y * 6 // h) * 40, ((x + y) * 5 // (w + h)) * 50], -1).astype(np.uint8)
    rng = np.random.default_rng(7)
    for _ in range(14):
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        cx, cy = int(rng.integers(0, w)), int(rng.integers(0, h))
        if rng.random() < 0.5:
            cv2.rectangle(im, (cx, cy), (cx + int(rng.integers(15, 90)), cy + int(rng.integers(15, 90))), color, -1)
        else:
            cv2.circle(im, (cx, cy), int(rng.integers(8, 45)), color, -1)
    cv2.putText(im, "Argus", (40, 120), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (250, 250, 250), 3)
    return im


def preprocess(im0, stride):
    im = letterbox(im0, IMGSZ, stride=stride, auto=True)[0]
    im = np.ascontiguousarray(im.transpose((2, 0, 1))[::-1])
    return torch.from_numpy(im).float()[None] / 255


def build(spec, images):
    """The model as train.py builds it for a custom data set, with trained-looking random weights."""
    torch.manual_seed(spec["seed"])
    nc = len(spec["names"])
    with tempfile.TemporaryDirectory() as d:
        cfg = Path(d) / spec["cfg"]
        cfg.write_text(spec["yaml"])
        model = Model(str(cfg), ch=3, nc=nc)
    Conv.default_act = nn.SiLU()  # parse_model set this class attribute from the yaml's `activation`
    acts = {type(m.act) for m in model.modules() if isinstance(m, Conv)}
    assert acts == {nn.LeakyReLU if "LeakyReLU" in spec["yaml"] else nn.SiLU}, acts
    detect = model.model[-1]
    if "anchors_px" in spec:  # what AutoAnchor writes into the buffer (grid units)
        px = torch.tensor(spec["anchors_px"], dtype=torch.float32).view(detect.nl, detect.na, 2)
        detect.anchors[:] = px / detect.stride.view(-1, 1, 1)
    for m in model.modules():
        if isinstance(m, nn.Conv2d) and not any(m is c for c in detect.m):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.uniform_(m.weight, 0.5, 1.5)
            nn.init.normal_(m.bias, 0.0, 0.3)
    # Measure every BatchNorm's statistics on real images (like training would), then perturb them.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # cumulative average
    pictures = [cv2.imread(str(COCO / f)) for f in CALIBRATION] + list(images)
    batch = torch.cat([torch.from_numpy(np.ascontiguousarray(letterbox(im, IMGSZ, auto=False)[0]
                                                          .transpose((2, 0, 1))[::-1])).float()[None] / 255
                       for im in pictures])
    model.train()
    with torch.no_grad():
        model(batch)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = 0.03
            m.running_mean += torch.randn_like(m.running_mean) * 0.05
            m.running_var *= torch.empty_like(m.running_var).uniform_(0.8, 1.25)
            # A channel nearly silent on the calibration images would amplify other images wildly.
            m.running_var.clamp_(min=0.2 * float(m.running_var.median()))
    # Detect: logits scaled to a set spread over the tested images (objectness 1.5, classes 1.0; at most
    # 10x, so no tiny feature differences get blown up), and an objectness bias per level and anchor that
    # puts few cells above 0.5, like a trained head, which fires rarely.
    model.eval()
    with torch.no_grad():
        for conv in detect.m:
            nn.init.normal_(conv.weight, 0.0, 1.0 / math.sqrt(conv.in_channels))
            conv.bias.zero_()
        outputs = [[] for _ in detect.m]
        hooks = [conv.register_forward_hook(lambda _m, _x, y, i=i: outputs[i].append(y.view(detect.na, detect.no, -1)))
                 for i, conv in enumerate(detect.m)]
        for im in images:
            model(preprocess(im, int(detect.stride.max())))
        for h in hooks:
            h.remove()
        for conv, level in zip(detect.m, outputs):
            y = torch.cat(level, 2)  # (na, no, cells)
            w = conv.weight.view(detect.na, detect.no, -1)
            b = conv.bias.view(detect.na, detect.no)
            target = torch.tensor([0.5] * 4 + [1.5] + [1.0] * detect.nc)
            q25, q50, q75 = torch.quantile(y, torch.tensor([0.25, 0.5, 0.75]), dim=2)
            spread = (q75 - q25) / 1.35  # robust: some channels are a narrow bulk with far outliers
            tail = torch.quantile((y - q50[..., None]).abs(), 0.999, dim=2)
            limit = torch.tensor([1.5] * 4 + [10.0] + [6.0] * detect.nc)  # keep the outliers off saturation
            gain = torch.minimum(target / spread.clamp(min=1e-6), limit / tail.clamp(min=1e-6)).clamp(max=10.0)
            w *= gain[..., None]
            centre = q50 * gain  # (na, no): the typical logit, moved to the bias below
            b[:, :4] = torch.randn(detect.na, 4) * 0.2 - centre[:, :4]
            b[:, 5:] = torch.randn(detect.na, detect.nc) * 0.5 + 0.5 - centre[:, 5:]
            # At least 0.3% of each image's cells above 0.5, and the typical cell far below.
            top = torch.stack([torch.quantile(t[:, 4], 0.997, dim=1) for t in level]).min(0).values * gain[:, 4]
            b[:, 4] = torch.minimum(-top, -3.0 - centre[:, 4])
    # Drop the inference grids cached above: a freshly built Detect has none to pickle.
    detect.grid = [torch.empty(0) for _ in range(detect.nl)]
    detect.anchor_grid = [torch.empty(0) for _ in range(detect.nl)]
    model.nc = nc
    model.hyp = HYP
    model.class_weights = torch.rand(nc) * nc
    model.names = spec["names"]
    return model


def save(spec, model, path):
    opt = {"weights": "", "cfg": spec["cfg"], "data": "custom.yaml", "epochs": 100, "batch_size": 16,
           "imgsz": IMGSZ, "rect": False, "noautoanchor": False, "device": "cpu", "optimizer": "SGD",
           "save_dir": "runs/train/exp", "hyp": HYP}
    if spec["kind"] == "stripped":
        # strip_optimizer output: the EMA became 'model', the training state is gone.
        ckpt = {"epoch": -1, "best_fitness": None, "model": deepcopy(model).half(), "ema": None, "updates": None,
                "optimizer": None, "opt": opt, "git": None, "date": DATE}
        for p in ckpt["model"].parameters():
            p.requires_grad = False
    else:
        # A mid-training last.pt: the raw model differs from the EMA that inference uses.
        raw = deepcopy(model)
        with torch.no_grad():
            for p in raw.parameters():
                p.add_(torch.randn_like(p) * 0.3)
            for conv in raw.model[-1].m:
                conv.bias.view(raw.model[-1].na, -1)[:, 4] = -9.0
        ckpt = {"epoch": 41, "best_fitness": np.array([0.4123]), "model": raw.half(), "ema": deepcopy(model).half(),
                "updates": 5292, "optimizer": smart_optimizer(model, "SGD", 0.01, 0.937, 5e-4).state_dict(),
                "opt": opt, "git": {"remote": "https://github.com/ultralytics/yolov5", "branch": "master",
                                    "commit": "915bbf2"}, "date": DATE}
    torch.save(ckpt, path)


def reference_model(path):
    """attempt_load as detect.py runs it (weights_only=False: the file pickles whole modules)."""
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    model = (ckpt.get("ema") or ckpt["model"]).float()
    if isinstance(model.names, (list, tuple)):
        model.names = dict(enumerate(model.names))
    return model.fuse().eval()


def rows_json(pred):
    """First 10 rows and the 10 rows with the highest objectness of the decoded head output."""
    p = pred[0].double()
    top = torch.argsort(p[:, 4], descending=True, stable=True)[:10]
    return {"shape": list(pred.shape), "first_rows": p[:10].tolist(),
            "top_rows_by_obj": [{"row": int(r), "values": p[r].tolist()} for r in top]}


def run(model, im0, conf, transform=lambda x: x, context=None):
    """detect.py on one image; `transform` and `context` run it in another float32 summation order
    (yolo_reference_noise.summation_orders), for the noise records only."""
    stride = int(model.stride.max())
    x = preprocess(im0, stride)
    with torch.inference_mode(), (context or contextlib.nullcontext)():
        pred = model(transform(x))[0]
        det = non_max_suppression(pred.clone(), conf, IOU, None, False, max_det=1000)[0]
        det[:, :4] = scale_boxes(x.shape[2:], det[:, :4], im0.shape)
    return x, pred, det


def near_ties(pred, conf, margin=1e-4):
    """True where another implementation's last-bit Float32 differences could change the result: a
    candidate's score within `margin` of `conf`, two same-class candidates with an IoU within `margin`
    of the NMS threshold, or two that would suppress each other with (nearly) equal scores, which
    leaves the choice to the sort's tie order."""
    p = pred[0]
    scores, classes = (p[:, 5:] * p[:, 4:5]).max(1)
    live = (p[:, 4] > conf - margin) & (scores > conf - margin)
    if ((scores[live] - conf).abs() < margin).any():
        return True
    boxes = torch.cat([p[:, :2] - p[:, 2:4] / 2, p[:, :2] + p[:, 2:4] / 2], 1)[live]
    scores, classes = scores[live], classes[live]
    for c in classes.unique():
        b, s = boxes[classes == c], scores[classes == c]
        if len(b) < 2:
            continue
        iou = box_iou(b, b)
        if ((iou - IOU).abs() < margin).any():
            return True
        overlapping = (iou > IOU - margin) & ~torch.eye(len(b), dtype=torch.bool)
        if (overlapping & ((s[:, None] - s[None, :]).abs() < 1e-5)).any():
            return True
    return False


def choose_conf(model, im0):
    """A threshold giving tens of detections on this image and no near ties (see `near_ties`)."""
    pred = run(model, im0, 0.5)[1]
    for conf in sorted([k / 100 for k in range(5, 96)], key=lambda c: abs(c - 0.25)):  # 0.25 first
        count = len(non_max_suppression(pred.clone(), conf, IOU, max_det=1000)[0])
        if 8 <= count <= 40 and not near_ties(pred, conf):
            return conf

    raise SystemExit("no confidence threshold gives 8-40 detections; change the biases")


def short_floats(value):
    """Every float to 9 significant digits: exact for the Float32 values they are, and short."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, list):
        return [short_floats(v) for v in value]
    if isinstance(value, dict):
        return {k: short_floats(v) for k, v in value.items()}
    return value


# ---- the reference's own float32 noise (float64 rerun) ------------------------------------------------

MAX_WH = 7680  # non_max_suppression's class offset


def fresh_grids(model):
    """A copy of the network without Detect's cached grids (a checkpoint may pickle stale ones; they are remade
    for every new input size anyway), so it can be converted to another dtype or memory format."""
    m = deepcopy(model)
    d = m.model[-1]
    d.grid = [torch.empty(0) for _ in range(d.nl)]
    d.anchor_grid = [torch.empty(0) for _ in range(d.nl)]
    return m


def float64_twin(model):
    """The same fused network in float64 (fresh Detect grids, made in float64 from the anchors buffer)."""
    return fresh_grids(model).double()


def run64(model64, x, im0, conf, max_det=1000):
    """detect.py's pipeline on the float64 network: the same letterboxed input widened, NMS and scale_boxes
    on the float64 output."""
    x64 = x.double()
    with torch.inference_mode():
        pred = model64(x64)[0]
        det = non_max_suppression(pred.clone(), conf, IOU, None, False, max_det=max_det)[0]
        det[:, :4] = scale_boxes(x64.shape[2:], det[:, :4], im0.shape)
    return pred, det


def as_items(dets):
    """The JSON's detections (or a (n, 6) tensor) as reference_noise's {boxes, scores, labels}."""
    if isinstance(dets, torch.Tensor):
        d = dets.double()
        return {"boxes": d[:, :4].tolist(), "scores": d[:, 4].tolist(), "labels": d[:, 5].long().tolist()}
    return {"boxes": [d["box"] for d in dets], "scores": [d["score"] for d in dets],
            "labels": [d["class_id"] for d in dets]}


def candidates(pred, conf):
    """Rows non_max_suppression considers (obj > conf, best obj x cls > conf), their xyxy box, score, class and
    the gap between the best and the second-best obj x cls (null for one class)."""
    p = pred[0].double()
    prod = p[:, 5:] * p[:, 4:5]
    score, cls = prod.max(1)
    rows = torch.nonzero((p[:, 4] > conf) & (score > conf)).view(-1)
    gap = (prod[rows].topk(2, 1).values[:, 0] - prod[rows].topk(2, 1).values[:, 1]) if prod.shape[1] > 1 else None
    return rows, xywh2xyxy(p[rows, :4]), score[rows], cls[rows], gap


def detection_margins(pred32, pred64, det64, ref_items, conf, max_det, others=()):
    """detection_noise of the reference list against the float64 run, with the class gaps and NMS margins of
    class-aware greedy NMS replayed on the float64 candidates (yolo_reference_noise.nms_record), per
    reference item."""
    rows, boxes, scores, cls, gap = candidates(pred64, conf)
    p32 = pred32[0]
    kept, nms = nms_record(rows.numpy(), boxes.numpy(), scores.numpy(), cls.numpy(), IOU,
                           lambda r: xywh2xyxy(p32[r, :4]), lambda b, lab: lab.float() * MAX_WH)
    kept = kept[:max_det]
    # The replay must be the reference's own float64 NMS.
    assert len(kept) == len(det64), (len(kept), len(det64))
    assert torch.allclose(scores[kept], det64[:, 4].double(), rtol=0, atol=1e-12), "NMS replay differs"
    items64 = as_items(det64)
    noise = detection_noise(ref_items, items64, cap=max_det, threshold=conf)
    out = {"detections": noise, "own": own_errors(ref_items, items64, others),
           "nms": {"iou": IOU, "iou_noise": nms["iou_noise"], "pairs": nms["pairs"],
                   "margin": per_reference(ref_items, items64, nms["margin"]),
                   "gap": per_reference(ref_items, items64, nms["gap"]),
                   "suppressed": nms["suppressed"]}}
    if gap is not None:
        out["class_gap"] = per_reference(ref_items, items64, gap[kept].tolist())
    return out


def head_noise(rows32, rows64, kinds):
    """Relative noise max |fp32 - fp64| / max(1, |fp64|) per column kind over the listed rows."""
    a, b = np.asarray(rows32, dtype=np.float64), np.asarray(rows64, dtype=np.float64)
    return {k: rel_noise(a[:, cols], b[:, cols]) for k, cols in kinds.items()}


def head_kinds(width):
    return {"xywh": slice(0, 4), "obj": slice(4, 5), "cls": slice(5, width)}


def compact(record):
    """Noise records to 4 significant digits, except the cut (a score compared against scores)."""
    out = short({k: v for k, v in record.items() if k != "detections"})
    det = record.get("detections")
    if det is not None:
        out["detections"] = {**short({k: v for k, v in det.items() if k != "cut"}), "cut": det["cut"]}
    return out


def float32_runs(model, orders, im0, conf):
    """This machine's float32 run and the same in the other summation orders: [(pred, det)]."""
    return [run(model, im0, conf)[1:]] + [run(m, im0, conf, tf, ctx)[1:] for _, m, tf, ctx in orders]


def head_noise_of(rows32_stored, runs, pred64, listed):
    """Per column kind, the largest relative noise of the stored rows and every float32 run's rows."""
    p64 = pred64[0][listed].numpy()
    kinds = head_kinds(p64.shape[1])
    h = head_noise(rows32_stored, p64, kinds)
    for pred, _ in runs:
        h = {k: max(v, w) for (k, v), w in zip(h.items(), head_noise(pred[0].double()[listed].numpy(), p64, kinds).values())}
    return h


def image_noise(model, model64, orders, im0, entry, max_det):
    """The `noise` record of one fixture image (see the module docstring)."""
    x, pred32, det32 = run(model, im0, entry["conf"])
    pred64, det64 = run64(model64, x, im0, entry["conf"], max_det)
    runs = float32_runs(model, orders, im0, entry["conf"])
    head = entry["head"]
    listed = list(range(len(head["first_rows"]))) + [t["row"] for t in head["top_rows_by_obj"]]
    json32 = head["first_rows"] + [t["values"] for t in head["top_rows_by_obj"]]
    p32 = pred32[0].double()
    ref_items = as_items(entry["detections"])
    record = {"head": head_noise_of(json32, runs, pred64, listed)}
    record.update(detection_margins(pred32, pred64, det64, ref_items, entry["conf"], max_det,
                                    [as_items(d) for _, d in runs]))
    # How this machine's float32 run compares with the stored one (information only).
    local = as_items(det32)
    same = len(local["scores"]) == len(ref_items["scores"])
    record["this_machine"] = {"head": rel_noise(json32, p32[listed].numpy()), "detections": len(local["scores"]),
                              "score_diff": float(np.abs(np.subtract(local["scores"], ref_items["scores"])).max(
                                  initial=0.0)) if same else None}
    return compact(record)


def add_noise(spec, path, doc):
    """Adds `noise` to every image entry of `doc` from the committed checkpoint at `path`."""
    model = reference_model(path)
    model64 = float64_twin(model)
    orders = summation_orders(fresh_grids(model))
    for entry in doc["images"]:
        folder = COCO if entry["source"] == "coco128" else OUT
        im0 = cv2.imread(str(folder / entry["file"]))
        entry["noise"] = image_noise(model, model64, orders, im0, entry, doc["max_det"])
        n = entry["noise"]
        print(f"  {spec['name']} {entry['file']}: head {n['head']}, score {n['detections']['score']:.3g}, "
              f"box {n['detections']['box']:.3g}, unstable {n['detections']['unstable']}, "
              f"iou noise {n['nms']['iou_noise']:.3g}, this machine {n['this_machine']}")


def noise_only():
    """Adds the `noise` records to the committed JSONs, from the committed checkpoints (left untouched)."""
    for spec in MODELS:
        path = OUT / f"{spec['name']}.pt"
        doc = json.loads((OUT / f"{spec['name']}.json").read_text())
        add_noise(spec, path, doc)
        (OUT / f"{spec['name']}.json").write_text(json.dumps(short_floats(doc), separators=(",", ":")) + "\n")


def yolov5n_noise():
    """The same records for the official yolov5n reference in ../shared/reference/yolov5n (read-only): the
    three debug images' head rows and all 224 detect-setting lists, written to yolov5_yolov5n_noise.json."""
    shared = REPO.parent / "shared"
    ref_dir = shared / "reference/yolov5n"
    model = reference_model(shared / "weights/ultralytics/yolov5n.pt")
    model64 = float64_twin(model)
    orders = summation_orders(fresh_grids(model))

    def image_of(name, set_):
        folder = "datasets/coco128/images/train2017" if set_ == "coco128" else "datasets/coco-val96/images/val2017"
        return cv2.imread(str(shared / folder / name))

    debug = {}
    for f in sorted((ref_dir / "debug").glob("*.json")):
        d = json.loads(f.read_text())
        im0 = image_of(d["file_name"], d["set"])
        x, pred32, _ = run(model, im0, 0.25)
        pred64, _ = run64(model64, x, im0, 0.25)
        runs = float32_runs(model, orders, im0, 0.25)
        head = d["raw_head_output"]
        listed = list(range(len(head["first_20_rows"]))) + [t["row"] for t in head["top10_rows_by_obj"]]
        json32 = head["first_20_rows"] + [t["values"] for t in head["top10_rows_by_obj"]]
        h = head_noise_of(json32, runs, pred64, listed)
        mean64 = float(pred64[0].mean())
        means = [head["mean"]] + [float(p[0].double().mean()) for p, _ in runs]
        debug[f.stem] = short({"head": h, "mean": max(abs(m - mean64) for m in means) / max(1.0, abs(mean64))})
        print(f"  yolov5n debug {f.stem}: {debug[f.stem]}")
    detect = {}
    for f in sorted((ref_dir / "detect").glob("*.json")):
        d = json.loads(f.read_text())
        s = d["settings"]
        assert s["iou_thres"] == IOU and not s["agnostic_nms"] and not s["multi_label"]
        im0 = image_of(d["file_name"], d["set"])
        x, pred32, _ = run(model, im0, s["conf_thres"])
        assert list(x.shape) == d["input_shape"], f.name
        pred64, det64 = run64(model64, x, im0, s["conf_thres"], s["max_det"])
        runs = float32_runs(model, orders, im0, s["conf_thres"])
        rec = detection_margins(pred32, pred64, det64, as_items(d["detections"]), s["conf_thres"], s["max_det"],
                                [as_items(dd) for _, dd in runs])
        detect[f.stem] = compact(rec)
        n = rec["detections"]
        if n["unstable"] or n["extra"] or rec["own"]["flipped"]:
            print(f"  yolov5n {f.stem}: unstable {n['unstable']}, extra {n['extra']}, flipped {rec['own']['flipped']}")
    doc = {"reference": "../shared/reference/yolov5n (detect.py pipeline, float32), rerun in float64 by "
                        "tools/gen_yolov5_fixtures.py --yolov5n-noise",
           "torch": torch.__version__, "yolov5": yolov5.__version__, "debug": debug, "detect": detect}
    (OUT / "yolov5_yolov5n_noise.json").write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    dets = [v["detections"] for v in detect.values()]
    print(f"yolov5n: {len(detect)} lists, score noise max {max(v['score'] for v in dets):.3g}, box noise max "
          f"{max(v['box'] for v in dets):.3g}, unstable {sum(len(v['unstable']) for v in dets)}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--noise-only", action="store_true",
                        help="add the float64 noise records to the committed JSONs from the committed checkpoints")
    parser.add_argument("--yolov5n-noise", action="store_true",
                        help="write yolov5_yolov5n_noise.json for the shared yolov5n reference")
    args = parser.parse_args()
    if args.noise_only:
        return noise_only()
    if args.yolov5n_noise:
        return yolov5n_noise()
    OUT.mkdir(parents=True, exist_ok=True)
    synthetic = synthetic_image()
    cv2.imwrite(str(OUT / SYNTHETIC), synthetic)
    for spec in MODELS:
        path = OUT / f"{spec['name']}.pt"
        sources = [("coco128", f, cv2.imread(str(COCO / f))) for f in spec["images"]]
        sources.append(("fixture", SYNTHETIC, cv2.imread(str(OUT / SYNTHETIC))))
        save(spec, build(spec, [im for _, _, im in sources]), path)
        model = reference_model(path)
        detect = model.model[-1]
        names = model.names
        images = []
        for source, file, im0 in sources:
            conf = choose_conf(model, im0)
            x, pred, det = run(model, im0, conf)
            images.append({
                "source": source, "file": file, "width": im0.shape[1], "height": im0.shape[0], "conf": conf,
                "input_shape": list(x.shape), "head": rows_json(pred),
                "detections": [{"box": d[:4].tolist(), "score": float(d[4]), "class_id": int(d[5]),
                                "label": names[int(d[5])]} for d in det]})
        ref = {"checkpoint": path.name, "reference": f"ultralytics/yolov5 {yolov5.__version__} detect.py pipeline",
               "nc": int(detect.nc), "names": [names[i] for i in range(detect.nc)],
               "strides": detect.stride.tolist(),
               "anchors_px": (detect.anchors * detect.stride.view(-1, 1, 1)).tolist(),
               "iou": IOU, "max_det": 1000, "imgsz": IMGSZ, "images": images}
        add_noise(spec, path, ref)
        (OUT / f"{spec['name']}.json").write_text(json.dumps(short_floats(ref), separators=(",", ":")) + "\n")
        print(f"{spec['name']}: {path.stat().st_size / 1e3:.0f} KB,",
              ", ".join(f"{i['file']}: {len(i['detections'])} at conf {i['conf']}" for i in images))


if __name__ == "__main__":
    main()
