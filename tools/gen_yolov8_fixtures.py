#!/usr/bin/env python3
"""Tiny YOLOv8 detect / segment checkpoints in Ultralytics' own `.pt` format, with what Ultralytics
`predict` outputs for them on real coco128 images: the fixtures for Argus's YOLOv8 (issue 8).

Run from the repository root (the reference venv is made by `bash ../shared/bench/install_venv.sh DIR`;
Ultralytics is installed there with --no-deps):
    YOLO_OFFLINE=1 YOLO_AUTOINSTALL=false YOLO_CONFIG_DIR=$(mktemp -d) \
        /work/venv-ref/bin/python tools/gen_yolov8_fixtures.py
Single-threaded and seeded: a rerun writes the same files. With `--full DIR` it writes the real-size
yolov8n.pt / yolov8n-seg.pt (width 0.25, 6-7 MB each, not committed) and their JSON into DIR instead. Images are read from
../shared/datasets/coco128/images/train2017 and only referenced by name. The ONNX references are made by
tools/gen_yolov8_onnx_fixtures.py.

Models (Tests/ArgusModelsTests/Fixtures/yolov8/<name>.pt + <name>.json)
  The networks are Ultralytics' own yolov8.yaml / yolov8-seg.yaml (the exact n layout: depth 0.33, max
  channels 1024) with only the width multiplier of scale 'n' narrowed from 0.25 to 0.0625, so the three
  files stay small (a real yolov8n.pt is 6.5 MB). Built by `DetectionModel` / `SegmentationModel` from the
  yaml file named yolov8n-tiny.yaml / yolov8n-seg-tiny.yaml (Ultralytics guesses scale 'n' from the name and
  looks its multipliers up in the yaml's `scales`, the same path as yolov8n.yaml), as the trainer builds them
  for a data set (`nc` overridden, `names`, `args` attached):
    yolov8n_tiny            detect, 80 COCO classes
    yolov8n_seg_tiny        segment, 80 COCO classes, Proto(npr=16, nm=32)
    yolov8n_tiny_custom3    detect, nc=3 {0: helmet, 1: vest, 2: person} (so the class head has 16 channels)
  Weights: torch.manual_seed; convs kaiming-normal, BatchNorm gamma U(0.5, 1.5), beta N(0, 0.3), running
  statistics measured on 9 coco128 images and then perturbed (so BN folding is exercised with non-trivial
  mean/var); the head's final 1x1 convs re-scaled so DFL logits, class logits and mask coefficients are
  spread (class biases set so that hundreds of boxes pass conf 0.01).
  File format = what the trainer's final `best.pt` is, i.e. `strip_optimizer` (ultralytics/utils/torch_utils.py:895)
  of `BaseTrainer.save_model` (engine/trainer.py:768): a torch.save'd dict with
    date, version, license, docs, epoch=-1, best_fitness=None, stopper=None, model=<the pickled
    DetectionModel/SegmentationModel in FP16 (`.half()`), requires_grad False, `.args` a plain dict,
    `.names` {int: str}, `.nc`, `.yaml` the parsed yaml dict, `.stride` tensor>, ema=None, updates=None,
    modelopt=None, optimizer=None, scaler=None, train_args=<DEFAULT_CFG keys>, train_metrics, train_results, git.
  Loading as Ultralytics does (nn/tasks.py load_checkpoint): `(ckpt.get('ema') or ckpt['model']).float()`,
  then AutoBackend fuses Conv+BN (`model.fuse()`), all inference in float32.

References (<name>.json), from `YOLO(path).predict(im_bgr, imgsz=640, conf=CONF, iou=0.7, max_det=300,
retina_masks=True)` (ultralytics 8.4.190, torch 2.13 CPU), cross-checked against the step-by-step values
stored beside them. Semantics Argus must match (file:line in site-packages/ultralytics):
  * Letterbox (data/augment.py:1782-1850, used by engine/predictor.py:224-237 with auto=True for a .pt model,
    stride = int(model.stride.max()) = 32): r = min(640/h, 640/w) (scale up allowed); new_unpad =
    (max(round(w*r),1), max(round(h*r),1)) with Python round (half to even); dw, dh = 640 - new_unpad,
    then dw %= 32, dh %= 32 (minimal rectangle); halved; top = round(dh/2 - 0.1), bottom = round(dh/2 + 0.1),
    left/right likewise; cv2.resize(INTER_LINEAR) only if the size changes; cv2.copyMakeBorder constant 114.
  * Tensor (engine/predictor.py:183-205): HWC uint8 BGR -> CHW, BGR->RGB, float32 / 255. No mean/std.
  * Head (nn/modules/head.py:169-247, nn/modules/block.py:60-82, utils/tal.py:539-587): per level i (strides
    8, 16, 32) box logits cv2[i] (4*16 channels), class logits cv3[i] (nc), for seg mask coefficients cv4[i]
    (32); flattened row-major (y, x) per level, levels concatenated. DFL: the 64 channels are (side, bin)
    = view(4, 16), softmax over the 16 bins, expectation with weights 0..15 -> distances l, t, r, b (grid
    units). Anchor point = (x + 0.5, y + 0.5); x1y1 = anchor - lt, x2y2 = anchor + rb; output xywh =
    ((x1y1 + x2y2)/2, x2y2 - x1y1) * stride. Scores = sigmoid(class logits). Output (1, 4+nc(+32), N).
  * NMS (utils/nms.py:13-170; detect/predict.py:55-66): candidates max class score > conf (strict);
    xywh -> xyxy; multi_label False: score, class = max over classes (first index on ties), and again > conf;
    if more than 30000, keep the 30000 best by score; class-aware by offsetting boxes by class * 7680
    (max_wh), then torchvision.ops.nms(boxes, scores, 0.7) (IoU > 0.7 suppresses; sorted by score
    descending); keep the first max_det = 300. No min/max box size filter.
  * Boxes to the original image (utils/ops.py:126-170): gain = min(640h/h0, 640w/w0) of the letterboxed
    tensor; new_h, new_w = max(round(h0*gain),1), max(round(w0*gain),1); gain_y = new_h/h0, gain_x = new_w/w0
    (per axis!), pad_x = round((W - new_w)/2 - 0.1), pad_y likewise; x -= pad_x, / gain_x (y likewise);
    then clip to [0, w0] x [0, h0] (clip_boxes, utils/ops.py:188). Not rounded.
  * Masks with retina_masks=True (segment/predict.py:101-103, utils/ops.py:505-632): boxes first scaled to
    the original image as above; mask logits = coefficients (N, 32) @ protos (32, mh*mw) (proto = 1/4 of the
    letterboxed input, here 160 x 128 etc.); process_mask_native: f = 4 // gcd(4, pad | pad // 2) with
    pad = (4*mh - new_h) | (4*mw - new_w) (bitwise or; new_h/new_w from the same rounding as above with
    gain = min(4mh/h0, 4mw/w0)), i.e. f in {1, 2, 4}; if f > 1 the logits are first bilinearly upsampled
    by f (F.interpolate scale_factor=f, align_corners=False); then scale_masks: crop rows
    [top, top + new_h), cols [left, left + new_w) with top = round(pad_h - 0.1), pad_h = (H' - new_h')/2
    in that (upsampled) resolution, and bilinear-resize (align_corners=False, no antialias) to (h0, w0);
    threshold logits > 0 (== sigmoid > 0.5) to uint8; crop_mask: keep pixel (column c, row r) iff
    x1 <= c < x2 and y1 <= r < y2 with the float box in original pixels.

JSON fields:
  checkpoint, ultralytics, torch     file and versions
  task, nc, names, strides, reg_max, yaml (the model.yaml dict), imgsz, conf, iou, max_det, retina_masks
  images[]:
    file, width, height                 coco128 image (cv2.imread BGR)
    letterbox                           new_unpad [w, h], top, bottom, left, right (pads in pixels)
    input                               the (1,3,H,W) float32 tensor: shape, mean, std, samples
    head                                decoded head output (1, 4+nc(+32), N): shape, mean, std, samples, and
                                        top_anchors: the 10 anchors with the highest class score, all rows
    box_logits, cls_logits(, mask_coefficients)   pre-decode head tensors (1, C, N): shape, mean, std, samples
    protos                              (seg) the (1, 32, mh, mw) prototypes: shape, mean, std, samples
    detections[]                        box [x1,y1,x2,y2] original pixels, score, class_id, label
                                        (seg: mask = {size [h, w], counts: COCO compressed RLE string}, area)
    noise                               the reference's own float32 noise, below
  `samples`: values at fixed indices, a list of [index..., value], index into the shape minus the batch
  dimension; k = 0..15: 3-D (c, y, x): c = (37k+3) % C, y = (13k+1) % H, x = (29k+2) % W;
  2-D (c, n): c = (37k+3) % C, n = (997k+2) % N. mean/std over the whole tensor (std unbiased), float64.

The `noise` record (for margin-aware tests, Tests/ArgusModelsTests/YOLOMargins.swift), written by a full run
and added to the committed JSONs, from the COMMITTED checkpoints (left byte-identical: the BatchNorm statistics
are measured in float32, so a rebuild on another CPU changes bits), by
    YOLO_OFFLINE=1 YOLO_AUTOINSTALL=false YOLO_CONFIG_DIR=$(mktemp -d) \
        /work/venv-ref/bin/python tools/gen_yolov8_fixtures.py --noise-only [--full DIR]
It runs predict's pipeline again in float32 and with the fused network deep-copied `.double()` on the same
letterboxed input `.double()` (NMS, scale_boxes and the mask path on the float64 output; the mask path is
process_mask_native + scale_masks replayed in the input's dtype, checked against Ultralytics' own masks):
  head, box_logits, cls_logits(, mask_coefficients, protos)
                  the largest of |mean32 - mean64| / max(1, |mean|, std), |std32 - std64| / max(1, std) and
                  |v32 - v64| / max(1, |v64|) over the samples (and head top_anchors), float32 being the stored
                  values and this machine's runs in three summation orders (oneDNN as predict runs it, oneDNN
                  off = PyTorch's im2col + BLAS GEMM, channels_last; yolo_reference_noise.summation_orders)
  detections      reference_noise.detection_noise(stored list, float64 list, cap=max_det, threshold=conf)
  own             {score, box}: per stored detection, its largest |float32 - float64| score and corner
                  difference over those float32 runs; `flipped`: stored detections one of them does not reproduce
  class_gap       per stored detection: best minus second-best class score of its anchor (float64)
  nms             class-aware NMS replayed in float64 (yolo_reference_noise.nms_record): iou_noise, per stored
                  detection `margin` and `gap`, `suppressed` candidates near a decision (see that module)
  masks           (seg) per stored mask (null when unpaired): `logit` = max |logit32 - logit64| inside the box
                  (this machine's oneDNN run),
                  `near` = pixels inside the box with |logit32| <= each of `logit_bands`, `edge` = mask pixels in
                  the row or column a box edge within each of `edge_bands` of an integer would add or remove
                  (crop_mask keeps x1 <= col < x2), `flipped` = pixels float32 and float64 disagree on
  this_machine    information only: this machine's float32 detection count and largest score difference
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

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "false")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import ultralytics  # noqa: E402
from pycocotools import mask as mask_utils  # noqa: E402
from ultralytics import YOLO  # noqa: E402
from ultralytics.utils import DEFAULT_CFG_DICT, DEFAULT_CFG_KEYS  # noqa: E402
from ultralytics.data.augment import LetterBox  # noqa: E402
from ultralytics.nn.tasks import DetectionModel, SegmentationModel  # noqa: E402
from ultralytics.utils import nms as ultra_nms, ops  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_noise import detection_noise, pair_items  # noqa: E402
from yolo_reference_noise import nms_record, own_errors, per_reference, rel_noise, short, summation_orders, xywh2xyxy  # noqa: E402

torch.set_num_threads(1)

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "Tests/ArgusModelsTests/Fixtures/yolov8"
COCO = REPO.parent / "shared/datasets/coco128/images/train2017"
CFG_DIR = Path(ultralytics.__file__).parent / "cfg/models/v8"
DATE = "2024-01-01T00:00:00.000000+00:00"  # fixed so reruns write the same dict
IMGSZ, CONF, IOU, MAX_DET = 640, 0.01, 0.7, 300  # CONF: the class bias calibration target
CONFS = [0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.007, 0.005, 0.003, 0.002, 0.001]
WIDTH = 0.0625  # scale 'n' narrowed from 0.25
CANDIDATE_FRACTION = 0.025  # share of anchors whose best class score passes CONF (before NMS)
N_SAMPLES = 16
MASKS_PER_IMAGE = 30  # masks stored for the best-scoring detections only (RLE is ~3 KB each)
CALIBRATION = ["000000000030.jpg", "000000000042.jpg", "000000000064.jpg", "000000000071.jpg",
               "000000000072.jpg", "000000000073.jpg", "000000000078.jpg", "000000000081.jpg", "000000000086.jpg"]

MODELS = [
    dict(name="yolov8n_tiny", yaml="yolov8.yaml", file="yolov8n-tiny.yaml", cls=DetectionModel, task="detect",
         seed=11, names=None, images=["000000000036.jpg", "000000000077.jpg"]),
    dict(name="yolov8n_seg_tiny_custom3", yaml="yolov8-seg.yaml", file="yolov8n-seg-tiny.yaml",
         cls=SegmentationModel, task="segment", seed=12, names={0: "helmet", 1: "vest", 2: "person"},
         images=["000000000036.jpg", "000000000049.jpg"]),
]

# --full: the exact yolov8n / yolov8n-seg networks (yaml files yolov8n.yaml / yolov8n-seg.yaml, scale n
# width 0.25), same weight recipe; not committed.
FULL_MODELS = [
    dict(name="yolov8n", yaml="yolov8.yaml", file="yolov8n.yaml", cls=DetectionModel, task="detect", width=0.25,
         seed=21, names=None, images=["000000000036.jpg", "000000000077.jpg"]),
    dict(name="yolov8n-seg", yaml="yolov8-seg.yaml", file="yolov8n-seg.yaml", cls=SegmentationModel,
         task="segment", width=0.25, seed=22, names=None, images=["000000000036.jpg", "000000000049.jpg"]),
]


def coco_names():
    import yaml
    names = yaml.safe_load((REPO.parent / "shared/datasets/coco128/coco128.yaml").read_text())["names"]
    return names if isinstance(names, dict) else dict(enumerate(names))  # {index: name}, as model.names


def letterbox_tensor(im0, stride=32):
    lb = LetterBox(IMGSZ, auto=True, stride=stride)
    im = lb(image=im0)
    x = torch.from_numpy(np.ascontiguousarray(im.transpose(2, 0, 1)[::-1])).float()[None] / 255
    return x


def build(spec):
    """The network as the trainer builds it, with spread-out seeded weights (unfused, float32)."""
    torch.manual_seed(spec["seed"])
    text = (CFG_DIR / spec["yaml"]).read_text()
    names = spec["names"] or coco_names()
    with tempfile.TemporaryDirectory() as d:
        import yaml
        cfg = yaml.safe_load(text)
        if spec.get("width", WIDTH) != 0.25:  # the real yolov8n keeps Ultralytics' full scales table
            cfg["scales"] = {"n": [0.33, spec.get("width", WIDTH), 1024]}
        path = Path(d) / spec["file"]
        path.write_text(yaml.safe_dump(cfg, sort_keys=False))
        model = spec["cls"](str(path), ch=3, nc=len(names), verbose=False)
    model.yaml["yaml_file"] = spec["file"]  # as when the yaml is given by name, not the temporary path
    detect = model.model[-1]
    finals = [seq[-1] for seq in list(detect.cv2) + list(detect.cv3) + list(getattr(detect, "cv4", []))]
    for m in model.modules():
        if isinstance(m, nn.Conv2d) and m is not detect.dfl.conv and not any(m is f for f in finals):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.uniform_(m.weight, 0.5, 1.5)
            nn.init.normal_(m.bias, 0.0, 0.3)
    for m in model.modules():  # measure the statistics on real images, like training would
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    batch = torch.cat([letterbox_tensor_fixed(cv2.imread(str(COCO / f))) for f in CALIBRATION + spec["images"]])
    model.train()
    with torch.no_grad():
        model(batch)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.momentum = 0.03
                m.running_mean += torch.randn_like(m.running_mean) * 0.05
                m.running_var *= torch.empty_like(m.running_var).uniform_(0.8, 1.25)
                m.running_var.clamp_(min=0.2 * float(m.running_var.median()))
    # Head: each final conv's outputs scaled to a set spread (DFL logits 2.0, class logits 1.5, mask
    # coefficients 1.0) over the tested images, and class biases putting CANDIDATE_FRACTION above CONF.
    model.eval()
    with torch.no_grad():
        for f in finals:
            nn.init.normal_(f.weight, 0.0, 1.0 / math.sqrt(f.in_channels))
            f.bias.zero_()
        outs = {id(f): [] for f in finals}
        hooks = [f.register_forward_hook(lambda m, _x, y: outs[id(m)].append(y.flatten(2))) for f in finals]
        for file in spec["images"]:
            model(letterbox_tensor(cv2.imread(str(COCO / file))))
        for h in hooks:
            h.remove()
        # (heads, target robust spread, limit on the 99.9% tail around the median: keeps scores off saturation)
        groups = [(detect.cv2, 2.0, 6.0), (detect.cv3, 1.5, 5.0)] + (
            [(detect.cv4, 1.0, 4.0)] if hasattr(detect, "cv4") else [])
        cls_logits = []
        for heads, target, limit in groups:
            for seq in heads:
                f = seq[-1]
                y = torch.cat(outs[id(f)], 2)[0]  # (C, cells)
                q25, q50, q75 = torch.quantile(y, torch.tensor([0.25, 0.5, 0.75]), dim=1)
                tail = torch.quantile((y - q50[:, None]).abs(), 0.999, dim=1)
                gain = torch.minimum(target / ((q75 - q25) / 1.35).clamp(min=1e-6),
                                     limit / tail.clamp(min=1e-6)).clamp(max=20.0)
                f.weight *= gain[:, None, None, None]
                f.bias[:] = -q50 * gain + torch.randn_like(q50) * (0.3 if heads is detect.cv3 else 0.5)
                if heads is detect.cv3:  # best class logit per anchor, per image
                    cls_logits.append([(o[0] * gain[:, None] + f.bias[:, None]).amax(0) for o in outs[id(f)]])
        per_image = [torch.cat(level) for level in zip(*cls_logits)]
        top = min(float(torch.quantile(b, 1 - CANDIDATE_FRACTION)) for b in per_image)  # the sparsest image decides
        shift = math.log(CONF / (1 - CONF)) - top
        for seq in detect.cv3:
            seq[-1].bias += shift
    for key in ("shape", "anchors", "strides"):  # a checkpoint keeps no inference grid
        detect.__dict__.pop(key, None)
    model.names = names
    model.nc = len(names)
    return model


def letterbox_tensor_fixed(im0):
    """Calibration batch: every image letterboxed to the full 640x640 square."""
    im = LetterBox(IMGSZ, auto=False)(image=im0)
    return torch.from_numpy(np.ascontiguousarray(im.transpose(2, 0, 1)[::-1])).float()[None] / 255


def save(spec, model, path):
    """The trainer's final best.pt: BaseTrainer.save_model's dict passed through strip_optimizer."""
    train_args = {**DEFAULT_CFG_DICT, "task": spec["task"], "mode": "train", "model": spec["file"],
                  "data": "custom.yaml" if spec["names"] else "coco128.yaml", "epochs": 100, "imgsz": IMGSZ,
                  "save_dir": f"runs/{spec['task']}/train"}
    train_args = {k: v for k, v in train_args.items() if k in DEFAULT_CFG_KEYS}
    m = deepcopy(model).half().to(memory_format=torch.contiguous_format)
    m.args = dict(train_args)
    m.criterion = None
    for p in m.parameters():
        p.requires_grad = False
    prefix = "metrics/" if spec["task"] == "detect" else "metrics/"
    ckpt = {"date": DATE, "version": ultralytics.__version__,
            "license": "AGPL-3.0 License (https://ultralytics.com/license)", "docs": "https://docs.ultralytics.com",
            "epoch": -1, "best_fitness": None, "stopper": None, "model": m, "ema": None, "updates": None,
            "modelopt": None, "optimizer": None, "scaler": None, "train_args": train_args,
            "train_metrics": {f"{prefix}precision(B)": 0.0, f"{prefix}recall(B)": 0.0, f"{prefix}mAP50(B)": 0.0,
                              f"{prefix}mAP50-95(B)": 0.0, "val/box_loss": 0.0, "val/cls_loss": 0.0,
                              "val/dfl_loss": 0.0, "fitness": 0.0},
            "train_results": {}, "git": {"root": None, "branch": None, "commit": None, "message": None, "origin": None}}
    torch.save(ckpt, path)


# ---- JSON helpers ------------------------------------------------------------------------------------

def stats(t):
    t = t.detach().double()
    s = t[0]
    samples = []
    for k in range(N_SAMPLES):
        if s.dim() == 3:
            c, h, w = s.shape
            idx = ((37 * k + 3) % c, (13 * k + 1) % h, (29 * k + 2) % w)
        else:
            c, n = s.shape
            idx = ((37 * k + 3) % c, (997 * k + 2) % n)
        samples.append([*idx, float(s[idx])])
    return {"shape": list(t.shape), "mean": float(t.mean()), "std": float(t.std()), "samples": samples}


def head_json(y, nc):
    out = stats(y)
    best = y[0, 4:4 + nc].amax(0)
    top = torch.argsort(best, descending=True, stable=True)[:10]
    out["top_anchors"] = [{"anchor": int(a), "values": y[0, :, a].double().tolist()} for a in top]
    return out


def rle(mask):
    r = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(v) for v in r["size"]], "counts": r["counts"].decode("ascii")}, int(mask_utils.area(r))


def short_floats(value):
    """Every float to 9 significant digits (exact for Float32), lists and dicts recursively."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, list):
        return [short_floats(v) for v in value]
    if isinstance(value, dict):
        return {k: short_floats(v) for k, v in value.items()}
    return value


