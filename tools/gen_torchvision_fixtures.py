#!/usr/bin/env python3
"""Reference outputs of torchvision's Faster R-CNN (torchvision 0.28, torch 2.13 CPU) with deterministic
weights, on real coco128 images: the fixtures for Argus's two-stage detector.

Run from the repository root:
    /work/venv-ref/bin/python tools/gen_torchvision_fixtures.py
(the reference venv is made by `bash ../shared/bench/install_venv.sh DIR`). Single-threaded and
deterministic: a rerun writes identical files. Images are read from ../shared/datasets/coco128 and are
only referenced by name. Takes about a minute (the full-size ResNet-50 models dominate).

Writes into Tests/ArgusModelsTests/Fixtures/torchvision/:

  Tiny models, built with torchvision's own classes, weights committed (`torch.save(model.state_dict())`,
  float32, FrozenBatchNorm2d in the backbone as in the published COCO checkpoints):
    fasterrcnn_mnv3_tiny.pt/.json      `mobilenet_v3_large(width_mult=0.25)` through the same stage/return
                                       layer selection as `_mobilenet_extractor`, `BackboneWithFPN` with 32
                                       channels, `TwoMLPHead` of 64, the `fasterrcnn_mobilenet_v3_large_fpn`
                                       anchors and its hyper-parameters at min_size 320 / max_size 480.
    fasterrcnn_mnv3_320_tiny.json      the same network and weights (fasterrcnn_mnv3_tiny.pt) with
                                       `fasterrcnn_mobilenet_v3_large_320_fpn`'s settings (min 320, max 640,
                                       RPN pre/post NMS top-n 150, rpn_score_thresh 0.05).

  Full-size models, exactly as the torchvision builders make them (`weights=None, weights_backbone=None`,
  which gives nn.BatchNorm2d rather than FrozenBatchNorm2d; both use eps 1e-5 here). Their state dicts
  (20-170 MB) are NOT committed: the weights follow the rule below, which Swift can reproduce bit for
  bit, so only the JSON is stored:
    fasterrcnn_mobilenet_v3_large_fpn.json, fasterrcnn_mobilenet_v3_large_320_fpn.json,
    fasterrcnn_resnet50_fpn.json, fasterrcnn_resnet50_fpn_v2.json

Weight rule (all models, tiny ones included, so the committed .pt files also check a Swift generator):
  for every state-dict entry `key` (float tensors; `num_batches_tracked` is 0), element i in row-major
  order: h = splitmix64(fnv1a64(utf8(key)) + i) (uint64 wrapping), k = h >> 40 (24 bits),
  s = float32(2 * k - 2**24) / 2**24 in [-1, 1) (exact), then in float32 arithmetic:
    ndim >= 2 (conv / linear weight):  s * float32(sqrt(g / fan_in)),  fan_in = prod(shape[1:]),
                                       g = weight_gain[0] for keys under "backbone.body.", else
                                       weight_gain[1] (per model, in the JSON: chosen so features,
                                       objectness and class scores are spread out, not saturated)
    key ends in "running_var":         1 + 0.5 * s      (multiply, then add)
    other 1-D key ending in "weight":  1 + 0.25 * s     (BatchNorm gamma)
    other 1-D (biases, running_mean):  0.1 * s
  splitmix64(x): z = x + 0x9E3779B97F4A7C15; z = (z ^ z >> 30) * 0xBF58476D1CE4E5B9;
                 z = (z ^ z >> 27) * 0x94D049BB133111EB; return z ^ z >> 31.
  fnv1a64: h = 0xCBF29CE484222325; for each byte: h = (h ^ byte) * 0x100000001B3.

JSON fields:
  torch, torchvision        versions used
  builder                   how the model was made (function and arguments, or the classes for tiny ones)
  weights_file              the committed state dict, or null (regenerate with the weight rule)
  weight_gain               [g_backbone_body, g_rest] of the weight rule
  config                    every hyper-parameter the numbers depend on: num_classes, min_size, max_size,
                            image_mean, image_std, size_divisible, anchor sizes / aspect_ratios per level,
                            rpn pre/post NMS top-n (test), rpn nms/score thresholds, box score/nms
                            thresholds, detections per image, box coder weights and clip, RoIAlign
                            (MultiScaleRoIAlign) settings, representation size, width_mult, fpn out
                            channels, returned layers / return_layers, norm layers
  state_dict                per key: shape, dtype, sum (float64 sum of the float32 values) - a check
                            of the weight generator and of the module tree (key names)
  images[]                  one entry per image:
    file                    name in ../shared/datasets/coco128/images/train2017 (PIL, RGB, float32 / 255)
    original_size           [h, w]
    transformed             GeneralizedRCNNTransform output: tensor_shape [1,3,H,W] (padded to 32),
                            image_size [h, w] (resized, unpadded), mean, std, samples
    features[]              backbone+FPN outputs in order ('0', '1', ..., 'pool'): name, shape, mean, std,
                            samples
    proposals               RPN output (after batched NMS over levels, so sorted by objectness, boxes in the
                            transformed image's coordinates, x1 y1 x2 y2): count, top (first 50 boxes),
                            top_scores (their sigmoid objectness, from filter_proposals)
    detections              final output in original-image coordinates: boxes, scores, labels (all of
                            them: 100 at box_score_thresh 0)
    given_proposals         (GIVEN_PROPOSALS_FOR models only) Fast R-CNN mode: `boxes`, 40 caller proposals in
                            original pixels; `align` / `pool`: the detections when they replace the RPN's
                            proposals, pooled by MultiScaleRoIAlign with roi_align / with roi_pool
    noise                   the reference's own float32 sensitivity (tools/reference_noise.py): the same model
                            in float64 (`.double()`, same weights) on the same image, compared with this run:
                            features[] {name, max_abs, max_rel_std} per level; proposals (the top 50 against
                            the float64 top 70) and detections: {score, box (90th-percentile |float32 - float64|
                            over paired items), score_max, box_max, unstable (float32 indices the float64 run
                            does not reproduce, or sensitive ones), sensitive (paired, but > 10x the typical
                            difference), extra, cut (the float64 list's last score when it holds
                            detections_per_img items, else the score threshold), count64}; proposals also
                            count [float32, float64] (all proposals). detections.nms: what the RoI heads' NMS
                            decided for each detection, on its own inputs (reference_noise.nms_margins): gap[i]
                            (score lead over a same-class candidate it suppressed), iou[i] (closest |IoU -
                            nms_thresh| to a higher-scored same-class candidate), suppressed [[score, |IoU -
                            nms_thresh|, w, h]] (candidates down to 1e-3 under the last score that reappear if
                            that IoU drops; sizes in transformed pixels). given_proposals' align / pool carry
                            the same detections record as their own `noise`.
  `samples` = values at fixed indices: a list of [index..., value] with index into the shape minus the
  batch dimension (c, y, x), index k = 0..15: c = (37 k + 3) % C, y = (13 k + 1) % H, x = (29 k + 2) % W.
  mean/std are over the whole tensor (std unbiased, torch default), computed in float64.
"""
import copy
import json
import math
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
import torchvision
from PIL import Image
from torch import nn
from torchvision.models import mobilenet_v3_large
from torchvision.models.detection import (FasterRCNN, fasterrcnn_mobilenet_v3_large_320_fpn,
                                          fasterrcnn_mobilenet_v3_large_fpn, fasterrcnn_resnet50_fpn,
                                          fasterrcnn_resnet50_fpn_v2)
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool
from torchvision.ops.misc import FrozenBatchNorm2d

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_noise import detection_noise, nms_margins, tensor_noise  # noqa: E402
from torchvision.ops import boxes as box_ops  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "Tests/ArgusModelsTests/Fixtures/torchvision"
COCO = REPO.parent / "shared/datasets/coco128/images/train2017"
IMAGES = ["000000000025.jpg", "000000000036.jpg"]  # 640x426 landscape, 481x640 portrait (odd sizes)
TOP_PROPOSALS = 50
# Models whose JSON also holds Fast R-CNN mode references (caller proposals, RoI Align and RoI Pool):
# the single-level tiny MobileNet and the 4-level ResNet-50 FPN (where the level mapper matters).
GIVEN_PROPOSALS_FOR = {"fasterrcnn_mnv3_tiny", "fasterrcnn_resnet50_fpn"}
N_SAMPLES = 16
MASK64 = (1 << 64) - 1


