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
  labels/*.png

Deterministic: the same OpenCV build on the same kind of CPU writes the same files (PNG through Pillow at a fixed
compression level); nothing depends on time or randomness.
"""
import glob
import hashlib
import json
import os

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


if __name__ == "__main__":
    main()