# ---- reference run ---------------------------------------------------------------------------------

def choose_conf(yolo, im0):
    """The first threshold of CONFS leaving 120-280 detections after NMS on this image: hundreds compared,
    without the max_det cut (whose rank-300 tie order is fragile). The random head's score level varies a
    lot between images, so one threshold cannot serve all."""
    for conf in CONFS:
        n = len(yolo.predict(im0, imgsz=IMGSZ, conf=conf, iou=IOU, max_det=MAX_DET, verbose=False)[0].boxes)
        if 120 <= n <= 280:
            return conf
    raise SystemExit("no confidence threshold gives 120-280 detections; change CANDIDATE_FRACTION")


def reference(spec, path):
    yolo = YOLO(str(path), task=spec["task"])
    names = yolo.model.names
    nc = len(names)
    seg = spec["task"] == "segment"
    images = []
    for file in spec["images"]:
        im0 = cv2.imread(str(COCO / file))
        conf = choose_conf(yolo, im0)
        res = yolo.predict(im0, imgsz=IMGSZ, conf=conf, iou=IOU, max_det=MAX_DET, retina_masks=True,
                           verbose=False)[0]
        predictor = yolo.predictor
        x = predictor.preprocess([im0])
        assert torch.equal(x, letterbox_tensor(im0)), "preprocess differs from the documented letterbox"
        captured = {}
        detect = predictor.model.model.model[-1]
        hook = detect.register_forward_hook(lambda _m, _i, o: captured.update(out=o))
        with torch.inference_mode():
            predictor.model(x)
        hook.remove()
        out = captured["out"]
        if seg:
            (y, protos), raw = out
        else:
            y, raw = out
        params = LetterBox(IMGSZ, auto=True, stride=32).get_params({"img": im0})
        entry = {"file": file, "width": im0.shape[1], "height": im0.shape[0], "conf": conf,
                 "letterbox": {"new_unpad": list(params["new_unpad"]), **{k: params[k] for k in
                                                                       ("top", "bottom", "left", "right")}},
                 "input": stats(x), "head": head_json(y, nc),
                 "box_logits": stats(raw["boxes"]), "cls_logits": stats(raw["scores"])}
        if seg:
            entry["mask_coefficients"] = stats(raw["mask_coefficient"])
            entry["protos"] = stats(protos)
        dets = []
        boxes = res.boxes
        masks = res.masks.data.numpy() if seg and res.masks is not None else None
        for i in range(len(boxes)):
            d = {"box": boxes.xyxy[i].double().tolist(), "score": float(boxes.conf[i]), "class_id": int(boxes.cls[i]),
                 "label": names[int(boxes.cls[i])]}
            if seg and i < MASKS_PER_IMAGE:
                assert masks.shape[1:] == im0.shape[:2]
                d["mask"], d["area"] = rle(masks[i] > 0.5)
            dets.append(d)
        entry["detections"] = dets
        images.append(entry)
        print(f"  {file}: {len(dets)} detections, input {list(x.shape)}")
    model = yolo.model
    return {"checkpoint": path.name, "ultralytics": ultralytics.__version__, "torch": torch.__version__,
            "task": spec["task"], "nc": nc, "names": [names[i] for i in range(nc)],
            "strides": model.stride.tolist(), "reg_max": int(model.model[-1].reg_max), "yaml": model.yaml,
            "imgsz": IMGSZ, "iou": IOU, "max_det": MAX_DET, "retina_masks": True, "images": images}


