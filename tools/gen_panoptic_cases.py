#!/usr/bin/env python3
"""Panoptic quality cases for `argus eval --panoptic`, scored by panopticapi's own pq_compute.

    python3 -m venv venv-pq && venv-pq/bin/pip install panopticapi-lite==0.2.0 numpy pillow
    venv-pq/bin/python tools/gen_panoptic_cases.py ../shared [--images 8]

Takes the first N images of ../shared/datasets/coco-val96/annotations/panoptic_val75.json and writes, under
Tests/ArgusEvalTests/Fixtures/panoptic/:
- gt.json: those images' ground truth (the PNGs stay in ../shared, panoptic_val2017/);
- identical/: the ground truth itself as the prediction (JSON only: its PNG folder is the ground truth's);
- perturbed/: per image (seeded by its id), the id map shifted by a few pixels, segments dropped, relabelled within
  things or stuff, merged with another of their category, plus a false segment, all with new random ids;
- void_and_crowd/: predictions lying mostly on void and on crowd regions (the ignore rule), plus shrunken copies
  of some ground-truth segments (IoU around the 0.5 match threshold);
each with pred.json, pred/*.png and expected.json: pq_compute's result (All / Things / Stuff, per class).
"""
import argparse, copy, json, pathlib, shutil, sys

import numpy as np
from PIL import Image
from panopticapi.evaluation import pq_compute
from panopticapi.utils import id2rgb, rgb2id

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests/ArgusEvalTests/Fixtures/panoptic"


def new_ids(rng, n):
    ids = set()
    while len(ids) < n:
        ids.add(int(rng.integers(1, 1 << 24)))
    return list(ids)


def perturbed(gt_map, segments, categories, rng):
    things = [c["id"] for c in categories if c["isthing"]]
    stuff = [c["id"] for c in categories if not c["isthing"]]
    dy, dx = (int(v) for v in rng.integers(-6, 7, size=2))
    shifted = np.roll(np.roll(gt_map, dy, axis=0), dx, axis=1)
    out = np.zeros_like(gt_map)
    info = []
    ids = new_ids(rng, len(segments) + 1)
    merged_into = {}
    for s, new_id in zip(segments, ids):
        r = rng.random()
        if r < 0.15:
            continue  # dropped: a false negative (or nothing, for a crowd region)
        category = s["category_id"]
        if r < 0.30:
            pool = things if category in things else stuff
            category = int(rng.choice(pool))
        target = new_id
        same = [k for k, v in merged_into.items() if v[1] == category]
        if same and rng.random() < 0.2:
            target = merged_into[same[0]][0]  # merged into an earlier segment of its category
        else:
            merged_into[s["id"]] = (new_id, category)
            info.append({"id": new_id, "category_id": category})
        out[shifted == s["id"]] = target
    # A false segment: a rectangle over whatever is there.
    h, w = gt_map.shape
    y0, x0 = int(rng.integers(0, h // 2)), int(rng.integers(0, w // 2))
    out[y0:y0 + h // 5, x0:x0 + w // 5] = ids[-1]
    info.append({"id": ids[-1], "category_id": int(rng.choice(things + stuff))})
    present = set(np.unique(out).tolist())
    return out, [i for i in info if i["id"] in present]


def void_and_crowd(gt_map, segments, rng):
    out = np.zeros_like(gt_map)
    info = []
    ids = iter(new_ids(rng, len(segments) + 2))
    void = gt_map == 0
    if void.any():
        # Most of the void pixels plus a sliver of what is next to them: ignored when over half is void.
        grown = void | np.roll(void, 3, axis=1)
        i = next(ids)
        out[grown] = i
        info.append({"id": i, "category_id": segments[0]["category_id"] if segments else 1})
    for s in segments:
        mask = gt_map == s["id"]
        i = next(ids)
        if s.get("iscrowd"):
            out[mask | np.roll(mask, 8, axis=0)] = i  # on the crowd region of its own category, a little beyond
        else:
            if rng.random() < 0.5:
                continue
            # A copy shrunken by a random fraction of its rows: IoU near the 0.5 threshold for some.
            rows = np.where(mask.any(axis=1))[0]
            keep = mask.copy()
            cut = int(len(rows) * rng.uniform(0.3, 0.7))
            keep[rows[:cut]] = False
            if not keep.any():
                continue
            out[keep] = i
        info.append({"id": i, "category_id": s["category_id"]})
    present = set(np.unique(out).tolist())
    return out, [x for x in info if x["id"] in present]


def write_case(name, gt_json, gt_dir, builder):
    case = OUT / name
    if case.exists():
        shutil.rmtree(case)
    (case / "pred").mkdir(parents=True)
    annotations = []
    for a in gt_json["annotations"]:
        gt_map = rgb2id(np.array(Image.open(gt_dir / a["file_name"]), dtype=np.uint32))
        rng = np.random.default_rng(a["image_id"] * 7 + len(name))
        pred_map, info = builder(gt_map, a["segments_info"], rng)
        Image.fromarray(id2rgb(pred_map)).save(case / "pred" / a["file_name"], optimize=True)
        annotations.append({"image_id": a["image_id"], "file_name": a["file_name"], "segments_info": info})
    (case / "pred.json").write_text(json.dumps({"annotations": annotations}) + "\n")
    return case / "pred.json", case / "pred"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("shared")
    parser.add_argument("--images", type=int, default=8)
    args = parser.parse_args()
    shared = pathlib.Path(args.shared).resolve()
    source = json.loads((shared / "datasets/coco-val96/annotations/panoptic_val75.json").read_text())
    gt_dir = shared / "datasets/coco-val96/annotations/panoptic_val2017"
    chosen = source["annotations"][: args.images]
    ids = {a["image_id"] for a in chosen}
    gt_json = {"images": [i for i in source["images"] if i["id"] in ids], "annotations": chosen,
               "categories": source["categories"]}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "gt.json").write_text(json.dumps(gt_json) + "\n")

    cases = {}
    identical = OUT / "identical"
    identical.mkdir(exist_ok=True)
    prediction = {"annotations": [{"image_id": a["image_id"], "file_name": a["file_name"],
                                   "segments_info": [{"id": s["id"], "category_id": s["category_id"]} for s in a["segments_info"]]}
                                  for a in chosen]}
    (identical / "pred.json").write_text(json.dumps(prediction) + "\n")
    cases["identical"] = (identical / "pred.json", gt_dir)
    cases["perturbed"] = write_case("perturbed", gt_json, gt_dir, lambda m, s, r: perturbed(m, s, gt_json["categories"], r))
    cases["void_and_crowd"] = write_case("void_and_crowd", gt_json, gt_dir, void_and_crowd)
    for name, (pred_json, pred_dir) in cases.items():
        result = pq_compute(str(OUT / "gt.json"), str(pred_json), str(gt_dir), str(pred_dir))
        result["per_class"] = {str(k): v for k, v in result["per_class"].items()}
        (OUT / name / "expected.json").write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
        print(name, {k: result[k] for k in ("All", "Things", "Stuff")}, file=sys.stderr)


if __name__ == "__main__":
    main()
