#!/usr/bin/env python3
"""COCO mAP of the shared ONNX files on coco-val96 with onnxruntime and the reference postprocessing (issue 8).

Run from the repository root (the reference venv is made by `bash ../shared/bench/install_venv.sh DIR`):
    YOLO_OFFLINE=1 YOLO_AUTOINSTALL=false YOLO_CONFIG_DIR=$(mktemp -d) \
        /work/venv-ref/bin/python tools/gen_onnx_map_references.py
Writes Tests/ArgusEndToEndTests/Fixtures/onnx_coco_val96_map.json: per model the pycocotools stats (12 numbers)
over every image of ../shared/datasets/coco-val96 (bbox: instances_val96_bbox.json, 96 images; segm:
instances_val75_segm.json, its 75 images), the number of detections, and the thresholds used.

* yolox_nano.onnx: YOLOX's own evaluation path (yolox/evaluators/coco_evaluator.py + yolox/utils/boxes.py
  `postprocess`): preproc (gen_yolov8_onnx_fixtures.yolox_preproc), decode, class = argmax(cls),
  keep obj * cls >= 0.01, torchvision batched_nms (class-aware) at 0.65, boxes / r, not clipped, no cap.
* yolov8n_int8_320.onnx / yolov8n-seg_int8_320.onnx: Ultralytics' own ONNX path (`YOLO(file).predict`,
  AutoBackend on onnxruntime; LetterBox(320, auto=False)) at val thresholds conf 0.001, iou 0.7, max_det 300,
  retina masks (the segm results are COCO RLE of masks.data > 0.5, in original pixels).
Images are read with cv2.imread (BGR) exactly as the references do; class ids map to COCO ids (80 -> 91).
"""
import contextlib
import io
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "false")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402
from pycocotools import mask as mask_utils  # noqa: E402
from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402
from ultralytics import YOLO  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_yolov8_onnx_fixtures import session, yolox_decode, yolox_preproc  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
VAL = SHARED / "datasets/coco-val96"
IMAGES = sorted((VAL / "images/val2017").glob("*.jpg"))
GT_BBOX = VAL / "annotations/instances_val96_bbox.json"
GT_SEGM = VAL / "annotations/instances_val75_segm.json"
OUT = ROOT / "Tests/ArgusEndToEndTests/Fixtures/onnx_coco_val96_map.json"
# COCO's 80 detection classes in their 91-id numbering (the order every YOLO model uses).
COCO91 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 31, 32, 33,
          34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61,
          62, 63, 64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90]


def image_id(path):
    return int(path.stem)


def evaluate(gt_path, results, iou_type):
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(gt_path))
        ids = sorted(gt.getImgIds())
        dt = gt.loadRes([r for r in results if r["image_id"] in set(ids)])
        ev = COCOeval(gt, dt, iou_type)
        ev.params.imgIds = ids
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return [float(s) for s in ev.stats], len(ids)


def yolox_results(path, size=416, conf=0.01, nms=0.65):
    sess = session(path)
    results = []
    for file in IMAGES:
        im0 = cv2.imread(str(file))
        x, r, _ = yolox_preproc(im0, size)
        out = sess.run(None, {sess.get_inputs()[0].name: x[None]})[0]
        t = torch.from_numpy(yolox_decode(out, size))
        xyxy = torch.cat([t[:, :2] - t[:, 2:4] / 2, t[:, :2] + t[:, 2:4] / 2], 1)
        class_conf, class_pred = t[:, 5:].max(1)
        score = t[:, 4] * class_conf
        m = score >= conf
        keep = torchvision.ops.batched_nms(xyxy[m], score[m], class_pred[m], nms)
        boxes = (xyxy[m][keep] / r).double()
        for b, s, c in zip(boxes.tolist(), score[m][keep].tolist(), class_pred[m][keep].tolist()):
            results.append({"image_id": image_id(file), "category_id": COCO91[c], "score": s,
                            "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]]})
    return results


def v8_results(path, task, conf=0.001, iou=0.7, max_det=300):
    yolo = YOLO(str(path), task=task)
    boxes_out, masks_out = [], []
    for file in IMAGES:
        im0 = cv2.imread(str(file))
        res = yolo.predict(im0, imgsz=320, conf=conf, iou=iou, max_det=max_det, retina_masks=True, verbose=False)[0]
        masks = res.masks.data.numpy() if task == "segment" and res.masks is not None else None
        for i in range(len(res.boxes)):
            b = res.boxes.xyxy[i].double().tolist()
            entry = {"image_id": image_id(file), "category_id": COCO91[int(res.boxes.cls[i])],
                     "score": float(res.boxes.conf[i])}
            boxes_out.append({**entry, "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]]})
            if masks is not None:
                rle = mask_utils.encode(np.asfortranarray((masks[i] > 0.5).astype(np.uint8)))
                masks_out.append({**entry, "segmentation": {"size": [int(v) for v in rle["size"]],
                                                            "counts": rle["counts"].decode("ascii")}})
    return boxes_out, masks_out


def main():
    onnx_dir = SHARED / "weights/onnx"
    report = {"images": len(IMAGES), "gt_bbox": "datasets/coco-val96/annotations/instances_val96_bbox.json",
              "gt_segm": "datasets/coco-val96/annotations/instances_val75_segm.json", "models": {}}
    dets = yolox_results(onnx_dir / "yolox_nano.onnx")
    stats, n = evaluate(GT_BBOX, dets, "bbox")
    report["models"]["yolox_nano"] = {"file": "weights/onnx/yolox_nano.onnx", "conf": 0.01, "iou": 0.65,
                                      "class_agnostic": False, "max_det": None, "detections": len(dets),
                                      "bbox": {"images": n, "stats": stats}}
    print(f"yolox_nano: {len(dets)} detections, bbox AP {stats[0]:.4f} AP50 {stats[1]:.4f}")
    for name, task in (("yolov8n_int8_320", "detect"), ("yolov8n-seg_int8_320", "segment")):
        boxes, masks = v8_results(onnx_dir / f"{name}.onnx", task)
        entry = {"file": f"weights/onnx/{name}.onnx", "conf": 0.001, "iou": 0.7, "max_det": 300,
                 "detections": len(boxes)}
        stats, n = evaluate(GT_BBOX, boxes, "bbox")
        entry["bbox"] = {"images": n, "stats": stats}
        line = f"{name}: {len(boxes)} detections, bbox AP {stats[0]:.4f} AP50 {stats[1]:.4f}"
        if masks:
            stats, n = evaluate(GT_SEGM, masks, "segm")
            entry["segm"] = {"images": n, "stats": stats}
            line += f", segm AP {stats[0]:.4f} AP50 {stats[1]:.4f}"
        report["models"][name] = entry
        print(line)
    OUT.write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