# ---- deterministic weights -------------------------------------------------------------------------

def fnv1a64(text):
    h = 0xCBF29CE484222325
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & MASK64
    return h


def splitmix64(x):
    """Vectorized over a uint64 array (numpy wraps on overflow, like Swift's &+ and &*)."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def rule_values(key, shape, gain):
    n = int(np.prod(shape)) if len(shape) else 1
    with np.errstate(over="ignore"):
        idx = np.uint64(fnv1a64(key)) + np.arange(n, dtype=np.uint64)
    k = (splitmix64(idx) >> np.uint64(40)).astype(np.int64)
    s = (2 * k - (1 << 24)).astype(np.float32) / np.float32(1 << 24)
    if len(shape) >= 2:
        fan_in = int(np.prod(shape[1:]))
        g = gain[0] if key.startswith("backbone.body.") else gain[1]
        v = s * np.float32(math.sqrt(g / fan_in))
    elif key.endswith("running_var"):
        v = np.float32(1.0) + np.float32(0.5) * s
    elif key.endswith("weight"):
        v = np.float32(1.0) + np.float32(0.25) * s
    else:
        v = np.float32(0.1) * s
    return v.astype(np.float32).reshape(shape)


def fill_weights(model, gain):
    sd = model.state_dict()
    new = OrderedDict()
    for key, t in sd.items():
        if key.endswith("num_batches_tracked"):
            new[key] = torch.zeros_like(t)
        else:
            assert t.dtype == torch.float32, key
            new[key] = torch.from_numpy(rule_values(key, tuple(t.shape), gain))
    model.load_state_dict(new)


def state_dict_summary(model):
    return {k: {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""),
                "sum": float(t.double().sum())} for k, t in model.state_dict().items()}


# ---- models ----------------------------------------------------------------------------------------

MNV3_GAIN = (4.0, 12.0)
MNV3_ANCHORS = ((32, 64, 128, 256, 512),) * 3
MNV3_RATIOS = ((0.5, 1.0, 2.0),) * 3
MNV3_320 = dict(min_size=320, max_size=640, rpn_pre_nms_top_n_test=150, rpn_post_nms_top_n_test=150,
                rpn_score_thresh=0.05)


def tiny_mnv3(width_mult, fpn_channels, representation_size, num_classes, **kwargs):
    """The fasterrcnn_mobilenet_v3_large_fpn graph, narrowed: what `_mobilenet_extractor(backbone, True, 6)`
    builds, but with `fpn_channels` instead of its hard-coded 256 (so BackboneWithFPN is built here)."""
    backbone = mobilenet_v3_large(weights=None, width_mult=width_mult, norm_layer=FrozenBatchNorm2d).features
    stage_indices = [0] + [i for i, b in enumerate(backbone) if getattr(b, "_is_cn", False)] + [len(backbone) - 1]
    num_stages = len(stage_indices)
    returned_layers = [num_stages - 2, num_stages - 1]
    return_layers = {f"{stage_indices[k]}": str(v) for v, k in enumerate(returned_layers)}
    in_channels_list = [backbone[stage_indices[i]].out_channels for i in returned_layers]
    body = BackboneWithFPN(backbone, return_layers, in_channels_list, fpn_channels, extra_blocks=LastLevelMaxPool())
    box_head = TwoMLPHead(fpn_channels * 7 ** 2, representation_size)
    # With a custom box head FasterRCNN wants the predictor too (num_classes then stays None).
    model = FasterRCNN(body, None, rpn_anchor_generator=AnchorGenerator(MNV3_ANCHORS, MNV3_RATIOS),
                       box_head=box_head, box_predictor=FastRCNNPredictor(representation_size, num_classes), **kwargs)
    extra = {"width_mult": width_mult, "fpn_out_channels": fpn_channels, "representation_size": representation_size,
             "stage_indices": stage_indices, "returned_layers": returned_layers, "return_layers": return_layers,
             "fpn_in_channels": in_channels_list, "backbone_norm_layer": "FrozenBatchNorm2d(eps=1e-5)"}
    return model, extra


def build_models():
    """(name, model, builder description, extra config, weight gains, weights file or None)"""
    out = []
    m, extra = tiny_mnv3(0.25, 32, 64, 91, min_size=320, max_size=480, box_score_thresh=0.0)
    out.append(("fasterrcnn_mnv3_tiny", m,
                "FasterRCNN(BackboneWithFPN(mobilenet_v3_large(width_mult=0.25, norm_layer=FrozenBatchNorm2d)"
                ".features, _mobilenet_extractor's return_layers, out_channels=32, LastLevelMaxPool()), None, "
                "rpn_anchor_generator=AnchorGenerator(((32,64,128,256,512),)*3, ((0.5,1.0,2.0),)*3), "
                "box_head=TwoMLPHead(32*7*7, 64), box_predictor=FastRCNNPredictor(64, 91), min_size=320, "
                "max_size=480, box_score_thresh=0.0)", extra, MNV3_GAIN, "fasterrcnn_mnv3_tiny.pt"))
    m, extra = tiny_mnv3(0.25, 32, 64, 91, **{**MNV3_320, "box_score_thresh": 0.0})
    out.append(("fasterrcnn_mnv3_320_tiny", m,
                "as fasterrcnn_mnv3_tiny, with fasterrcnn_mobilenet_v3_large_320_fpn's defaults: min_size=320, "
                "max_size=640, rpn_pre_nms_top_n_test=150, rpn_post_nms_top_n_test=150, rpn_score_thresh=0.05; "
                "box_score_thresh=0.0", extra, MNV3_GAIN, "fasterrcnn_mnv3_tiny.pt"))
    full = dict(weights=None, weights_backbone=None, box_score_thresh=0.0)
    for fn, gain, extra in [
        (fasterrcnn_mobilenet_v3_large_fpn, MNV3_GAIN, {"width_mult": 1.0, "fpn_out_channels": 256,
                                                        "representation_size": 1024,
                                             "backbone_norm_layer": "BatchNorm2d(eps=1e-5)"}),
        (fasterrcnn_mobilenet_v3_large_320_fpn, MNV3_GAIN, {"width_mult": 1.0, "fpn_out_channels": 256,
                                                 "representation_size": 1024,
                                                 "backbone_norm_layer": "BatchNorm2d(eps=1e-5)"}),
        (fasterrcnn_resnet50_fpn, (3.0, 3.0), {"fpn_out_channels": 256, "representation_size": 1024,
                                   "returned_layers": [1, 2, 3, 4], "backbone_norm_layer": "BatchNorm2d(eps=1e-5)",
                                   "box_head": "TwoMLPHead(256*7*7, 1024)", "rpn_head_conv_depth": 1}),
        (fasterrcnn_resnet50_fpn_v2, (3.0, 3.0), {"fpn_out_channels": 256, "representation_size": 1024,
                                      "returned_layers": [1, 2, 3, 4], "backbone_norm_layer": "BatchNorm2d(eps=1e-5)",
                                      "fpn_norm_layer": "BatchNorm2d",
                                      "box_head": "FastRCNNConvFCHead((256,7,7), [256]*4, [1024], BatchNorm2d)",
                                      "rpn_head_conv_depth": 2}),
    ]:
        m = fn(**full)
        out.append((fn.__name__, m, f"torchvision.models.detection.{fn.__name__}(weights=None, "
                    "weights_backbone=None, box_score_thresh=0.0)", extra, gain, None))
    return out


def config_of(model, extra):
    t, rpn, roi = model.transform, model.rpn, model.roi_heads
    ag = rpn.anchor_generator
    cfg = {
        "num_classes": roi.box_predictor.cls_score.out_features,
        "min_size": list(t.min_size), "max_size": t.max_size, "image_mean": t.image_mean, "image_std": t.image_std,
        "size_divisible": t.size_divisible, "fixed_size": t.fixed_size,
        "anchor_sizes": [list(s) for s in ag.sizes], "aspect_ratios": [list(a) for a in ag.aspect_ratios],
        "rpn_pre_nms_top_n_test": rpn._pre_nms_top_n["testing"],
        "rpn_post_nms_top_n_test": rpn._post_nms_top_n["testing"],
        "rpn_nms_thresh": rpn.nms_thresh, "rpn_score_thresh": rpn.score_thresh, "rpn_min_size": rpn.min_size,
        "rpn_box_coder_weights": list(rpn.box_coder.weights),
        "rpn_box_coder_bbox_xform_clip": rpn.box_coder.bbox_xform_clip,
        "box_score_thresh": roi.score_thresh, "box_nms_thresh": roi.nms_thresh,
        "box_detections_per_img": roi.detections_per_img,
        "box_coder_weights": list(roi.box_coder.weights),
        "box_roi_pool": {"featmap_names": roi.box_roi_pool.featmap_names,
                         "output_size": list(roi.box_roi_pool.output_size),
                         "sampling_ratio": roi.box_roi_pool.sampling_ratio,
                         "canonical_scale": roi.box_roi_pool.canonical_scale,
                         "canonical_level": roi.box_roi_pool.canonical_level, "aligned": False},
        "roi_min_box_size": 1e-2,
        "num_anchors_per_location": ag.num_anchors_per_location(),
    }
    cfg.update(extra)
    return cfg


# ---- reference run ---------------------------------------------------------------------------------

def stats(t):
    t = t[0] if t.dim() == 4 else t
    C, H, W = t.shape
    samples = []
    for k in range(N_SAMPLES):
        c, y, x = (37 * k + 3) % C, (13 * k + 1) % H, (29 * k + 2) % W
        samples.append([c, y, x, float(t[c, y, x])])
    d = t.double()
    return {"shape": [1] + list(t.shape), "mean": float(d.mean()), "std": float(d.std()), "samples": samples}


def load_image(name):
    arr = np.asarray(Image.open(COCO / name).convert("RGB"))
    return torch.from_numpy(arr.copy()).permute(2, 0, 1).float().div(255)


class NMSCapture:
    """Records every batched_nms call of a forward (torchvision.ops.boxes, which the RPN and the RoI heads
    call through their module): its inputs and result. The RoI heads' is the last call."""

    def __init__(self):
        self.calls = []

    def __enter__(self):
        self.original = box_ops.batched_nms

        def capture(boxes, scores, idxs, iou_threshold):
            keep = self.original(boxes, scores, idxs, iou_threshold)
            self.calls.append((boxes.detach().clone(), scores.detach().clone(), idxs.detach().clone(), iou_threshold,
                               keep.clone()))
            return keep

        box_ops.batched_nms = capture
        return self

    def __exit__(self, *exc):
        box_ops.batched_nms = self.original


