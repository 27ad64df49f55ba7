#!/usr/bin/env python3
"""End-to-end check of the command line against the reference numbers:

  argus detect --format coco (val-style thresholds) over a shared image set
  -> argus eval, and pycocotools when it is installed, on the same results file
  -> both equal each other (1e-9) and the official YOLOv5 code's mAP (expected_map.json) within 0.002.

Usage: python3 tools/check_coco_map.py ARGUS_BINARY [SHARED_DIR]   (SHARED_DIR defaults to ../shared)
Exit status 0 only if every comparison holds. Needs only the standard library (pycocotools optional).
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

SETS = {
    "coco128": ("datasets/coco128/images/train2017", "coco128_val"),
    "coco-val96": ("datasets/coco-val96/images/val2017", "coco-val96_val"),
}


def main():
    argus = sys.argv[1]
    shared = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "..", "shared")
    weights = os.path.join(shared, "weights/ultralytics/yolov5n.pt")
    expected = json.load(open(os.path.join(shared, "reference/yolov5n/expected_map.json")))
    failures = 0
    for name, (images, key) in SETS.items():
        files = sorted(glob.glob(os.path.join(shared, images, "*.jpg")))
        gt = os.path.join(shared, expected[key]["gt"])
        want = expected[key]["stats"]
        with tempfile.TemporaryDirectory() as tmp:
            results = os.path.join(tmp, "results.json")
            with open(results, "w") as out:
                subprocess.run([argus, "detect", "--weights", weights, "--format", "coco", "--conf", "0.001",
                                "--iou", "0.6", "--max-det", "300", *files], stdout=out, check=True)
            ids = ",".join(str(int(os.path.basename(f).split(".")[0])) for f in files)
            report = subprocess.run([argus, "eval", "--gt", gt, "--dt", results, "--img-ids", ids, "--quiet"],
                                    capture_output=True, text=True, check=True)
            got = json.loads(report.stdout)["stats"]
            worst = max(abs(g - w) for g, w in zip(got, want))
            ok = worst <= 0.002
            failures += not ok
            print(f"{name}: argus eval AP50-95 {got[0]:.4f} AP50 {got[1]:.4f}; official YOLOv5 + pycocotools "
                  f"{want[0]:.4f} {want[1]:.4f}; largest stat difference {worst:.5f} -> {'ok' if ok else 'FAIL'}")
            try:
                from pycocotools.coco import COCO
                from pycocotools.cocoeval import COCOeval
            except ImportError:
                print(f"{name}: pycocotools not installed; argus eval not cross-checked on this file")
                continue
            import contextlib
            import io
            with contextlib.redirect_stdout(io.StringIO()):
                coco = COCO(gt)
                ev = COCOeval(coco, coco.loadRes(results), "bbox")
                ev.params.imgIds = [int(i) for i in ids.split(",")]
                ev.evaluate(); ev.accumulate(); ev.summarize()
            diff = max(abs(g - p) for g, p in zip(got, ev.stats))
            ok = diff <= 1e-9
            failures += not ok
            print(f"{name}: pycocotools on argus detect's output AP50-95 {ev.stats[0]:.4f}; "
                  f"largest difference to argus eval {diff:.2e} -> {'ok' if ok else 'FAIL'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
