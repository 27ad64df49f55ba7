#!/usr/bin/env python3
"""torchvision's Faster R-CNN and Mask R-CNN hyper-parameters, read off the built modules: the reference the model
manifests in models/ are compared with (Tests/ArgusModelsTests/CatalogTests.swift).

Run from the repository root:
    /work/venv-ref/bin/python tools/gen_torchvision_defaults.py                   # defaults.json only
    /work/venv-ref/bin/python tools/gen_torchvision_defaults.py --write-manifests # and models/*.json
(the reference venv is made by `bash ../shared/bench/install_venv.sh DIR`; torchvision 0.28).
Offline: each builder runs with `weights=None, weights_backbone=None`, so nothing is downloaded.

Writes Tests/ArgusModelsTests/Fixtures/torchvision/defaults.json: per architecture, every value of
FasterRCNNConfig as the built module holds it (transform, rpn, anchor generator, roi_heads, box coders,
box_roi_pool, box head, predictor, FPN, backbone), plus the weights enum's URL and categories and, for
each value, the torchvision source line it comes from (`file:line: text`, found by searching the source
of the function that sets it; a value whose line can no longer be found is an error, not a guess).

--write-manifests also writes models/<architecture>.json from the same values. The full sha256 of each
official file is not derivable here (no network): FULL_SHA256 below records it as published by
independent projects that downloaded the files (see "sha256_source" in each manifest); the script
checks it against the prefix torchvision's file name carries, which `torch.hub` verifies.
"""
import argparse
import inspect
import json
import math
import os
import sys

import torch
import torchvision
from torchvision.models import mobilenetv3, segmentation
from torchvision.models.detection import backbone_utils, faster_rcnn, mask_rcnn, roi_heads, rpn, transform
from torchvision.models.detection import _utils as det_utils
from torchvision.ops import misc as misc_ops

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "Tests", "ArgusModelsTests", "Fixtures", "torchvision", "defaults.json")
TV_ROOT = os.path.dirname(os.path.dirname(torchvision.__file__))

BUILDERS = {
    "fasterrcnn_mobilenet_v3_large_fpn": (faster_rcnn.fasterrcnn_mobilenet_v3_large_fpn,
                                          faster_rcnn.FasterRCNN_MobileNet_V3_Large_FPN_Weights),
    "fasterrcnn_mobilenet_v3_large_320_fpn": (faster_rcnn.fasterrcnn_mobilenet_v3_large_320_fpn,
                                              faster_rcnn.FasterRCNN_MobileNet_V3_Large_320_FPN_Weights),
    "fasterrcnn_resnet50_fpn": (faster_rcnn.fasterrcnn_resnet50_fpn, faster_rcnn.FasterRCNN_ResNet50_FPN_Weights),
    "fasterrcnn_resnet50_fpn_v2": (faster_rcnn.fasterrcnn_resnet50_fpn_v2,
                                   faster_rcnn.FasterRCNN_ResNet50_FPN_V2_Weights),
    "maskrcnn_resnet50_fpn": (mask_rcnn.maskrcnn_resnet50_fpn, mask_rcnn.MaskRCNN_ResNet50_FPN_Weights),
    "maskrcnn_resnet50_fpn_v2": (mask_rcnn.maskrcnn_resnet50_fpn_v2, mask_rcnn.MaskRCNN_ResNet50_FPN_V2_Weights),
}