def detection_nms_margins(nms_call, count, scale):
    """nms_margins of the RoI heads' NMS for the `count` final detections (torchvision's order); `scale`:
    transformed to original pixels."""
    boxes, scores, labels, threshold, keep = nms_call
    cut = float(scores[keep[count - 1]]) if count else 0.0
    return nms_margins(boxes, scores, labels, keep.tolist(), threshold, count, suppressed_floor=cut - 1e-3,
                       scale=scale)


def to_original(original_size, resized_size):
    """The mean of the two axes' resize factors back to the original image."""
    return 0.5 * (original_size[0] / resized_size[0] + original_size[1] / resized_size[1])


def forward(model, img):
    """The model on one image, with the transform output, FPN features and RPN proposals captured."""
    captured = {}
    hooks = [model.transform.register_forward_hook(lambda m, i, o: captured.__setitem__("transform", o[0])),
             model.backbone.register_forward_hook(lambda m, i, o: captured.__setitem__("features", o))]
    original_filter = model.rpn.filter_proposals

    def filter_and_capture(*args, **kwargs):
        boxes, scores = original_filter(*args, **kwargs)
        captured["proposals"] = (boxes, scores)
        return boxes, scores

    model.rpn.filter_proposals = filter_and_capture
    try:
        with torch.inference_mode(), NMSCapture() as nms:
            captured["det"] = model([img])[0]
        captured["nms"] = nms.calls[-1]
        captured["original_size"] = tuple(img.shape[-2:])
    finally:
        del model.rpn.filter_proposals
        for h in hooks:
            h.remove()
    return captured


