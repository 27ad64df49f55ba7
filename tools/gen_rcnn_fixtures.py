#!/usr/bin/env python3
"""Reference outputs for Argus's R-CNN (SlowRCNN): regions warped with context padding by torchvision's
roi_align, run through torchvision's AlexNet in batches, softmax scores, per-class batched_nms.

Run from the repository root:
    /work/venv-ref/bin/python tools/gen_rcnn_fixtures.py
(the reference venv is made by `bash ../shared/bench/install_venv.sh DIR`; it has opencv-contrib-python-headless).
Deterministic and single-threaded; about a minute. Writes Tests/ArgusModelsTests/Fixtures/rcnn/:

  regions.json   000000000025.jpg (coco128, 640x426): OpenCV's first 40 fast-mode selective search boxes and
                 hand-made boxes at and beyond the borders, sub-pixel and zero-width boxes; per region the placement,
                 the warped input's statistics, the top-5 probabilities; the detections at conf 0.3 and at 0.05.
  small.png      a 96x128 RGB PNG made here from 000000000036.jpg (PIL, bilinear), so both sides read the same pixels.
  small.json     selective search (fast) on small.png: every box OpenCV gives, and the R-CNN detections over all of them.

The warp, written out here independently of Argus from the R-CNN paper (appendix A) and rcnn's rcnn_im_crop.m:
  * the box [x1, y1, x2, y2] (pixel edges) is grown about its centre by S / (S - 2p) (S = 224, the classifier's
    crop; p = 16): once warped to S x S, p pixels of context surround it;
  * the grown edges are rounded half away from zero (MATLAB's round) to whole pixels, at least one pixel apart,
    and clipped to the image (a box wholly outside gets no scores);
  * the clipped window lands at offset round((clipped - grown start) * S / grown extent) with extent
    round(clipped extent * S / grown extent) (at least 1, at most what is left of S) in the S x S frame;
  * its pixels are resized bilinearly with half-pixel centres, no antialias, edges repeated at the WINDOW's border
    (imresize of the cropped window): here torchvision.ops.roi_align on the cropped window with the box
    [0, 0, w, h], aligned=True, sampling_ratio=1 (one bilinear sample at each output pixel's centre), checked
    against torch.nn.functional.interpolate(bilinear, align_corners=False): equal in float64 (1e-9);
  * normalised as torchvision's preset, (v / 255 - mean) / std; outside the window the frame is 0 (the mean).
Scores: softmax over AlexNet's 1000 logits, weights from the fixtures' rule (gain 6, as the classification
fixtures). Detections: per (region, class) with probability >= conf, the box clipped to the image, then
torchvision.ops.batched_nms(iou 0.3) and the first 100. The float64 twin gives the reference's own noise.
"""
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torchvision.ops import batched_nms, roi_align

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_classification_fixtures as cls  # noqa: E402
import gen_torchvision_fixtures as base  # noqa: E402
from reference_noise import detection_noise, nms_margins  # noqa: E402

OUT = base.REPO / "Tests/ArgusModelsTests/Fixtures/rcnn"
S, P = 224, 16
MEAN = torch.tensor([0.485, 0.456, 0.406], dtype=torch.float64)
STD = torch.tensor([0.229, 0.224, 0.225], dtype=torch.float64)
IOU, MAX_DET = 0.3, 100
CONFS = [0.3, 0.05]
BATCH = 16


def round_half_away(v):
    return int(math.floor(abs(v) + 0.5)) * (1 if v >= 0 else -1)


def axis(lo, hi, extent):
    scale = S / (S - 2 * P)
    centre, half = (lo + hi) / 2, (hi - lo) / 2 * scale
    a = round_half_away(centre - half)
    b = max(round_half_away(centre + half), a + 1)
    c, d = max(a, 0), min(b, extent)
    if d <= c:
        return None
    per = S / (b - a)
    offset = min(round_half_away((c - a) * per), S - 1)
    length = min(max(round_half_away((d - c) * per), 1), S - offset)
    return c, d, offset, length