# Full sha256 of the official COCO_V1 files (torchvision's file names carry only the first 8 hex digits).
# Each was recorded, with the file size, by projects that downloaded the official file and checked it:
# e.g. LibreYOLO's Faster R-CNN notes (github.com/LibreYOLO/libreyolo), and for each file at least one
# more unrelated repository found by searching public code for the file name.
FULL_SHA256 = {
    "fasterrcnn_mobilenet_v3_large_320_fpn-907ea3f9.pth":
        ("907ea3f91ff92242bc1baea8049276a3e76bca48ce7560bd268cc029f37977b5", 77844807),
    "fasterrcnn_mobilenet_v3_large_fpn-fb6a3cc7.pth":
        ("fb6a3cc702b1df54c18a44b26708cd083614211062d0c36d2ca7bf9270df3533", 77844807),
    "fasterrcnn_resnet50_fpn_coco-258fb6c6.pth":
        ("258fb6c638b15964ddcdd1ae0748c5eef1be9e732750120cc857feed3faac384", 167502836),
    "fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth":
        ("dd69338a24b8d7381807e247652bdc356325bcbaf1cd3e092e00e0a1a58706bf", 175221657),
    # SSD / SSDlite / RetinaNet: LibreYOLO's upload scripts and README tables (weights/upload_retinanet_hf.py), the
    # TAISP research log (word-ky/TAISP research_log/T009_ssd_gate_receipt.md, a curl download of the official URL)
    # and further unrelated projects pinning the same digests; every size equals the enum's _file_size (MiB).
    "ssd300_vgg16_coco-b556d3b4.pth":
        ("b556d3b43ab6c3f63d81bfb8835fe8756ac22da664357da100dccf96b6a6b42d", 142594222),
    "ssdlite320_mobilenet_v3_large_coco-a79551df.pth":
        ("a79551df90c79834bcd3bb3845ef9d966b5449a3a9b2833ae8404778ca5d65d2", 14069355),
    "retinanet_resnet50_fpn_coco-eeacb38b.pth":
        ("eeacb38b7cec8cf93c57867e05eaab621047f19b0d2ec5accaa405f690da15b7", 136595076),
    "retinanet_resnet50_fpn_v2_coco-5905b1c5.pth":
        ("5905b1c544219215e544dbe319720397bc4e68de61a733a59350d7976645b769", 153130989),
}
# Files whose full sha256 we have no independent record of: their manifests carry only torchvision's 8-hex
# prefix (what torch.hub's check_hash verifies too), and `argus models pull` checks that prefix.
SHA256_SOURCE = ("published by independent projects that downloaded the official file (e.g. LibreYOLO's "
                 "Faster R-CNN notes, github.com/LibreYOLO/libreyolo, which also give the size); not recomputed "
                 "here (no network). Its first 8 hex digits equal the prefix in torchvision's file name, which "
                 "torch.hub.load_state_dict_from_url(check_hash=True) verifies.")
SINGLE_STAGE_SHA256_SOURCE = (
    "published, with the size, by independent projects that downloaded the official file (LibreYOLO's SSD and "
    "RetinaNet upload scripts, github.com/Libre-YOLO/libreyolo weights/upload_retinanet_hf.py; for SSD300 also "
    "github.com/word-ky/TAISP research_log/T009_ssd_gate_receipt.md); not recomputed here (no network). Its first 8 "
    "hex digits equal the prefix in torchvision's file name, which torch.hub.load_state_dict_from_url(check_hash=True) "
    "verifies, and the size equals the weights enum's _file_size.")


def where(obj, needle):
    """`path:line: text` of the first source line of `obj` containing `needle` (path relative to site-packages)."""
    obj = inspect.unwrap(obj)  # the builders are wrapped by register_model / handle_legacy_interface
    lines, start = inspect.getsourcelines(obj)
    for offset, text in enumerate(lines):
        if needle in text:
            path = os.path.relpath(inspect.getsourcefile(obj), TV_ROOT)
            return f"{path}:{start + offset}: {text.strip()}"
    raise SystemExit(f"'{needle}' not found in {obj.__qualname__}: torchvision changed, update this script")


def floats(values):
    return [float(v) for v in values]


def mobilenet_stage_numbers(body, return_layers):
    """The `returned_layers` numbers (stage indices as `_mobilenet_extractor` counts them) of a MobileNetV3 body."""
    children = list(body.children())
    stage_indices = [0] + [i for i, b in enumerate(children) if getattr(b, "_is_cn", False)] + [len(children) - 1]
    layers = sorted(int(k) for k in return_layers)
    return [stage_indices.index(i) for i in layers]


