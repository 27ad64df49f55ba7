#!/usr/bin/env python3
"""Reference outputs of torchvision's Mask R-CNN and semantic segmentation models (torchvision 0.28,
torch 2.13 CPU) with deterministic weights on real coco128 images: the fixtures for Argus's instance and
semantic segmentation.

Run from the repository root:
    /work/venv-ref/bin/python tools/gen_segmentation_fixtures.py [NAME ...]
(the reference venv is made by `bash ../shared/bench/install_venv.sh DIR`; with NAMEs only those models
are regenerated). Single-threaded and deterministic: a rerun writes identical files. Images are read from
../shared/datasets/coco128 and only referenced by name. Takes about a minute (64 s wall here; the full-size
ResNet-50 models dominate: dilated FCN / DeepLabV3 run layer4 at stride 8).

The weight rule, the image list, the image loader and the `stats` / `samples` convention are IMPORTED from
tools/gen_torchvision_fixtures.py (see its docstring; one definition for both scripts). Reminder: gain g[0]
applies to keys starting with "backbone.body." and g[1] to every other conv/linear weight. The semantic
models' backbones are IntermediateLayerGetters with keys "backbone.<index>...", so g[1] applies to all of
their weights (their weight_gain is written as [g, g]). ConvTranspose2d weights ([in, out, kh, kw]) get
fan_in = out * kh * kw under the rule (prod(shape[1:])), whatever the "true" fan-in is.

Writes into Tests/ArgusModelsTests/Fixtures/torchvision_seg/:

  Tiny models, built with torchvision's own classes, weights committed:
    maskrcnn_mnv3_tiny.json       MaskRCNN on exactly the network of fasterrcnn_mnv3_tiny in the Faster R-CNN
                                  fixtures (mobilenet_v3_large(width_mult=0.25, FrozenBatchNorm2d) through
                                  _mobilenet_extractor's return layers, BackboneWithFPN 32 channels, anchors
                                  ((32..512),)*3 x (0.5,1,2), TwoMLPHead 64, FastRCNNPredictor(64, 91)) plus
                                  the mask branch: mask_roi_pool MultiScaleRoIAlign(['0','1','2','3'], 14, 2)
                                  (MaskRCNN's default; only '0', '1' exist here: the others are ignored),
                                  MaskRCNNHeads(32, (16,16,16,16), 1), MaskRCNNPredictor(16, 16, 91);
                                  min_size 320, max_size 480, box_score_thresh 0. Gains (4, 12) as there.
    maskrcnn_mnv3_tiny_mask_branch.pt   its weights: only the 12 mask-branch keys (roi_heads.mask_head.*,
                                  roi_heads.mask_predictor.*); every other key is, bit for bit, in
                                  ../torchvision/fasterrcnn_mnv3_tiny.pt (same keys, rule and gains: the script
                                  asserts it). Load both. (The full state dict would be 1.75 MB.)
    deeplabv3_mnv3_tiny.json      DeepLabV3(IntermediateLayerGetter(mobilenet_v3_large(width_mult=0.25,
                                  dilated=True).features, _deeplabv3_mobilenetv3's return layers {out, aux}),
                                  head, FCNHead(aux_channels, 21)) where head has DeepLabHead's exact module
                                  tree (so the same keys) but ASPP(in, (12,24,36), out_channels=16) and a
                                  16-channel 3x3 conv: DeepLabHead hard-codes 256, ASPP takes out_channels.
                                  BatchNorm2d (eps 1e-5, eval) everywhere, as the builder makes it.
    lraspp_mnv3_tiny.json         LRASPP(IntermediateLayerGetter(same features, _lraspp_mobilenetv3's
                                  {low, high}), low_channels, high_channels, 21, inter_channels=32) (the
                                  builder's default is 128; the class takes it). No aux classifier (the
                                  builder refuses aux_loss).
    semantic_mnv3_tiny.pt         the union of both tiny semantic state dicts (one flat dict): the backbone
                                  keys ("backbone.<i>...", identical in both, asserted) once, DeepLabV3's
                                  "classifier.<0..4>..." and "aux_classifier...", LRASPP's "classifier.cbr /
                                  scale / low_classifier / high_classifier...". Each model loads the keys of
                                  its own state_dict listing (the key sets of the two classifiers are disjoint).
    No tiny FCN: fcn_resnet50 is only built on ResNet-50, which torchvision cannot narrow (planes are fixed),
    and FCNHead is covered by the aux classifier of deeplabv3_mnv3_tiny and by fcn_resnet50.json.

  Full-size models, exactly as the torchvision builders make them, weights from the rule, NOT committed
  (JSON only):
    maskrcnn_resnet50_fpn.json, maskrcnn_resnet50_fpn_v2.json
        `fn(weights=None, weights_backbone=None, box_score_thresh=0.0)`
    fcn_resnet50.json, deeplabv3_resnet50.json, deeplabv3_mobilenet_v3_large.json
        `fn(weights=None, weights_backbone=None, aux_loss=True)` (aux classifier keys exist; its output is
        computed by forward but not recorded: only "out" is the prediction)
    lraspp_mobilenet_v3_large.json   `fn(weights=None, weights_backbone=None)` (no aux)
    All semantic models have 21 classes (VOC), BatchNorm2d in eval mode.

Inputs:
  Mask R-CNN: the image as float32 RGB / 255 (load_image), the model's own GeneralizedRCNNTransform.
  Semantic: no resize (torchvision's SemanticSegmentation preset would resize the short side to 520; here
  the model gets the image at its own size), x = (load_image(f) - mean) / std per channel in float32 with
  mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225) (torchvision.transforms.functional.normalize:
  sub then div), batch 1.

Weight gains (the [body, rest] pair of the rule; chosen so outputs are spread, not saturated): Mask R-CNN
tiny (4, 12), ResNet-50 Mask R-CNNs (3, 3); semantic tiny (5, 5), full MobileNet (4.5, 4.5), ResNet-50 FCN /
DeepLabV3 (3.5, 3.5). The MobileNet semantic models explode just above these (hardswish compounds: at +1
the logits' std goes from ~5 to 1e2..1e5 and one class takes the image) and are near-constant below.

JSON fields (all models): torch, torchvision, builder, weights_file (list of files, or null), weight_gain, config,
state_dict (per key shape, dtype, sum as float64 of the float32 values), images[] with file and
original_size [h, w].
`stats` objects are {shape, mean, std, samples} as in gen_torchvision_fixtures.py (samples: [c, y, x, value]
at c = (37k+3) % C, y = (13k+1) % H, x = (29k+2) % W, k = 0..15; std unbiased; float64).

Mask R-CNN images[] (everything the Faster R-CNN fixtures have, plus masks):
    transformed, features[], proposals {count, top, top_scores}, detections {boxes, scores, labels}: as in
                            the Faster R-CNN fixtures (proposals in transformed coordinates, detections in
                            original pixels, all 100 at box_score_thresh 0)
    mask_logits             [one per detection, in detection order]: the 28x28 mask logits of the detection's
                            own label (mask_predictor output[i, label_i], before the sigmoid): {mean, std
                            (unbiased), samples: [[y, x, value] at y = (7k+3) % 28, x = (11k+5) % 28,
                            k = 0..7]}
    masks                   [one per detection]: the pasted mask thresholded as torchvision users do
                            (output "masks"[i, 0] > 0.5, original image size) as COCO RLE:
                            {size: [h, w], counts: pycocotools' compressed string of
                            mask.encode(np.asfortranarray(uint8 mask))}, and area (pixel count)
    pasted                  the float pasted probability map ("masks"[i, 0], before the 0.5 threshold, original
                            size) of detection 0 and of the detection with the largest box (one entry if they
                            are the same): {index, shape [h, w], mean, std (unbiased), sum (float64), box_samples:
                            [[y, x, value]] at y = y0 + (13k+1) % (y1-y0), x = x0 + (29k+2) % (x1-x0), k = 0..31,
                            with x0 = max(floor(box x1), 0), x1 = min(ceil(box x2) + 1, w), y0/y1 likewise},
                            so the bilinear paste is checked before thresholding
    noise                   as in the Faster R-CNN fixtures (features, proposals, detections), plus masks:
                            {bands, per_detection: [one per detection: null when the float64 run has no such
                            detection, else {logit: largest |float32 - float64| of its 28x28 logits, prob: of
                            its pasted probabilities, flipped: mask pixels that differ between the two runs,
                            near: [pixel count with |p - 0.5| <= band, for each band]}], paste_edge: [per
                            detection, the smallest distance of its expanded box's corners to an integer:
                            paste_masks_in_image truncates them, so one that close moves the mask by a pixel]}
Semantic images[]:
    input                   stats of the normalized input [1, 3, H, W]
    head                    stats of the classifier output before upsampling [1, 21, h, w]
    out                     stats of the upsampled logits ("out") [1, 21, H, W]
    label_map               file name of an 8-bit grayscale PNG (H x W, value = argmax over the 21 classes
                            of "out", torch.argmax: the first maximal class on ties) next to the JSON;
                            also classes: {label: pixel count} for the labels present
    noise                   {out: {max_abs, max_rel_std}: largest |float32 - float64| of "out", the model run
                            again in float64; labels_flipped: label pixels that differ between the two runs}
    ambiguous               pixels whose top-2 class scores of "out" differ by < eps = max(AMBIGUOUS_K x
                            noise.out.max_abs, 1e-4): eps, k, count, and coords [[y, x], ...] (all of them when
                            count <= 500, else the first 500 in raster order)

Torchvision behaviours the implementation must match (the settings are also in the JSON "config"):
  - Mask branch: the box detections (after per-class NMS and top-100) are the RoIs of mask_roi_pool (in
    transformed-image coordinates), MaskRCNNHeads = 4 x (3x3 conv pad 1 (dilation 1) + ReLU) (v2: conv without
    bias + BatchNorm2d + ReLU), MaskRCNNPredictor = ConvTranspose2d(k 2, s 2) + ReLU + 1x1 conv to 91 logits;
    sigmoid, pick channel = predicted label.
  - paste_masks_in_image (transform.postprocess, after boxes are rescaled to the original size): the 28x28
    probabilities are zero-padded by 1 to 30x30, the box is scaled about its centre by 30/28 in float32
    (expand_boxes: half sizes (x2-x1)*0.5*scale, centre (x2+x1)*0.5, scale rounded to float32) and truncated
    to int64 (toward zero), w = max(int(x2 - x1 + 1), 1), h likewise; the padded mask is bilinearly resized
    (align_corners=False) to (h, w) and copied into a zero image at [y1:y2+1, x1:x2+1] clipped to the image.
  - Semantic: F.interpolate(head_output, size=input HxW, mode="bilinear", align_corners=False) (source
    coordinate (dst + 0.5) * in/out - 0.5, clamped at 0). Inside the heads: ASPPPooling is a global average
    pool, 1x1 conv, BN, ReLU, then the same bilinear interpolate from 1x1 (a broadcast); ASPP's Dropout(0.5) and
    FCNHead's Dropout(0.1) are identities in eval; LRASPP multiplies cbr(high) by sigmoid(conv(avgpool(high)))
    (no BN there), bilinearly resizes it (align_corners=False) to the "low" feature size, and adds
    low_classifier(low) + high_classifier(x) (both 1x1 convs with bias). The aux classifier (FCNHead on the
    stride-8 feature of the MobileNets / layer3 of the ResNets) is run by forward but its "aux" output is not
    part of the prediction.
"""
import json
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
import torchvision
from PIL import Image
from pycocotools import mask as mask_util
from torch import nn
from torchvision.models import mobilenet_v3_large
from torchvision.models._utils import IntermediateLayerGetter
from torchvision.models.detection import MaskRCNN, maskrcnn_resnet50_fpn, maskrcnn_resnet50_fpn_v2
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
from torchvision.models.segmentation import (deeplabv3_mobilenet_v3_large, deeplabv3_resnet50, fcn_resnet50,
                                             lraspp_mobilenet_v3_large)
