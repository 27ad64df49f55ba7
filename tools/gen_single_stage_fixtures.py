#!/usr/bin/env python3
"""Reference outputs of torchvision's single-stage detectors (SSD300-VGG16, SSDlite320-MobileNetV3,
RetinaNet ResNet-50 FPN v1 / v2; torchvision 0.28, torch 2.13 CPU) with deterministic weights, on real
coco128 images, at torchvision's DEFAULT thresholds: the fixtures for Argus's single-stage detectors.

Run from the repository root:
    /work/venv-ref/bin/python tools/gen_single_stage_fixtures.py [NAME ...]
(the reference venv is made by `bash ../shared/bench/install_venv.sh DIR`). Without NAMEs every model is
regenerated. Single-threaded and deterministic: a rerun writes identical files. Images are read from
../shared/datasets/coco128 and are only referenced by name. Takes about two minutes (117 s wall here;
the two RetinaNets ~50 s each, float64 twin included, SSD300 12 s, the SSDlites 1 s each).

The weight rule (`rule_values` / `fill_weights`), `state_dict_summary`, `stats`, `load_image`, `NMSCapture`,
`float64_twin`, `to_original` and `detection_nms_margins` are IMPORTED from tools/gen_torchvision_fixtures.py
(its docstring defines the rule; one definition for all these scripts), the noise records from
tools/reference_noise.py. Reminder: gain g[0] applies to conv / linear weights whose key starts with
"backbone.body." (only RetinaNet's ResNet-50 has such keys), g[1] to every other conv / linear weight; 1-D
keys get the rule's fixed values (BatchNorm / GroupNorm gamma 1 + 0.25 s, running_var 1 + 0.5 s, biases and
running_mean 0.1 s), so the BatchNorms (eval mode, running statistics) do NOT normalise exactly, the
GroupNorms do. The rule also covers SSD300's 1-D `backbone.scale_weight` (the L2Norm scale; torchvision
initialises it to 20): as a 1-D "weight" it becomes 1 + 0.25 s.

Bias offset: after the rule, for each {key: value} of the model's `bias_offset`, value (a float32) is added in
float32 arithmetic to every element of that state-dict entry (numpy: float32(rule) + float32(value)):
    RetinaNet v1 / v2: head.classification_head.cls_logits.bias += float32(-log((1 - 0.01) / 0.01))
                       = -4.59511985 (torchvision's own prior-probability init of that bias), so the sigmoid
                       class scores start near 0.01 as in the real model and only the tail of the logits
                       passes score_thresh 0.05.
    SSD300: backbone.scale_weight += 39 (so it is 40 + 0.25 s; torchvision initialises it to 20). At the rule's
                       ~1 the L2-normalised conv4_3 map (level 0, 5776 of the 8732 boxes) has per-element std 0.036,
                       its head outputs are little more than the conv biases (class scores ~1/91, just over
                       score_thresh 0.01) and no detection comes from it; at 20 (+19) its logits have std 0.9
                       against level 1's 2.2 and it still gives no detection on either image; at 40 (logits std
                       1.9 against 2.2 / 1.8 against 1.9) levels 0 and 1 both give final detections (see the
                       gains). SSD's level-0 head reads a
                       separately scaled map, so this is the one knob that balances it against the others.
    SSDlite (both): none ({}).
The JSON's `bias_offset` holds the float32 values (as float64 numbers, exact).

Weight gains (g of the rule; chosen so that at the DEFAULT thresholds every model gives a healthy number of
detections of several classes on both images, scores spread out (neither near 1 nor tied), and every conv
layer's output has a std within a few decades of 1 (no vanishing / exploding activations)):
  ssd300_vgg16 [3.5, 3.5] (+ scale_weight offset): the input is in 0..255 (image_std 1/255) and VGG has no
      BatchNorm, so the first convs' outputs have std ~70 (max |x| ~500) and each later conv scales by about
      sqrt(g / 6): levels 1-5 have std 1.7 / 1.06 / 0.61 / 0.33 / 0.19, level 0 (L2Norm * ~40) 1.5; every conv
      output std 0.05..71. cls_logits std 1.9 / 1.8. 200 detections (the cap) on both images, from levels
      0 and 1 (52 + 148, 114 + 86), 11 / 13 labels, scores 0.60..0.92 / 0.57..0.88; ~36000 candidates (90
      classes x top 400: with no trained background class almost every class score passes 0.01). Neighbours:
      g 3.3: scores 0.19..0.53; 3.8: 0.84..0.999; 4: 0.97..1.0; 5: all 1.0000 (logit std 20); 6: std ~90.
      Levels 2-5 never reach the top 200: one gain cannot equalise a plain ReLU chain's levels.
  ssdlite320_mobilenet_v3_large [5, 5]: cls_logits std 2.2 / 0.76; 300 detections (the cap), 42 / 48 labels,
      scores 0.53..0.99 / 0.12..0.60, from levels 0 / 1 / 2 (229 + 66 + 5, 275 + 24 + 1); 27000 candidates =
      90 classes x top 300 (at score_thresh 0.001 every class passes). Conv outputs std 0.09..4.7, max |x| 79.
      Neighbours (the hardswish MobileNet's sharp edge, as in gen_classification_fixtures.py): g 4.5: std
      0.3 / 0.17, scores 0.03..0.08 / 0.018..0.023 (near uniform over 91); 5.25: 0.82..0.999 / 0.39..0.94;
      5.5: 0.90..0.9999 / 0.73..0.99.
  ssdlite_tiny [5, 5]: cls_logits std 1.7 / 0.5; 300 detections (the cap) of all 4 foreground labels, scores
      0.79..0.996 / 0.37..0.93, from levels 0-3 (270 + 14 + 13 + 3, 246 + 30 + 12 + 12); 1200 candidates =
      4 x 300. Conv outputs std 0.09..4.8, max |x| 58. Neighbours: g 4.5: scores 0.24..0.37 (near uniform
      over 5); 4.875: 0.65..0.96 / 0.31..0.72; 5.125: 0.89..0.9994 / 0.52..0.985; 5.5: 0.97..1.0 / 0.86..0.999.
  retinanet_resnet50_fpn [2.75, 2.8]: FPN outputs std 2.3 / 1.9 / 1.4 / 1.3 / 0.7 (P3..P7, first image), conv
      outputs std 0.10..2.3, max |x| 12. The class logits (around the -4.595 prior) have std 0.42 / 0.37, P3's
      0.45 / 0.40 against <= 0.30 on P4-P7, so everything that passes 0.05 is on P3: 1560 / 153 pass, P3's
      top 1000 cut makes 1000 / 153 candidates, 300 (the cap) / 63 detections, 8 / 5 labels, scores
      0.052..0.069 / 0.050..0.059. The first image's logits are ~1.2x the second's at every gain and the
      tail above the threshold is steep (5% on g[1] is ~10x the count), so both images cannot sit at tens to
      hundreds: one now exercises the top-k and detection caps, the other neither. Neighbours: g[1] 2.75:
      331 / 1 pass; 2.85: 4977 / 879; 2.9: 11255 / 2706; 3.0: 34518 / 11835; [3, 3]: 467616 / 239256;
      [3, 2]: none. A larger g[0] flattens the levels but not the logits' P3 lead and narrows the classes
      ([3.5, 2.5]: FPN std ~9, 4 labels, scores 0.5..0.85; [4, 2.5]: scores 1.0000).
  retinanet_resnet50_fpn_v2 [3, 0.75]: the GroupNorm heads make every level's logits alike (std 0.34..0.37),
      so P3-P6 all contribute: 318 / 395 candidates pass 0.05, 151 / 186 detections (P3 145 + P4 6; 178 + 3 +
      2 + 3), 9 / 7 labels, scores 0.050..0.066 / 0.050..0.070. FPN outputs std 0.33..1.2 (g[1] is small, the
      FPN has no norm), conv outputs std 0.15..2.2, max |x| 14. Neighbours: g[1] 0.7: 149 / 171 candidates,
      69 / 93 detections; 0.8: 604 / 722, 279 / 300; 0.9: 1057 / 1104 (P3 at its top 1000); 1.0: 1175 / 1245;
      1.5: 2749 / 3088.
  (x / y: 000000000025.jpg / 000000000036.jpg.) The random nets' class pattern is largely image-independent, so a
  few labels dominate (e.g. SSD300: 84 and 2).

Writes into Tests/ArgusModelsTests/Fixtures/single_stage/:
  Full size, exactly as the torchvision builders make them
  (`torchvision.models.detection.<name>(weights=None, weights_backbone=None)`, eval mode, float32, default
  thresholds), weights from the rule, NOT committed (the Swift test regenerates them):
    ssd300_vgg16.json                    VGG-16 (no BN), L2Norm on conv4_3, 6 maps, 8732 default boxes, 91 classes
    ssdlite320_mobilenet_v3_large.json   weights_backbone=None, so reduced_tail=True (the last stage at half
                                         width) and BatchNorm2d(eps=0.001) everywhere, 6 maps, 3234 boxes
    retinanet_resnet50_fpn.json          BatchNorm2d(eps=1e-5) in the ResNet (untrained: not Frozen), P3-P7,
                                         LastLevelP6P7(256, 256): P6 from P5 (use_P5 true), plain conv heads
    retinanet_resnet50_fpn_v2.json       LastLevelP6P7(2048, 256): P6 from C5 (use_P5 false), heads with
                                         GroupNorm(32, 256, eps=1e-5)
  Tiny, weights committed (`torch.save(model.state_dict())`, float32) plus JSON:
    ssdlite_tiny.pt / ssdlite_tiny.json  ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None,
                                         num_classes=5, width_mult=0.25). NOTE: width_mult reaches
                                         mobilenet_v3_large only; SSDLiteFeatureExtractorMobileNet is built with
                                         its default width_mult=1.0, so the 4 extra blocks keep their full widths
                                         (512, 256, 256, 128 out channels; in 144 = 6 * 24 from the narrowed,
                                         reduced-tail body), which is most of the 2.7 MB state dict. (The SSD
                                         itself also receives width_mult in **kwargs; GeneralizedRCNNTransform
                                         swallows it.)

JSON fields:
  torch, torchvision        versions used
  builder                   the exact builder call
  weights_file              the committed state dict (tiny model), or null (regenerate with the rule)
  weight_gain               [g_backbone_body, g_rest] of the weight rule
  bias_offset               {state_dict key: float32 value added after the rule} (see above; {} when none)
  config                    every hyper-parameter the numbers depend on, read from the built model:
                            num_classes; transform {min_size, max_size, image_mean, image_std, size_divisible,
                            fixed_size}; score_thresh, nms_thresh, detections_per_img, topk_candidates
                            (SSD: per class, over all anchors; RetinaNet: per FPN level, over anchors x
                            classes); box_coder {weights, bbox_xform_clip}; score function (SSD: softmax over
                            all K classes, class 0 = background never reported; RetinaNet: sigmoid per
                            class, label = flat index % K, class 0 included); SSD: anchor_generator
                            {aspect_ratios, scales, steps, clip, num_anchors_per_location, wh_pairs (the
                            float32 (w, h) pairs relative to the image, per level, before clip)},
                            backbone_out_channels; RetinaNet: anchor_generator {sizes, aspect_ratios,
                            num_anchors_per_location}, fpn {returned_layers, in_channels_list, out_channels,
                            extra_block, use_P5, p6_in_channels}, head {conv_depth, norm}; and
                            `norm_layers`: for each module prefix the distinct normalisation layers with their
                            settings (eps, groups, affine); plus model-specific notes (VGG's ceil_mode pool,
                            MobileNet width_mult / reduced_tail / extra-block channels, ...)
  state_dict                per key: shape, dtype, sum (float64 sum of the float32 values, after the offset)
  images[]                  one entry per image:
    file                    name in ../shared/datasets/coco128/images/train2017 (PIL, RGB, float32 / 255)
    original_size           [h, w]
    transformed             GeneralizedRCNNTransform output: tensor_shape [1,3,H,W] (SSD: fixed 300x300 /
                            320x320, size_divisible 1; RetinaNet: min 800 / max 1333, padded to 32),
                            image_size [h, w] (resized, unpadded), mean, std, samples
    features[]              the backbone outputs fed to the head, in order: SSD the extractor's OrderedDict
                            '0'..'5' (SSD300's '0' is the L2-normalised, scaled conv4_3), RetinaNet the FPN's
                            '0', '1', '2' (P3-P5), 'p6', 'p7': {name, shape, mean, std, samples}
    head                    the head's outputs over all anchors (levels concatenated in feature order, within a
                            level (y, x, anchor) row-major): cls_logits [1, N, K] and bbox_regression
                            [1, N, 4], each {shape, mean, std, samples, levels}: samples [n, j, value] at
                            k = 0..15: n = ((2 k + 1) * N) // 32, j = (7 k + 1) % K (K = 4 for
                            bbox_regression), plus tail_samples [n, j, value] at n = N - 1 - k, j = (7 k + 1) %
                            K, k = 0..3 (the last level); levels: per feature level {count, mean, std}
    anchors                 the anchors of this image (x1, y1, x2, y2 in transformed-image pixels, i.e. of the
                            [H, W] tensor): count, per_level (counts), samples [n, x1, y1, x2, y2] at
                            n = ((2 k + 1) * N) // 32 + k, k = 0..15 (n < N), first (4 boxes), last (4 boxes)
    candidates              how many boxes went into the final batched_nms (after score_thresh and top-k)
    detections              ALL final detections in original-image coordinates: boxes, scores, labels
    noise                   the reference's own float32 sensitivity (tools/reference_noise.py): the same model
                            in float64 (float64_twin: `.double()`, same weights) on the same image
                            (`.double()`), compared with this run: features[] {name, max_abs, max_rel_std};
                            head {cls_logits, bbox_regression}: {max_abs, max_rel_std}; candidates64;
                            detections: detection_noise(det32, det64, cap=detections_per_img,
                            threshold=score_thresh) = {score, box, score_max, box_max, unstable, sensitive,
                            extra, cut, count64} plus nms: nms_margins of the final batched_nms on its own
                            inputs for the final detections ({gap, iou, suppressed}; box sizes scaled to
                            original pixels by to_original: the mean of the two axes' factors, which differ
                            for SSD's fixed square resize).
                            Float64 twin: runs as is. DefaultBoxGenerator keeps its (w, h) pairs as float32
                            tensors made at construction (a plain list, not moved by .double()); torch.cat
                            promotes them with the float64 centres, so the float64 anchors carry the same
                            float32-rounded sizes (a ~1e-7 relative difference, far below everything else).
  `stats` samples (transformed, features): [c, y, x, value] at c = (37 k + 3) % C, y = (13 k + 1) % H,
  x = (29 k + 2) % W, k = 0..15; mean / std (unbiased) over the whole tensor, in float64.

Images: 000000000025.jpg (426x640 landscape) and 000000000036.jpg (640x481 portrait) of
../shared/datasets/coco128/images/train2017 (the Faster R-CNN fixtures' images).
"""
import json
import math
import sys
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
import torchvision
from torch import nn
from torchvision.models.detection import (retinanet_resnet50_fpn, retinanet_resnet50_fpn_v2, ssd300_vgg16,
                                          ssdlite320_mobilenet_v3_large)
