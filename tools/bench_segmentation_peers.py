#!/usr/bin/env python3
"""The peers of `argus bench --arch NAME` for a torchvision semantic segmentation model (fcn_resnet50,
deeplabv3_resnet50, deeplabv3_mobilenet_v3_large, lraspp_mobilenet_v3_large), timed end to end on PyTorch,
onnxruntime or OpenVINO (--engine), one engine per process so each reports its own peak RSS.

The model is torchvision's own builder (`weights=None, weights_backbone=None`, aux_loss=False: the aux classifier
is training-only and Argus does not run it; eval mode). Its weights are either a state dict (--weights; aux_classifier
keys are dropped) or the deterministic rule of tools/gen_torchvision_fixtures.py with the gains of
tools/gen_segmentation_fixtures.py (spread-out logits, several classes per image). --save-weights writes the state
dict used, so Argus loads exactly the same weights.

The image is read as torchvision users do (PIL -> pil_to_tensor, uint8 [3, H, W]) outside the timed region. Each
timed run is what Argus's `segment` does:
  torch:        under inference_mode, the SemanticSegmentation preset without resize (convert_image_dtype +
                normalize; with --resize N the preset's short-side resize to N first), the model's forward
                (backbone, head, bilinear upsampling to the input size), bilinear upsampling back to the image
                size when resized, and argmax over classes.
  onnxruntime,  one inference of the same steps exported to ONNX (torch.onnx.export, TorchScript exporter,
  openvino:     opset 17) from the uint8 image to the label map: uint8 -> float, normalize, forward, upsampling,
                argmax all in the graph. With --resize the short-side resize runs before it, in PIL (bilinear,
                antialiased like the preset's). The export is made once in a child process (so this one never
                loads torch) and cached next to the weights, keyed by their sha256 and the image and input sizes.
An engine that cannot run here prints {"engine": ..., "skipped": reason} instead of timings.

Prints one JSON line, the shape tools/bench_fasterrcnn_peers.py prints:
  {"engine": ..., "threads": N, "median_ms": ..., "min_ms": ..., "runs": R, "times_ms": [...],
   "detections": number of distinct labels in the map, "peak_rss_mb": ...}
With --runs 0 it only writes --save-weights and prints {"saved": PATH, ...}.

Run from the repository root with the reference venv (made by `bash ../shared/bench/install_venv.sh DIR`):
  /work/venv-ref/bin/python tools/bench_segmentation_peers.py --arch lraspp_mobilenet_v3_large \
      --image ../shared/datasets/coco128/images/train2017/000000000025.jpg --threads 1 --runs 5 [--engine openvino]
"""
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_peer import (ONNX_ENGINES, cached_export, load_or_fill, onnx_runner, print_skipped, run_child,  # noqa: E402
                        time_and_print, torchvision_peer_arguments)

ARCHS = ["fcn_resnet50", "deeplabv3_resnet50", "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large"]
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)  # the SemanticSegmentation preset's


def build(a):
    from torchvision.models import segmentation
    from gen_segmentation_fixtures import SEM_MNV3_GAIN, SEM_RESNET_GAIN
    model = getattr(segmentation, a.arch)(weights=None, weights_backbone=None)
    load_or_fill(model, a.weights, SEM_MNV3_GAIN if "mobilenet" in a.arch else SEM_RESNET_GAIN, a.save_weights,
                 skip_prefix="aux_classifier.")
    return model.eval()


def resized_size(height, width, short):
    """torchvision's resize of the short side to `short` (the long side truncated), as (height, width)."""
    if height <= width:
        return short, int(short * width / height)
    return int(short * height / width), short


def label_map_module(model, size):
    """uint8 [1, 3, h, w] -> label map [H, W] at the image's `size`: the steps of `once` in run_torch, as one
    module to export."""
    import torch
    import torch.nn.functional as F

    class LabelMap(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model
            self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1))
            self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1))

        def forward(self, x):
            out = self.model((x.float() / 255 - self.mean) / self.std)["out"]
            if tuple(out.shape[-2:]) != size:
                out = F.interpolate(out, size=size, mode="bilinear", align_corners=False)
            return out[0].argmax(0)
    return LabelMap().eval()


def run_torch(a):
    import torch
    import torch.nn.functional as F
    import torchvision
    from torchvision.transforms import functional as TF
    from torchvision.transforms._presets import SemanticSegmentation
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    model = build(a)
    versions = {"torch": torch.__version__, "torchvision": torchvision.__version__}
    img = TF.pil_to_tensor(Image.open(a.image).convert("RGB"))
    if a.export_onnx:
        size = tuple(img.shape[-2:])
        x = img[None] if a.resize is None else torch.zeros(1, 3, *resized_size(*size, a.resize), dtype=torch.uint8)
        torch.onnx.export(label_map_module(model, size), (x,), a.export_onnx, opset_version=17, dynamo=False,
                          do_constant_folding=True, input_names=["image"], output_names=["labels"])
        return
    if a.runs == 0:
        print(json.dumps({"saved": a.save_weights, **versions}))
        return
    preset = SemanticSegmentation(resize_size=a.resize)

    def once():
        with torch.inference_mode():
            x = preset(img)[None]
            out = model(x)["out"]
            if out.shape[-2:] != img.shape[-2:]:
                out = F.interpolate(out, size=img.shape[-2:], mode="bilinear", align_corners=False)
            labels = out[0].argmax(0)
            return int(labels.unique().numel())

    time_and_print(once, a.threads, a.runs, a.warmup, f"torch {torch.__version__} + torchvision {torchvision.__version__}",
                   versions)


def run_onnx(a):
    if not a.weights:
        sys.exit("--engine onnxruntime/openvino needs --weights (the state dict to export)")
    pil = Image.open(a.image).convert("RGB")
    tag = f"{a.arch}-{pil.height}x{pil.width}" + (f"-resize{a.resize}" if a.resize else "")
    path = cached_export(a.weights, tag, lambda p: run_child([
        __file__, "--arch", a.arch, "--image", a.image, "--threads", str(a.threads), "--weights", a.weights,
        "--export-onnx", p] + (["--resize", str(a.resize)] if a.resize else [])))
    try:
        run, engine = onnx_runner(a.engine, path, a.threads)
    except Exception as e:  # noqa: BLE001 - any load or compile failure means the engine does not run this graph
        print_skipped(a.engine, e)
        return

    def chw(image):
        return np.ascontiguousarray(np.asarray(image).transpose(2, 0, 1))[None]
    fixed = chw(pil) if a.resize is None else None

    def once():
        x = fixed
        if x is None:
            h, w = resized_size(pil.height, pil.width, a.resize)
            x = chw(pil.resize((w, h), Image.BILINEAR))
        return int(np.unique(run({"image": x})[0]).size)

    time_and_print(once, a.threads, a.runs, a.warmup, engine, {"onnx": path})


def main():
    ap = torchvision_peer_arguments(ARCHS)
    ap.add_argument("--resize", type=int, help="the preset's short-side resize (default: none, the image's own size)")
    a = ap.parse_args()
    if a.engine in ONNX_ENGINES:
        run_onnx(a)
    else:
        run_torch(a)


if __name__ == "__main__":
    main()