# ---- the reference's own float32 noise (float64 rerun) ------------------------------------------------

MAX_WH = 7680  # ultralytics.utils.nms class offset
# Mask pixels whose logit is within a band of 0 (the 0.5 threshold), and pixels a crop edge within a band of an
# integer could add or remove: counts at each band, the test picks the band its tolerance needs.
LOGIT_BANDS = [1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0]
EDGE_BANDS = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1]


def forward(model, x, context=None):
    """The fused network on x: (y, protos or None, raw {boxes, scores, mask_coefficient}) from its Detect."""
    captured = {}
    hook = model.model[-1].register_forward_hook(lambda _m, _i, o: captured.update(out=o))
    with torch.inference_mode(), (context or contextlib.nullcontext)():
        model(x)
    hook.remove()
    out = captured["out"]
    if isinstance(out[0], tuple):
        (y, protos), raw = out
        return y, protos, raw
    y, raw = out
    return y, None, raw


def mask_logits(protos, coefs, shape):
    """process_mask_native + scale_masks (ultralytics/utils/ops.py) before the > 0 threshold and the box crop,
    in the inputs' dtype (scale_masks' own `.float()` would make the float64 run float32)."""
    c, mh, mw = protos.shape
    h, w = shape
    logits = (coefs @ protos.view(c, -1)).view(1, -1, mh, mw)
    gain = min(4 * mh / h, 4 * mw / w)
    pad = (4 * mh - max(round(h * gain), 1)) | (4 * mw - max(round(w * gain), 1))
    f = 4 // math.gcd(4, pad | pad // 2)
    if f > 1:
        logits = F.interpolate(logits, scale_factor=f, mode="bilinear")
    im1_h, im1_w = logits.shape[2:]
    g = min(im1_h / h, im1_w / w)
    pad_w, pad_h = (im1_w - max(round(w * g), 1)) / 2, (im1_h - max(round(h * g), 1)) / 2
    top, left = round(pad_h - 0.1), round(pad_w - 0.1)
    bottom, right = top + max(round(h * g), 1), left + max(round(w * g), 1)
    if (im1_h, im1_w) != (h, w):
        logits = F.interpolate(logits[..., top:bottom, left:right], (h, w), mode="bilinear")
    return logits[0]


