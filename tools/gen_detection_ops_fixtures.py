#!/usr/bin/env python3
"""Reference outputs of torchvision's detection ops (CPU) for ArgusDetection's unit tests.

Run from the repository root:
    /work/venv-ref/bin/python tools/gen_detection_ops_fixtures.py
(the venv is made by `bash ../shared/bench/install_venv.sh DIR`; torch 2.13.0+cpu, torchvision 0.28).

Writes Tests/ArgusDetectionTests/Fixtures/detection_ops.json with seeded random (and a few hand-made) inputs:
  nms          torchvision.ops.nms: each case has boxes/scores and `runs` of {iou_threshold, keep}.
               Scores are drawn from a few values so equal scores are common (torch visits them in a
               stable order); hand-made cases put an IoU exactly at the threshold, a Float32 IoU just above a
               Double threshold, zero-area boxes, and no boxes at all.
  batched_nms  torchvision.ops.batched_nms (class-aware), plain nms over all classes (agnostic) and
               YOLOv5's `nms(boxes + class * 7680)`. `path` says which of batched_nms's CPU branches ran
               (coordinate offset up to 1000 boxes, per-class "vanilla" above); the 1001-box case is also
               run on its first 1000 boxes (`prefix` runs) to cover both sides of the switch, with group ids
               large enough that the two branches keep different boxes; a hand-made case has the offset's
               float32 rounding keep a box that per-class NMS would drop.
               `tie_order_stable`: whether torch returned equal scores in index order (the vanilla branch
               sorts with torch's unstable sort; recorded so the test can say so).
  box_iou      torchvision.ops.box_iou, row-major [N, M] (NaN for two zero-area boxes); `noise`: max
               |float32 - float64| (for scale: every op is IEEE-exact, so the test compares bits).
  decode       BoxCoder(weights).decode_single for one delta set per reference box, with deltas past the
               log(1000/16) clamp. `exp_exact[i]`: torch's exp of box i's dw and dh equals the correctly
               rounded exp (the float64 exp rounded to float32). Every other op is IEEE-exact, so where this
               holds an implementation with torch's operation order and a correctly rounded expf gives
               torch's bits. `noise`: max |float32 - float64| of the same computation run in float64 (the
               tolerance for the boxes where torch's exp is off by an ulp).
  encode       BoxCoder(weights).encode_single(boxes, references), with `log_exact` and `noise` as above.
Each float is the shortest decimal that reads back (as a double, rounded to float32) to the exact float32
value (an integer when it is one); non-finite values are the strings "nan", "inf", "-inf". The output is
the same on every run (seeded generator).
"""
import json
import math
import os

import numpy as np
import torch
import torchvision
from torchvision.models.detection._utils import BoxCoder
from torchvision.ops import batched_nms, box_iou, nms

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "ArgusDetectionTests",
                   "Fixtures", "detection_ops.json")
YOLO_MAX_WH = 7680.0  # YOLOv5 / Ultralytics non_max_suppression's class offset


def number(v):
    """A float32 as JSON: shortest round-tripping decimal, or a string for non-finite values."""
    f = np.float32(v)
    if not np.isfinite(f):
        return "nan" if np.isnan(f) else ("inf" if f > 0 else "-inf")
    s = str(f)
    back = np.float32(float(s))
    assert back.tobytes() == f.tobytes(), (s, f)
    return int(f) if f == np.round(f) and abs(f) < 2 ** 24 else float(s)  # "12" rather than "12.0"


def floats(t):
    a = t.detach().contiguous().to(torch.float32).numpy().reshape(-1)
    return [number(v) for v in a]


def box_list(t):
    return [floats(b) for b in t.reshape(-1, 4)]


def random_boxes(gen, n, extent, min_side, max_side, quantum=None):
    """n boxes inside [0, extent]^2; corners rounded to `quantum` (keeps the fixture small) when given."""
    xy = torch.rand(n, 2, generator=gen) * extent
    wh = min_side + torch.rand(n, 2, generator=gen) * (max_side - min_side)
    b = torch.cat([xy, xy + wh], 1)
    if quantum is not None:
        b = torch.round(b / quantum) * quantum
    return b.to(torch.float32)


