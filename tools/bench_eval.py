#!/usr/bin/env python3
"""Benchmark `argus eval` against pycocotools and faster-coco-eval on one generated COCO set.

Run:  /work/venv-ref/bin/python tools/bench_eval.py .build/release/argus [--images 5000] [--workdir DIR]
      (`swift build -c release --product argus` first; the venv is made by
      `bash ../shared/bench/install_venv.sh DIR`, plus `DIR/bin/pip install faster-coco-eval`.)

The set is generated deterministically (seeded): N images of 640x480, the 80 COCO categories (ids 1..90
with gaps), 2-12 GT objects per image as star polygons (5% crowds, as uncompressed RLE), and exactly 100
detections per image (jittered copies of GT plus background false positives) with bbox and compressed-RLE
masks. Each tool is timed end to end in the same run: loading both JSON files, evaluate, accumulate and
summarize (argus: the whole `argus eval --gt --dt` process, VOC numbers off). The files are read once
before timing so every tool starts with them in the page cache; argus and faster-coco-eval run --repeat
times (median reported), pycocotools once. The script checks that the 12 stats agree exactly with
pycocotools and prints a table of seconds and speed ratios.
"""
import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import time

import numpy as np
from pycocotools import mask as mask_utils

COCO_IDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 31, 32,
            33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59,
            60, 61, 62, 63, 64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90]
W, H = 640, 480


def star(rng, cx, cy, r, k):
    ang = np.sort(rng.uniform(0, 2 * np.pi, k))
    rad = r * rng.uniform(0.6, 1.0, k)
    xs = np.clip(cx + rad * np.cos(ang), 0, W - 1)
    ys = np.clip(cy + rad * np.sin(ang), 0, H - 1)
    return [round(float(v), 2) for xy in zip(xs, ys) for v in xy]


def generate(n_images, seed, path_gt, path_bbox, path_segm):
    rng = np.random.default_rng(seed)
    images, anns, det_bbox, det_segm = [], [], [], []
    aid = 1
    for img_id in range(1, n_images + 1):
        images.append({'id': img_id, 'width': W, 'height': H, 'file_name': '%012d.jpg' % img_id})
        objs = []
        for _ in range(int(rng.integers(2, 13))):
            r = float(np.exp(rng.uniform(np.log(6), np.log(160))))
            cx, cy = rng.uniform(r * 0.5, W - r * 0.5), rng.uniform(r * 0.5, H - r * 0.5)
            cat = int(rng.choice(COCO_IDS))
            poly = star(rng, cx, cy, r, int(rng.integers(6, 13)))
            rle = mask_utils.frPyObjects([poly], H, W)[0]
            bb = [float(v) for v in mask_utils.toBbox(rle)]
            crowd = rng.random() < 0.05
            if crowd:
                m = mask_utils.decode(rle)
                flat = m.flatten(order='F')
                change = np.flatnonzero(np.diff(np.concatenate(([0], flat, [2]))) != 0)
                runs = np.diff(np.concatenate(([0], change))).tolist()
                runs[-1] = int(len(flat) - sum(runs[:-1]))
                seg = {'size': [H, W], 'counts': [int(x) for x in runs if True]}
            else:
                seg = [poly]
            anns.append({'id': aid, 'image_id': img_id, 'category_id': cat, 'segmentation': seg,
                         'area': float(mask_utils.area(rle)), 'bbox': bb, 'iscrowd': int(crowd)})
            objs.append((cx, cy, r, cat))
            aid += 1
        polys, meta = [], []
        for d in range(100):
            if d < 3 * len(objs) and rng.random() < 0.8:
                cx, cy, r, cat = objs[d % len(objs)]
                cx += rng.normal(0, 0.1 * r); cy += rng.normal(0, 0.1 * r); r *= rng.uniform(0.8, 1.2)
                if rng.random() < 0.1:
                    cat = int(rng.choice(COCO_IDS))
                score = float(rng.uniform(0.3, 1.0))
            else:
                r = float(np.exp(rng.uniform(np.log(6), np.log(120))))
                cx, cy = rng.uniform(0, W), rng.uniform(0, H)
                cat = int(rng.choice(COCO_IDS))
                score = float(rng.uniform(0.0, 0.6))
            polys.append(star(rng, cx, cy, r, 8))
            meta.append((cat, round(score, 5)))
        rles = mask_utils.frPyObjects(polys, H, W)
        boxes = mask_utils.toBbox(rles)
        for rle, bb, (cat, score) in zip(rles, boxes, meta):
            b = [float(v) for v in bb]
            det_bbox.append({'image_id': img_id, 'category_id': cat, 'bbox': b, 'score': score})
            det_segm.append({'image_id': img_id, 'category_id': cat, 'bbox': b, 'score': score,
                             'segmentation': {'size': [H, W], 'counts': rle['counts'].decode('ascii')}})
    gt = {'info': {'description': 'argus bench_eval synthetic set, seed %d' % seed}, 'images': images,
          'categories': [{'id': c, 'name': 'class%d' % c, 'supercategory': 'x'} for c in COCO_IDS], 'annotations': anns}
    for path, obj in ((path_gt, gt), (path_bbox, det_bbox), (path_segm, det_segm)):
        with open(path, 'w') as f:
            json.dump(obj, f)