def read_model(arch, model):
    """Every FasterRCNNConfig value, read off the built module."""
    t, r, h = model.transform, model.rpn, model.roi_heads
    assert len(t.min_size) == 1, t.min_size
    box_head_linears = [m for m in h.box_head.modules() if isinstance(m, torch.nn.Linear)]
    body = model.backbone.body
    if "resnet50" in arch:
        returned = sorted(int(k.removeprefix("layer")) for k in body.return_layers)
        width_mult = 1.0  # not a ResNet parameter; FasterRCNNConfig ignores it there
        first_conv = None
    else:
        returned = mobilenet_stage_numbers(body, body.return_layers)
        first_conv = body["0"][0].out_channels  # _make_divisible(16 * width_mult, 8)
        width_mult = inspect.signature(mobilenetv3._mobilenet_v3_conf).parameters["width_mult"].default
        assert first_conv == mobilenetv3._make_divisible(16 * width_mult, 8), first_conv
    norms = [m for m in body.modules() if isinstance(m, (torch.nn.BatchNorm2d, misc_ops.FrozenBatchNorm2d))]
    eps = {float(m.eps) for m in norms}
    assert len(eps) == 1, eps
    pool = h.box_roi_pool
    assert len(set(pool.output_size)) == 1, pool.output_size
    if h.has_mask():
        convs = [m for m in h.mask_head.modules() if isinstance(m, torch.nn.Conv2d)]
        assert len({c.dilation for c in convs}) == 1, [c.dilation for c in convs]
        mask = {"mask_head_layers": [c.out_channels for c in convs], "mask_head_dilation": convs[0].dilation[0],
                "mask_predictor_dim_reduced": h.mask_predictor.conv5_mask.out_channels,
                "mask_roi_output_size": h.mask_roi_pool.output_size[0]}
    else:
        # No mask branch; MaskRCNN.__init__'s defaults for the other keys (unused without mask_head_layers).
        mask = {"mask_head_layers": None, "mask_head_dilation": 1, "mask_predictor_dim_reduced": 256,
                "mask_roi_output_size": 14}
    return {
        "num_classes": h.box_predictor.cls_score.out_features,
        "min_size": t.min_size[0],
        "max_size": t.max_size,
        "image_mean": floats(t.image_mean),
        "image_std": floats(t.image_std),
        "size_divisible": t.size_divisible,
        "anchor_sizes": [list(s) for s in r.anchor_generator.sizes],
        "aspect_ratios": [floats(a) for a in r.anchor_generator.aspect_ratios],
        "rpn_pre_nms_top_n_test": r._pre_nms_top_n["testing"],
        "rpn_post_nms_top_n_test": r._post_nms_top_n["testing"],
        "rpn_nms_thresh": float(r.nms_thresh),
        "rpn_score_thresh": float(r.score_thresh),
        "box_score_thresh": float(h.score_thresh),
        "box_nms_thresh": float(h.nms_thresh),
        "box_detections_per_img": h.detections_per_img,
        "representation_size": box_head_linears[-1].out_features,
        "width_mult": float(width_mult),
        "fpn_out_channels": model.backbone.out_channels,
        "returned_layers": returned,
        "box_coder_weights": floats(h.box_coder.weights),
        "rpn_box_coder_weights": floats(r.box_coder.weights),
        "roi_output_size": pool.output_size[0],
        "sampling_ratio": pool.sampling_ratio,
        "batch_norm_eps": eps.pop(),
        **mask,
    }, {
        # Values the manifests do not configure but the Swift model must match; recorded for reference.
        "bbox_xform_clip": h.box_coder.bbox_xform_clip,
        "rpn_bbox_xform_clip": r.box_coder.bbox_xform_clip,
        "roi_featmap_names": list(pool.featmap_names),
        "mobilenet_first_conv_channels": first_conv,
        "backbone_norm_layer": type(norms[0]).__name__,
    }