def float64_twin(model):
    """The same network and weights in float64: the reference's exact answer up to float32 rounding."""
    return copy.deepcopy(model).double()


def run(model, name, model64=None):
    img = load_image(name)
    c32 = forward(model, img)
    il, det = c32["transform"], c32["det"]
    tr = stats(il.tensors)
    tr = {"tensor_shape": tr.pop("shape"), "image_size": list(il.image_sizes[0]), **tr}
    boxes, scores = c32["proposals"]
    doc = {
        "file": name, "original_size": list(img.shape[-2:]), "transformed": tr,
        "features": [{"name": k, **stats(v)} for k, v in c32["features"].items()],
        "proposals": {"count": int(boxes[0].shape[0]), "top": boxes[0][:TOP_PROPOSALS].tolist(),
                      "top_scores": scores[0][:TOP_PROPOSALS].tolist()},
        "detections": {"boxes": det["boxes"].tolist(), "scores": det["scores"].tolist(),
                       "labels": det["labels"].tolist()},
    }
    if model64 is not None:
        c64 = forward(model64, img.double())
        doc["noise"] = reference_noise_of(model, c32, c64)
        return doc, c32, c64
    return doc, c32, None


def reference_noise_of(model, c32, c64):
    """float32 vs float64 of the same run (see reference_noise.py): features, the top proposals, detections."""
    roi = model.roi_heads
    det32, det64 = c32["det"], c64["det"]
    b32, s32 = c32["proposals"]
    b64, s64 = c64["proposals"]
    top = {"boxes": b32[0][:TOP_PROPOSALS], "scores": s32[0][:TOP_PROPOSALS], "labels": [0] * min(TOP_PROPOSALS, len(s32[0]))}
    # The float64 list a little past the cut, so a neighbour that swapped rank still pairs.
    top64 = {"boxes": b64[0][:TOP_PROPOSALS + 20], "scores": s64[0][:TOP_PROPOSALS + 20],
             "labels": [0] * min(TOP_PROPOSALS + 20, len(s64[0]))}
    return {
        "features": [{"name": k, **tensor_noise(v, c64["features"][k])} for k, v in c32["features"].items()],
        "proposals": {**detection_noise(top, top64), "count": [int(b32[0].shape[0]), int(b64[0].shape[0])]},
        "detections": {**detection_noise({k: det32[k] for k in ("boxes", "scores", "labels")},
                                         {k: det64[k] for k in ("boxes", "scores", "labels")},
                                         cap=roi.detections_per_img, threshold=roi.score_thresh),
                       "nms": detection_nms_margins(c32["nms"], len(det32["scores"]),
                                                    to_original(c32["original_size"], c32["transform"].image_sizes[0]))},
    }


