"""The reference's own float32 sensitivity, measured by running it again in float64.

A float32 result legitimately changes with summation order (another GEMM kernel, another blocking), so a
reference test cannot ask for one exact float32 output. What it can ask for is agreement wherever the
reference itself is clear of a decision. The float64 run (same weights, `.double()`) is the exact answer
up to float32's own rounding; |float32 - float64| is the size of that rounding for this network and input.
From it the fixture records:
  - noise: the typical (90th percentile) |float32 - float64| difference of each output kind (scores, box
    corners, logits);
  - unstable items: float32 items the float64 run does not reproduce (a decision flipped by rounding alone);
  - margins: what decides each item (score above a threshold or a top-k cut).
Tests then require every item whose margin exceeds a stated multiple of the noise to match, with numeric
tolerances that are a stated multiple of the noise, and report (and bound) the rest as borderline.

Used by gen_torchvision_fixtures.py and gen_segmentation_fixtures.py (and importable by the other
generators); nothing here runs at Argus's run time.
"""
import numpy as np


def box_iou(a, b):
    """IoU of each box in a [N, 4] against each in b [M, 4] (x1 y1 x2 y2), float64."""
    a, b = np.asarray(a, dtype=np.float64).reshape(-1, 4), np.asarray(b, dtype=np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / union, 0.0)


def same_box(iou, corner_diff, corner_tol):
    """Two boxes are the same object: IoU >= 0.99, or (for sub-pixel boxes, whose IoU swings with any
    rounding) every corner within corner_tol."""
    return iou >= 0.99 or corner_diff <= corner_tol


def pair_items(boxes32, scores32, labels32, boxes64, scores64, labels64, corner_tol=0.01):
    """Greedy pairing of float32 items with float64 items in float32 order: same label, the highest IoU
    among the unused, accepted when same_box holds. Returns pairs [(i32, i64)] and the unpaired i32."""
    b32 = np.asarray(boxes32, dtype=np.float64).reshape(-1, 4)
    b64 = np.asarray(boxes64, dtype=np.float64).reshape(-1, 4)
    ious = box_iou(b32, b64)
    used, pairs, unpaired = set(), [], []
    for i in range(len(b32)):
        best, best_iou = None, -1.0
        for j in range(len(b64)):
            if j in used or int(labels64[j]) != int(labels32[i]):
                continue
            if ious[i, j] > best_iou:
                best, best_iou = j, ious[i, j]
        if best is not None and same_box(best_iou, float(np.abs(b32[i] - b64[best]).max()), corner_tol):
            used.add(best)
            pairs.append((i, best))
        else:
            unpaired.append(i)
    return pairs, unpaired


# The noise of a kind of output is the 90th percentile of its |float32 - float64| differences over the
# paired items (the max when there are fewer than 10): one item on a discrete decision would otherwise set
# everyone's tolerance. Items more than SENSITIVE_FACTOR times above it are recorded as sensitive.
NOISE_QUANTILE = 0.9
SENSITIVE_FACTOR = 10.0


def typical(diffs):
    if len(diffs) == 0:
        return 0.0
    if len(diffs) < 10:
        return float(np.max(diffs))
    return float(np.quantile(diffs, NOISE_QUANTILE))