from torchvision.models.segmentation.deeplabv3 import ASPP, DeepLabV3
from torchvision.models.segmentation.fcn import FCNHead
from torchvision.models.segmentation.lraspp import LRASPP
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool
from torchvision.ops.misc import FrozenBatchNorm2d

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_torchvision_fixtures as base  # noqa: E402  (the shared weight rule, images and stats)
from gen_torchvision_fixtures import IMAGES, fill_weights, float64_twin, load_image, state_dict_summary, stats  # noqa: E402
from reference_noise import pair_items, tensor_noise  # noqa: E402

OUT = base.REPO / "Tests/ArgusModelsTests/Fixtures/torchvision_seg"
MASK_GAIN = base.MNV3_GAIN  # (4, 12): keeps the Faster R-CNN tiny keys identical; masks come out mixed
SEM_MEAN = (0.485, 0.456, 0.406)
SEM_STD = (0.229, 0.224, 0.225)
# Mask pixels are counted as near the 0.5 threshold at each of these probability distances.
NEAR_BANDS = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]
# A semantic pixel is ambiguous when its top-2 class scores are closer than this many times the reference's
# own float32 noise (largest |float32 - float64| over the "out" logits), and never closer than 1e-4.
AMBIGUOUS_K = 8
AMBIGUOUS_MIN = 1e-4
MAX_COORDS = 500
N_BOX_SAMPLES = 32
ASPP_TINY = 16  # DeepLabHead's 256, narrowed: the 3x3 atrous convs on 240 channels dominate the file size
LRASPP_TINY = 32  # LRASPP's inter_channels (the builder's default is 128)
MASK_BRANCH = ("roi_heads.mask_head.", "roi_heads.mask_predictor.")
FASTER_TINY = base.OUT / "fasterrcnn_mnv3_tiny.pt"