def given_proposals(shape, count=40, seed=7):
    """Deterministic caller-supplied proposals (original-image pixels, x1 y1 x2 y2) of many sizes, so the
    FPN level mapper sends them to every level."""
    h, w = shape
    rng = np.random.RandomState(seed)
    out = []
    for _ in range(count):
        side = float(np.exp(rng.uniform(np.log(8), np.log(0.9 * min(h, w)))))
        aspect = float(np.exp(rng.uniform(-1, 1)))
        bw, bh = min(side * aspect, w - 1.0), min(side / aspect, h - 1.0)
        x1, y1 = rng.uniform(0, w - bw), rng.uniform(0, h - bh)
        out.append([round(x1, 2), round(y1, 2), round(x1 + bw, 2), round(y1 + bh, 2)])
    return out


def run_given(model, name, boxes, model64=None):
    """Fast R-CNN mode: the caller's proposals replace the RPN's. They are resized with the image
    (transform.resize_boxes), pooled by the model's MultiScaleRoIAlign (or, for "pool", the same module with
    torchvision.ops.roi_pool in place of roi_align), then box head, postprocess and rescale as usual."""
    out = {"boxes": boxes}
    for mode in ("align", "pool"):
        with NMSCapture() as nms:
            det = given_forward(model, name, boxes, mode, torch.float32)
        out[mode] = {"boxes": det["boxes"].tolist(), "scores": det["scores"].tolist(), "labels": det["labels"].tolist()}
        if model64 is not None:
            det64 = given_forward(model64, name, boxes, mode, torch.float64)
            out[mode]["noise"] = {**detection_noise(det, det64, cap=model.roi_heads.detections_per_img,
                                                    threshold=model.roi_heads.score_thresh),
                                  "nms": detection_nms_margins(nms.calls[-1], len(det["scores"]), det["scale"])}
    return out