def detection_noise(det32, det64, cap=None, threshold=None, corner_tol=0.01):
    """det32/det64: {"boxes", "scores", "labels"} (lists or arrays) of the same model on the same input in
    float32 and float64. cap: the top-k that bounds the list (detections per image), threshold: the score
    threshold. Returns the fixture's `noise` record:
      score, box       typical (see `typical`) |float32 - float64| score and box-corner difference over
                       paired items; score_max, box_max: the largest
      unstable         float32 indices with no float64 counterpart (same label, same box), or sensitive:
                       paired, but with a difference over SENSITIVE_FACTOR times the typical one
      extra            how many float64 items have no float32 counterpart
      cut              the score that decides membership: the float64 list's last score when it is full
                       (count == cap), else the threshold (or null)
      count64          the float64 list's length
    """
    labels32 = [int(v) for v in det32["labels"]]
    labels64 = [int(v) for v in det64["labels"]]
    pairs, unpaired = pair_items(det32["boxes"], det32["scores"], labels32,
                                 det64["boxes"], det64["scores"], labels64, corner_tol)
    b32 = np.asarray(det32["boxes"], dtype=np.float64).reshape(-1, 4)
    b64 = np.asarray(det64["boxes"], dtype=np.float64).reshape(-1, 4)
    s32 = np.asarray(det32["scores"], dtype=np.float64)
    s64 = np.asarray(det64["scores"], dtype=np.float64)
    ds = np.array([abs(s32[i] - s64[j]) for i, j in pairs])
    db = np.array([float(np.abs(b32[i] - b64[j]).max()) for i, j in pairs])
    score, box = typical(ds), typical(db)
    # An item whose own float32 error is far above the typical one hangs on a discrete decision inside the
    # network (RoI Pool's rounding of a box edge, a max-pool or NMS near-tie): as unstable as a lost one.
    sensitive = [int(pairs[n][0]) for n in range(len(pairs))
                 if ds[n] > SENSITIVE_FACTOR * max(score, 1e-7) or db[n] > SENSITIVE_FACTOR * max(box, 1e-5)]
    if cap is not None and len(s64) >= cap and len(s64) > 0:
        cut = float(s64[-1] if s64.ndim else s64)
    else:
        cut = None if threshold is None else float(threshold)
    return {"score": float(score), "box": float(box), "unstable": sorted([int(i) for i in unpaired] + sensitive),
            "sensitive": sorted(sensitive), "score_max": float(ds.max(initial=0.0)), "box_max": float(db.max(initial=0.0)),
            "extra": int(len(s64) - len(pairs)), "cut": cut, "count64": int(len(s64))}


def tensor_noise(t32, t64):
    """Largest |float32 - float64| over a tensor, absolute and relative to the float64 tensor's std."""
    d = (t32.double() - t64.double()).abs()
    std = float(t64.double().std()) if t64.numel() > 1 else 0.0
    m = float(d.max()) if d.numel() else 0.0
    return {"max_abs": m, "max_rel_std": m / std if std > 0 else 0.0}


def nms_margins(boxes, scores, labels, keep, iou_threshold, kept_count, suppressed_floor, scale=1.0, near=0.05):
    """What decides each kept item of a class-aware NMS, on the NMS's own inputs (boxes [N, 4], scores [N],
    labels [N], keep: the NMS's output indices; the first kept_count of them are the final items):
      gap[i]        the smallest score lead of kept item i over a same-class candidate it overlaps above the
                    threshold (the one that takes its place if the two scores swap), or None
      iou[i]        the smallest |IoU - threshold| between kept item i and a higher-scored same-class
                    candidate (whether item i survives), or None
      suppressed    [score, |IoU - threshold|, box width, box height] for each suppressed candidate that
                    scores at least suppressed_floor and whose largest IoU with a higher-scored kept
                    same-class item is within `near` of the threshold: it reappears if that IoU drops
                    under the threshold
    IoU as torchvision computes it (box_iou); widths/heights times `scale` (the NMS's coordinates to the
    output's)."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    sc = np.asarray(scores, dtype=np.float64)
    lab = np.asarray(labels).reshape(-1)
    keep = [int(k) for k in keep]
    kept = set(keep)
    gaps, ious = [], []
    for c in keep[:kept_count]:
        same = np.where((lab == lab[c]) & (np.arange(len(sc)) != c))[0]
        if len(same) == 0:
            gaps.append(None)
            ious.append(None)
            continue
        o = box_iou(b[c:c + 1], b[same])[0]
        lower = same[(sc[same] <= sc[c]) & (o > iou_threshold)]
        gaps.append(float((sc[c] - sc[lower]).min()) if len(lower) else None)
        higher = same[sc[same] > sc[c]]
        ious.append(float(np.abs(o[sc[same] > sc[c]] - iou_threshold).min()) if len(higher) else None)
    suppressed = []
    kept_list = np.array(keep, dtype=np.int64)
    for j in range(len(sc)):
        if j in kept or sc[j] < suppressed_floor:
            continue
        over = kept_list[(lab[kept_list] == lab[j]) & (sc[kept_list] >= sc[j])]
        if len(over) == 0:
            continue
        margin = float(np.abs(box_iou(b[j:j + 1], b[over])[0].max() - iou_threshold))
        if margin <= near:
            suppressed.append([float(sc[j]), margin, float(b[j, 2] - b[j, 0]) * scale, float(b[j, 3] - b[j, 1]) * scale])
    return {"gap": gaps, "iou": ious, "suppressed": suppressed}