def placement(box, w, h):
    x, y = axis(float(np.float32(box[0])), float(np.float32(box[2])), w), axis(float(np.float32(box[1])), float(np.float32(box[3])), h)
    if x is None or y is None:
        return None
    return {"x0": x[0], "x1": x[1], "y0": y[0], "y1": y[1], "left": x[2], "width": x[3], "top": y[2], "height": y[3]}


def warp(img, pl, dtype):
    """img: uint8 [3, H, W]. The normalised S x S frame in `dtype`."""
    window = img[:, pl["y0"]:pl["y1"], pl["x0"]:pl["x1"]].to(dtype)[None]
    wh, ww = window.shape[-2:]
    rois = torch.tensor([[0, 0, 0, ww, wh]], dtype=dtype)
    out = roi_align(window, rois, output_size=(pl["height"], pl["width"]), spatial_scale=1.0, sampling_ratio=1,
                    aligned=True)[0]
    check = F.interpolate(window, size=(pl["height"], pl["width"]), mode="bilinear", align_corners=False,
                          antialias=False)[0]
    # Equal up to rounding: in float32 the sample positions round differently (up to 1e-4 px), in float64 equal.
    assert float((out - check).abs().max()) < (0.1 if dtype == torch.float32 else 1e-9), pl
    frame = torch.zeros(3, S, S, dtype=dtype)
    norm = (out / 255 - MEAN.to(dtype)[:, None, None]) / STD.to(dtype)[:, None, None]
    frame[:, pl["top"]:pl["top"] + pl["height"], pl["left"]:pl["left"] + pl["width"]] = norm
    return frame


def frame_stats(t):
    samples = []
    for k in range(24):
        c, y, x = (37 * k + 3) % 3, (13 * k + 1) % S, (29 * k + 2) % S
        samples.append([c, y, x, float(t[c, y, x])])
    d = t.double()
    return {"mean": float(d.mean()), "std": float(d.std()), "samples": samples}


def probabilities(model, frames):
    out = []
    with torch.inference_mode():
        for i in range(0, len(frames), BATCH):
            out.append(torch.softmax(model(torch.stack(frames[i:i + BATCH])), 1))
    return torch.cat(out) if out else torch.zeros(0, 1000, dtype=frames[0].dtype if frames else torch.float32)


def detections(boxes, probs, inside, w, h, conf):
    """The R-CNN postprocess: candidates in region-major, class-minor order, batched_nms, the first MAX_DET.
    Returns the detections {boxes, scores, labels} and the NMS's inputs and output."""
    cand_boxes, scores, labels = [], [], []
    for i in inside:
        b = torch.tensor(boxes[i], dtype=torch.float32)
        b = torch.stack([b[0].clamp(0, w), b[1].clamp(0, h), b[2].clamp(0, w), b[3].clamp(0, h)])
        for c in torch.nonzero(probs[i] >= conf).flatten().tolist():
            cand_boxes.append(b); scores.append(float(probs[i, c])); labels.append(c)
    B = (torch.stack(cand_boxes) if cand_boxes else torch.zeros(0, 4)).to(probs.dtype)
    Sc, L = torch.tensor(scores, dtype=probs.dtype), torch.tensor(labels, dtype=torch.int64)
    keep = batched_nms(B, Sc, L, IOU)
    top = keep[:MAX_DET]
    dets = {"boxes": [[float(v) for v in B[k]] for k in top], "scores": [float(Sc[k]) for k in top],
            "labels": [int(L[k]) for k in top]}
    return dets, (B, Sc, L, keep)