# ---- models ----------------------------------------------------------------------------------------

def tiny_maskrcnn():
    backbone = mobilenet_v3_large(weights=None, width_mult=0.25, norm_layer=FrozenBatchNorm2d).features
    stage_indices = [0] + [i for i, b in enumerate(backbone) if getattr(b, "_is_cn", False)] + [len(backbone) - 1]
    num_stages = len(stage_indices)
    returned_layers = [num_stages - 2, num_stages - 1]
    return_layers = {f"{stage_indices[k]}": str(v) for v, k in enumerate(returned_layers)}
    in_channels_list = [backbone[stage_indices[i]].out_channels for i in returned_layers]
    body = BackboneWithFPN(backbone, return_layers, in_channels_list, 32, extra_blocks=LastLevelMaxPool())
    model = MaskRCNN(body, None, rpn_anchor_generator=AnchorGenerator(base.MNV3_ANCHORS, base.MNV3_RATIOS),
                     box_head=TwoMLPHead(32 * 7 ** 2, 64), box_predictor=FastRCNNPredictor(64, 91),
                     mask_head=MaskRCNNHeads(32, (16, 16, 16, 16), 1), mask_predictor=MaskRCNNPredictor(16, 16, 91),
                     min_size=320, max_size=480, box_score_thresh=0.0)
    extra = {"width_mult": 0.25, "fpn_out_channels": 32, "representation_size": 64, "stage_indices": stage_indices,
             "returned_layers": returned_layers, "return_layers": return_layers, "fpn_in_channels": in_channels_list,
             "backbone_norm_layer": "FrozenBatchNorm2d(eps=1e-5)", "mask_head_layers": [16, 16, 16, 16],
             "mask_head_dilation": 1, "mask_head_norm_layer": None, "mask_predictor_dim_reduced": 16}
    return model, extra