from torchvision.models.detection.retinanet import RetinaNet

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_torchvision_fixtures as base  # noqa: E402  (the shared weight rule, stats and NMS capture)
from gen_torchvision_fixtures import (NMSCapture, detection_nms_margins, fill_weights, float64_twin,  # noqa: E402
                                      load_image, state_dict_summary, stats, to_original)
from reference_noise import detection_noise, tensor_noise  # noqa: E402

OUT = base.REPO / "Tests/ArgusModelsTests/Fixtures/single_stage"
IMAGES = base.IMAGES
N_SAMPLES = base.N_SAMPLES

RETINA_PRIOR = float(np.float32(-math.log((1 - 0.01) / 0.01)))
RETINA_OFFSET = {"head.classification_head.cls_logits.bias": RETINA_PRIOR}
SSD_OFFSET = {"backbone.scale_weight": 39.0}

# name: (builder, kwargs, weight gain, bias offset, committed weights file)
MODELS = OrderedDict([
    ("ssd300_vgg16", (ssd300_vgg16, {}, (3.5, 3.5), SSD_OFFSET, None)),
    ("ssdlite320_mobilenet_v3_large", (ssdlite320_mobilenet_v3_large, {}, (5.0, 5.0), {}, None)),
    ("retinanet_resnet50_fpn", (retinanet_resnet50_fpn, {}, (2.75, 2.8), RETINA_OFFSET, None)),
    ("retinanet_resnet50_fpn_v2", (retinanet_resnet50_fpn_v2, {}, (3.0, 0.75), RETINA_OFFSET, None)),
    ("ssdlite_tiny", (ssdlite320_mobilenet_v3_large, {"num_classes": 5, "width_mult": 0.25}, (5.0, 5.0), {},
                      "ssdlite_tiny.pt")),
])


