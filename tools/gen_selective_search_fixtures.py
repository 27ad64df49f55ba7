#!/usr/bin/env python3
"""Reference outputs of OpenCV contrib's graph segmentation and selective search's image preparation, for
Tests/ArgusProposalsTests (ArgusProposals reproduces them exactly).

Run from the repository root:
    /work/venv-ref/bin/python tools/gen_selective_search_fixtures.py
The venv needs numpy, Pillow and opencv-contrib-python-headless (cv2.ximgproc; it replaces
opencv-python-headless, which must be uninstalled first: both install the `cv2` package). The images come from
../shared/datasets/coco128 (the tests skip the cases that need them when ../shared is absent).

Output, under Tests/ArgusProposalsTests/Fixtures/:
  selective_search_cases.json
    opencv             cv2.__version__ and cv2.getCPUFeaturesLine() (the float Gaussian blur rounds differently
                       on other SIMD widths; these fixtures are for x86-64 dispatching to AVX2 + FMA)
    kernels            cv2.getGaussianKernel(ksize, sigma, CV_32F) as float32 bit patterns, ksize as GaussianBlur
                       derives it for a float image (round(8 sigma + 1) | 1), for a grid of sigmas >= 0.5625
    blur               sha256 of cv2.GaussianBlur(float32 image, (0, 0), sigma) on images from the tests' LCG
                       (x = x * 1664525 + 1013904223 mod 2^32, byte = x >> 24), many widths (the SIMD tails)
    color              sha256 of cv2.cvtColor(cube, BGR2HSV / BGR2Lab) where cube is the 4096 x 4096 BGR image
                       holding every colour once (B = i & 255, G = (i >> 8) & 255, R = i >> 16, i row-major)
    segmentations      graph segmentations whose label maps are stored as PNGs (labels/*.png, label id in the
                       RGB bytes: R + 256 G + 65536 B): coco128 images resized to 200 px on the long side
                       (cv2.resize INTER_LINEAR) and one at full size; selective search's inputs (HSV and Lab,
                       sigma = float32(0.8), k = 150, 300, 450, min_size = 100) and the BGR image itself
                       (sigma = 0.8 as a double, k = 300)
    synthetic          graph segmentations of blocky LCG images (a 4-colour palette on a grid of cells), where
                       many edges have exactly equal weights, so the result depends on std::sort's tie order
    coverage           sha256 of the int32 label maps (and of the resized image and its HSV/Lab conversions) for
                       every coco128 image at 200 px and a few at full size, selective search's six
                       segmentations each
  selective_search_boxes.json
    cv2.ximgproc.segmentation.createSelectiveSearchSegmentation() on coco128 images resized to 200 px on the
    long side (as above), switchToSelectiveSearchFast() / switchToSelectiveSearchQuality() with their defaults
    (base_k = inc_k = 150, sigma = 0.8f), process(). The box set as count + sha256 of the unique [x, y, w, h]
    int32 rows sorted ascending (whole lists for the first image); the order as sha256 of the rows as process()
    returns them, run as the first rand() user of a fresh Python process (the order comes from glibc's rand(),
    whose state is then the default seed 1); and, for the first image, the box set of single groupings (one
    image, one graph segmentation, one strategy) to localise a difference. Quality mode's fourth image is the
    blue channel, not hue as its source intends (a second split() into the same Mat array overwrites it).
    Also, for the first image, sha256 of each BGR plane rotated by 45 degrees as the texture strategy does (and
    of each of its rows).
  labels/*.png

Deterministic: the same OpenCV build on the same kind of CPU writes the same files (PNG through Pillow at a fixed
compression level); nothing depends on time or randomness.
"""
import glob
import hashlib
import json
import os
import subprocess
import sys

import cv2
import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "ArgusProposalsTests", "Fixtures")
LABELS = os.path.join(FIXTURES, "labels")
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
COCO = "datasets/coco128/images/train2017"

SS_SIGMA = float(np.float32(0.8))  # switchToSelectiveSearchFast takes a float
SS_KS = [150, 300, 450]
MIN_SIZE = 100  # createGraphSegmentation's default, which selective search keeps