def run_pycocotools(gt_path, dt_path, iou_type):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    t = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(gt_path)
        dt = gt.loadRes(dt_path)
        E = COCOeval(gt, dt, iou_type)
        E.evaluate(); E.accumulate(); E.summarize()
    return time.perf_counter() - t, [float(x) for x in E.stats]


def run_faster(gt_path, dt_path, iou_type):
    from faster_coco_eval import COCO, COCOeval_faster
    t = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(gt_path)
        dt = gt.loadRes(dt_path)
        E = COCOeval_faster(gt, dt, iou_type)
        E.evaluate(); E.accumulate(); E.summarize()
    return time.perf_counter() - t, [float(x) for x in E.stats[:12]]


def run_argus(binary, gt_path, dt_path, iou_type):
    t = time.perf_counter()
    p = subprocess.run([binary, 'eval', '--gt', gt_path, '--dt', dt_path, '--iou-type', iou_type, '--no-voc', '--quiet'],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit('argus eval failed: ' + p.stderr.decode(errors='replace'))
    return dt, json.loads(p.stdout)['stats']


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('argus', help='path of the argus binary (release build)')
    ap.add_argument('--images', type=int, default=5000)
    ap.add_argument('--seed', type=int, default=20240611)
    ap.add_argument('--workdir', default='/tmp/argus-bench-eval')
    ap.add_argument('--iou-types', default='bbox,segm')
    ap.add_argument('--skip', default='', help='comma-separated tools to skip: pycocotools,faster')
    ap.add_argument('--repeat', type=int, default=3, help='runs of argus and faster-coco-eval (median reported)')
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    tag = '%d_%d' % (args.images, args.seed)
    paths = [os.path.join(args.workdir, '%s_%s.json' % (k, tag)) for k in ('gt', 'dt_bbox', 'dt_segm')]
    if not all(os.path.exists(p) for p in paths):
        t = time.perf_counter()
        generate(args.images, args.seed, *paths)
        print('generated %d images in %.1fs: %s' % (args.images, time.perf_counter() - t, args.workdir), file=sys.stderr)
    with open(paths[0]) as f:
        n_ann = len(json.load(f)['annotations'])
    print('set: %d images, 80 categories, %d GT annotations, %d detections (100 per image)'
          % (args.images, n_ann, args.images * 100))
    skip = set(filter(None, args.skip.split(',')))
    for p in paths:
        with open(p, 'rb') as f:
            while f.read(1 << 24):
                pass

    def median_of(fn, *a):
        runs = [fn(*a) for _ in range(max(1, args.repeat))]
        runs.sort(key=lambda r: r[0])
        return runs[len(runs) // 2]

    rows = []
    ok = True
    for iou_type in args.iou_types.split(','):
        dt_path = paths[1] if iou_type == 'bbox' else paths[2]
        res = {}
        res['argus'] = median_of(run_argus, args.argus, paths[0], dt_path, iou_type)
        if 'pycocotools' not in skip:
            res['pycocotools'] = run_pycocotools(paths[0], dt_path, iou_type)
        if 'faster' not in skip:
            res['faster-coco-eval'] = median_of(run_faster, paths[0], dt_path, iou_type)
        ref = res.get('pycocotools')
        for tool, (secs, stats) in res.items():
            diff = max(abs(a - b) for a, b in zip(stats, ref[1])) if ref else float('nan')
            same = ref is not None and stats == ref[1]
            if tool == 'argus' and ref is not None and not same:
                ok = False
            rows.append((iou_type, tool, secs, secs / res['argus'][0], diff, same))
        print('%s stats (pycocotools): %s' % (iou_type, ' '.join('%.6f' % v for v in (ref or res['argus'])[1])))
    print()
    print('| iouType | tool | seconds | x argus time | max abs diff vs pycocotools | identical |')
    print('|---|---|---:|---:|---:|---|')
    for iou_type, tool, secs, ratio, diff, same in rows:
        print('| %s | %s | %.2f | %.2f | %.3g | %s |' % (iou_type, tool, secs, ratio, diff, 'yes' if same else 'no'))
    if not ok:
        sys.exit('argus stats differ from pycocotools')


if __name__ == '__main__':
    main()