# ---- models ----------------------------------------------------------------------------------------

def builder_text(fn, kwargs):
    args = ["weights=None", "weights_backbone=None"] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"torchvision.models.detection.{fn.__name__}({', '.join(args)})"


def apply_bias_offset(model, offset):
    """Adds each float32 value to every element of its state-dict entry, in float32 arithmetic."""
    if not offset:
        return
    sd = model.state_dict()
    new = OrderedDict()
    for key, t in sd.items():
        if key in offset:
            assert t.dtype == torch.float32, key
            v = t.numpy().astype(np.float32) + np.float32(offset[key])
            new[key] = torch.from_numpy(v.astype(np.float32))
        else:
            new[key] = t
    missing = set(offset) - set(sd)
    assert not missing, missing
    model.load_state_dict(new)


def build(name, gain=None, offset=None):
    fn, kwargs, g, off, _ = MODELS[name]
    torch.manual_seed(0)
    model = fn(weights=None, weights_backbone=None, **kwargs)
    fill_weights(model, g if gain is None else gain)
    apply_bias_offset(model, off if offset is None else offset)
    return model.eval()


def norm_layers(model):
    """Distinct normalisation layers per module prefix (the first two name components)."""
    out = OrderedDict()
    for mname, m in model.named_modules():
        if isinstance(m, nn.BatchNorm2d):
            d = f"BatchNorm2d(eps={m.eps}, affine={m.affine}, track_running_stats={m.track_running_stats})"
        elif isinstance(m, nn.GroupNorm):
            d = f"GroupNorm(num_groups={m.num_groups}, eps={m.eps}, affine={m.affine})"
        elif isinstance(m, torchvision.ops.misc.FrozenBatchNorm2d):
            d = f"FrozenBatchNorm2d(eps={m.eps})"
        elif type(m).__name__.lower().find("norm") >= 0 and not list(m.children()):
            d = type(m).__name__
        else:
            continue
        prefix = ".".join(mname.split(".")[:2])
        out.setdefault(prefix, [])
        if d not in out[prefix]:
            out[prefix].append(d)
    return out