def crop(masks, boxes):
    """crop_mask: keep column c, row r iff x1 <= c < x2 and y1 <= r < y2."""
    n, h, w = masks.shape
    b = boxes.to(torch.float64)
    cols = torch.arange(w, dtype=torch.float64)[None, None, :]
    rows = torch.arange(h, dtype=torch.float64)[None, :, None]
    x1, y1, x2, y2 = (b[:, k, None, None] for k in range(4))
    return masks & (cols >= x1) & (cols < x2) & (rows >= y1) & (rows < y2)


def pipeline(model, x, im0, conf, nc, seg, transform=lambda x: x, context=None):
    """predict's postprocess on the network output at x, in the output's dtype: NMS, scale_boxes and (seg) the
    mask logits; detections whose cropped mask is empty dropped as construct_result does. Returns the head
    tensors, the candidate rows and the detections (boxes, scores, labels, coefficients, logits)."""
    y, protos, raw = forward(model, transform(x), context)
    y, protos = y.contiguous(), (None if protos is None else protos.contiguous())
    raw = {k: (v.contiguous() if isinstance(v, torch.Tensor) else v) for k, v in raw.items()}
    det = ultra_nms.non_max_suppression(y.clone(), conf, IOU, max_det=MAX_DET, nc=nc if seg else 0)[0]
    boxes = ops.scale_boxes(x.shape[2:], det[:, :4].clone(), im0.shape)
    out = {"y": y, "protos": protos, "raw": raw, "nms": det, "boxes": boxes, "scores": det[:, 4],
           "labels": det[:, 5].long()}
    if seg:
        logits = mask_logits(protos[0], det[:, 6:], im0.shape[:2])
        masks = crop(logits > 0, boxes)
        keep = masks.flatten(1).any(1)
        out.update(logits=logits[keep], masks=masks[keep], boxes=boxes[keep], scores=det[keep, 4],
                   labels=det[keep, 5].long(), nms_keep=keep)
    return out


