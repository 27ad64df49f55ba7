#!/usr/bin/env python3
"""`argus eval --plots` against pycocotools: the plotted numbers (plots.json) are pycocotools' own.

    python3 tools/check_plots.py GT.json RESULTS.json PLOTS_DIR

- pr_iou50 / pr_iou50_95: per category, `COCOeval.eval['precision'][t, :, k, 0, -1]` (averaged over t for
  0.5:0.95), categories with ground truth only; their mean is AP50 / AP as `stats` reports them.
- confidence: precision and recall at each plotted confidence, recomputed from pycocotools' `evalImgs` (IoU 0.5,
  area all, the largest maxDets, ignored detections left out, the same stable score order as `accumulate`).
- confusion_matrix: the counts, recomputed here with Ultralytics' `ConfusionMatrix.process_batch` matching.
Exit status 1 on any difference over 1e-12.
"""
import json, sys

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


def main():
    gt_path, dt_path, plots_dir = sys.argv[1:4]
    plots = json.load(open(f"{plots_dir}/plots.json"))
    gt = COCO(gt_path)
    results = json.load(open(dt_path))
    dt = gt.loadRes(results)
    ev = COCOeval(gt, dt, "bbox")
    ev.evaluate(); ev.accumulate(); ev.summarize()
    precision = ev.eval["precision"]
    failures = []

    def close(a, b, what):
        a, b = np.asarray(a, float), np.asarray(b, float)
        if a.shape != b.shape or (a.size and np.max(np.abs(a - b)) > 1e-12):
            failures.append(what)
            print(f"FAIL {what}: max difference {np.max(np.abs(a - b)) if a.shape == b.shape else 'shapes ' + str((a.shape, b.shape))}")
        else:
            print(f"PASS {what}")

    t50 = [i for i, t in enumerate(ev.params.iouThrs) if abs(t - 0.5) < 1e-12]
    for key, ts, stat in [("pr_iou50", t50, 1), ("pr_iou50_95", list(range(len(ev.params.iouThrs))), 0)]:
        curve = plots[key]
        rows = {}
        for k, cat in enumerate(ev.params.catIds):
            p = precision[ts, :, k, 0, -1]
            if (p > -1).all():
                rows[str(cat)] = p.mean(axis=0)
        close(sorted(map(int, curve["per_category"])), sorted(map(int, rows)), f"{key}: the categories drawn")
        close([curve["per_category"][c] for c in sorted(rows)], [rows[c] for c in sorted(rows)], f"{key}: each category's curve")
        close(curve["mean"], np.mean([rows[c] for c in rows], axis=0), f"{key}: the mean curve")
        close(curve["ap"], ev.stats[stat], f"{key}: its AP equals stats[{stat}]")

    # Precision and recall against confidence, from evalImgs.
    conf = plots["confidence"]
    thresholds = np.asarray(conf["confidence"])
    a_all, max_det = 0, ev.params.maxDets[-1]
    n_areas, n_images = len(ev.params.areaRng), len(ev.params.imgIds)
    for k, cat in enumerate(ev.params.catIds):
        images = [ev.evalImgs[k * n_areas * n_images + a_all * n_images + i] for i in range(n_images)]
        images = [e for e in images if e is not None]
        if not images:
            continue
        scores = np.concatenate([e["dtScores"][:max_det] for e in images])
        order = np.argsort(-scores, kind="mergesort")
        matched = np.concatenate([e["dtMatches"][:, :max_det] for e in images], axis=1)[t50[0]][order]
        ignored = np.concatenate([e["dtIgnore"][:, :max_det] for e in images], axis=1)[t50[0]][order]
        npig = sum(np.count_nonzero(e["gtIgnore"] == 0) for e in images)
        if npig == 0:
            continue
        keep = ignored == 0
        s, tp = scores[order][keep], np.cumsum(matched[keep] > 0)
        p_expected, r_expected = [], []
        for c in thresholds:
            n = int(np.count_nonzero(s >= c))
            p_expected.append(tp[n - 1] / n if n else 1.0)
            r_expected.append(tp[n - 1] / npig if n else 0.0)
        key = str(cat)
        if key not in conf["precision"]["per_category"]:
            failures.append(f"confidence: category {cat} missing")
            continue
        close(conf["precision"]["per_category"][key], p_expected, f"confidence: precision of category {cat}")
        close(conf["recall"]["per_category"][key], r_expected, f"confidence: recall of category {cat}")

    # The confusion matrix, with Ultralytics' matching.
    cm = plots["confusion_matrix"]
    cats = cm["category_ids"]
    index = {c: i for i, c in enumerate(cats)}
    nc = len(cats)
    matrix = np.zeros((nc + 1, nc + 1), int)
    by_image_gt, by_image_dt = {}, {}
    for a in gt.dataset["annotations"]:
        if not a.get("iscrowd", 0):
            by_image_gt.setdefault(a["image_id"], []).append(a)
    for d in results:
        if d["score"] > cm["conf"]:
            by_image_dt.setdefault(d["image_id"], []).append(d)

    def xyxy(b):
        return np.array([b[0], b[1], b[0] + b[2], b[1] + b[3]], float)

    for image in set(by_image_gt) | set(by_image_dt):
        labels, dets = by_image_gt.get(image, []), by_image_dt.get(image, [])
        gc = [index[a["category_id"]] for a in labels]
        dc = [index[d["category_id"]] for d in dets]
        iou = np.zeros((len(labels), len(dets)))
        for i, a in enumerate(labels):
            for j, d in enumerate(dets):
                p, q = xyxy(a["bbox"]), xyxy(d["bbox"])
                w, h = min(p[2], q[2]) - max(p[0], q[0]), min(p[3], q[3]) - max(p[1], q[1])
                inter = w * h if w > 0 and h > 0 else 0
                union = a["bbox"][2] * a["bbox"][3] + d["bbox"][2] * d["bbox"][3] - inter
                iou[i, j] = inter / union if union > 0 else 0
        x = np.where(iou > cm["iou"])
        matches = np.concatenate((np.stack(x, 1), iou[x[0], x[1]][:, None]), 1) if x[0].shape[0] else np.zeros((0, 3))
        if matches.shape[0] > 1:
            matches = matches[np.argsort(-matches[:, 2], kind="stable")]
            matches = matches[np.unique(matches[:, 1], return_index=True)[1]]
            matches = matches[np.argsort(-matches[:, 2], kind="stable")]
            matches = matches[np.unique(matches[:, 0], return_index=True)[1]]
        m0, m1 = matches[:, 0].astype(int), matches[:, 1].astype(int)
        for i, g in enumerate(gc):
            j = m0 == i
            if j.sum() == 1:
                matrix[dc[m1[j][0]], g] += 1
            else:
                matrix[nc, g] += 1
        for j, d in enumerate(dc):
            if not (m1 == j).any():  # every unpaired detection, also where nothing paired (see ConfusionMatrix)
                matrix[d, nc] += 1
    close(cm["counts"], matrix, "confusion matrix counts")

    print(f"plots check: {len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