def tiny_features():
    features = mobilenet_v3_large(weights=None, width_mult=0.25, dilated=True).features
    stage_indices = [0] + [i for i, b in enumerate(features) if getattr(b, "_is_cn", False)] + [len(features) - 1]
    return features, stage_indices


def tiny_deeplabv3():
    features, si = tiny_features()
    out_pos, aux_pos = si[-1], si[-4]
    out_ch, aux_ch = features[out_pos].out_channels, features[aux_pos].out_channels
    body = IntermediateLayerGetter(features, return_layers={str(out_pos): "out", str(aux_pos): "aux"})
    head = nn.Sequential(ASPP(out_ch, (12, 24, 36), out_channels=ASPP_TINY), nn.Conv2d(ASPP_TINY, ASPP_TINY, 3,
                         padding=1, bias=False), nn.BatchNorm2d(ASPP_TINY), nn.ReLU(),
                         nn.Conv2d(ASPP_TINY, 21, 1))  # DeepLabHead's module tree (same keys), narrowed
    model = DeepLabV3(body, head, FCNHead(aux_ch, 21))
    extra = {"width_mult": 0.25, "dilated": True, "stage_indices": si,
             "return_layers": {str(out_pos): "out", str(aux_pos): "aux"}, "out_channels": out_ch,
             "aux_channels": aux_ch, "atrous_rates": [12, 24, 36], "aspp_out_channels": ASPP_TINY,
             "head_conv_channels": ASPP_TINY, "aux_classifier": f"FCNHead({aux_ch}, 21) (inter {aux_ch // 4})"}
    return model, extra