def items(d):
    if isinstance(d, dict) and "boxes" in d and isinstance(d["boxes"], torch.Tensor):
        return {"boxes": d["boxes"].double().tolist(), "scores": d["scores"].double().tolist(),
                "labels": d["labels"].tolist()}
    return {"boxes": [e["box"] for e in d], "scores": [e["score"] for e in d], "labels": [e["class_id"] for e in d]}


def stats_noise(ref32, t32s, t64, anchors=None):
    """max over: |mean| and |std| differences (relative as the tests use them) and the samples' (and the head's
    top anchors') relative differences, for the stored float32 values and each float32 run of this machine
    (t32s: this summation order and the others), against float64."""
    a64 = t64.double()
    m64, s64 = float(a64.mean()), float(a64.std())
    idx = [tuple(int(i) for i in s[:-1]) for s in ref32["samples"]]

    def listed(t):
        values = [float(t[0][i]) for i in idx]
        return values + ([v for a in anchors for v in t[0, :, a].double().tolist()] if anchors else [])

    v64 = listed(a64)
    stored = [s[-1] for s in ref32["samples"]] + [v for t in (ref32.get("top_anchors") or []) if anchors
                                                   for v in t["values"]]
    out = max(abs(ref32["mean"] - m64) / max(1.0, abs(m64), s64), abs(ref32["std"] - s64) / max(1.0, s64),
              rel_noise(stored, v64))
    for t32 in t32s:
        a = t32.double()
        out = max(out, abs(float(a.mean()) - m64) / max(1.0, abs(m64), s64), abs(float(a.std()) - s64) / max(1.0, s64),
                  rel_noise(listed(a), v64))
    return out