def clustered_boxes(gen, n, clusters, extent, min_side, max_side, jitter, quantum=None):
    """n boxes scattered around `clusters` random boxes (corners moved by up to `jitter` of the cluster's
    size), like a detector's raw output: many overlaps, so NMS has work to do."""
    base = random_boxes(gen, clusters, extent, min_side, max_side)
    pick = base[torch.randint(0, clusters, (n,), generator=gen)]
    size = torch.cat([pick[:, 2:] - pick[:, :2]] * 2, 1)
    b = pick + (torch.rand(n, 4, generator=gen) * 2 - 1) * jitter * size
    b = torch.cat([torch.minimum(b[:, :2], b[:, 2:] - 1), b[:, 2:]], 1)  # keep x1 < x2, y1 < y2
    if quantum is not None:
        b = torch.round(b / quantum) * quantum
    return b.to(torch.float32)


def tied_scores(gen, n, levels):
    """Scores from `levels` distinct values, so many boxes share a score."""
    return (torch.randint(1, levels + 1, (n,), generator=gen).to(torch.float32) / levels)


def nms_cases(gen):
    cases = []

    def add(name, boxes, scores, thresholds):
        runs = [{"iou_threshold": t, "keep": nms(boxes, scores, t).tolist()} for t in thresholds]
        cases.append({"name": name, "boxes": box_list(boxes), "scores": floats(scores), "runs": runs})

    b = clustered_boxes(gen, 120, 12, 200, 8, 60, 0.3, quantum=0.125)
    add("clustered_120_tied_scores", b, tied_scores(gen, 120, 6), [0.3, 0.5, 0.7])
    b = clustered_boxes(gen, 60, 8, 300, 4, 120, 0.25)
    add("clustered_60_distinct_scores", b, torch.rand(60, generator=gen), [0.45, 0.65])
    # Identical boxes, some with equal scores: the lowest index of the best score wins (IoU 1 > t).
    b = torch.tensor([[10, 10, 50, 50]] * 4 + [[100, 10, 140, 50]] * 2, dtype=torch.float32)
    add("identical_boxes_equal_scores", b, torch.tensor([0.5, 0.5, 0.9, 0.5, 0.9, 0.9]), [0.5])
    # IoU = 50 / 100 = 0.5 exactly: "IoU > threshold" keeps both at 0.5, suppresses at 0.49.
    b = torch.tensor([[0, 0, 10, 10], [0, 0, 10, 5], [20, 0, 30, 10], [20, 5, 30, 10]], dtype=torch.float32)
    add("iou_exactly_at_threshold", b, torch.tensor([0.9, 0.8, 0.7, 0.7]), [0.5, 0.49])
    # IoU = 3 / 10 rounds to float32 0.300000012 > 0.3 (double): suppressed at 0.3, as torch compares the
    # float IoU with the double threshold; a float32 comparison (0.3f > 0.3f) would keep it.
    b = torch.tensor([[0, 0, 10, 1], [0, 0, 3, 1]], dtype=torch.float32)
    add("float_iou_above_double_threshold", b, torch.tensor([0.9, 0.8]), [0.3, 0.30000001192092896])
    # Zero-area boxes: 0/0 IoU is NaN, never above the threshold, so identical points are all kept.
    b = torch.tensor([[5, 5, 5, 5], [5, 5, 5, 5], [5, 5, 9, 5], [0, 0, 10, 10]], dtype=torch.float32)
    add("zero_area_boxes", b, torch.tensor([0.9, 0.8, 0.7, 0.6]), [0.5])
    add("empty", torch.zeros(0, 4), torch.zeros(0), [0.5])

    for c in cases:
        if c["name"] == "identical_boxes_equal_scores":
            assert c["runs"][0]["keep"] == [2, 4], c["runs"]
        if c["name"] == "iou_exactly_at_threshold":
            assert c["runs"][0]["keep"] == [0, 1, 2, 3] and c["runs"][1]["keep"] == [0, 2], c["runs"]
        if c["name"] == "float_iou_above_double_threshold":
            assert c["runs"][0]["keep"] == [0] and c["runs"][1]["keep"] == [0, 1], c["runs"]
    return cases


def stable_ties(keep, scores):
    s = scores[keep].tolist()
    return all(not (s[i] == s[i + 1] and keep[i] > keep[i + 1]) for i in range(len(keep) - 1))