def sha(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def lcg_bytes(seed, count):
    out = np.empty(count, np.uint8)
    x = seed & 0xFFFFFFFF
    for i in range(count):
        x = (x * 1664525 + 1013904223) & 0xFFFFFFFF
        out[i] = x >> 24
    return out


def kernel_size(sigma):
    return int(np.rint(sigma * 4 * 2 + 1)) | 1


def segment(image, sigma, k, min_size=MIN_SIZE):
    return cv2.ximgproc.segmentation.createGraphSegmentation(sigma, float(k), min_size).processImage(image)


def write_labels(labels, name):
    assert labels.dtype == np.int32 and labels.min() >= 0 and labels.max() < (1 << 24)
    v = labels.astype(np.uint32)
    rgb = np.stack([v & 255, (v >> 8) & 255, v >> 16], axis=-1).astype(np.uint8)
    Image.fromarray(rgb, "RGB").save(os.path.join(LABELS, name), compress_level=9)
    return "labels/" + name


def resized(path, long_side):
    img = cv2.imread(os.path.join(SHARED, path))
    h, w = img.shape[:2]
    if long_side is None:
        return img
    s = long_side / max(h, w)
    size = (max(1, int(round(w * s))), max(1, int(round(h * s))))
    return cv2.resize(img, size, interpolation=cv2.INTER_LINEAR)


def blocky(seed, blocks_w, blocks_h, cell):
    palette = lcg_bytes(seed, 12).reshape(4, 3)
    index = lcg_bytes(seed * 7 + 1, blocks_w * blocks_h) % 4
    img = palette[index].reshape(blocks_h, blocks_w, 3)
    return np.repeat(np.repeat(img, cell, 0), cell, 1).copy()


def compact_json(cases):
    """One JSON object per line inside each top-level list (readable diffs, small file)."""
    parts = []
    for key, value in cases.items():
        if isinstance(value, list):
            body = ",\n".join("  " + json.dumps(item, separators=(",", ":")) for item in value)
            parts.append(f"{json.dumps(key)}: [\n{body}\n ]")
        else:
            parts.append(f"{json.dumps(key)}: {json.dumps(value, separators=(',', ':'))}")
    return "{\n " + ",\n ".join(parts) + "\n}\n"


SS_FAST_IMAGES = 24
SS_QUALITY_IMAGES = 12

ORDER_SCRIPT = """
import sys, hashlib, cv2, numpy as np
img = np.load(sys.argv[1])
ss = cv2.ximgproc.segmentation.createSelectiveSearchSegmentation()
ss.setBaseImage(img)
getattr(ss, sys.argv[2])()
rects = np.ascontiguousarray(ss.process().astype(np.int32))
print(hashlib.sha256(rects.tobytes()).hexdigest(), len(rects))
"""


def ss_process(bgr, mode):
    ss = cv2.ximgproc.segmentation.createSelectiveSearchSegmentation()
    ss.setBaseImage(bgr)
    getattr(ss, mode)()
    return ss.process().astype(np.int32)


def sorted_unique(rects):
    rows = sorted(set(map(tuple, rects.tolist())))
    return np.array(rows, np.int32).reshape(-1, 4)


def ss_order_in_fresh_process(bgr, mode):
    """sha256 and count of process()'s list in OpenCV's order, as the first rand() user of a new process."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "img.npy")
        np.save(path, bgr)
        out = subprocess.run([sys.executable, "-c", ORDER_SCRIPT, path, mode], check=True, capture_output=True,
                             text=True).stdout.split()
    return out[0], int(out[1])


def ss_single_groupings(bgr):
    """Box sets of single groupings: (image, k, strategy) one at a time."""
    seg = cv2.ximgproc.segmentation
    hsv, lab = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV), cv2.cvtColor(bgr, cv2.COLOR_BGR2Lab)
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    rgi = cv2.merge([bgr[:, :, 2], bgr[:, :, 1], gray])
    # Quality mode's fourth image is meant to be hue, but OpenCV's second split() into the same Mat array
    # overwrites it with blue before process() runs; both are recorded.
    images = [("hsv", hsv), ("lab", lab), ("gray", gray), ("hue", np.ascontiguousarray(hsv[:, :, 0])),
              ("blue", np.ascontiguousarray(bgr[:, :, 0])), ("rgI", rgi)]
    strategies = {
        "color+fill+texture+size": lambda: seg.createSelectiveSearchSegmentationStrategyMultiple(
            seg.createSelectiveSearchSegmentationStrategyColor(), seg.createSelectiveSearchSegmentationStrategyFill(),
            seg.createSelectiveSearchSegmentationStrategyTexture(), seg.createSelectiveSearchSegmentationStrategySize()),
        "fill+texture+size": lambda: seg.createSelectiveSearchSegmentationStrategyMultiple(
            seg.createSelectiveSearchSegmentationStrategyFill(), seg.createSelectiveSearchSegmentationStrategyTexture(),
            seg.createSelectiveSearchSegmentationStrategySize()),
        "fill": seg.createSelectiveSearchSegmentationStrategyFill,
        "size": seg.createSelectiveSearchSegmentationStrategySize,
        "color": seg.createSelectiveSearchSegmentationStrategyColor,
        "texture": seg.createSelectiveSearchSegmentationStrategyTexture,
    }
    out = []
    for space, img in images:
        for k in ([150, 300, 450] if space in ("hsv", "lab") else [150]):
            for name, make in strategies.items():
                ss = seg.createSelectiveSearchSegmentation()
                ss.setBaseImage(bgr)
                ss.clearImages(); ss.clearGraphSegmentations(); ss.clearStrategies()
                ss.addImage(img)
                gs = seg.createGraphSegmentation(SS_SIGMA, float(k), MIN_SIZE)
                ss.addGraphSegmentation(gs)
                ss.addStrategy(make())
                boxes = sorted_unique(ss.process().astype(np.int32))
                out.append({"space": space, "k": k, "strategy": name, "count": len(boxes), "sha256": sha(boxes)})
    return out


def rotated_planes(bgr):
    """The texture strategy's first step on each BGR plane: rotation by 45 degrees into the bounding box
    (cv2.warpAffine, 8-bit, INTER_LINEAR, constant 0 border), as sha256 of the rotated plane and the first 8 hex
    digits of each row's sha256 (to count the rows that differ)."""
    out = []
    h, w = bgr.shape[:2]
    for c in range(3):
        plane = np.ascontiguousarray(bgr[:, :, c])
        center = (w / 2.0, h / 2.0)
        rot = cv2.getRotationMatrix2D(center, 45.0, 1.0)
        bx, by, bw, bh = cv2.RotatedRect(center, (w, h), 45.0).boundingRect()
        rot[0, 2] += bw / 2.0 - center[0]
        rot[1, 2] += bh / 2.0 - center[1]
        rotated = cv2.warpAffine(plane, rot, (bw, bh))
        out.append({"channel": c, "width": bw, "height": bh, "sha256": sha(rotated),
                    "row_sha256_prefixes": [sha(row)[:8] for row in rotated]})
    return out


def selective_search_boxes(names):
    cases = {"opencv": {"version": cv2.__version__, "cpu_features": cv2.getCPUFeaturesLine()}, "images": []}
    modes = [("fast", "switchToSelectiveSearchFast", SS_FAST_IMAGES),
             ("quality", "switchToSelectiveSearchQuality", SS_QUALITY_IMAGES)]
    for index, name in enumerate(names[:max(SS_FAST_IMAGES, SS_QUALITY_IMAGES)]):
        path = f"{COCO}/{name}"
        bgr = resized(path, 200)
        entry = {"image": path, "long_side": 200, "width": bgr.shape[1], "height": bgr.shape[0],
                 "resized_bgr_sha256": sha(bgr)}
        for mode, method, count in modes:
            if index >= count:
                continue
            boxes = sorted_unique(ss_process(bgr, method))
            order_sha, order_count = ss_order_in_fresh_process(bgr, method)
            assert order_count == len(boxes)
            entry[mode] = {"count": len(boxes), "sorted_sha256": sha(boxes), "order_sha256": order_sha}
            if index == 0:
                entry[mode]["boxes"] = boxes.tolist()
        if index == 0:
            entry["groupings"] = ss_single_groupings(bgr)
            entry["rotated_planes"] = rotated_planes(bgr)
        cases["images"].append(entry)
    return cases


def main():
    os.makedirs(LABELS, exist_ok=True)
    for old in glob.glob(os.path.join(LABELS, "*.png")):
        os.remove(old)
    # Dispatched features: "*X" was compiled for dispatch, a trailing "?" means this CPU lacks it.
    features = cv2.getCPUFeaturesLine().split()
    available = {f.strip("*") for f in features if not f.endswith("?")}
    cases = {"opencv": {"version": cv2.__version__, "cpu_features": cv2.getCPUFeaturesLine()}}
    if "AVX2" not in available or "AVX512-SKX" in available:
        print("warning: OpenCV does not dispatch to AVX2 (and not AVX-512) here; its float blur may round differently")

    # Gaussian kernels.
    sigmas = sorted(set([round(0.57 + 0.01 * i, 2) for i in range(244)] + [SS_SIGMA, 0.8, 1.0 / 3 + 0.5, 2.5]))
    cases["kernels"] = []
    for s in sigmas:
        n = kernel_size(s)
        k = cv2.getGaussianKernel(n, s, cv2.CV_32F).ravel().astype(np.float32)
        cases["kernels"].append({"sigma": s, "size": n, "bits": k.view(np.uint32).tolist()})

    # Gaussian blur of float images: sizes chosen so width * 3 hits every tail of the 16/8/4-lane loops.
    cases["blur"] = []
    sizes = [(w, h) for w in [1, 2, 3, 5, 6, 7, 8, 11, 13, 16, 21, 33, 64, 199, 201, 203, 205] for h in [1, 2, 3, 7, 40]]
    for i, (w, h) in enumerate(sizes):
        for sigma in ([SS_SIGMA, 0.8, 1.3, 2.0] if i % 3 == 0 else [SS_SIGMA]):
            seed = 1000 + i
            img = lcg_bytes(seed, w * h * 3).reshape(h, w, 3).astype(np.float32)
            out = cv2.GaussianBlur(img, (0, 0), sigma, sigma)
            cases["blur"].append({"seed": seed, "width": w, "height": h, "sigma": sigma, "sha256": sha(out)})

    # Colour conversions on every colour.
    v = np.arange(1 << 24, dtype=np.uint32)
    cube = np.stack([v & 255, (v >> 8) & 255, v >> 16], axis=-1).astype(np.uint8).reshape(4096, 4096, 3)
    cases["color"] = {"hsv_sha256": sha(cv2.cvtColor(cube, cv2.COLOR_BGR2HSV)),
                      "lab_sha256": sha(cv2.cvtColor(cube, cv2.COLOR_BGR2Lab))}
    del cube, v

    have_shared = os.path.isdir(os.path.join(SHARED, COCO))
    if not have_shared:
        print(f"warning: {os.path.join(SHARED, COCO)} is absent: no image cases written")
    names = sorted(os.path.basename(p) for p in glob.glob(os.path.join(SHARED, COCO, "*.jpg")))

    # Label maps stored whole.
    cases["segmentations"] = []
    stored = [(n, 200) for n in names[:6]] + [(n, None) for n in names[:1]]
    for name, long_side in stored:
        path = f"{COCO}/{name}"
        bgr = resized(path, long_side)
        h, w = bgr.shape[:2]
        tag = f"{name[:-4]}_{long_side or 'full'}"
        images = [("bgr", bgr, [(0.8, 300)]),
                  ("hsv", cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV), [(SS_SIGMA, k) for k in SS_KS]),
                  ("lab", cv2.cvtColor(bgr, cv2.COLOR_BGR2Lab), [(SS_SIGMA, k) for k in SS_KS])]
        for space, img, params in images:
            for sigma, k in params:
                labels = segment(img, sigma, k)
                png = write_labels(labels, f"{tag}_{space}_k{k}.png")
                cases["segmentations"].append({
                    "image": path, "long_side": long_side, "width": w, "height": h,
                    "resized_bgr_sha256": sha(bgr), "space": space, "sigma": sigma, "k": k, "min_size": MIN_SIZE,
                    "segments": int(labels.max()) + 1, "labels_sha256": sha(labels), "png": png})

    # Blocky synthetic images: exact ties between edge weights everywhere.
    cases["synthetic"] = []
    for seed in range(1, 9):
        cell = 5 + seed % 4
        img = blocky(seed, 8, 6, cell)
        for k, min_size in [(150, 100), (300, 100), (50, 20)]:
            labels = segment(img, SS_SIGMA, k, min_size)
            png = write_labels(labels, f"blocky_s{seed}_k{k}_m{min_size}.png")
            cases["synthetic"].append({"seed": seed, "blocks_w": 8, "blocks_h": 6, "cell": cell, "sigma": SS_SIGMA,
                                       "k": k, "min_size": min_size, "segments": int(labels.max()) + 1,
                                       "labels_sha256": sha(labels), "png": png})

    # Hashes only: every coco128 image at 200 px, a few at full size.
    cases["coverage"] = []
    for name, long_side in [(n, 200) for n in names] + [(n, None) for n in names[1:9]]:
        path = f"{COCO}/{name}"
        bgr = resized(path, long_side)
        hsv, lab = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV), cv2.cvtColor(bgr, cv2.COLOR_BGR2Lab)
        cases["coverage"].append({
            "image": path, "long_side": long_side, "width": bgr.shape[1], "height": bgr.shape[0],
            "resized_bgr_sha256": sha(bgr), "hsv_sha256": sha(hsv), "lab_sha256": sha(lab),
            "sigma": SS_SIGMA, "ks": SS_KS, "min_size": MIN_SIZE,
            "hsv_labels_sha256": [sha(segment(hsv, SS_SIGMA, k)) for k in SS_KS],
            "lab_labels_sha256": [sha(segment(lab, SS_SIGMA, k)) for k in SS_KS]})

    with open(os.path.join(FIXTURES, "selective_search_cases.json"), "w") as f:
        f.write(compact_json(cases))
    total = sum(os.path.getsize(p) for p in glob.glob(os.path.join(FIXTURES, "**", "*"), recursive=True)
                if os.path.isfile(p))
    print(f"wrote {len(cases['segmentations'])} stored label maps, {len(cases['synthetic'])} synthetic, "
          f"{len(cases['coverage'])} coverage images; fixtures total {total} bytes")

    if have_shared:
        boxes = selective_search_boxes(names)
        with open(os.path.join(FIXTURES, "selective_search_boxes.json"), "w") as f:
            f.write(compact_json(boxes))
        print(f"wrote selective search box sets for {len(boxes['images'])} images")


if __name__ == "__main__":
    main()