def mask_noise(ref_items, loc, d64, ref_dets):
    """Per stored mask (the best MASKS_PER_IMAGE detections): paired with this machine's float32 item and the
    float64 one, the largest |logit32 - logit64| inside the box, `near`: pixels inside the box with
    |logit32| <= band for each LOGIT_BANDS, and `edge`: mask pixels in a row or column a box edge within a
    band (EDGE_BANDS) of an integer could add or remove. Null when the reference item has no pair."""
    loc_items, it64 = items(loc), items(d64)
    to_local = dict(pair_items(ref_items["boxes"], ref_items["scores"], ref_items["labels"],
                               loc_items["boxes"], loc_items["scores"], loc_items["labels"])[0])
    to64 = dict(pair_items(loc_items["boxes"], loc_items["scores"], loc_items["labels"],
                           it64["boxes"], it64["scores"], it64["labels"])[0])
    out = []
    for i, d in enumerate(ref_dets):
        if "mask" not in d:
            break
        j = to_local.get(i)
        k = None if j is None else to64.get(j)
        if k is None:
            out.append(None)
            continue
        l32, l64 = loc["logits"][j].double(), d64["logits"][k]
        x1, y1, x2, y2 = d["box"]
        h, w = l32.shape
        inside = crop(torch.ones(1, h, w, dtype=torch.bool), torch.tensor([[x1, y1, x2, y2]]))[0]
        on = (l32 > 0) & inside
        noise = float((l32 - l64).abs()[inside].max()) if inside.any() else 0.0
        dist = l32.abs()[inside]
        edge = []
        for band in EDGE_BANDS:
            count = 0
            for v, axis in ((x1, 1), (x2, 1), (y1, 0), (y2, 0)):
                n = round(v)
                if abs(v - n) <= band:
                    if axis == 1 and 0 <= n < w:
                        count += int(((l32[:, n] > 0) & (torch.arange(h) >= y1 - 1) & (torch.arange(h) < y2 + 1)).sum())
                    elif axis == 0 and 0 <= n < h:
                        count += int(((l32[n, :] > 0) & (torch.arange(w) >= x1 - 1) & (torch.arange(w) < x2 + 1)).sum())
            edge.append(count)
        out.append({"logit": noise, "near": [int((dist <= band).sum()) for band in LOGIT_BANDS], "edge": edge,
                    "flipped": int((on != ((l64 > 0) & inside)).sum())})
    return {"logit_bands": LOGIT_BANDS, "edge_bands": EDGE_BANDS, "per_detection": out}