def batched_cases(gen):
    cases = []

    def run(boxes, scores, classes, t, others):
        keep = batched_nms(boxes, scores, classes, t)
        r = {"iou_threshold": t,
                "path": "vanilla" if boxes.numel() > 4000 else "coordinate_offset",
                "keep": keep.tolist(),
                "tie_order_stable": stable_ties(keep, scores)}
        if others:
            r["agnostic_keep"] = nms(boxes, scores, t).tolist()
            r["yolo_offset_keep"] = nms(boxes + classes.to(torch.float32)[:, None] * YOLO_MAX_WH, scores,
                                        t).tolist()
        return r

    def add(name, boxes, scores, classes, thresholds, prefix=None, others=True):
        c = {"name": name, "boxes": box_list(boxes), "scores": floats(scores), "classes": classes.tolist(),
             "runs": [run(boxes, scores, classes, t, others) for t in thresholds]}
        if prefix is not None:
            c["prefix"] = prefix
            c["prefix_runs"] = [run(boxes[:prefix], scores[:prefix], classes[:prefix], t, others) for t in thresholds]
        for r in c["runs"]:
            assert not others or r["keep"] != r["agnostic_keep"], name  # the classes must matter for the test to mean much
        cases.append(c)

    b = clustered_boxes(gen, 150, 10, 160, 10, 70, 0.3, quantum=0.125)
    add("clustered_150_5_classes", b, tied_scores(gen, 150, 8), torch.randint(0, 5, (150,), generator=gen),
        [0.45, 0.7])
    # Class ids up to 79 with real-size coordinates: the 7680 * class offset reaches 6e5, where float32
    # spacing is 1/16, so the shifted boxes round and their IoUs differ from the unshifted ones.
    b = clustered_boxes(gen, 80, 8, 640, 2, 200, 0.2)
    add("clustered_80_coco_classes", b, torch.rand(80, generator=gen), torch.randint(70, 80, (80,), generator=gen),
        [0.5])
    # The offset trick rounds: group 800001 * (10 + 1) is odd and past 2^23 (float32 spacing 1), so box 1's
    # y2 = 5.5 shifts to a tie and rounds down to the even neighbour, its IoU with box 0 drops from 0.55
    # to exactly 0.5 and it survives; torchvision keeps it, and so must Argus (another offset would not).
    b = torch.tensor([[0, 0, 10, 10], [0, 0, 10, 5.5], [0, 0, 1, 1]], dtype=torch.float32)
    add("offset_rounding_changes_a_decision", b, torch.tensor([0.9, 0.8, 0.7]), torch.tensor([800001, 800001, 0]),
        [0.5])
    assert cases[-1]["runs"][0]["keep"] == [0, 1, 2] and nms(b[:2], torch.tensor([0.9, 0.8]), 0.5).tolist() == [0]
    # 1001 boxes take the per-class branch; their first 1000 the coordinate-offset one. Integer corners and
    # scores in 1/16 steps keep the fixture small (and tie many scores). Two of the group ids are large:
    # id * (max + 1) passes 2^24, where float32 rounds the shifted corners to even integers, so the two
    # branches keep different boxes and the test sees which one ran.
    b = clustered_boxes(gen, 1001, 60, 100, 6, 40, 0.3, quantum=1.0)
    groups = torch.tensor([0, 1, 200001, 250001])[torch.randint(0, 4, (1001,), generator=gen)]
    scores = tied_scores(gen, 1001, 16)
    trick = torchvision.ops.boxes._batched_nms_coordinate_trick(b, scores, groups, 0.5)
    assert set(trick.tolist()) != set(batched_nms(b, scores, groups, 0.5).tolist())
    add("clustered_1001_4_groups", b, scores, groups, [0.5], prefix=1000, others=False)
    return cases


def iou_cases(gen):
    cases = []

    def add(name, a, b):
        iou = box_iou(a, b)
        iou64 = box_iou(a.double(), b.double())
        finite = torch.isfinite(iou)
        cases.append({"name": name, "boxes1": box_list(a), "boxes2": box_list(b), "iou": floats(iou),
                      "noise": float((iou.double() - iou64)[finite].abs().max())})

    add("clustered_12x20", clustered_boxes(gen, 12, 4, 100, 5, 60, 0.3), clustered_boxes(gen, 20, 4, 100, 5, 60, 0.3))
    # Disjoint, touching edges, contained, identical, and zero-area boxes (torch: 0/0 = NaN).
    edge = torch.tensor([[0, 0, 10, 10], [10, 0, 20, 10], [2, 2, 4, 4], [0, 0, 10, 10], [30, 30, 40, 45],
                         [5, 5, 5, 5], [3, 3, 3, 8]], dtype=torch.float32)
    add("edges_and_degenerate", edge, edge)
    return cases


