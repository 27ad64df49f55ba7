#!/usr/bin/env python3
"""Reference fixtures for ArgusMask's panoptic merge and polygon tracing (tools/mask_fixtures/*.json).

Run:  /work/venv-ref/bin/python tools/gen_mask_encoding_fixtures.py
(the venv is made by `bash ../shared/bench/install_venv.sh DIR`; it has numpy, pycocotools 2.0.11 and
opencv-python-headless). The polygon baseline needs ../shared/datasets/coco128 and is skipped without it.

panoptic_cases.json: random instance masks + semantic maps merged by `combine_reference` below, a numpy
transcription, line by line, of Detectron2's `combine_semantic_and_instance_outputs`
(detectron2/modeling/meta_arch/panoptic_fpn.py, facebookresearch/detectron2). Scores are distinct, so
torch.argsort's unstable order does not matter.

polygon_baseline.json (informative): how well the pixel-centre contours of OpenCV (cv2.findContours,
RETR_CCOMP, CHAIN_APPROX_SIMPLE) survive pycocotools rasterisation on the COCO128 instance masks; the Swift
test prints it next to Argus' pixel-edge tracing of the same masks.
"""
import json
import os

import numpy as np
from pycocotools import mask as mask_utils

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'mask_fixtures')
SHARED = os.path.join(HERE, '..', '..', 'shared')


def combine_reference(masks, scores, classes, semantic, overlap_threshold, stuff_area_thresh,
                      instances_score_thresh):
    """Detectron2 combine_semantic_and_instance_outputs, with numpy arrays for torch tensors."""
    panoptic_seg = np.zeros(semantic.shape, dtype=np.int32)
    sorted_inds = np.argsort(-scores, kind='stable')
    current_segment_id = 0
    segments_info = []
    for inst_id in sorted_inds:
        score = float(scores[inst_id])
        if score < instances_score_thresh:
            break
        mask = masks[inst_id].astype(bool)
        mask_area = int(mask.sum())
        if mask_area == 0:
            continue
        intersect = (mask > 0) & (panoptic_seg > 0)
        intersect_area = int(intersect.sum())
        if intersect_area * 1.0 / mask_area > overlap_threshold:
            continue
        if intersect_area > 0:
            mask = mask & (panoptic_seg == 0)
        current_segment_id += 1
        panoptic_seg[mask] = current_segment_id
        segments_info.append({'id': current_segment_id, 'isthing': True, 'score': score,
                              'category_id': int(classes[inst_id]), 'instance_id': int(inst_id)})
    for semantic_label in np.unique(semantic).tolist():
        if semantic_label == 0:
            continue
        mask = (semantic == semantic_label) & (panoptic_seg == 0)
        mask_area = int(mask.sum())
        if mask_area < stuff_area_thresh:
            continue
        current_segment_id += 1
        panoptic_seg[mask] = current_segment_id
        segments_info.append({'id': current_segment_id, 'isthing': False, 'category_id': semantic_label,
                              'area': mask_area})
    return panoptic_seg, segments_info


def runs_column_major(mask):
    """Uncompressed COCO RLE counts (column-major, starting with zeros)."""
    flat = np.asarray(mask, dtype=np.uint8).flatten(order='F')
    counts, current, run = [], 0, 0
    for v in flat:
        if v != current:
            counts.append(run)
            run, current = 0, v
        run += 1
    counts.append(run)
    return counts


def blob(rng, h, w):
    """A random filled ellipse or rectangle, sometimes with a rectangular hole."""
    yy, xx = np.mgrid[0:h, 0:w]
    cy, cx = rng.uniform(0, h), rng.uniform(0, w)
    ry, rx = rng.uniform(3, h / 2), rng.uniform(3, w / 2)
    if rng.random() < 0.5:
        m = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
    else:
        m = (abs(yy - cy) <= ry) & (abs(xx - cx) <= rx)
    if rng.random() < 0.3:
        m &= ~((abs(yy - cy) <= ry / 3) & (abs(xx - cx) <= rx / 3))
    return m


