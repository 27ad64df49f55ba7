"""The YOLO generators' float32-vs-float64 measurements, on top of reference_noise.py.

gen_yolov5_fixtures.py, gen_yolov8_fixtures.py and gen_yolox_fixtures.py run their reference again in float64
(the committed checkpoint's network deep-copied `.double()`, the input `.double()`, the postprocess on the
float64 outputs) and record how far the float32 reference is from it. Besides reference_noise.detection_noise
(score / box noise, flipped items, the cut) the YOLO references decide two more things a rounding can flip:

  - the best class of a candidate (`class_gap`: best minus second-best class score of the item's row);
  - class-aware greedy NMS (`nms_record`): an item kept with its largest IoU against an earlier kept box of
    its class just below the threshold, an item that suppressed a candidate of nearly its own score (the sort
    order of a near-tie decides which survives), and candidates suppressed with an IoU just above the
    threshold or by a near-tie: ours may keep them.

One float32 run is one sample of the reference's rounding: an item it happens to get nearly right may be off
by ten times as much in another summation order. So the generators also run the float32 network in other
orders (`summation_orders`: oneDNN off, i.e. PyTorch's own im2col + BLAS GEMM convolutions, and channels_last
oneDNN kernels) and record per item the largest difference to float64 over all float32 runs (`own_errors`),
and the items some float32 order does not reproduce (`flipped`).

The records give margins, not verdicts: the Swift tests match within ReferenceNoise.multiple (10) times the
noise and call an item borderline within ReferenceNoise.borderMultiple (2) times it (YOLOMargins.swift).
Nothing here runs at Argus's run time.
"""
import contextlib
import copy
import warnings

import numpy as np
import torch

from reference_noise import box_iou, pair_items, typical

# Candidates suppressed by NMS are listed when their IoU margin or score gap is below these (the tests use
# far smaller bands: 10x the measured noise).
SUPPRESSED_IOU_WINDOW = 0.02
SUPPRESSED_GAP_WINDOW = 1e-3


def rel_noise(v32, v64):
    """Largest |float32 - float64| / max(1, |float64|) over paired values (0 when empty)."""
    a = np.asarray(v32, dtype=np.float64).ravel()
    b = np.asarray(v64, dtype=np.float64).ravel()
    if a.size == 0:
        return 0.0
    return float((np.abs(a - b) / np.maximum(1.0, np.abs(b))).max())


def xywh2xyxy(b):
    out = b.clone()
    out[..., :2] = b[..., :2] - b[..., 2:4] / 2
    out[..., 2:4] = b[..., :2] + b[..., 2:4] / 2
    return out


def nms_record(rows, boxes64, scores64, labels64, iou_thr, boxes32_of_row, offset32):
    """Greedy class-aware NMS replayed in float64 on the float64 run's candidates (after the score filter).

    rows: the candidates' row (anchor) indices in the head output; boxes64 [N, 4] xyxy in the space NMS sees
    (letterboxed-input pixels); scores64, labels64 [N]. boxes32_of_row(rows) -> the float32 run's xyxy boxes
    of those rows (torch float32) and offset32(boxes32, labels) -> the float32 class offsets the reference adds
    before torchvision's nms: the IoU noise is |IoU in float32 as the reference computes it - IoU in float64|.

    Returns (kept, record): kept = candidate indices kept, in score order (the caller checks it against the
    reference's own float64 output), and per kept candidate (same order) `margin` = iou_thr - the largest IoU
    with an earlier kept box of its class (iou_thr when none overlaps) and `gap` = the smallest score gap to a
    later candidate it suppresses (null when none); `suppressed`: [iou margin (largest IoU with an earlier kept
    box - iou_thr), score gap to the best suppressor] of suppressed candidates within the windows above;
    `iou_noise`: typical (reference_noise.typical) |IoU32 - IoU64| over the overlapping pairs the replay
    evaluated; `pairs`: their number.
    """
    b = np.asarray(boxes64, dtype=np.float64).reshape(-1, 4)
    s = np.asarray(scores64, dtype=np.float64)
    lab = np.asarray(labels64).astype(np.int64)
    order = np.argsort(-s, kind="stable")
    ious = box_iou(b, b)
    kept, margins, suppressed = [], {}, []
    gaps = {}
    pairs = []  # (i, j) overlapping pairs evaluated: i kept earlier, j later
    for c in order:
        same = [k for k in kept if lab[k] == lab[c]]
        over = [k for k in same if ious[k, c] > 0]
        pairs += [(k, c) for k in over]
        m = max((ious[k, c] for k in same), default=0.0)
        if m > iou_thr:
            suppressors = [k for k in same if ious[k, c] > iou_thr]
            gap = min(s[k] - s[c] for k in suppressors)
            for k in suppressors:
                gaps[k] = min(gaps.get(k, np.inf), s[k] - s[c])
            if m - iou_thr <= SUPPRESSED_IOU_WINDOW or gap <= SUPPRESSED_GAP_WINDOW:
                suppressed.append([float(m - iou_thr), float(gap)])
        else:
            kept.append(int(c))
            margins[int(c)] = float(iou_thr - m)
    # IoU noise over the evaluated pairs: float32 as the reference computes it (offset boxes) against float64.
    if pairs:
        i, j = np.array(pairs).T
        r = np.asarray(rows)
        b32 = boxes32_of_row(torch.as_tensor(r))
        l32 = torch.as_tensor(lab)
        off = b32 + offset32(b32, l32)[:, None]
        iou32 = _iou32(off[i], off[j])
        iou64 = ious[i, j]
        noise = typical(np.abs(iou32 - iou64))
    else:
        noise = 0.0
    return kept, {"margin": [margins[k] for k in kept],
                  "gap": [None if k not in gaps else float(gaps[k]) for k in kept],
                  "suppressed": suppressed, "iou_noise": float(noise), "pairs": len(pairs)}


