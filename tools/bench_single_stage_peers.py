#!/usr/bin/env python3
"""The peers of `argus bench --arch NAME` for a torchvision single-stage detector (ssd300_vgg16,
ssdlite320_mobilenet_v3_large, retinanet_resnet50_fpn, retinanet_resnet50_fpn_v2), timed end to end on PyTorch,
onnxruntime or OpenVINO (--engine), one engine per process so each reports its own peak RSS.

The model is torchvision's own builder (`weights=None, weights_backbone=None`, eval mode) at its default
thresholds. Its weights are either a state dict (--weights) or the deterministic rule of
tools/gen_torchvision_fixtures.py with the gains and bias offsets of tools/gen_single_stage_fixtures.py (so the
heads score real candidates and NMS does real work at the default thresholds). --save-weights writes the state
dict used, so Argus can load exactly the same weights.

The image is read as torchvision users do (PIL -> to_tensor, float [3, H, W]) outside the timed region.
  torch:        each timed run is `model([img])` under inference_mode: GeneralizedRCNNTransform (SSD: resize to
                the fixed size; RetinaNet: short side to min_size, pad), backbone, heads, anchors, postprocess
                (score threshold, top-k, box decoding, batched NMS, rescale to the original image).
  onnxruntime,  the same model exported to ONNX (torch.onnx.export, TorchScript exporter, opset 17), which keeps
  openvino:     all of that in the graph; each timed run is one inference of the exported graph on the same float
                image. The export is made once in a child process and cached next to the weights, keyed by their
                sha256, the image size and the graph's settings.
An engine that cannot run here prints {"engine": ..., "skipped": reason} instead of timings.

Prints one JSON line (see bench_peer.time_and_print). With --runs 0 it only writes --save-weights.

Run from the repository root with the reference venv (made by `bash ../shared/bench/install_venv.sh DIR`):
  /work/venv-ref/bin/python tools/bench_single_stage_peers.py --arch ssdlite320_mobilenet_v3_large \
      --image ../shared/datasets/coco128/images/train2017/000000000139.jpg --threads 1 --runs 5 [--engine onnxruntime]
"""
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_peer import (ONNX_ENGINES, load_or_fill, run_detector_onnx, run_torch_detector,  # noqa: E402
                        torchvision_peer_arguments)

ARCHS = ["ssd300_vgg16", "ssdlite320_mobilenet_v3_large", "retinanet_resnet50_fpn", "retinanet_resnet50_fpn_v2"]


def build(a):
    import torch
    from torchvision.models import detection
    from gen_single_stage_fixtures import MODELS, apply_bias_offset
    kwargs = dict(weights=None, weights_backbone=None)
    if a.box_score_thresh is not None:
        kwargs["score_thresh"] = a.box_score_thresh
    model = getattr(detection, a.arch)(**kwargs)
    _, _, gain, offset, _ = MODELS[a.arch]
    if a.weights:
        load_or_fill(model, a.weights, gain, a.save_weights)
    else:
        load_or_fill(model, None, gain, None)
        apply_bias_offset(model, offset)
        if a.save_weights:
            torch.save(model.state_dict(), a.save_weights)
    t = model.transform
    if a.min_size is not None:
        if t.fixed_size is not None:
            # SSD: Argus's `imgsz` is a square input.
            t.fixed_size = (a.min_size, a.min_size)
            t.min_size, t.max_size = (a.min_size,), a.min_size
        else:
            # RetinaNet, as Argus's RetinaNet.transformFor: the long-side cap scales with the short side.
            default_min = t.min_size[-1]
            t.max_size = a.max_size or math.ceil(t.max_size * a.min_size / default_min)
            t.min_size = (a.min_size,)
    return model.eval()


def main():
    ap = torchvision_peer_arguments(ARCHS)
    ap.add_argument("--box-score-thresh", type=float, help="the model's score_thresh (default: the builder's)")
    ap.add_argument("--min-size", type=int, help="RetinaNet: min_size; SSD: the square input size")
    ap.add_argument("--max-size", type=int, help="RetinaNet: default the builder's, scaled with --min-size")
    a = ap.parse_args()
    if a.engine in ONNX_ENGINES:
        run_detector_onnx(a, __file__)
    else:
        run_torch_detector(a, build, ["boxes", "scores", "labels"])


if __name__ == "__main__":
    main()
