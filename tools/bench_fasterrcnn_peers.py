#!/usr/bin/env python3
"""The peers of `argus bench --arch NAME` for a torchvision Faster R-CNN or Mask R-CNN, timed end to end on
PyTorch, onnxruntime or OpenVINO (--engine), one engine per process so each reports its own peak RSS.

The model is torchvision's own builder (`weights=None, weights_backbone=None`, eval mode). Its weights are
either a state dict (--weights) or the deterministic rule of tools/gen_torchvision_fixtures.py with that
script's gains (spread-out objectness and class scores, so the RPN, box head and NMS do real work; random
init leaves nothing above the default 0.05 box score). --save-weights writes the state dict used, so Argus
can load exactly the same weights.

The image is read as torchvision users do (PIL -> to_tensor, float [3, H, W]) outside the timed region.
  torch:        each timed run is `model([img])` under inference_mode: GeneralizedRCNNTransform (resize,
                normalize, pad), backbone + FPN, RPN, RoIAlign, box head, postprocess (box decoding, NMS,
                rescale to the original image; Mask R-CNN: masks pasted into the image).
  onnxruntime,  the same model exported to ONNX (torch.onnx.export, TorchScript exporter, opset 17), which
  openvino:     keeps all of that in the graph; each timed run is one inference of the exported graph on the
                same float image. The export is made once in a child process (so this one never loads torch)
                and cached next to the weights, keyed by their sha256, the image size and the graph's settings.
An engine that cannot run here (OpenVINO not installed, or an operator it lacks) prints
{"engine": ..., "skipped": reason} instead of timings.

Prints one JSON line:
  {"engine": ..., "threads": N, "median_ms": ..., "min_ms": ..., "runs": R, "times_ms": [...],
   "detections": D, "peak_rss_mb": ...}
With --runs 0 it only writes --save-weights and prints {"saved": PATH, ...}.

Run from the repository root with the reference venv (made by `bash ../shared/bench/install_venv.sh DIR`):
  /work/venv-ref/bin/python tools/bench_fasterrcnn_peers.py --arch fasterrcnn_mobilenet_v3_large_fpn \
      --image ../shared/datasets/coco128/images/train2017/000000000139.jpg --threads 1 --runs 5 [--engine onnxruntime]
"""
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_peer import (ONNX_ENGINES, load_or_fill, run_detector_onnx, run_torch_detector,  # noqa: E402
                        torchvision_peer_arguments)

ARCHS = ["fasterrcnn_mobilenet_v3_large_fpn", "fasterrcnn_mobilenet_v3_large_320_fpn",
         "fasterrcnn_resnet50_fpn", "fasterrcnn_resnet50_fpn_v2",
         "maskrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn_v2"]  # Mask R-CNN: its output includes the pasted masks
RESNET_GAIN = (3.0, 3.0)  # what gen_torchvision_fixtures.py (and gen_segmentation_fixtures.py) use for ResNet-50


def build(a):
    from torchvision.models import detection
    from gen_torchvision_fixtures import MNV3_GAIN
    kwargs = dict(weights=None, weights_backbone=None)
    if a.box_score_thresh is not None:
        kwargs["box_score_thresh"] = a.box_score_thresh
    model = getattr(detection, a.arch)(**kwargs)
    load_or_fill(model, a.weights, MNV3_GAIN if "mobilenet" in a.arch else RESNET_GAIN, a.save_weights)
    t = model.transform
    if a.min_size is not None:
        # Argus's FasterRCNN.transformFor: the long-side cap scales with the short side.
        default_min = t.min_size[-1]
        t.max_size = a.max_size or math.ceil(t.max_size * a.min_size / default_min)
        t.min_size = (a.min_size,)
    return model.eval()


def output_names(arch):
    return ["boxes", "labels", "scores"] + (["masks"] if arch.startswith("maskrcnn") else [])


def main():
    ap = torchvision_peer_arguments(ARCHS)
    ap.add_argument("--box-score-thresh", type=float)
    ap.add_argument("--min-size", type=int, help="GeneralizedRCNNTransform min_size (default: the builder's)")
    ap.add_argument("--max-size", type=int, help="default: the builder's, scaled with --min-size")
    a = ap.parse_args()
    if a.engine in ONNX_ENGINES:
        run_detector_onnx(a, __file__)
    else:
        run_torch_detector(a, build, output_names(a.arch))


if __name__ == "__main__":
    main()