def sources(arch, builder):
    """Where each default is set in torchvision's code."""
    init = faster_rcnn.FasterRCNN.__init__
    masked = arch.startswith("maskrcnn")
    mobile = arch.startswith("fasterrcnn_mobilenet")
    is320 = arch == "fasterrcnn_mobilenet_v3_large_320_fpn"
    inner = faster_rcnn._fasterrcnn_mobilenet_v3_large_fpn if mobile else builder

    def default(key, value_320=None):
        if is320 and value_320 is not None:
            return where(builder, f'"{key}": {value_320}')
        return where(init, f"{key}=")

    src = {
        "num_classes": where(inner, "num_classes = 91") + "; the predictor's out_features",
        "min_size": default("min_size", 320),
        "max_size": default("max_size", 640),
        "image_mean": where(init, "image_mean = ["),
        "image_std": where(init, "image_std = ["),
        "size_divisible": where(transform.GeneralizedRCNNTransform.__init__, "size_divisible: int ="),
        "rpn_pre_nms_top_n_test": default("rpn_pre_nms_top_n_test", 150),
        "rpn_post_nms_top_n_test": default("rpn_post_nms_top_n_test", 150),
        "rpn_nms_thresh": where(init, "rpn_nms_thresh="),
        "rpn_score_thresh": where(builder, '"rpn_score_thresh": 0.05') if mobile else where(init, "rpn_score_thresh="),
        "box_score_thresh": where(init, "box_score_thresh="),
        "box_nms_thresh": where(init, "box_nms_thresh="),
        "box_detections_per_img": where(init, "box_detections_per_img="),
        "representation_size": (where(builder, "[1024]") if arch.endswith("_v2")
                                else where(init, "representation_size = 1024")),
        "box_coder_weights": where(roi_heads.RoIHeads.__init__, "bbox_reg_weights = ("),
        "rpn_box_coder_weights": where(rpn.RegionProposalNetwork.__init__, "BoxCoder(weights="),
        "roi_output_size": where(init, "MultiScaleRoIAlign("),
        "sampling_ratio": where(init, "MultiScaleRoIAlign("),
        "batch_norm_eps": (where(torch.nn.BatchNorm2d.__init__, "eps") + " (weights=None builds nn.BatchNorm2d; "
                           + where(misc_ops.FrozenBatchNorm2d.__init__, "eps: float") + ")"),
    }
    minit = mask_rcnn.MaskRCNN.__init__
    unused = " (MaskRCNN's default; unused: no mask branch)"
    src["mask_head_layers"] = ((where(builder, "mask_head = MaskRCNNHeads(") if arch.endswith("_v2")
                                else where(minit, "mask_layers = (")) if masked
                               else "null: FasterRCNN has no mask branch")
    src["mask_head_dilation"] = where(minit, "mask_dilation = 1") + ("" if masked else unused)
    src["mask_predictor_dim_reduced"] = where(minit, "mask_dim_reduced = 256") + ("" if masked else unused)
    src["mask_roi_output_size"] = where(minit, "output_size=14") + ("" if masked else unused)
    if mobile:
        src["anchor_sizes"] = where(inner, "anchor_sizes = (") + " ((32, 64, 128, 256, 512),) * 3"
        src["aspect_ratios"] = where(inner, "aspect_ratios = (")
        src["width_mult"] = where(mobilenetv3._mobilenet_v3_conf, "width_mult: float")
        src["fpn_out_channels"] = where(backbone_utils._mobilenet_extractor, "out_channels = 256")
        src["returned_layers"] = where(backbone_utils._mobilenet_extractor, "returned_layers = [")
    else:
        src["anchor_sizes"] = where(faster_rcnn._default_anchorgen, "anchor_sizes = (")
        src["aspect_ratios"] = where(faster_rcnn._default_anchorgen, "aspect_ratios = (")
        src["width_mult"] = "not a ResNet-50 parameter (FasterRCNNConfig ignores it for ResNet)"
        src["fpn_out_channels"] = where(backbone_utils._resnet_fpn_extractor, "out_channels = 256")
        src["returned_layers"] = where(backbone_utils._resnet_fpn_extractor, "returned_layers = [1")
    return src


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write-manifests", action="store_true", help="also write models/<architecture>.json")
    args = parser.parse_args()
    torch.manual_seed(0)
    out = {"torchvision": torchvision.__version__, "torch": torch.__version__, "models": {}}
    for arch, (builder, weights_enum) in BUILDERS.items():
        model = builder(weights=None, weights_backbone=None).eval()
        config, extra = read_model(arch, model)
        weights = weights_enum.COCO_V1
        file = weights.url.rsplit("/", 1)[1]
        prefix = file.rsplit("-", 1)[1].split(".")[0]
        # The COCO_V1 ResNet-50 FPN weights are used with FrozenBatchNorm2d eps 0 (overwrite_eps after loading).
        overwrite = [line for line in inspect.getsource(inspect.unwrap(builder)).splitlines() if "overwrite_eps(model" in line]
        out["models"][arch] = {
            "builder": f"torchvision.models.detection.{arch}",
            "config": config,
            "extra": extra,
            "source": sources(arch, builder),
            "weights_enum": f"{weights_enum.__name__}.COCO_V1",
            "url": weights.url,
            "file": file,
            "sha256_prefix": prefix,
            "categories": list(weights.meta["categories"]),
            "coco_v1_overwrite_eps": (where(builder, "overwrite_eps(model") if overwrite else None),
        }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.relpath(OUT, REPO)}")
    if args.write_manifests:
        write_manifests(out)
        write_semantic_manifests()
        write_classification_manifests()
        write_single_stage_manifests()
        write_rcnn_manifests()