def _iou32(a, b):
    """Elementwise IoU of two [N, 4] float32 box lists, in float32 as torchvision's CPU nms kernel does."""
    a, b = a.float(), b.float()
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    w = (torch.minimum(a[:, 2], b[:, 2]) - torch.maximum(a[:, 0], b[:, 0])).clamp(min=0)
    h = (torch.minimum(a[:, 3], b[:, 3]) - torch.maximum(a[:, 1], b[:, 1])).clamp(min=0)
    inter = w * h
    return (inter / (area_a + area_b - inter)).double().numpy()


def per_reference(det32, det64, values64, corner_tol=0.01):
    """Carry per-float64-item values over to the float32 reference's items (pair_items); null if unpaired."""
    pairs, _ = pair_items(det32["boxes"], det32["scores"], det32["labels"],
                          det64["boxes"], det64["scores"], det64["labels"], corner_tol)
    out = [None] * len(det32["scores"])
    for i, j in pairs:
        out[i] = values64[j]
    return out


def summation_orders(model):
    """The same float32 network run in other summation orders: [(name, model, input transform, context)].
    `native`: oneDNN off (PyTorch's im2col + BLAS GEMM convolutions); `channels_last`: NHWC oneDNN kernels."""
    warnings.filterwarnings("ignore", message=".*TF32 acceleration on top of oneDNN.*")
    nhwc = copy.deepcopy(model).to(memory_format=torch.channels_last)
    return [("native", model, lambda x: x, lambda: torch.backends.mkldnn.flags(enabled=False)),
            ("channels_last", nhwc, lambda x: x.contiguous(memory_format=torch.channels_last), contextlib.nullcontext)]


def own_errors(det32, det64, others=(), corner_tol=0.01):
    """Per item of the stored float32 list det32: the largest |score - score64| and |corner - corner64| over the
    float32 runs (det32 itself and the lists `others` of the same reference in other summation orders, paired
    to det32 and to the float64 list det64 by pair_items), null when the float64 run has no counterpart.
    `flipped`: det32 items some other float32 run does not reproduce. detection_noise's `score`/`box` are the
    typical (90th percentile) differences of det32 alone; the tests' per-item tolerance is 10x the larger of
    the typical and the item's own."""
    def to64(d):
        return dict(pair_items(d["boxes"], d["scores"], d["labels"],
                               det64["boxes"], det64["scores"], det64["labels"], corner_tol)[0])
    b64 = np.asarray(det64["boxes"], dtype=np.float64).reshape(-1, 4)
    s64 = np.asarray(det64["scores"], dtype=np.float64)
    n = len(det32["scores"])
    score, box, flipped = [None] * n, [None] * n, set()
    runs = [(det32, {i: i for i in range(n)})]
    for other in others:
        to_ref = dict(pair_items(det32["boxes"], det32["scores"], det32["labels"],
                                 other["boxes"], other["scores"], other["labels"], corner_tol)[0])
        flipped |= set(range(n)) - set(to_ref)
        runs.append((other, to_ref))
    ref64 = to64(det32)
    for d, to_run in runs:
        b = np.asarray(d["boxes"], dtype=np.float64).reshape(-1, 4)
        s = np.asarray(d["scores"], dtype=np.float64)
        for i, j in ref64.items():
            k = to_run.get(i)
            if k is None:
                continue
            score[i] = max(score[i] or 0.0, float(abs(s[k] - s64[j])))
            box[i] = max(box[i] or 0.0, float(np.abs(b[k] - b64[j]).max()))
    return {"score": score, "box": box, "flipped": sorted(int(i) for i in flipped)}


def short(value, digits=4):
    """Noise records need no more than a few significant digits."""
    if isinstance(value, float):
        return float(f"{value:.{digits}g}")
    if isinstance(value, (list, tuple)):
        return [short(v, digits) for v in value]
    if isinstance(value, dict):
        return {k: short(v, digits) for k, v in value.items()}
    return value
