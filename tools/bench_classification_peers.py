#!/usr/bin/env python3
"""The peers of `argus bench --arch NAME` for a torchvision image classifier (alexnet, vgg16, resnet18, resnet50,
mobilenet_v3_large, mobilenet_v3_small), timed end to end on PyTorch, onnxruntime or OpenVINO (--engine), one
engine per process so each reports its own peak RSS.

The model is torchvision's own builder (`weights=None`, 1000 classes, eval mode). Its weights are either a state
dict (--weights) or the deterministic rule of tools/gen_torchvision_fixtures.py with the gains of
tools/gen_classification_fixtures.py (spread-out logits, a peaked but unsaturated softmax). --save-weights writes
the state dict used, so Argus loads exactly the same weights.

The image is read as torchvision users do (PIL -> pil_to_tensor, uint8 [3, H, W]) outside the timed region. Each
timed run is what Argus's `classify` does with its default preset (the IMAGENET1K_V1 weights' one, for all six):
  torch:        under inference_mode, `IMAGENET1K_V1.transforms()` on the 8-bit image (short side to 256,
                bilinear, antialiased; center crop 224; to float; normalize), the model's forward, softmax over the
                classes, top-5.
  onnxruntime,  the resize and center crop in PIL (bilinear, antialiased like the preset's; the crop's offsets
  openvino:     rounded as torchvision's), then one inference of the rest exported to ONNX (torch.onnx.export,
                TorchScript exporter, opset 17) from the uint8 224x224 crop to the top-5: uint8 -> float,
                normalize, forward, softmax, top-5 all in the graph. The export is made once in a child process (so
                this one never loads torch) and cached next to the weights, keyed by their sha256.
An engine that cannot run here prints {"engine": ..., "skipped": reason} instead of timings.

Prints one JSON line, the shape tools/bench_fasterrcnn_peers.py prints:
  {"engine": ..., "threads": N, "median_ms": ..., "min_ms": ..., "runs": R, "times_ms": [...],
   "detections": the top-1 class id, "top5": [class ids], "peak_rss_mb": ...}
With --runs 0 it only writes --save-weights and prints {"saved": PATH, ...}.

Run from the repository root with the reference venv (made by `bash ../shared/bench/install_venv.sh DIR`):
  /work/venv-ref/bin/python tools/bench_classification_peers.py --arch resnet18 \
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

ARCHS = ["alexnet", "vgg16", "resnet18", "resnet50", "mobilenet_v3_large", "mobilenet_v3_small"]
RESIZE, CROP = 256, 224  # the IMAGENET1K_V1 preset's (asserted against torchvision's in run_torch)
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
TOP = 5


def build(a):
    import torchvision
    from gen_classification_fixtures import GAINS
    model = getattr(torchvision.models, a.arch)(weights=None)
    load_or_fill(model, a.weights, (GAINS[a.arch],) * 2, a.save_weights)
    return model.eval()


def resize_and_crop(pil):
    """The preset's geometry in PIL: the short side to RESIZE (the long side truncated), bilinear (PIL antialiases
    when shrinking, as the preset does), then torchvision's center_crop offsets (Python's round, half to even). The
    short side is 256 >= 224, so the crop never pads."""
    w, h = pil.size
    size = (int(RESIZE * w / h), RESIZE) if h <= w else (RESIZE, int(RESIZE * h / w))
    resized = pil.resize(size, Image.BILINEAR)
    top, left = int(round((size[1] - CROP) / 2.0)), int(round((size[0] - CROP) / 2.0))
    return resized.crop((left, top, left + CROP, top + CROP))


def top5_module(model):
    """uint8 [1, 3, 224, 224] crop -> (top-5 probabilities, class ids): the steps of `once` in run_torch after the
    crop, as one module to export."""
    import torch

    class Top5(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model
            self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1))
            self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1))

        def forward(self, x):
            return torch.softmax(self.model((x.float() / 255 - self.mean) / self.std), 1)[0].topk(TOP)
    return Top5().eval()


def run_torch(a):
    import torch
    import torchvision
    from torchvision.transforms import functional as TF
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    model = build(a)
    versions = {"torch": torch.__version__, "torchvision": torchvision.__version__}
    if a.export_onnx:
        torch.onnx.export(top5_module(model), (torch.zeros(1, 3, CROP, CROP, dtype=torch.uint8),), a.export_onnx,
                          opset_version=17, dynamo=False, do_constant_folding=True, input_names=["image"],
                          output_names=["probabilities", "class_ids"])
        return
    if a.runs == 0:
        print(json.dumps({"saved": a.save_weights, **versions}))
        return
    preset = torchvision.models.get_model_weights(a.arch).IMAGENET1K_V1.transforms()
    assert (preset.resize_size, preset.crop_size, preset.antialias) == ([RESIZE], [CROP], True), preset
    img = TF.pil_to_tensor(Image.open(a.image).convert("RGB"))
    top5 = []

    def once():
        with torch.inference_mode():
            probabilities = torch.softmax(model(preset(img)[None]), 1)[0]
            top5[:] = probabilities.topk(TOP).indices.tolist()
            return top5[0]

    time_and_print(once, a.threads, a.runs, a.warmup, f"torch {torch.__version__} + torchvision {torchvision.__version__}",
                   {**versions, "top5": top5})


def run_onnx(a):
    if not a.weights:
        sys.exit("--engine onnxruntime/openvino needs --weights (the state dict to export)")
    # The graph starts at the crop: it depends on the weights and the architecture only, not on the image.
    path = cached_export(a.weights, f"{a.arch}-crop{CROP}", lambda p: run_child([
        __file__, "--arch", a.arch, "--image", a.image, "--threads", str(a.threads), "--weights", a.weights,
        "--export-onnx", p]))
    try:
        run, engine = onnx_runner(a.engine, path, a.threads)
    except Exception as e:  # noqa: BLE001 - any load or compile failure means the engine does not run this graph
        print_skipped(a.engine, e)
        return
    pil = Image.open(a.image).convert("RGB")
    pil.load()
    top5 = []

    def once():
        x = np.ascontiguousarray(np.asarray(resize_and_crop(pil)).transpose(2, 0, 1))[None]
        top5[:] = run({"image": x})[1].tolist()
        return top5[0]

    time_and_print(once, a.threads, a.runs, a.warmup, engine, {"onnx": path, "top5": top5})


def main():
    a = torchvision_peer_arguments(ARCHS).parse_args()
    if a.engine in ONNX_ENGINES:
        run_onnx(a)
    else:
        run_torch(a)


if __name__ == "__main__":
    main()