def decode_cases(gen):
    cases = []
    clip = math.log(1000.0 / 16)
    for weights in [(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0)]:
        coder = BoxCoder(weights)
        n = 40
        refs = random_boxes(gen, n, 800, 1, 300)
        deltas = torch.randn(n, 4, generator=gen) * torch.tensor(weights)
        # Past the clamp (dw/ww > log(1000/16)), exactly at it, and far past it.
        deltas[:6, 2] = torch.tensor([4.5, 6.0, 9.0, clip, 50.0, 1e4]) * weights[2]
        deltas[3:8, 3] = torch.tensor([5.0, clip, -7.0, 30.0, 4.2]) * weights[3]
        out = coder.decode_single(deltas, refs)
        out64 = BoxCoder(weights).decode_single(deltas.double(), refs.double())
        # torch's exp of the same clamped dw/dh, through the same kernel (a contiguous [n, 1] tensor).
        dw = torch.clamp(deltas[:, 2::4] / weights[2], max=coder.bbox_xform_clip)
        dh = torch.clamp(deltas[:, 3::4] / weights[3], max=coder.bbox_xform_clip)

        def exact(x):
            return (torch.exp(x) == torch.exp(x.double()).float()).reshape(-1)

        exp_exact = (exact(dw) & exact(dh)).tolist()
        cases.append({"name": f"weights_{'_'.join(str(int(w)) for w in weights)}", "weights": list(weights),
                      "deltas": box_list(deltas), "references": box_list(refs), "expected": box_list(out),
                      "exp_exact": exp_exact, "noise": float((out.double() - out64).abs().max())})
        assert sum(exp_exact) >= n // 2, "too few boxes where torch's exp is correctly rounded"
    return cases


def encode_cases(gen):
    cases = []
    for weights in [(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0)]:
        coder = BoxCoder(weights)
        n = 40
        refs = random_boxes(gen, n, 800, 1, 300)
        boxes = random_boxes(gen, n, 800, 1, 300)
        out = coder.encode_single(boxes, refs)
        out64 = coder.encode_single(boxes.double(), refs.double())
        # torch's log of the same width/height ratios (as encode_boxes computes them, [n, 1] each).
        rw = (boxes[:, 2] - boxes[:, 0]).unsqueeze(1) / (refs[:, 2] - refs[:, 0]).unsqueeze(1)
        rh = (boxes[:, 3] - boxes[:, 1]).unsqueeze(1) / (refs[:, 3] - refs[:, 1]).unsqueeze(1)

        def exact(x):
            return (torch.log(x) == torch.log(x.double()).float()).reshape(-1)

        log_exact = (exact(rw) & exact(rh)).tolist()
        cases.append({"name": f"weights_{'_'.join(str(int(w)) for w in weights)}", "weights": list(weights),
                      "boxes": box_list(boxes), "references": box_list(refs), "expected": box_list(out),
                      "log_exact": log_exact, "noise": float((out.double() - out64).abs().max())})
        assert sum(log_exact) >= n // 2, "too few boxes where torch's log is correctly rounded"
    return cases


def main():
    gen = torch.Generator().manual_seed(20240611)
    fixture = {
        "generator": "tools/gen_detection_ops_fixtures.py",
        "torch": torch.__version__, "torchvision": torchvision.__version__,
        "nms": nms_cases(gen),
        "batched_nms": batched_cases(gen),
        "box_iou": iou_cases(gen),
        "decode": decode_cases(gen),
        "encode": encode_cases(gen),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.relpath(OUT)} ({os.path.getsize(OUT) // 1024} KB)")
    for c in fixture["batched_nms"]:
        for r in c["runs"] + c.get("prefix_runs", []):
            print(f"  batched_nms {c['name']} t={r['iou_threshold']} path={r['path']} kept={len(r['keep'])} "
                  f"tie_order_stable={r['tie_order_stable']}")
    for k in ("decode", "encode"):
        for c in fixture[k]:
            flags = c["exp_exact" if k == "decode" else "log_exact"]
            print(f"  {k} {c['name']}: torch's exp/log correctly rounded for {sum(flags)}/{len(flags)} boxes, "
                  f"float64 noise {c['noise']:.3g}")


if __name__ == "__main__":
    main()
