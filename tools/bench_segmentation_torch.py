#!/usr/bin/env python3
"""The PyTorch peer for `argus bench --arch NAME` with a torchvision semantic segmentation model
(fcn_resnet50, deeplabv3_resnet50, deeplabv3_mobilenet_v3_large, lraspp_mobilenet_v3_large), timed end to end.

The model is torchvision's own builder (`weights=None, weights_backbone=None`, aux_loss=False: the aux classifier
is training-only and Argus does not run it; eval mode). Its weights are either a state dict (--weights; aux_classifier
keys are dropped) or the deterministic rule of tools/gen_torchvision_fixtures.py with the gains of
tools/gen_segmentation_fixtures.py (spread-out logits, several classes per image). --save-weights writes the state
dict used, so Argus loads exactly the same weights.

The image is read as torchvision users do (PIL -> pil_to_tensor, uint8 [3, H, W]) outside the timed region. Each
timed run, under inference_mode, is what Argus's `segment` does: the SemanticSegmentation preset without resize
(convert_image_dtype + normalize; with --resize N the preset's short-side resize to N first), the model's forward
(backbone, head, bilinear upsampling to the input size), bilinear upsampling back to the image size when resized,
and argmax over classes.

Prints one JSON line, the shape tools/bench_fasterrcnn_torch.py prints:
  {"engine": ..., "threads": N, "median_ms": ..., "min_ms": ..., "runs": R, "times_ms": [...],
   "detections": number of distinct labels in the map, "torch": ..., "torchvision": ...}
With --runs 0 it only writes --save-weights and prints {"saved": PATH, ...}.

Run from the repository root with the reference venv (made by `bash ../shared/bench/install_venv.sh DIR`):
  /work/venv-ref/bin/python tools/bench_segmentation_torch.py --arch lraspp_mobilenet_v3_large \
      --image ../shared/datasets/coco128/images/train2017/000000000025.jpg --threads 1 --runs 5
"""
import argparse
import json
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
import torchvision
from PIL import Image
from torchvision.models import segmentation
from torchvision.transforms import functional as TF
from torchvision.transforms._presets import SemanticSegmentation

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_segmentation_fixtures import SEM_MNV3_GAIN, SEM_RESNET_GAIN  # noqa: E402
from bench_peer import load_or_fill, time_and_print  # noqa: E402

ARCHS = ["fcn_resnet50", "deeplabv3_resnet50", "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large"]


def build(a):
    model = getattr(segmentation, a.arch)(weights=None, weights_backbone=None)
    load_or_fill(model, a.weights, SEM_MNV3_GAIN if "mobilenet" in a.arch else SEM_RESNET_GAIN, a.save_weights,
                 skip_prefix="aux_classifier.")
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
    ap.add_argument("--resize", type=int, help="the preset's short-side resize (default: none, the image's own size)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    model = build(a)
    versions = {"torch": torch.__version__, "torchvision": torchvision.__version__}
    if a.runs == 0:
        print(json.dumps({"saved": a.save_weights, **versions}))
        return
    img = TF.pil_to_tensor(Image.open(a.image).convert("RGB"))
    preset = SemanticSegmentation(resize_size=a.resize)

    def once():
        with torch.inference_mode():
            x = preset(img)[None]
            out = model(x)["out"]
            if out.shape[-2:] != img.shape[-2:]:
                out = F.interpolate(out, size=img.shape[-2:], mode="bilinear", align_corners=False)
            labels = out[0].argmax(0)
            return int(labels.unique().numel())

    time_and_print(once, a.threads, a.runs, a.warmup, versions)

if __name__ == "__main__":
    main()