def config_of(name, model):
    t = model.transform
    cfg = OrderedDict()
    is_retina = isinstance(model, RetinaNet)
    if is_retina:
        cfg["num_classes"] = model.head.classification_head.num_classes
        coder = model.head.regression_head.box_coder
    else:
        cfg["num_classes"] = model.head.classification_head.num_columns
        coder = model.box_coder
    cfg["transform"] = {"min_size": list(t.min_size), "max_size": t.max_size, "image_mean": list(t.image_mean),
                        "image_std": list(t.image_std), "size_divisible": t.size_divisible,
                        "fixed_size": list(t.fixed_size) if t.fixed_size is not None else None,
                        "interpolation": "bilinear, align_corners=False (torch.nn.functional.interpolate), "
                                         "recompute_scale_factor=True when not fixed_size"}
    cfg.update({"score_thresh": model.score_thresh, "nms_thresh": model.nms_thresh,
                "detections_per_img": model.detections_per_img, "topk_candidates": model.topk_candidates})
    cfg["box_coder"] = {"weights": list(coder.weights), "bbox_xform_clip": coder.bbox_xform_clip}
    ag = model.anchor_generator
    if is_retina:
        cfg["score_function"] = "sigmoid per class; topk_candidates per FPN level over anchors x classes; " \
                                "label = flat index % num_classes (class 0 included)"
        cfg["anchor_generator"] = {"type": "AnchorGenerator", "sizes": [list(s) for s in ag.sizes],
                                   "aspect_ratios": [list(a) for a in ag.aspect_ratios],
                                   "num_anchors_per_location": ag.num_anchors_per_location()}
        fpn = model.backbone.fpn
        extra = fpn.extra_blocks
        cfg["fpn"] = {"returned_layers": [2, 3, 4],
                      "return_layers": dict(model.backbone.body.return_layers),
                      "in_channels_list": [int(b[0].in_channels) for b in fpn.inner_blocks],
                      "out_channels": model.backbone.out_channels,
                      "extra_block": type(extra).__name__, "use_P5": bool(extra.use_P5),
                      "p6_in_channels": extra.p6.in_channels,
                      "p6": "conv3x3 stride 2 on " + ("P5 (the FPN output)" if extra.use_P5 else "C5 (layer4)"),
                      "p7": "conv3x3 stride 2 on relu(P6)",
                      "layer_block_norm": type(fpn.layer_blocks[0][1]).__name__ if len(fpn.layer_blocks[0]) > 1
                      else None}
        ch = model.head.classification_head
        cfg["head"] = {"conv_depth": len(ch.conv), "channels": model.backbone.out_channels,
                       "norm": type(ch.conv[0][1]).__name__ if isinstance(ch.conv[0][1], nn.GroupNorm) else None,
                       "conv_bias": ch.conv[0][0].bias is not None,
                       "num_anchors": ch.num_anchors}
        cfg["backbone"] = "resnet50 body (layer1..layer4), FPN on layer2..layer4"
    else:
        cfg["score_function"] = "softmax over all classes (index 0 background, never reported); " \
                                "topk_candidates per class over all anchors"
        cfg["anchor_generator"] = {"type": "DefaultBoxGenerator", "aspect_ratios": [list(a) for a in ag.aspect_ratios],
                                   "scales": list(ag.scales), "steps": ag.steps, "clip": ag.clip,
                                   "num_anchors_per_location": ag.num_anchors_per_location(),
                                   "wh_pairs": [w.tolist() for w in ag._wh_pairs]}
        heads = model.head.classification_head.module_list
        if name == "ssd300_vgg16":
            cfg["backbone_out_channels"] = [int(m.in_channels) for m in heads]
            cfg["backbone"] = ("vgg16.features up to conv4_3 (3rd maxpool ceil_mode=True); level 0 = "
                               "scale_weight * F.normalize(conv4_3) (L2 over channels, eps 1e-12); then maxpool4, "
                               "conv5_x, MaxPool2d(3, 1, 1), conv6 (3x3 dilation 6 padding 6, 1024), conv7 (1x1), "
                               "and 4 extra blocks (1x1 then 3x3: stride 2 pad 1, stride 2 pad 1, pad 0, pad 0)")
            cfg["head"] = "per level one conv3x3 (padding 1) for cls (A*K) and one for bbox (A*4)"
        else:
            ext = model.backbone
            cfg["backbone_out_channels"] = [int(m[0][0].in_channels) for m in heads]
            kw = MODELS[name][1]
            cfg["backbone"] = {"mobilenet_v3_large_width_mult": kw.get("width_mult", 1.0), "reduced_tail": True,
                               "c4_pos": len(ext.features[0]) - 1,
                               "dilated": False,
                               "extra_blocks_out_channels": [int(b[2][0].out_channels) for b in ext.extra],
                               "extra_blocks_note": "SSDLiteFeatureExtractorMobileNet is built with its default "
                                                    "width_mult 1.0 (min_depth 16): width_mult does not narrow the "
                                                    "extra blocks",
                               "features": "level 0 = body up to the C4 block's expansion conv (output of "
                                           "features[c4_pos].block[0]), level 1 = the rest of the body, then 4 "
                                           "extra blocks (1x1, depthwise 3x3 stride 2, 1x1; ReLU6)"}
            cfg["head"] = "per level: depthwise conv3x3 + BatchNorm + ReLU6, then conv1x1 (with bias)"
    cfg["norm_layers"] = norm_layers(model)
    return cfg