def image_noise(model, model64, orders, entry, nc):
    """The `noise` record of one image entry (see the module docstring)."""
    im0 = cv2.imread(str(COCO / entry["file"]))
    seg = "protos" in entry
    x = letterbox_tensor(im0)
    conf = entry["conf"]
    loc = pipeline(model, x, im0, conf, nc, seg)
    d64 = pipeline(model64, x.double(), im0, conf, nc, seg)
    runs = [loc] + [pipeline(m, x, im0, conf, nc, seg, tf, ctx) for _, m, tf, ctx in orders]
    head = entry["head"]
    anchors = [t["anchor"] for t in head["top_anchors"]]
    y32, y64 = loc["y"], d64["y"]
    rec = {"head": stats_noise(head, [r["y"] for r in runs], y64, anchors),
           "box_logits": stats_noise(entry["box_logits"], [r["raw"]["boxes"] for r in runs], d64["raw"]["boxes"]),
           "cls_logits": stats_noise(entry["cls_logits"], [r["raw"]["scores"] for r in runs], d64["raw"]["scores"])}
    if seg:
        rec["mask_coefficients"] = stats_noise(entry["mask_coefficients"], [r["raw"]["mask_coefficient"] for r in runs],
                                               d64["raw"]["mask_coefficient"])
        rec["protos"] = stats_noise(entry["protos"], [r["protos"] for r in runs], d64["protos"])
    # NMS replayed on the float64 candidates (best class score > conf), checked against the float64 NMS.
    p64, p32 = y64[0].double().T, y32[0].T
    cls64 = p64[:, 4:4 + nc]
    score, label = cls64.max(1)
    rows = torch.nonzero(score > conf).view(-1)
    kept, nms = nms_record(rows.numpy(), xywh2xyxy(p64[rows, :4]).numpy(), score[rows].numpy(), label[rows].numpy(),
                           IOU, lambda r: xywh2xyxy(p32[r, :4]), lambda b, lab: lab.float() * MAX_WH)
    kept = kept[:MAX_DET]
    assert len(kept) == len(d64["nms"]) and torch.allclose(score[rows][kept], d64["nms"][:, 4].double(), rtol=0,
                                                             atol=1e-12), "NMS replay differs"
    keep = d64.get("nms_keep", torch.ones(len(kept), dtype=torch.bool))
    kept_rows = [k for k, flag in zip(kept, keep.tolist()) if flag]
    top2 = cls64[rows][kept_rows].topk(2, 1).values if nc > 1 else None
    idx64 = [n for n, flag in enumerate(keep.tolist()) if flag]
    ref = items(entry["detections"])
    it64 = items(d64)
    rec["detections"] = detection_noise(ref, it64, cap=MAX_DET, threshold=conf)
    rec["own"] = own_errors(ref, it64, [items(r) for r in runs])
    rec["nms"] = {"iou": IOU, "iou_noise": nms["iou_noise"], "pairs": nms["pairs"],
                  "margin": per_reference(ref, it64, [nms["margin"][n] for n in idx64]),
                  "gap": per_reference(ref, it64, [nms["gap"][n] for n in idx64]), "suppressed": nms["suppressed"]}
    if top2 is not None:
        rec["class_gap"] = per_reference(ref, it64, (top2[:, 0] - top2[:, 1]).tolist())
    if seg:
        # The replica of the mask path is Ultralytics' own on this machine's float32 run.
        res = YOLO_CACHE["yolo"].predict(im0, imgsz=IMGSZ, conf=conf, iou=IOU, max_det=MAX_DET, retina_masks=True,
                                         verbose=False)[0]
        assert torch.equal(res.masks.data > 0.5, loc["masks"]), "mask replica differs from process_mask_native"
        rec["masks"] = mask_noise(ref, loc, d64, entry["detections"])
    li = items(loc)
    same = len(li["scores"]) == len(ref["scores"])
    rec["this_machine"] = {"detections": len(li["scores"]), "score_diff": float(np.abs(np.subtract(
        li["scores"], ref["scores"])).max(initial=0.0)) if same else None}
    det = rec.pop("detections")
    return {**short(rec), "detections": {**short({k: v for k, v in det.items() if k != "cut"}), "cut": det["cut"]}}


