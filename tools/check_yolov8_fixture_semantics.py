#!/usr/bin/env python3
"""Checks that the semantics listed in Tests/ArgusModelsTests/Fixtures/yolov8/README.md reproduce the
Ultralytics references: re-implements letterbox, DFL decode, class-aware NMS, box scaling and the
retina-mask path with plain torch ops from the fused model's head convs, and compares with the JSON
(same detections in the same order, boxes within a few 1e-3 px, mask IoU >= 0.999). A spec for the Swift
port to read next to the README, and a guard when regenerating the fixtures.

Run from the repository root, after tools/gen_yolov8_fixtures.py:
    YOLO_OFFLINE=1 YOLO_AUTOINSTALL=false YOLO_CONFIG_DIR=$(mktemp -d) \
        /work/venv-ref/bin/python tools/check_yolov8_fixture_semantics.py [DIR of gen_yolov8_fixtures.py --full DIR]
(the reference venv is made by `bash ../shared/bench/install_venv.sh DIR`).
"""
import json
import math
import sys
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from pycocotools import mask as mu
from ultralytics import YOLO
REPO = Path(__file__).resolve().parent.parent
D = str(REPO / "Tests/ArgusModelsTests/Fixtures/yolov8") + "/"
COCO = str(REPO.parent / "shared/datasets/coco128/images/train2017") + "/"

def letterbox(im0, size=640, stride=32, auto=True):
    h, w = im0.shape[:2]; r = min(size / h, size / w)
    nw, nh = max(round(w * r), 1), max(round(h * r), 1)
    dw, dh = size - nw, size - nh
    if auto: dw, dh = dw % stride, dh % stride
    dw, dh = dw / 2, dh / 2
    top, bottom, left, right = round(dh - 0.1), round(dh + 0.1), round(dw - 0.1), round(dw + 0.1)
    im = cv2.resize(im0, (nw, nh), interpolation=cv2.INTER_LINEAR) if (nw, nh) != (w, h) else im0
    im = cv2.copyMakeBorder(im, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(114, 114, 114))
    return torch.from_numpy(np.ascontiguousarray(im[:, :, ::-1].transpose(2, 0, 1))).float()[None] / 255

def decode(box_logits, cls_logits, feats_hw, strides):
    b = box_logits[0]; n = b.shape[1]
    dist = (b.view(4, 16, n).softmax(1) * torch.arange(16.0)[None, :, None]).sum(1)  # (4, n)
    pts, st = [], []
    for (h, w), s in zip(feats_hw, strides):
        yy, xx = torch.meshgrid(torch.arange(h) + 0.5, torch.arange(w) + 0.5, indexing="ij")
        pts.append(torch.stack([xx.flatten(), yy.flatten()])); st.append(torch.full((h * w,), s))
    a, st = torch.cat(pts, 1), torch.cat(st)
    x1y1, x2y2 = a - dist[:2], a + dist[2:]
    return torch.cat([x1y1, x2y2]) * st, cls_logits[0].sigmoid()

def run(name, d=D):
    ref = json.load(open(d + name + ".json"))
    yolo = YOLO(d + name + ".pt")
    model = yolo.model.float().fuse().eval()
    det = model.model[-1]; worst = []
    for im in ref["images"]:
        im0 = cv2.imread(COCO + im["file"]); h0, w0 = im0.shape[:2]
        x = letterbox(im0)
        cap = {}
        hk = det.register_forward_hook(lambda m, i, o: cap.update(feats=i[0]))
        with torch.no_grad():
            model(x)
            hk.remove()
            feats = cap["feats"]
            box = torch.cat([det.cv2[i](f).flatten(2) for i, f in enumerate(feats)], 2)
            cls = torch.cat([det.cv3[i](f).flatten(2) for i, f in enumerate(feats)], 2)
            xyxy, scores = decode(box, cls, [f.shape[2:] for f in feats], [8, 16, 32])
            seg = hasattr(det, "cv4")
            if seg:
                coef = torch.cat([det.cv4[i](f).flatten(2) for i, f in enumerate(feats)], 2)[0]
                protos = det.proto(feats[0])[0]
        conf = im["conf"]
        sc, cl = scores.max(0)
        keep = sc > conf
        b, s, c = xyxy[:, keep].T, sc[keep], cl[keep]
        k = torchvision.ops.nms(b + c[:, None].float() * 7680, s, 0.7)[:300]
        b, s, c = b[k].clone(), s[k], c[k]
        H, W = x.shape[2:]
        g = min(H / h0, W / w0); nh, nw = max(round(h0 * g), 1), max(round(w0 * g), 1)
        px, py = round((W - nw) / 2 - 0.1), round((H - nh) / 2 - 0.1)
        b[:, [0, 2]] = ((b[:, [0, 2]] - px) / (nw / w0)).clamp(0, w0)
        b[:, [1, 3]] = ((b[:, [1, 3]] - py) / (nh / h0)).clamp(0, h0)
        dets = im["detections"]
        assert len(dets) == len(b), (len(dets), len(b))
        assert all(d["class_id"] == int(cc) for d, cc in zip(dets, c))
        worst.append(max(abs(np.array(d["box"]) - bb.numpy()).max() for d, bb in zip(dets, b)))
        worst.append(max(abs(d["score"] - float(ss)) for d, ss in zip(dets, s)))
        if seg:
            mh, mw = protos.shape[1:]
            logits = (coef[:, keep][:, k].T @ protos.view(32, -1)).view(-1, 1, mh, mw)
            gm = min(4 * mh / h0, 4 * mw / w0); nh4, nw4 = max(round(h0 * gm), 1), max(round(w0 * gm), 1)
            pad = (4 * mh - nh4) | (4 * mw - nw4)
            f = 4 // math.gcd(4, pad | pad // 2)
            L = F.interpolate(logits, scale_factor=f, mode="bilinear") if f > 1 else logits
            Hh, Ww = L.shape[2:]
            gg = min(Hh / h0, Ww / w0); nh2, nw2 = max(round(h0 * gg), 1), max(round(w0 * gg), 1)
            top, left = round((Hh - nh2) / 2 - 0.1), round((Ww - nw2) / 2 - 0.1)
            L = F.interpolate(L[..., top:top + nh2, left:left + nw2], (h0, w0), mode="bilinear")[:, 0]
            cols, rows = torch.arange(w0)[None, None, :], torch.arange(h0)[None, :, None]
            bb = b[:, :, None]
            inside = (cols >= bb[:, 0:1]) & (cols < bb[:, 2:3]) & (rows >= bb[:, 1:2]) & (rows < bb[:, 3:4])
            m = ((L > 0) & inside).numpy().astype(np.uint8)
            ious = []
            for d, mm in zip(dets, m):
                if "mask" not in d: continue
                r = {"size": d["mask"]["size"], "counts": d["mask"]["counts"].encode()}
                ious.append(mu.iou([r], [mu.encode(np.asfortranarray(mm))], [0])[0][0])
            print(name, im["file"], "f", f, "min mask IoU", min(ious), "exact", sum(i == 1.0 for i in ious), "/", len(ious))
            assert min(ious) >= 0.999
        print(name, im["file"], len(dets), "max box/score diff", worst[-2], worst[-1])
        assert worst[-2] < 0.02 and worst[-1] < 1e-4

if __name__ == "__main__":
    if len(sys.argv) > 1:  # a directory written by gen_yolov8_fixtures.py --full
        for n in ["yolov8n", "yolov8n-seg"]:
            run(n, sys.argv[1].rstrip("/") + "/")
    else:
        for n in ["yolov8n_tiny", "yolov8n_seg_tiny_custom3"]:
            run(n)