# ---- reference run ---------------------------------------------------------------------------------

def forward(model, img):
    """The model on one image, with the transform output, backbone features, head outputs, anchors and the
    final NMS call captured."""
    c = {}
    hooks = [model.transform.register_forward_hook(lambda m, i, o: c.__setitem__("transform", o[0])),
             model.backbone.register_forward_hook(lambda m, i, o: c.__setitem__("features", o)),
             model.head.register_forward_hook(lambda m, i, o: c.__setitem__("head", o)),
             model.anchor_generator.register_forward_hook(lambda m, i, o: c.__setitem__("anchors", o[0]))]
    try:
        with torch.inference_mode(), NMSCapture() as nms:
            c["det"] = model([img])[0]
        assert len(nms.calls) == 1, len(nms.calls)
        c["nms"] = nms.calls[-1]
        c["original_size"] = tuple(img.shape[-2:])
    finally:
        for h in hooks:
            h.remove()
    return c


def level_counts(features, model):
    ag = model.anchor_generator
    a = ag.num_anchors_per_location()
    return [int(f.shape[-2] * f.shape[-1] * a[i]) for i, f in enumerate(features.values())]


def head_stats(t, counts):
    v = t[0]
    N, K = v.shape
    samples, tail = [], []
    for k in range(N_SAMPLES):
        n, j = ((2 * k + 1) * N) // 32, (7 * k + 1) % K
        samples.append([n, j, float(v[n, j])])
    for k in range(4):
        n, j = N - 1 - k, (7 * k + 1) % K
        tail.append([n, j, float(v[n, j])])
    d = v.double()
    levels, start = [], 0
    for cnt in counts:
        part = d[start:start + cnt]
        levels.append({"count": cnt, "mean": float(part.mean()), "std": float(part.std())})
        start += cnt
    assert start == N, (start, N)
    return {"shape": list(t.shape), "mean": float(d.mean()), "std": float(d.std()), "samples": samples,
            "tail_samples": tail, "levels": levels}