def tiny_lraspp():
    features, si = tiny_features()
    low_pos, high_pos = si[-4], si[-1]
    low_ch, high_ch = features[low_pos].out_channels, features[high_pos].out_channels
    body = IntermediateLayerGetter(features, return_layers={str(low_pos): "low", str(high_pos): "high"})
    model = LRASPP(body, low_ch, high_ch, 21, inter_channels=LRASPP_TINY)
    extra = {"width_mult": 0.25, "dilated": True, "stage_indices": si,
             "return_layers": {str(low_pos): "low", str(high_pos): "high"}, "low_channels": low_ch,
             "high_channels": high_ch, "inter_channels": LRASPP_TINY, "aux_classifier": None}
    return model, extra


def full_semantic_extra(fn, model):
    if fn is lraspp_mobilenet_v3_large:
        return {"dilated": True, "inter_channels": 128, "aux_classifier": None,
                "return_layers": dict(model.backbone.return_layers)}
    extra = {"return_layers": dict(model.backbone.return_layers), "aux_classifier": "FCNHead(aux_in, 21)"}
    if fn is deeplabv3_mobilenet_v3_large:
        extra.update({"dilated": True, "atrous_rates": [12, 24, 36], "aspp_out_channels": 256})
    else:
        extra.update({"replace_stride_with_dilation": [False, True, True]})
        if fn is deeplabv3_resnet50:
            extra.update({"atrous_rates": [12, 24, 36], "aspp_out_channels": 256})
        else:
            extra.update({"classifier": "FCNHead(2048, 21) (inter 512)"})
    return extra


def build_models():
    """(name, kind, constructor, builder description, weight gains, weights file or None); constructors
    return (model, extra config) and are called lazily, so one model is in memory at a time."""
    tiny_desc = ("MaskRCNN(BackboneWithFPN(mobilenet_v3_large(width_mult=0.25, norm_layer=FrozenBatchNorm2d).features, "
                 "_mobilenet_extractor's return_layers, out_channels=32, LastLevelMaxPool()), None, "
                 "rpn_anchor_generator=AnchorGenerator(((32,64,128,256,512),)*3, ((0.5,1.0,2.0),)*3), "
                 "box_head=TwoMLPHead(32*7*7, 64), box_predictor=FastRCNNPredictor(64, 91), "
                 "mask_head=MaskRCNNHeads(32, (16,16,16,16), 1), mask_predictor=MaskRCNNPredictor(16, 16, 91), "
                 "min_size=320, max_size=480, box_score_thresh=0.0)")
    out = [("maskrcnn_mnv3_tiny", "instance", tiny_maskrcnn, tiny_desc, MASK_GAIN,
            ["../torchvision/fasterrcnn_mnv3_tiny.pt", "maskrcnn_mnv3_tiny_mask_branch.pt"])]
    for fn, gain, extra in [
        (maskrcnn_resnet50_fpn, (3.0, 3.0), {"fpn_out_channels": 256, "representation_size": 1024,
                                 "returned_layers": [1, 2, 3, 4], "backbone_norm_layer": "BatchNorm2d(eps=1e-5)",
                                 "box_head": "TwoMLPHead(256*7*7, 1024)", "rpn_head_conv_depth": 1,
                                 "mask_head": "MaskRCNNHeads(256, (256,256,256,256), 1)",
                                 "mask_predictor": "MaskRCNNPredictor(256, 256, 91)"}),
        (maskrcnn_resnet50_fpn_v2, (3.0, 3.0), {"fpn_out_channels": 256, "representation_size": 1024,
                                    "returned_layers": [1, 2, 3, 4], "backbone_norm_layer": "BatchNorm2d(eps=1e-5)",
                                    "fpn_norm_layer": "BatchNorm2d",
                                    "box_head": "FastRCNNConvFCHead((256,7,7), [256]*4, [1024], BatchNorm2d)",
                                    "rpn_head_conv_depth": 2,
                                    "mask_head": "MaskRCNNHeads(256, [256,256,256,256], 1, norm_layer=BatchNorm2d)",
                                    "mask_predictor": "MaskRCNNPredictor(256, 256, 91)"}),
    ]:
        out.append((fn.__name__, "instance",
                    lambda fn=fn, extra=extra: (fn(weights=None, weights_backbone=None, box_score_thresh=0.0), extra),
                    f"torchvision.models.detection.{fn.__name__}(weights=None, weights_backbone=None, "
                    "box_score_thresh=0.0)", gain, None))
    out.append(("deeplabv3_mnv3_tiny", "semantic", tiny_deeplabv3,
                "DeepLabV3(IntermediateLayerGetter(mobilenet_v3_large(width_mult=0.25, dilated=True).features, "
                "_deeplabv3_mobilenetv3's return_layers), nn.Sequential(ASPP(out_ch, (12,24,36), out_channels=32), "
                "Conv2d(32,32,3,padding=1,bias=False), BatchNorm2d(32), ReLU(), Conv2d(32,21,1)), FCNHead(aux_ch, 21))",
                SEM_TINY_GAIN, [SEM_TINY_FILE]))
    out.append(("lraspp_mnv3_tiny", "semantic", tiny_lraspp,
                "LRASPP(IntermediateLayerGetter(mobilenet_v3_large(width_mult=0.25, dilated=True).features, "
                "_lraspp_mobilenetv3's return_layers), low_ch, high_ch, 21, inter_channels=32)",
                SEM_TINY_GAIN, [SEM_TINY_FILE]))
    for fn, gain in [(fcn_resnet50, SEM_RESNET_GAIN), (deeplabv3_resnet50, SEM_RESNET_GAIN),
                     (deeplabv3_mobilenet_v3_large, SEM_MNV3_GAIN), (lraspp_mobilenet_v3_large, SEM_MNV3_GAIN)]:
        kwargs = dict(weights=None, weights_backbone=None)
        if fn is not lraspp_mobilenet_v3_large:
            kwargs["aux_loss"] = True

        def make(fn=fn, kwargs=kwargs):
            m = fn(**kwargs)
            return m, full_semantic_extra(fn, m)
        args = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        out.append((fn.__name__, "semantic", make, f"torchvision.models.segmentation.{fn.__name__}({args})", gain, None))
    return out