YOLO_CACHE = {}


def add_noise(spec, path, doc):
    """Adds `noise` to every image entry of `doc` from the checkpoint at `path` (loaded as predict loads it)."""
    yolo = YOLO(str(path), task=spec["task"])
    yolo.predict(cv2.imread(str(COCO / doc["images"][0]["file"])), imgsz=IMGSZ, verbose=False)  # sets up the predictor
    YOLO_CACHE["yolo"] = yolo
    model = yolo.predictor.model.model  # AutoBackend's fused float32 network
    model64 = deepcopy(model).double()
    orders = summation_orders(model)
    for entry in doc["images"]:
        entry["noise"] = image_noise(model, model64, orders, entry, doc["nc"])
        n = entry["noise"]
        masks = n.get("masks", {}).get("per_detection", [])
        print(f"  {spec['name']} {entry['file']}: head {n['head']:.3g}, logits {n['box_logits']:.3g}/"
              f"{n['cls_logits']:.3g}, score {n['detections']['score']:.3g}, box {n['detections']['box']:.3g}, "
              f"unstable {n['detections']['unstable']}, iou noise {n['nms']['iou_noise']:.3g}"
              + (f", mask logit noise max {max(m['logit'] for m in masks if m):.3g}" if masks else "")
              + f", this machine {n['this_machine']}")


def noise_only(out, models):
    for spec in models:
        path = out / f"{spec['name']}.pt"
        doc = json.loads((out / f"{spec['name']}.json").read_text())
        add_noise(spec, path, doc)
        (out / f"{spec['name']}.json").write_text(json.dumps(short_floats(doc), separators=(",", ":")) + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", metavar="DIR", help="instead write the real-size yolov8n / yolov8n-seg (6-7 MB "
                        "each, too big to commit) with their references into DIR, for local tests and benchmarks")
    parser.add_argument("--noise-only", action="store_true", help="add the float64 noise records to the existing "
                        "JSONs from the existing checkpoints (which are left untouched)")
    args = parser.parse_args()
    out, models = OUT, MODELS
    if args.full:
        out, models = Path(args.full), FULL_MODELS
    if args.noise_only:
        return noise_only(out, models)
    out.mkdir(parents=True, exist_ok=True)
    for spec in models:
        path = out / f"{spec['name']}.pt"
        save(spec, build(spec), path)
        print(f"{spec['name']}: {path.stat().st_size / 1e3:.0f} KB")
        ref = reference(spec, path)
        add_noise(spec, path, ref)
        (out / f"{spec['name']}.json").write_text(json.dumps(short_floats(ref), separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