def given_forward(model, name, boxes, mode, dtype):
    from torchvision.models.detection.transform import resize_boxes
    from torchvision.ops import poolers, roi_align, roi_pool

    img = load_image(name).to(dtype)
    if mode == "pool":
        poolers.roi_align = lambda x, rois, output_size, spatial_scale, sampling_ratio: roi_pool(
            x, rois, output_size, spatial_scale)
    try:
        with torch.inference_mode():
            images, _ = model.transform([img])
            features = model.backbone(images.tensors)
            original = [tuple(img.shape[-2:])]
            props = [resize_boxes(torch.tensor(boxes, dtype=dtype), original[0], images.image_sizes[0])]
            dets, _ = model.roi_heads(features, props, images.image_sizes)
            det = model.transform.postprocess(dets, images.image_sizes, original)[0]
            det["scale"] = to_original(original[0], images.image_sizes[0])
            return det
    finally:
        poolers.roi_align = roi_align


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    OUT.mkdir(parents=True, exist_ok=True)
    for name, model, builder, extra, gain, weights_file in build_models():
        fill_weights(model, gain)
        model.eval()
        doc = {"torch": torch.__version__, "torchvision": torchvision.__version__, "builder": builder,
               "weights_file": weights_file,
               "weight_gain": list(gain), "config": config_of(model, extra),
               "state_dict": state_dict_summary(model), "images": []}
        model64 = float64_twin(model)
        doc["images"] = [run(model, f, model64)[0] for f in IMAGES]
        if name in GIVEN_PROPOSALS_FOR:
            for image in doc["images"]:
                image["given_proposals"] = run_given(model, image["file"], given_proposals(image["original_size"]), model64)
        if weights_file == f"{name}.pt":  # the 320 variant shares the same network and weights
            torch.save(model.state_dict(), OUT / weights_file)
        with open(OUT / f"{name}.json", "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        dets = doc["images"][0]["detections"]
        print(f"{name}: {len(doc['state_dict'])} keys, {len(dets['scores'])} detections, "
              f"top score {dets['scores'][0]:.4f}")


if __name__ == "__main__":
    main()