def write_manifests(out):
    models_dir = os.path.join(REPO, "models")
    os.makedirs(models_dir, exist_ok=True)
    for arch, m in out["models"].items():
        sha, size = FULL_SHA256.get(m["file"], (None, None))
        assert sha is None or sha.startswith(m["sha256_prefix"]), (sha, m["sha256_prefix"])
        source = {"read_by": (f"torchvision {out['torchvision']}: {m['builder']}(weights=None, weights_backbone=None); "
                        "values read off the built module by tools/gen_torchvision_defaults.py")}
        source.update(m["source"])
        masked = arch.startswith("maskrcnn")
        source["url"] = f"torchvision/models/detection/{'mask_rcnn' if masked else 'faster_rcnn'}.py: {m['weights_enum']}.url"
        source["class_names"] = f"{m['weights_enum']}.meta['categories'] (torchvision/models/_meta.py: _COCO_CATEGORIES)"
        config = {"architecture": arch, **m["config"]}
        if m["coco_v1_overwrite_eps"]:
            # The manifest describes the published weights, which torchvision runs with eps 0.
            config["batch_norm_eps"] = 0.0
            source["batch_norm_eps"] = ("0 for these weights: torchvision loads the COCO_V1 checkpoint and then "
                                        "sets every FrozenBatchNorm2d eps to 0: " + m["coco_v1_overwrite_eps"]
                                        + " (the builder's own default: " + source["batch_norm_eps"] + ")")
        manifest = {
            "name": arch,
            "architecture": arch,
            "task": "segment" if masked else "detect",
            "family": "mask_rcnn" if masked else "faster_rcnn",
            "reference": m["builder"],
            "weights": {
                "url": m["url"],
                "file": m["file"],
                "sha256": sha,
                "size": size,
                "sha256_prefix": m["sha256_prefix"],
                "sha256_source": (SHA256_SOURCE if sha else "no independent record of the full digest: only the "
                                  "8-hex prefix in torchvision's file name, which torch.hub's check_hash verifies too"),
                "torchvision_enum": m["weights_enum"],
            },
            "class_names": m["categories"],
            "config": config,
            "source": source,
        }
        path = os.path.join(models_dir, f"{arch}.json")
        with open(path, "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
        print(f"wrote {os.path.relpath(path, REPO)}")


SEMANTIC = {
    "fcn_resnet50": (segmentation.fcn_resnet50, segmentation.FCN_ResNet50_Weights),
    "deeplabv3_resnet50": (segmentation.deeplabv3_resnet50, segmentation.DeepLabV3_ResNet50_Weights),
    "deeplabv3_mobilenet_v3_large": (segmentation.deeplabv3_mobilenet_v3_large,
                                     segmentation.DeepLabV3_MobileNet_V3_Large_Weights),
    "lraspp_mobilenet_v3_large": (segmentation.lraspp_mobilenet_v3_large, segmentation.LRASPP_MobileNet_V3_Large_Weights),
}


def write_semantic_manifests():
    """models/<builder>.json for torchvision's semantic segmentation models (SemanticConfig's keys), read off the
    modules the builders make for the published COCO_WITH_VOC_LABELS_V1 weights (aux_loss as those weights have it)."""
    from torchvision.transforms import _presets
    for arch, (builder, weights_enum) in SEMANTIC.items():
        weights = weights_enum.COCO_WITH_VOC_LABELS_V1
        # The published FCN / DeepLabV3 files carry aux_classifier tensors (the builders set aux_loss for them).
        kwargs = {} if arch.startswith("lraspp") else {"aux_loss": True}
        model = builder(weights=None, weights_backbone=None, **kwargs).eval()
        backbone_eps = {float(m.eps) for m in model.backbone.modules() if isinstance(m, torch.nn.BatchNorm2d)}
        head_eps = {float(m.eps) for m in model.classifier.modules() if isinstance(m, torch.nn.BatchNorm2d)}
        assert len(backbone_eps) == 1 and len(head_eps) == 1, (backbone_eps, head_eps)
        rates = []
        if arch.startswith("deeplabv3"):
            aspp = model.classifier[0]
            rates = [int(branch[0].dilation[0]) for branch in list(aspp.convs)[1:-1]]
        preset = weights.transforms()
        classifier = model.classifier.low_classifier if arch.startswith("lraspp") else model.classifier[-1]
        config = {
            "architecture": arch,
            "num_classes": classifier.out_channels,
            "image_mean": floats(preset.mean),
            "image_std": floats(preset.std),
            "atrous_rates": rates or [12, 24, 36],
            "width_mult": 1.0,
            "batch_norm_eps": head_eps.pop(),
            "backbone_batch_norm_eps": backbone_eps.pop(),
        }
        file = weights.url.rsplit("/", 1)[1]
        prefix = file.rsplit("-", 1)[1].split(".")[0]
        source = {
            "read_by": (f"torchvision {torchvision.__version__}: torchvision.models.segmentation.{arch}(weights=None, "
                        "weights_backbone=None); values read off the built module by tools/gen_torchvision_defaults.py"),
            "num_classes": f"{weights_enum.__name__}.COCO_WITH_VOC_LABELS_V1.meta['categories'] (21 VOC labels)",
            "image_mean": where(_presets.SemanticSegmentation.__init__, "mean: tuple"),
            "image_std": where(_presets.SemanticSegmentation.__init__, "std: tuple"),
            "atrous_rates": (where(segmentation.deeplabv3.DeepLabHead.__init__, "ASPP(") if rates
                             else "not used by this head (SemanticConfig's default)"),
            "width_mult": where(mobilenetv3._mobilenet_v3_conf, "width_mult: float"),
            "batch_norm_eps": where(torch.nn.BatchNorm2d.__init__, "eps"),
            "backbone_batch_norm_eps": (where(mobilenetv3.MobileNetV3.__init__, "eps=0.001") if "mobilenet" in arch
                                        else where(torch.nn.BatchNorm2d.__init__, "eps")),
            "url": f"{weights_enum.__name__}.COCO_WITH_VOC_LABELS_V1.url",
            "class_names": f"{weights_enum.__name__}.COCO_WITH_VOC_LABELS_V1.meta['categories'] (_VOC_CATEGORIES)",
            "input_size": f"the weights' preset resizes the shorter side to {preset.resize_size} (SegmentOptions.imageSize)",
        }
        manifest = {
            "name": arch,
            "architecture": arch,
            "task": "semantic",
            "family": "semantic_segmentation",
            "reference": f"torchvision.models.segmentation.{arch}",
            "weights": {
                "url": weights.url,
                "file": file,
                "sha256": None,
                "size": None,
                "sha256_prefix": prefix,
                "sha256_source": ("no independent record of the full digest: only the 8-hex prefix in torchvision's "
                                  "file name, which torch.hub's check_hash verifies too"),
                "torchvision_enum": f"{weights_enum.__name__}.COCO_WITH_VOC_LABELS_V1",
            },
            "class_names": list(weights.meta["categories"]),
            "config": config,
            "source": source,
        }
        path = os.path.join(REPO, "models", f"{arch}.json")
        with open(path, "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
        print(f"wrote {os.path.relpath(path, REPO)}")



def write_classification_manifests():
    """models/<builder>.json for torchvision's image classifiers (ClassificationConfig's keys), one per published
    ImageNet-1k weights: the builder's DEFAULT weights under the builder's name, the others as <builder>_<weights>
    (lowercase). Weights without categories (VGG-16's IMAGENET1K_FEATURES, a features-only file) are skipped."""
    from torchvision import models
    from torchvision.transforms import _presets
    for arch in ["alexnet", "vgg16", "resnet18", "resnet50", "mobilenet_v3_large", "mobilenet_v3_small"]:
        weights_enum = models.get_model_weights(arch)
        for weights in weights_enum:
            categories = weights.meta.get("categories")
            if not categories:
                continue
            preset = weights.transforms()
            default = weights_enum.DEFAULT == weights
            name = arch if default else f"{arch}_{weights.name.lower()}"
            file = weights.url.rsplit("/", 1)[1]
            prefix = file.rsplit("-", 1)[1].split(".")[0]
            enum = f"{weights_enum.__name__}.{weights.name}"
            manifest = {
                "name": name,
                "architecture": arch,
                "task": "classify",
                "family": "image_classification",
                "reference": f"torchvision.models.{arch}",
                "weights": {
                    "url": weights.url,
                    "file": file,
                    "sha256": None,
                    "size": None,
                    "sha256_prefix": prefix,
                    "sha256_source": ("no independent record of the full digest: only the 8-hex prefix in torchvision's "
                                      "file name, which torch.hub's check_hash verifies too"),
                    "torchvision_enum": enum,
                },
                "class_names": list(categories),
                "config": {
                    "architecture": arch,
                    "num_classes": len(categories),
                    "preset": {
                        "resize_size": int(preset.resize_size[0]),
                        "crop_size": int(preset.crop_size[0]),
                        "mean": floats(preset.mean),
                        "std": floats(preset.std),
                    },
                },
                "source": {
                    "read_by": (f"torchvision {torchvision.__version__}: {enum}.transforms() and .meta, by "
                                "tools/gen_torchvision_defaults.py"),
                    "preset": (f"{enum}.transforms(): ImageClassification(crop_size={preset.crop_size[0]}, "
                               f"resize_size={preset.resize_size[0]}), bilinear, antialias=True"),
                    "mean_std": where(_presets.ImageClassification.__init__, "mean: tuple"),
                    "url": f"{enum}.url",
                    "class_names": f"{enum}.meta['categories'] (torchvision/models/_meta.py: _IMAGENET_CATEGORIES)",
                    "default": f"{weights_enum.__name__}.DEFAULT is {weights_enum.DEFAULT.name}",
                },
            }
            path = os.path.join(REPO, "models", f"{name}.json")
            with open(path, "w") as f:
                json.dump(manifest, f, indent=2)
                f.write("\n")
            print(f"wrote {os.path.relpath(path, REPO)}")


def write_rcnn_manifests():
    """models/rcnn_<classifier>.json: R-CNN (SlowRCNN) around a classifier manifest written above (its weights,
    class names and preset), with the R-CNN paper's test-time settings (SlowRCNNConfig's keys): AlexNet, the
    paper's network, and MobileNetV3-Small, about five times faster."""
    for arch in ["alexnet", "mobilenet_v3_small"]:
        with open(os.path.join(REPO, "models", f"{arch}.json")) as f:
            classifier = json.load(f)
        name = f"rcnn_{arch}"
        manifest = {
            "name": name,
            "architecture": arch,
            "task": "detect",
            "family": "rcnn",
            "reference": ("R-CNN (Girshick et al., CVPR 2014), test time: selective search, context-padded warps, "
                          f"{classifier['reference']} softmax scores, per-class NMS"),
            "weights": classifier["weights"],
            "class_names": classifier["class_names"],
            "config": {
                "classifier": classifier["config"],
                "padding": 16,
                "proposals": "selective_search:fast",
                "max_regions": 2000,
                "batch_size": 16,
                "score_thresh": 0.5,
                "nms_thresh": 0.3,
                "detections_per_img": 100,
            },
            "source": {
                "classifier": f"models/{arch}.json (weights, class names, preset)",
                "padding": "R-CNN paper, appendix A: warping with p = 16 pixels of context",
                "proposals": "R-CNN paper, section 2.1 (about 2000 regions per image) and rcnn's examples/rcnn_detect.m (fast_mode = true)",
                "nms_thresh": "rcnn's examples/rcnn_detect.m: keep = nms(scored_boxes, 0.3) for each class",
                "score_thresh": "Argus: a softmax over 1000 classes has at most one class at or above 0.5 per region",
            },
        }
        path = os.path.join(REPO, "models", f"{name}.json")
        with open(path, "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
        print(f"wrote {os.path.relpath(path, REPO)}")


def write_single_stage_manifests():
    """models/<builder>.json for torchvision's single-stage detectors (SSDConfig's and RetinaNetConfig's keys), read
    off the modules the builders make (weights=None, weights_backbone=None: for SSDlite that is also the published
    weights' reduced tail), with the COCO_V1 weights' URL and categories."""
    from torchvision.models.detection import retinanet, ssd, ssdlite
    builders = {
        "ssd300_vgg16": (ssd.ssd300_vgg16, ssd.SSD300_VGG16_Weights, "ssd"),
        "ssdlite320_mobilenet_v3_large": (ssdlite.ssdlite320_mobilenet_v3_large,
                                          ssdlite.SSDLite320_MobileNet_V3_Large_Weights, "ssdlite"),
        "retinanet_resnet50_fpn": (retinanet.retinanet_resnet50_fpn, retinanet.RetinaNet_ResNet50_FPN_Weights, "retinanet"),
        "retinanet_resnet50_fpn_v2": (retinanet.retinanet_resnet50_fpn_v2, retinanet.RetinaNet_ResNet50_FPN_V2_Weights,
                                      "retinanet"),
    }
    for arch, (builder, weights_enum, module) in builders.items():
        weights = weights_enum.COCO_V1
        model = builder(weights=None, weights_backbone=None).eval()
        t = model.transform
        enum = f"{weights_enum.__name__}.COCO_V1"
        common = {
            "architecture": arch,
            "num_classes": len(weights.meta["categories"]),
            "image_mean": floats(t.image_mean),
            "image_std": floats(t.image_std),
            "score_thresh": model.score_thresh,
            "nms_thresh": model.nms_thresh,
            "detections_per_img": model.detections_per_img,
            "topk_candidates": model.topk_candidates,
            "box_coder_weights": floats(model.box_coder.weights),
        }
        source = {"read_by": (f"torchvision {torchvision.__version__}: torchvision.models.detection.{arch}(weights=None, "
                              "weights_backbone=None); values read off the built module by tools/gen_torchvision_defaults.py"),
                  "url": f"{enum}.url",
                  "class_names": f"{enum}.meta['categories'] (torchvision/models/_meta.py: _COCO_CATEGORIES)"}
        if module in ("ssd", "ssdlite"):
            ag = model.anchor_generator
            bn = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
            eps = {float(m.eps) for m in bn}
            assert len(eps) <= 1, eps
            config = {**common, "size": [t.fixed_size[0], t.fixed_size[1]],
                      "aspect_ratios": [floats(r) for r in ag.aspect_ratios], "scales": [float(x) for x in ag.scales],
                      "steps": ag.steps, "clip": ag.clip,
                      "width_mult": 1.0, "reduced_tail": module == "ssdlite",
                      "batch_norm_eps": eps.pop() if eps else 1e-5}
            source["reduced_tail"] = ("ssdlite320_mobilenet_v3_large builds MobileNetV3 with reduced_tail=(weights_backbone "
                                      "is None), which holds whenever the COCO weights are given" if module == "ssdlite"
                                      else "not used (VGG-16)")
        else:
            ag = model.anchor_generator
            head_norms = [m for m in model.head.modules() if isinstance(m, torch.nn.GroupNorm)]
            config = {**common, "min_size": t.min_size[-1], "max_size": t.max_size, "size_divisible": t.size_divisible,
                      "anchor_sizes": [list(s) for s in ag.sizes], "aspect_ratios": [floats(r) for r in ag.aspect_ratios],
                      "fpn_out_channels": model.backbone.out_channels,
                      "head_group_norm_groups": head_norms[0].num_groups if head_norms else None,
                      "group_norm_eps": float(head_norms[0].eps) if head_norms else 1e-5,
                      "batch_norm_eps": 1e-5}
            if arch == "retinanet_resnet50_fpn":
                # The published v1 weights run with FrozenBatchNorm2d eps 0 (as fasterrcnn_resnet50_fpn's COCO_V1).
                config["batch_norm_eps"] = 0.0
                source["batch_norm_eps"] = ("0 for these weights: " + where(retinanet.retinanet_resnet50_fpn, "overwrite_eps(model, 0.0)"))
        file = weights.url.rsplit("/", 1)[1]
        prefix = file.rsplit("-", 1)[1].split(".")[0]
        sha, size = FULL_SHA256.get(file, (None, None))
        assert sha is None or sha.startswith(prefix), (sha, prefix)
        manifest = {
            "name": arch,
            "architecture": arch,
            "task": "detect",
            "family": "ssd" if module != "retinanet" else "retinanet",
            "reference": f"torchvision.models.detection.{arch}",
            "weights": {
                "url": weights.url,
                "file": file,
                "sha256": sha,
                "size": size,
                "sha256_prefix": prefix,
                "sha256_source": (SINGLE_STAGE_SHA256_SOURCE if sha else "no independent record of the full digest: "
                                  "only the 8-hex prefix in torchvision's file name, which torch.hub's check_hash verifies too"),
                "torchvision_enum": enum,
            },
            "class_names": list(weights.meta["categories"]),
            "config": config,
            "source": source,
        }
        path = os.path.join(REPO, "models", f"{arch}.json")
        with open(path, "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
        print(f"wrote {os.path.relpath(path, REPO)}")


if __name__ == "__main__":
    sys.exit(main())