SEM_TINY_GAIN = (5.0, 5.0)  # 4: logits std 0.08, 6 classes; 5: std 5, 15 classes; 6+: explodes (1e2..1e19)
SEM_TINY_FILE = "semantic_mnv3_tiny.pt"
SEM_MNV3_GAIN = (4.5, 4.5)  # 4: std 0.16, 3 classes; 4.5: std 4.5, 7-10 classes; 4.75: 5 classes, one at 95%
SEM_RESNET_GAIN = (3.5, 3.5)  # 3: std 0.8-1.7, 57-84 ambiguous pixels; 3.5: std 3-6, 5 classes; 4: std 14-23


def instance_config(model, extra):
    cfg = base.config_of(model, extra)
    mp = model.roi_heads.mask_roi_pool
    cfg.update({"mask_roi_pool": {"featmap_names": mp.featmap_names, "output_size": list(mp.output_size),
                                  "sampling_ratio": mp.sampling_ratio, "canonical_scale": mp.canonical_scale,
                                  "canonical_level": mp.canonical_level, "aligned": False},
                "mask_logits_size": [28, 28], "mask_selection": "sigmoid, channel = predicted label",
                "paste_padding": 1, "paste_interpolation": "bilinear, align_corners=False",
                "mask_threshold": 0.5})
    return cfg


def semantic_config(model, extra):
    cfg = {"num_classes": 21, "image_mean": list(SEM_MEAN), "image_std": list(SEM_STD), "resize": None,
           "upsampling": "F.interpolate(size=input HxW, mode='bilinear', align_corners=False)",
           "norm_layer": "BatchNorm2d(eps=1e-5), eval", "ambiguous_k": AMBIGUOUS_K, "ambiguous_min": AMBIGUOUS_MIN}
    cfg.update(extra)
    return cfg


# ---- reference runs --------------------------------------------------------------------------------

def logit_summary(m):
    d = m.double()
    samples = [[(7 * k + 3) % 28, (11 * k + 5) % 28, float(m[(7 * k + 3) % 28, (11 * k + 5) % 28])] for k in range(8)]
    return {"mean": float(d.mean()), "std": float(d.std()), "samples": samples}


def pasted_indices(boxes):
    """The top-scoring detection and the one with the largest box (most pixels for the bilinear paste)."""
    if len(boxes) == 0:
        return []
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return sorted({0, int(area.argmax())})