def run(model, model64, img, boxes):
    h, w = img.shape[-2:]
    pls = [placement(b, w, h) for b in boxes]
    inside = [i for i, p in enumerate(pls) if p is not None]
    f32 = [warp(img, pls[i], torch.float32) for i in inside]
    f64 = [warp(img, pls[i], torch.float64) for i in inside]
    p32 = torch.zeros(len(boxes), 1000)
    p64 = torch.zeros(len(boxes), 1000, dtype=torch.float64)
    if inside:
        p32[inside] = probabilities(model, f32)
        p64[inside] = probabilities(model64, f64)
    frame_noise = max((float((a.double() - b).abs().max()) for a, b in zip(f32, f64)), default=0.0)
    regions = []
    for i, b in enumerate(boxes):
        entry = {"box": [float(v) for v in b], "placement": pls[i]}
        if pls[i] is not None:
            k = inside.index(i)
            values, ids = p64[i].topk(5)
            entry["frame"] = frame_stats(f32[k])
            entry["top5"] = [{"class_id": int(c), "probability": float(p32[i, c]), "probability64": float(v)}
                             for v, c in zip(values, ids)]
        regions.append(entry)
    noise = {"max_abs_frame": frame_noise, "max_abs_probability": float((p32.double() - p64).abs().max())}
    results = []
    for conf in CONFS:
        dets, (B, Sc, L, keep) = detections(boxes, p32, inside, w, h, conf)
        # The float64 scores through the same postprocess (in float64, so no rounding hides a near-tie).
        dets64, _ = detections(boxes, p64, inside, w, h, conf)
        record = detection_noise(dets, dets64, cap=MAX_DET, threshold=conf)
        record["nms"] = nms_margins(B, Sc, L, keep, IOU, len(dets["scores"]), suppressed_floor=conf)
        results.append({"conf": conf, "iou": IOU, "max_det": MAX_DET, "detections": dets, "noise": record})
    return regions, results, noise


def selective_search(rgb):
    import cv2
    cv2.setNumThreads(1)
    ss = cv2.ximgproc.segmentation.createSelectiveSearchSegmentation()
    ss.setBaseImage(np.ascontiguousarray(rgb[:, :, ::-1]))
    ss.switchToSelectiveSearchFast()
    return [[int(x), int(y), int(x + bw), int(y + bh)] for x, y, bw, bh in ss.process()]


def main():
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    model = torchvision.models.alexnet(weights=None)
    gain = cls.GAINS["alexnet"]
    base.fill_weights(model, (gain, gain))
    model.eval()
    model64 = base.float64_twin(model)
    header = {"torch": torch.__version__, "torchvision": torchvision.__version__, "classifier": "alexnet",
              "weight_gain": [gain, gain], "state_dict": base.state_dict_summary(model), "size": S, "padding": P}

    name = "000000000025.jpg"
    img = cls.decode(name)
    h, w = img.shape[-2:]
    ss = selective_search(img.permute(1, 2, 0).numpy())
    edge = [[0, 0, w, h], [-20, -10, 50, 40], [w - 5, h - 5, w + 30, h + 30], [w + 10, 0, w + 50, 40],
            [100.4, 50.6, 100.4, 80.2], [10.5, 20.25, 11.0, 21.0], [300, 200, 301, 201], [0, 100, w, 104],
            [200, 0, 260, 3], [-50, -50, -10, -10], [5, 5, w - 5, h - 5], [600.7, 380.2, 639.9, 425.6]]
    boxes = ss[:40] + edge
    regions, results, noise = run(model, model64, img, boxes)
    doc = {**header, "file": name, "width": w, "height": h, "regions": regions, "results": results, "noise": noise}
    (OUT / "regions.json").write_text(json.dumps(doc, indent=1) + "\n")

    from PIL import Image
    small = Image.open(base.COCO / "000000000036.jpg").convert("RGB").resize((96, 128), Image.BILINEAR)
    small.save(OUT / "small.png", optimize=True)
    arr = np.asarray(Image.open(OUT / "small.png").convert("RGB"))
    simg = torch.from_numpy(arr.copy()).permute(2, 0, 1).contiguous()
    sboxes = selective_search(arr)
    regions, results, noise = run(model, model64, simg, sboxes)
    doc = {**header, "file": "small.png", "width": 96, "height": 128, "boxes": sboxes, "results": results,
           "noise": noise, "top5": [r.get("top5") for r in regions]}
    (OUT / "small.json").write_text(json.dumps(doc, indent=1) + "\n")
    print(f"regions: {len(boxes)} boxes; small.png: {len(sboxes)} selective search boxes")
    for r in results:
        print("small conf", r["conf"], "detections", len(r["detections"]["scores"]), "unstable", r["noise"]["unstable"])


if __name__ == "__main__":
    main()