def anchor_record(a, counts):
    N = a.shape[0]
    idx = [((2 * k + 1) * N) // 32 + k for k in range(N_SAMPLES)]
    return {"count": N, "per_level": counts,
            "samples": [[n] + a[n].tolist() for n in idx],
            "first": a[:4].tolist(), "last": a[-4:].tolist()}


def run(model, model64, name):
    img = load_image(name)
    c32 = forward(model, img)
    c64 = forward(model64, img.double())
    il, det = c32["transform"], c32["det"]
    tr = stats(il.tensors)
    tr = {"tensor_shape": tr.pop("shape"), "image_size": list(il.image_sizes[0]), **tr}
    counts = level_counts(c32["features"], model)
    h32, h64 = c32["head"], c64["head"]
    doc = {
        "file": name, "original_size": list(img.shape[-2:]), "transformed": tr,
        "features": [{"name": k, **stats(v)} for k, v in c32["features"].items()],
        "head": {k: head_stats(h32[k], counts) for k in ("cls_logits", "bbox_regression")},
        "anchors": anchor_record(c32["anchors"], counts),
        "candidates": int(c32["nms"][0].shape[0]),
        "detections": {"boxes": det["boxes"].tolist(), "scores": det["scores"].tolist(),
                       "labels": det["labels"].tolist()},
    }
    det64 = c64["det"]
    doc["noise"] = {
        "features": [{"name": k, **tensor_noise(v, c64["features"][k])} for k, v in c32["features"].items()],
        "head": {k: tensor_noise(h32[k], h64[k]) for k in ("cls_logits", "bbox_regression")},
        "candidates64": int(c64["nms"][0].shape[0]),
        "detections": {**detection_noise({k: det[k] for k in ("boxes", "scores", "labels")},
                                         {k: det64[k] for k in ("boxes", "scores", "labels")},
                                         cap=model.detections_per_img, threshold=model.score_thresh),
                       "nms": detection_nms_margins(c32["nms"], len(det["scores"]),
                                                    to_original(c32["original_size"], il.image_sizes[0]))},
    }
    return doc, c32, c64


def write_json(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def run_model(name):
    fn, kwargs, gain, offset, weights_file = MODELS[name]
    model = build(name)
    doc = OrderedDict([
        ("torch", torch.__version__), ("torchvision", torchvision.__version__),
        ("builder", builder_text(fn, kwargs)), ("weights_file", weights_file), ("weight_gain", list(gain)),
        ("bias_offset", {k: float(np.float32(v)) for k, v in offset.items()}),
        ("config", config_of(name, model)), ("state_dict", state_dict_summary(model))])
    model64 = float64_twin(model)
    doc["images"] = [run(model, model64, f)[0] for f in IMAGES]
    if weights_file:
        torch.save(model.state_dict(), OUT / weights_file)
    write_json(OUT / f"{name}.json", doc)
    return doc


def summary_line(im):
    d, nz = im["detections"], im["noise"]["detections"]
    s = d["scores"]
    rng = f"{min(s):.4f}..{max(s):.4f}" if s else "-"
    return (f"{im['file'][8:12]}: {len(s)} dets ({len(set(d['labels']))} labels, scores {rng}), "
            f"{im['candidates']} candidates; noise score {nz['score']:.1e} box {nz['box']:.1e} "
            f"unstable {len(nz['unstable'])} extra {nz['extra']}")


def main():
    torch.set_num_threads(1)
    only = sys.argv[1:]
    unknown = [a for a in only if a not in MODELS]
    if unknown:
        sys.exit(f"unknown NAME {unknown}; known: {list(MODELS)}")
    OUT.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    for name in MODELS:
        if only and name not in only:
            continue
        t = time.time()
        doc = run_model(name)
        print(f"{name} (g {MODELS[name][2]}, {time.time() - t:.0f} s)", flush=True)
        for im in doc["images"]:
            print("  " + summary_line(im), flush=True)
    print(f"total {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