def pasted_summary(prob, box, index):
    h, w = prob.shape
    x0, y0 = max(int(np.floor(float(box[0]))), 0), max(int(np.floor(float(box[1]))), 0)
    x1, y1 = min(int(np.ceil(float(box[2]))) + 1, w), min(int(np.ceil(float(box[3]))) + 1, h)
    bw, bh = max(x1 - x0, 1), max(y1 - y0, 1)
    samples = []
    for k in range(N_BOX_SAMPLES):
        y, x = y0 + (13 * k + 1) % bh, x0 + (29 * k + 2) % bw
        samples.append([y, x, float(prob[y, x])])
    d = prob.double()
    return {"index": index, "shape": [h, w], "mean": float(d.mean()), "std": float(d.std()), "sum": float(d.sum()),
            "box_samples": samples}


def run_instance(model, name, model64):
    captured, captured64 = {}, {}
    hooks = [model.roi_heads.mask_predictor.register_forward_hook(lambda m, i, o: captured.__setitem__("logits", o)),
             model64.roi_heads.mask_predictor.register_forward_hook(lambda m, i, o: captured64.__setitem__("logits", o))]
    doc, c32, c64 = base.run(model, name, model64)  # the Faster R-CNN fields; the hooks add the mask logits
    for h in hooks:
        h.remove()
    det = c32["det"]
    logits, labels = captured["logits"], det["labels"]
    doc["mask_logits"] = [logit_summary(logits[i, int(labels[i])]) for i in range(len(labels))]
    masks = []
    for i in range(len(labels)):
        binary = np.asfortranarray((det["masks"][i, 0] > 0.5).numpy().astype(np.uint8))
        rle = mask_util.encode(binary)
        masks.append({"size": [int(s) for s in rle["size"]], "counts": rle["counts"].decode("ascii"),
                      "area": int(binary.sum())})
    doc["masks"] = masks
    doc["pasted"] = [pasted_summary(det["masks"][i, 0], det["boxes"][i], i) for i in pasted_indices(det["boxes"])]
    doc["noise"]["masks"] = mask_noise(det, logits, c64["det"], captured64["logits"])
    return doc


def mask_noise(det32, logits32, det64, logits64):
    """Per float32 detection paired with a float64 one (reference_noise.pair_items): the largest 28x28 logit
    difference, the largest pasted-probability difference, how many mask pixels flip between the two, and
    `near`: the pixel count with |p - 0.5| <= band for each band of NEAR_BANDS (pixels a rounding change of
    that size in the probability could flip). Unpaired detections get null."""
    pairs, _ = pair_items(det32["boxes"], det32["scores"], det32["labels"],
                          det64["boxes"], det64["scores"], det64["labels"])
    out = [None] * len(det32["labels"])
    edges = paste_edges(det32["boxes"])
    for i, j in pairs:
        label = int(det32["labels"][i])
        p32, p64 = det32["masks"][i, 0].double(), det64["masks"][j, 0]
        dist = (p32 - 0.5).abs()
        out[i] = {"logit": float((logits32[i, label].double() - logits64[j, label]).abs().max()),
                  "prob": float((p32 - p64).abs().max()),
                  "flipped": int(((p32 > 0.5) != (p64 > 0.5)).sum()),
                  "near": [int((dist <= band).sum()) for band in NEAR_BANDS]}
    return {"bands": NEAR_BANDS, "per_detection": out, "paste_edge": edges}


def paste_edges(boxes):
    """paste_masks_in_image truncates the expanded box (expand_boxes, 30/28 about the centre, float32) to
    integers: a corner that close to an integer moves the whole pasted mask by a pixel under any rounding
    change. Per detection, the smallest distance of its four expanded corners to an integer."""
    scale = 30 / 28
    w_half = (boxes[:, 2] - boxes[:, 0]) * 0.5 * scale
    h_half = (boxes[:, 3] - boxes[:, 1]) * 0.5 * scale
    x_c = (boxes[:, 2] + boxes[:, 0]) * 0.5
    y_c = (boxes[:, 3] + boxes[:, 1]) * 0.5
    e = torch.stack([x_c - w_half, y_c - h_half, x_c + w_half, y_c + h_half], 1).double()
    frac = e - e.floor()
    return torch.minimum(frac, 1 - frac).min(1).values.tolist()