def panoptic_cases():
    rng = np.random.default_rng(2026)
    cases = []
    for k in range(6):
        h, w = int(rng.integers(30, 61)), int(rng.integers(30, 71))
        # Semantic map: a few classes painted as blobs over background 0.
        semantic = np.zeros((h, w), dtype=np.uint8)
        for _ in range(int(rng.integers(2, 7))):
            semantic[blob(rng, h, w)] = int(rng.integers(0, 8))
        n = int(rng.integers(0, 9))
        masks = np.stack([blob(rng, h, w) for _ in range(n)]) if n else np.zeros((0, h, w), bool)
        if n > 1 and k % 2 == 0:
            masks[-1] = masks[0]  # an exact duplicate: must be dropped by the overlap rule
        scores = rng.permutation(np.linspace(0.3, 0.99, n)).astype(np.float32) if n else np.zeros(0, np.float32)
        classes = rng.integers(1, 91, size=n)
        overlap = [0.5, 0.3, 0.8][k % 3]
        stuff_area = [60, 150, 0, 400][k % 4]
        score_thresh = [0.5, 0.4][k % 2]
        seg, info = combine_reference(masks, scores, classes, semantic, overlap, stuff_area, score_thresh)
        cases.append({
            'height': h, 'width': w,
            'options': {'overlapThreshold': overlap, 'stuffAreaThreshold': stuff_area,
                        'instanceScoreThreshold': score_thresh},
            'instances': [{'counts': runs_column_major(masks[i]), 'score': float(scores[i]),
                           'categoryId': int(classes[i])} for i in range(n)],
            'semantic': semantic.flatten().tolist(),
            'expectedSegmentIds': seg.flatten().tolist(),
            'expectedSegments': info,
        })
    return cases


def polygon_baseline():
    """OpenCV pixel-centre contours rasterised back with pycocotools, on the COCO128 instance masks."""
    import cv2
    path = os.path.join(SHARED, 'datasets', 'coco128', 'annotations', 'instances_train2017.json')
    if not os.path.exists(path):
        print('skipping polygon baseline: %s not found' % path)
        return None
    data = json.load(open(path))
    images = {im['id']: im for im in data['images']}
    masks = mismatched = boundary_only_violations = 0
    for ann in data['annotations']:
        im = images[ann['image_id']]
        h, w = im['height'], im['width']
        seg = ann['segmentation']
        if isinstance(seg, list):
            rle = mask_utils.merge(mask_utils.frPyObjects(seg, h, w))
        else:
            rle = mask_utils.frPyObjects(seg, h, w)
        m = mask_utils.decode(rle)
        contours, hierarchy = cv2.findContours(m.copy(), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        back = np.zeros_like(m)
        if hierarchy is not None:
            for i, c in enumerate(contours):
                if hierarchy[0][i][3] >= 0:
                    continue  # holes are handled with their parent
                def raster(c):
                    pts = c.reshape(-1, 2).astype(float).flatten().tolist()
                    if len(pts) < 6:
                        pts = pts + pts[:2] * (3 - len(pts) // 2)  # pycocotools needs > 4 numbers
                    return mask_utils.decode(mask_utils.frPyObjects([pts], h, w))[:, :, 0]
                part = raster(c)
                child = hierarchy[0][i][2]
                while child >= 0:
                    part &= 1 - raster(contours[child])
                    child = hierarchy[0][child][0]
                back |= part
        diff = back != m
        masks += 1
        mismatched += int(diff.sum())
        # A mismatch away from the boundary: the pixel and its 8 neighbours all share the mask value.
        p = np.pad(m, 1, mode='edge')
        interior = np.ones(m.shape, bool)
        for dy in range(3):
            for dx in range(3):
                interior &= p[dy:dy + h, dx:dx + w] == m
        boundary_only_violations += int((diff & interior).sum())
    return {'reference': 'cv2.findContours RETR_CCOMP CHAIN_APPROX_SIMPLE (pixel centres) -> pycocotools frPyObjects',
            'opencv': cv2.__version__, 'masks': masks, 'mismatchedPixels': mismatched,
            'mismatchesAwayFromBoundary': boundary_only_violations}


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'panoptic_cases.json'), 'w') as f:
        json.dump({'reference': 'numpy transcription of detectron2 combine_semantic_and_instance_outputs',
                   'cases': panoptic_cases()}, f, separators=(',', ':'))
    baseline = polygon_baseline()
    if baseline is not None:
        with open(os.path.join(OUT, 'polygon_baseline.json'), 'w') as f:
            json.dump(baseline, f, indent=1)
        print(baseline)


if __name__ == '__main__':
    main()