def run_semantic(model, name, stem, model64):
    img = load_image(name)
    mean = torch.tensor(SEM_MEAN, dtype=torch.float32)[:, None, None]
    std = torch.tensor(SEM_STD, dtype=torch.float32)[:, None, None]
    x = ((img - mean) / std)[None]
    captured = {}
    hook = model.classifier.register_forward_hook(lambda m, i, o: captured.__setitem__("head", o))
    with torch.inference_mode():
        out = model(x)["out"]
        out64 = model64(x.double())["out"]
    hook.remove()
    logits = out[0]
    labels = logits.argmax(0)
    noise = tensor_noise(out, out64)
    eps = max(AMBIGUOUS_K * noise["max_abs"], AMBIGUOUS_MIN)
    top2 = logits.topk(2, dim=0).values
    amb = (top2[0] - top2[1]) < eps
    coords = amb.nonzero().tolist()
    png = f"{stem}_{Path(name).stem}.png"
    Image.fromarray(labels.numpy().astype(np.uint8), mode="L").save(OUT / png, optimize=True)
    values, counts = labels.unique(return_counts=True)
    return {"file": name, "original_size": list(img.shape[-2:]), "input": stats(x), "head": stats(captured["head"]),
            "out": stats(out), "label_map": png,
            "classes": {str(int(v)): int(c) for v, c in zip(values, counts)},
            "noise": {"out": noise, "labels_flipped": int((out64[0].argmax(0) != labels).sum())},
            "ambiguous": {"eps": eps, "k": AMBIGUOUS_K, "count": len(coords), "coords": coords[:MAX_COORDS]}}


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    OUT.mkdir(parents=True, exist_ok=True)
    only = set(sys.argv[1:])
    sem_tiny = OrderedDict()
    for name, kind, make, builder, gain, weights_file in build_models():
        if only and name not in only:
            continue
        model, extra = make()
        fill_weights(model, gain)
        model.eval()
        cfg = instance_config(model, extra) if kind == "instance" else semantic_config(model, extra)
        doc = {"torch": torch.__version__, "torchvision": torchvision.__version__, "builder": builder,
               "weights_file": weights_file, "weight_gain": list(gain), "config": cfg,
               "state_dict": state_dict_summary(model)}
        if kind == "instance":
            model64 = float64_twin(model)
            doc["images"] = [run_instance(model, f, model64) for f in IMAGES]
        else:
            model64 = float64_twin(model)
            doc["images"] = [run_semantic(model, f, name, model64) for f in IMAGES]
        sd = model.state_dict()
        if name == "maskrcnn_mnv3_tiny":
            save_mask_branch(sd)
        elif weights_file == [SEM_TINY_FILE]:
            for k, v in sd.items():
                assert k not in sem_tiny or torch.equal(sem_tiny[k], v), k  # shared backbone: same key, same values
                sem_tiny[k] = v
        with open(OUT / f"{name}.json", "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        im = doc["images"][0]
        if kind == "instance":
            areas = [m["area"] for m in im["masks"]]
            print(f"{name}: {len(doc['state_dict'])} keys, {len(areas)} detections, mask areas min {min(areas)} "
                  f"median {sorted(areas)[len(areas) // 2]} max {max(areas)}", flush=True)
        else:
            print(f"{name}: classes {im['classes']}, ambiguous {im['ambiguous']['count']}", flush=True)
        del model
    if not only or {"deeplabv3_mnv3_tiny", "lraspp_mnv3_tiny"} <= only:  # the file holds both models' keys
        torch.save(sem_tiny, OUT / SEM_TINY_FILE)


def save_mask_branch(sd):
    """Only the mask branch is new: every other key is checked bitwise against the committed Faster R-CNN
    tiny weights (same keys, same rule, same gains), which the Mask R-CNN fixture reuses."""
    faster = torch.load(FASTER_TINY)
    rest = [k for k in sd if not k.startswith(MASK_BRANCH)]
    assert sorted(rest) == sorted(faster), "the Mask R-CNN tiny keys outside the mask branch must be fasterrcnn_mnv3_tiny's"
    for k in rest:
        assert torch.equal(sd[k], faster[k]), k
    torch.save(OrderedDict((k, v) for k, v in sd.items() if k.startswith(MASK_BRANCH)),
               OUT / "maskrcnn_mnv3_tiny_mask_branch.pt")


if __name__ == "__main__":
    main()
