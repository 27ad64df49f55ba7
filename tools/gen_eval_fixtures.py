#!/usr/bin/env python3
"""Generate extra COCO-eval conformance cases (tools/eval_fixtures/*.json) with pycocotools 2.0.11 as the oracle.

Run:  /work/venv-ref/bin/python tools/gen_eval_fixtures.py
(the venv is made by `bash ../shared/bench/install_venv.sh DIR`; it has numpy and pycocotools 2.0.11).

The cases use the format of ../shared/eval (see its README): {name, description, tags, iouType, gt, dt,
params, expected, expected_voc}, so they run with `../shared/eval/check.py tools/eval_fixtures -- argus eval
--case -` and with the ArgusEval unit tests. They cover what the public cases do not: custom params
(thresholds without 0.5/0.75, unsorted recall thresholds, duplicate maxDets, custom area ranges and labels,
imgIds/catIds subsets, useCats=0 with unsorted or repeated catIds, score ties across the pooled categories, crowds
and a small maxDets cut), GT id 0 and the `ignore` field, segm with
uncompressed-RLE crowds, results without bbox, bbox evaluation of mask-only results, segm evaluation of
box-only results, score ties across images, an IoU threshold of 1.0, and random realistic sets.
`expected_voc` comes from the classic devkit `voc_eval`/`voc_ap` written out below with the README's
choices (continuous coordinates, iscrowd as difficult, stable sort).
"""
import contextlib
import copy
import io
import json
import os

import numpy as np
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'eval_fixtures')


# ---------------------------------------------------------------- oracle

def coco_from(gt):
    c = COCO()
    c.dataset = copy.deepcopy(gt)
    with contextlib.redirect_stdout(io.StringIO()):
        c.createIndex()
    return c


def run_pycocotools(case):
    gt = coco_from(case['gt'])
    with contextlib.redirect_stdout(io.StringIO()):
        dt = gt.loadRes(copy.deepcopy(case['dt']))
        E = COCOeval(gt, dt, case['iouType'])
        p = case['params']
        for k, v in p.items():
            if k in ('iouThrs', 'recThrs'):
                v = np.array(v, dtype=np.float64)
            setattr(E.params, k, copy.deepcopy(v))
        E.evaluate()
        cat_ids = list(E.params.catIds) if E.params.useCats else [-1]
        E.accumulate()
        E.summarize()
    prec = E.eval['precision']
    thr = np.asarray(E.params.iouThrs)
    t50 = np.where(thr == 0.5)[0]
    per, per50 = {}, {}
    for k, cid in enumerate(cat_ids):
        s = prec[:, :, k, 0, -1]
        per[str(cid)] = float(np.mean(s[s > -1])) if (s > -1).any() else -1.0
        if len(t50):
            s = prec[t50, :, k, 0, -1]
            per50[str(cid)] = float(np.mean(s[s > -1])) if (s > -1).any() else -1.0
        else:
            per50[str(cid)] = -1.0
    return {'stats': [float(x) for x in E.stats], 'per_category_ap': per, 'ap50_per_category': per50}


def voc_ap(rec, prec, use_07_metric):
    if use_07_metric:
        ap = 0.
        for t in np.arange(0., 1.1, 0.1):
            p = 0 if np.sum(rec >= t) == 0 else np.max(prec[rec >= t])
            ap = ap + p / 11.
        return float(ap)
    mrec = np.concatenate(([0.], rec, [1.]))
    mpre = np.concatenate(([0.], prec, [0.]))
    for i in range(mpre.size - 1, 0, -1):
        mpre[i - 1] = np.maximum(mpre[i - 1], mpre[i])
    i = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


def run_voc(case):
    gt, dts, segm = case['gt'], case['dt'], case['iouType'] == 'segm'
    coco = coco_from(gt)
    sizes = {im['id']: (im['height'], im['width']) for im in gt['images']}

    def region(ann, is_gt):
        if not segm:
            return ann['bbox']
        s = ann.get('segmentation')
        h, w = sizes[ann['image_id']]
        if s is None:
            x, y, bw, bh = ann['bbox']
            return mask_utils.frPyObjects([[x, y, x, y + bh, x + bw, y + bh, x + bw, y]], h, w)[0]
        if isinstance(s, list):
            return mask_utils.merge(mask_utils.frPyObjects(s, h, w))
        if isinstance(s['counts'], list):
            return mask_utils.frPyObjects(s, s['size'][0], s['size'][1])
        return s

    ap_all, ap_11 = {}, {}
    for cid in sorted({c['id'] for c in gt['categories']}):
        recs = {}
        npos = 0
        for a in gt['annotations']:
            if a['category_id'] != cid or a['image_id'] not in sizes:
                continue
            recs.setdefault(a['image_id'], []).append(a)
            npos += 0 if a.get('iscrowd', 0) else 1
        dets = [d for d in dts if d['category_id'] == cid]
        if npos == 0:
            ap_all[str(cid)] = ap_11[str(cid)] = -1.0
            continue
        order = np.argsort([-d['score'] for d in dets], kind='mergesort')
        detected = {img: [False] * len(v) for img, v in recs.items()}
        tp = np.zeros(len(dets)); fp = np.zeros(len(dets))
        for n, i in enumerate(order):
            d = dets[i]
            R = recs.get(d['image_id'], [])
            if not R:
                fp[n] = 1
                continue
            if segm:
                ov = mask_utils.iou([region(d, False)], [region(g, True) for g in R], [0] * len(R))[0]
            else:
                bb = d['bbox'] if 'bbox' in d else [float(v) for v in mask_utils.toBbox(d['segmentation'])]
                ov = []
                for g in R:
                    gb = g['bbox']  # GT boxes are always present in these cases
                    iw = min(bb[0] + bb[2], gb[0] + gb[2]) - max(bb[0], gb[0])
                    ih = min(bb[1] + bb[3], gb[1] + gb[3]) - max(bb[1], gb[1])
                    inter = iw * ih if (iw > 0 and ih > 0) else 0.0
                    ov.append(inter / (bb[2] * bb[3] + gb[2] * gb[3] - inter) if inter > 0 else 0.0)
                ov = np.array(ov)
            jmax = int(np.argmax(ov)); ovmax = ov[jmax]
            if ovmax > 0.5:
                if not R[jmax].get('iscrowd', 0):
                    if not detected[d['image_id']][jmax]:
                        tp[n] = 1; detected[d['image_id']][jmax] = True
                    else:
                        fp[n] = 1
            else:
                fp[n] = 1
        fp = np.cumsum(fp); tp = np.cumsum(tp)
        rec = tp / float(npos)
        prec = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
        ap_all[str(cid)] = voc_ap(rec, prec, False)
        ap_11[str(cid)] = voc_ap(rec, prec, True)
    va = [v for v in ap_all.values() if v != -1]
    v11 = [v for v in ap_11.values() if v != -1]
    return {'ap50_all_point': ap_all, 'ap50_11_point': ap_11,
            'map50_all_point': float(np.mean(va)) if va else -1.0,
            'map50_11_point': float(np.mean(v11)) if v11 else -1.0}


# ---------------------------------------------------------------- builders

def rng_for(name):
    return np.random.default_rng(sum(map(ord, name)) * 7919)


def r4(x):
    return float(round(float(x), 4))


def random_bbox_set(rng, n_img, cat_ids, w=320, h=240, crowd_p=0.0, max_gt=6, dets_per_gt=(0, 3), fp_per_img=3,
                    int_coords=False, id0=False, same_cat_p=0.9):
    images = [{'id': int(i), 'width': w, 'height': h} for i in rng.permutation(np.arange(1, n_img + 1) * 3)]
    anns, dts = [], []
    aid = 0 if id0 else 1
    for im in images:
        for _ in range(int(rng.integers(0, max_gt + 1))):
            bw, bh = rng.uniform(4, 150), rng.uniform(4, 120)
            x, y = rng.uniform(0, w - bw), rng.uniform(0, h - bh)
            if int_coords:
                x, y, bw, bh = float(int(x)), float(int(y)), float(int(bw) + 1), float(int(bh) + 1)
            else:
                x, y, bw, bh = r4(x), r4(y), r4(bw), r4(bh)
            cid = int(rng.choice(cat_ids))
            crowd = int(rng.random() < crowd_p)
            area = bw * bh if rng.random() < 0.8 else r4(bw * bh * rng.uniform(0.5, 1.2))
            anns.append({'id': aid, 'image_id': im['id'], 'category_id': cid, 'bbox': [x, y, bw, bh],
                         'area': area, 'iscrowd': crowd})
            aid += 1
            for _ in range(int(rng.integers(dets_per_gt[0], dets_per_gt[1] + 1))):
                jx, jy = rng.normal(0, 0.08 * bw), rng.normal(0, 0.08 * bh)
                sw, sh = bw * rng.uniform(0.8, 1.2), bh * rng.uniform(0.8, 1.2)
                dc = cid if rng.random() < same_cat_p else int(rng.choice(cat_ids))
                dts.append({'image_id': im['id'], 'category_id': dc,
                            'bbox': [r4(x + jx), r4(y + jy), r4(sw), r4(sh)], 'score': r4(rng.random())})
        for _ in range(int(rng.integers(0, fp_per_img + 1))):
            bw, bh = rng.uniform(4, 100), rng.uniform(4, 100)
            dts.append({'image_id': im['id'], 'category_id': int(rng.choice(cat_ids)),
                        'bbox': [r4(rng.uniform(0, w - bw)), r4(rng.uniform(0, h - bh)), r4(bw), r4(bh)],
                        'score': r4(rng.random())})
    order = rng.permutation(len(dts))
    dts = [dts[i] for i in order]
    cats = [{'id': int(c), 'name': 'c%d' % c} for c in cat_ids]
    return {'images': images, 'categories': cats, 'annotations': anns}, dts


def ellipse_mask(h, w, cx, cy, rx, ry):
    yy, xx = np.mgrid[0:h, 0:w]
    return (((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1).astype(np.uint8)


def rle_str(m):
    r = mask_utils.encode(np.asfortranarray(m))
    return {'size': [int(m.shape[0]), int(m.shape[1])], 'counts': r['counts'].decode('ascii')}


def rle_runs(m):
    flat = np.asfortranarray(m).flatten(order='F')
    runs, cur, n = [], 0, 0
    for v in flat:
        if v != cur:
            runs.append(n); n = 0; cur = v
        n += 1
    runs.append(n)
    return {'size': [int(m.shape[0]), int(m.shape[1])], 'counts': [int(x) for x in runs]}


def star_polygon(rng, cx, cy, r, k=8):
    ang = np.sort(rng.uniform(0, 2 * np.pi, k))
    rad = r * rng.uniform(0.5, 1.0, k)
    pts = []
    for a, q in zip(ang, rad):
        pts += [r4(cx + q * np.cos(a)), r4(cy + q * np.sin(a))]
    return pts


def random_segm_set(rng, n_img, cat_ids, w=96, h=80, with_bbox=True, crowd_rle=True):
    images = [{'id': int(i + 1), 'width': w, 'height': h} for i in range(n_img)]
    anns, dts = [], []
    aid = 1
    for im in images:
        for _ in range(int(rng.integers(1, 5))):
            cx, cy, r = rng.uniform(10, w - 10), rng.uniform(10, h - 10), rng.uniform(4, 25)
            cid = int(rng.choice(cat_ids))
            if crowd_rle and rng.random() < 0.2:
                m = ellipse_mask(h, w, cx, cy, r, r * 0.7)
                seg = rle_runs(m)
                bb = [float(v) for v in mask_utils.toBbox(mask_utils.frPyObjects(seg, h, w))]
                anns.append({'id': aid, 'image_id': im['id'], 'category_id': cid, 'segmentation': seg,
                             'bbox': bb, 'area': float(m.sum()), 'iscrowd': 1})
            else:
                polys = [star_polygon(rng, cx, cy, r)]
                if rng.random() < 0.3:
                    polys.append(star_polygon(rng, cx + r, cy, r * 0.5, 5))
                rle = mask_utils.merge(mask_utils.frPyObjects(polys, h, w))
                bb = [float(v) for v in mask_utils.toBbox(rle)]
                anns.append({'id': aid, 'image_id': im['id'], 'category_id': cid, 'segmentation': polys,
                             'bbox': bb, 'area': float(mask_utils.area(rle)), 'iscrowd': 0})
            aid += 1
            for _ in range(int(rng.integers(0, 3))):
                m = ellipse_mask(h, w, cx + rng.normal(0, 2), cy + rng.normal(0, 2), r * rng.uniform(0.6, 1.2),
                                 r * rng.uniform(0.5, 1.1))
                d = {'image_id': im['id'], 'category_id': cid if rng.random() < 0.9 else int(rng.choice(cat_ids)),
                     'segmentation': rle_str(m), 'score': r4(rng.random())}
                if with_bbox:
                    d['bbox'] = [float(v) for v in mask_utils.toBbox(d['segmentation'])]
                dts.append(d)
    cats = [{'id': int(c), 'name': 'c%d' % c} for c in cat_ids]
    return {'images': images, 'categories': cats, 'annotations': anns}, dts


def box(x, y, w, h):
    return [float(x), float(y), float(w), float(h)]


def coarse_scores(dts, steps):
    """Rounds scores to multiples of 1/steps, so detections of different categories in one image tie."""
    for d in dts:
        d['score'] = float(round(d['score'] * steps) / steps)
    return dts


# ---------------------------------------------------------------- cases

def cases():
    out = []

    def add(name, desc, tags, iou_type, gt, dt, params=None):
        out.append({'name': name, 'description': desc, 'tags': tags, 'iouType': iou_type, 'gt': gt, 'dt': dt,
                    'params': params or {}})

    rng = rng_for('custom_thresholds')
    gt, dt = random_bbox_set(rng, 12, [1, 2, 3])
    add('params_thresholds_without_half', 'iouThrs without 0.5/0.75 (stats[1], stats[2] are -1), including 1.0; '
        'recThrs with 11 values; maxDets [1, 5, 20] (stats[0] asks for 100 and is -1).', ['params'], 'bbox', gt, dt,
        {'iouThrs': [0.3, 0.6, 1.0], 'recThrs': [i * 0.1 for i in range(11)], 'maxDets': [1, 5, 20]})

    rng = rng_for('unsorted_recthrs')
    gt, dt = random_bbox_set(rng, 10, [1, 2])
    add('params_unsorted_recthrs_dup_maxdets', 'recThrs not sorted (pycocotools stops filling precision at the first '
        'threshold out of reach) and maxDets with a repeated value in unsorted order.', ['params'], 'bbox', gt, dt,
        {'recThrs': [0.2, 0.95, 0.5, 1.0, 0.0, 0.7], 'maxDets': [10, 1, 10, 100]})

    rng = rng_for('area_custom')
    gt, dt = random_bbox_set(rng, 15, [5, 9])
    add('params_custom_area_ranges', 'Custom area ranges with the usual labels, boundaries hit exactly by some areas.',
        ['params', 'area_ranges'], 'bbox', gt, dt,
        {'areaRng': [[0, 1e10], [0, 900], [900, 4000], [4000, 1e10]], 'areaRngLbl': ['all', 'small', 'medium', 'large']})
    add('params_three_area_ranges_other_labels', 'Three area ranges labelled all/tiny/huge: the small/medium/large stats are -1.',
        ['params', 'area_ranges'], 'bbox', gt, dt,
        {'areaRng': [[0, 1e10], [0, 400], [400, 1e10]], 'areaRngLbl': ['all', 'tiny', 'huge']})

    rng = rng_for('subset')
    gt, dt = random_bbox_set(rng, 14, [2, 4, 6, 8])
    img_ids = sorted(im['id'] for im in gt['images'])
    add('params_img_cat_subset', 'imgIds subset (unsorted, with a duplicate and an id that is not a GT image) and '
        'catIds subset.', ['params'], 'bbox', gt, dt,
        {'imgIds': [img_ids[5], img_ids[1], img_ids[9], img_ids[1], 99999], 'catIds': [8, 2]})

    rng = rng_for('usecats0')
    gt, dt = random_bbox_set(rng, 10, [3, 1, 2])
    add('usecats0_unsorted_catids', 'useCats=0 with catIds given out of order: GT and detections are pooled per image '
        'in the order of catIds (the loop in computeIoU/evaluateImg), which matters for ties.', ['useCats'], 'bbox',
        gt, dt, {'useCats': 0, 'catIds': [3, 1, 2]})
    add('usecats0_default', 'useCats=0 with all categories.', ['useCats'], 'bbox', gt, dt, {'useCats': 0})
    add('usecats0_repeated_catid', 'useCats=0 with a category id repeated in catIds: pycocotools pools that '
        "category's GT and detections twice.", ['useCats', 'quirk'], 'bbox', gt, dt, {'useCats': 0, 'catIds': [2, 1, 2]})
    add('usecats1_repeated_catid', 'useCats=1 with a repeated, unsorted catIds: np.unique makes it [1, 2].',
        ['params'], 'bbox', gt, dt, {'catIds': [2, 2, 1]})

    # useCats=0 pools each image's GT and detections category by category (catIds order), then sorts the
    # detections stably by score: equal scores keep the pooled order, not the results-list order.
    gt = {'images': [{'id': 4, 'width': 120, 'height': 120}, {'id': 2, 'width': 120, 'height': 120}],
          'categories': [{'id': 2, 'name': 'b'}, {'id': 1, 'name': 'a'}],
          'annotations': [
              {'id': 1, 'image_id': 4, 'category_id': 1, 'bbox': box(10, 10, 20, 20), 'area': 400.0, 'iscrowd': 0},
              {'id': 2, 'image_id': 4, 'category_id': 2, 'bbox': box(14, 10, 20, 20), 'area': 400.0, 'iscrowd': 0},
              {'id': 3, 'image_id': 4, 'category_id': 2, 'bbox': box(60, 60, 30, 30), 'area': 900.0, 'iscrowd': 0},
              {'id': 4, 'image_id': 4, 'category_id': 1, 'bbox': box(50, 0, 40, 40), 'area': 1600.0, 'iscrowd': 1},
              {'id': 5, 'image_id': 2, 'category_id': 2, 'bbox': box(20, 20, 40, 40), 'area': 1600.0, 'iscrowd': 0},
              {'id': 6, 'image_id': 2, 'category_id': 1, 'bbox': box(70, 70, 20, 20), 'area': 400.0, 'iscrowd': 0}]}
    dt = [{'image_id': 4, 'category_id': 2, 'bbox': box(70, 70, 10, 10), 'score': 0.8},   # FP, listed first
          {'image_id': 4, 'category_id': 1, 'bbox': box(14, 10, 20, 20), 'score': 0.8},   # cat 1 on cat-2 GT
          {'image_id': 2, 'category_id': 2, 'bbox': box(100, 0, 10, 10), 'score': 0.7},  # FP
          {'image_id': 4, 'category_id': 2, 'bbox': box(10, 10, 20, 20), 'score': 0.8},   # cat 2 on cat-1 GT
          {'image_id': 4, 'category_id': 2, 'bbox': box(55, 5, 20, 20), 'score': 0.8},    # inside the crowd
          {'image_id': 4, 'category_id': 1, 'bbox': box(60, 60, 30, 30), 'score': 0.6},
          {'image_id': 2, 'category_id': 1, 'bbox': box(21, 20, 40, 40), 'score': 0.7},   # cat 1 on cat-2 GT
          {'image_id': 2, 'category_id': 1, 'bbox': box(70, 70, 20, 20), 'score': 0.5}]
    add('usecats0_ties_across_categories', 'useCats=0, two images with GT of two categories (one a crowd), detections '
        'of one category overlapping GT of the other, equal scores across categories listed against category order, '
        'and maxDets [1, 3, 5]: ties keep the pooled order (category 1 before 2), which decides which detection the '
        'cut keeps and which one the matching sees first.', ['useCats', 'score_ties', 'maxDets', 'iscrowd'], 'bbox',
        gt, dt, {'useCats': 0, 'maxDets': [1, 3, 5]})
    add('usecats0_ties_unsorted_catids', 'As usecats0_ties_across_categories with catIds [2, 1]: pooling follows '
        'catIds, so category 2 now comes first among equal scores.', ['useCats', 'score_ties', 'maxDets'], 'bbox',
        gt, dt, {'useCats': 0, 'maxDets': [1, 3, 5], 'catIds': [2, 1]})

    rng = rng_for('usecats0_crowd_ties')
    gt, dt = random_bbox_set(rng, 12, [4, 1, 6, 2], crowd_p=0.2, int_coords=True, max_gt=7, dets_per_gt=(1, 3),
                             same_cat_p=0.6)
    coarse_scores(dt, 4)
    add('usecats0_realistic_crowd_ties', 'useCats=0 on integer boxes of four categories: 20% crowds, 40% of the '
        'detections near a GT carry another category, scores rounded to quarters (ties across categories), '
        'maxDets [1, 3, 5], so the per-image cut picks among tied detections of different categories.',
        ['useCats', 'score_ties', 'maxDets', 'iscrowd', 'realistic'], 'bbox', gt, dt,
        {'useCats': 0, 'maxDets': [1, 3, 5]})
    add('usecats0_realistic_crowd_ties_areas', 'The same set with default maxDets, custom area ranges and a catIds '
        'subset given out of order (GT and detections of category 2 are left out of the pool).',
        ['useCats', 'score_ties', 'iscrowd', 'area_ranges', 'params'], 'bbox', gt, dt,
        {'useCats': 0, 'catIds': [6, 1, 4], 'areaRng': [[0, 1e10], [0, 900], [900, 4000], [4000, 1e10]],
         'areaRngLbl': ['all', 'small', 'medium', 'large']})
    add('usecats0_repeated_catid_ties', 'useCats=0 with catIds [2, 4, 2] on the tied set: category 2 is pooled '
        'twice, and its copies tie with category 4 in pooled order.', ['useCats', 'score_ties', 'quirk'], 'bbox',
        gt, dt, {'useCats': 0, 'catIds': [2, 4, 2], 'maxDets': [2, 4, 8]})

    rng = rng_for('usecats0_segm_ties')
    gt, dt = random_segm_set(rng, 10, [3, 1, 2], with_bbox=True)
    coarse_scores(dt, 3)
    add('usecats0_segm_crowd_ties', 'segm with useCats=0: polygon and uncompressed-RLE crowd GT of three '
        'categories, scores rounded to thirds, maxDets [1, 3, 5].', ['useCats', 'segm', 'score_ties', 'maxDets', 'iscrowd'],
        'segm', gt, dt, {'useCats': 0, 'maxDets': [1, 3, 5]})

    gt = {'images': [{'id': 1, 'width': 100, 'height': 100}], 'categories': [{'id': 1, 'name': 'a'}],
          'annotations': [{'id': 0, 'image_id': 1, 'category_id': 1, 'bbox': box(10, 10, 20, 20), 'area': 400.0, 'iscrowd': 0},
                          {'id': 5, 'image_id': 1, 'category_id': 1, 'bbox': box(50, 50, 20, 20), 'area': 400.0, 'iscrowd': 0, 'ignore': 1}]}
    dt = [{'image_id': 1, 'category_id': 1, 'bbox': box(10, 10, 20, 20), 'score': 0.9},
          {'image_id': 1, 'category_id': 1, 'bbox': box(50, 50, 20, 20), 'score': 0.8},
          {'image_id': 1, 'category_id': 1, 'bbox': box(11, 10, 20, 20), 'score': 0.7}]
    add('quirk_gt_id_zero_and_ignore', 'GT id 0 is matched but reads as unmatched (FP) and stays consumed; an '
        '"ignore": 1 member is overwritten by iscrowd=0.', ['quirk'], 'bbox', gt, dt)

    gt = {'images': [{'id': 1, 'width': 100, 'height': 100}, {'id': 2, 'width': 100, 'height': 100}],
          'categories': [{'id': 1, 'name': 'a'}],
          'annotations': [{'id': 1, 'image_id': 1, 'category_id': 1, 'bbox': box(10, 10, 20, 20), 'area': 400.0, 'iscrowd': 0},
                          {'id': 2, 'image_id': 2, 'category_id': 1, 'bbox': box(10, 10, 20, 20), 'area': 400.0, 'iscrowd': 0},
                          {'id': 3, 'image_id': 2, 'category_id': 1, 'bbox': box(60, 60, 30, 30), 'area': 900.0, 'iscrowd': 0}]}
    dt = [{'image_id': 2, 'category_id': 1, 'bbox': box(70, 5, 20, 20), 'score': 0.5},
          {'image_id': 1, 'category_id': 1, 'bbox': box(10, 10, 20, 20), 'score': 0.5},
          {'image_id': 2, 'category_id': 1, 'bbox': box(10, 10, 20, 20), 'score': 0.5},
          {'image_id': 1, 'category_id': 1, 'bbox': box(40, 40, 20, 20), 'score': 0.5},
          {'image_id': 2, 'category_id': 1, 'bbox': box(60, 60, 30, 30), 'score': 0.9}]
    add('score_ties_across_images', 'Equal scores in different images: accumulate sorts stably after concatenating '
        'images in id order, while VOC keeps list order.', ['score_ties', 'voc'], 'bbox', gt, dt)
    add('iou_threshold_one', 'iouThrs includes 1.0: identical boxes still match because the threshold is capped at 1-1e-10.',
        ['params', 'iou_threshold'], 'bbox', gt, dt, {'iouThrs': [0.5, 0.99, 1.0]})

    rng = rng_for('realistic_crowd_int')
    gt, dt = random_bbox_set(rng, 25, [1, 3, 7, 11], crowd_p=0.15, int_coords=True, dets_per_gt=(0, 4))
    add('realistic_bbox_crowd_int', 'Integer boxes (exact IoU ties), 15% crowds, duplicates.', ['realistic', 'iscrowd'],
        'bbox', gt, dt)

    rng = rng_for('many_dets')
    gt, dt = random_bbox_set(rng, 3, [1, 2], max_gt=20, dets_per_gt=(3, 6), fp_per_img=60)
    add('maxdets_many_per_image', 'More than 100 detections in each image over two categories: the cut is per image '
        'and category.', ['maxDets'], 'bbox', gt, dt)

    rng = rng_for('segm_crowd')
    gt, dt = random_segm_set(rng, 8, [1, 2, 4], with_bbox=False)
    add('segm_rle_crowd_no_bbox', 'segm with uncompressed-RLE crowd GT and multi-part polygons; results without bbox, '
        'so detection areas are mask pixel counts.', ['segm', 'iscrowd', 'polygon'], 'segm', gt, dt)
    add('bbox_of_mask_results', 'bbox evaluation of results that only have masks: boxes come from toBbox and areas '
        'from the masks.', ['bbox'], 'bbox', gt, dt)

    rng = rng_for('segm_bbox')
    gt, dt = random_segm_set(rng, 8, [1, 2], with_bbox=True)
    add('segm_with_bbox_custom_params', 'segm with bbox on results (bbox areas) and custom maxDets/iouThrs.',
        ['segm', 'params'], 'segm', gt, dt, {'maxDets': [1, 3, 100], 'iouThrs': [0.5, 0.75, 0.8]})

    rng = rng_for('boxes_as_masks')
    gt, dt = random_segm_set(rng, 5, [1], with_bbox=True, crowd_rle=False)
    for d in dt:
        del d['segmentation']
    add('segm_of_box_results', 'segm evaluation of results that only have boxes: loadRes gives each the polygon of '
        'its box, rasterised at the image size.', ['segm'], 'segm', gt, dt)
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    for c in cases():
        c['expected'] = run_pycocotools(c)
        c['expected_voc'] = run_voc(c)
        with open(os.path.join(OUT, c['name'] + '.json'), 'w') as f:
            json.dump(c, f, separators=(',', ':'))
        print('%-40s stats[0]=%.4f' % (c['name'], c['expected']['stats'][0]))
    with open(os.path.join(OUT, 'numpy_sum.json'), 'w') as f:
        json.dump(numpy_sum_fixture(), f)
    with open(os.path.join(OUT, 'mask_ops.json'), 'w') as f:
        json.dump(mask_fixture(), f)


def numpy_sum_fixture():
    """np.sum / np.mean of arrays a[i] = (i*7919 % 1000 + 0.5) / (1 + i % 13), which Swift rebuilds bit-exactly.
    Exact values are written as repr strings: Foundation's JSONSerialization does not round every double correctly."""
    rows = []
    for n in [1, 3, 7, 8, 9, 15, 16, 17, 64, 100, 127, 128, 129, 130, 255, 256, 257, 1000, 1010, 4040, 9000]:
        a = np.array([(i * 7919 % 1000 + 0.5) / (1 + i % 13) for i in range(n)], dtype=np.float64)
        rows.append({'n': n, 'sum': repr(float(np.sum(a))), 'mean': repr(float(np.mean(a)))})
    return {'format': 'argus-numpy-sum-v1', 'rows': rows}


def mask_fixture():
    """pycocotools mask.iou (plain and crowd), merge (union and intersection) and frBbox on random masks."""
    rng = np.random.default_rng(4242)
    h, w = 23, 17
    masks = []
    for i in range(8):
        m = ellipse_mask(h, w, rng.uniform(0, w), rng.uniform(0, h), rng.uniform(1, 9), rng.uniform(1, 9))
        if i == 7:
            m[:] = 0
        masks.append(m)
    rles = [mask_utils.encode(np.asfortranarray(m)) for m in masks]
    counts = [r['counts'].decode('ascii') for r in rles]
    crowd = [int(i % 3 == 0) for i in range(len(rles))]
    iou = mask_utils.iou(rles, rles, crowd)
    union = mask_utils.merge(rles[:4])['counts'].decode('ascii')
    inter = mask_utils.merge(rles[1:3], intersect=1)['counts'].decode('ascii')
    boxes = [[1.3, 2.7, 8.2, 5.5], [-2.0, -1.5, 6.0, 30.0], [10.5, 3.25, 0.0, 4.0], [0.0, 0.0, 17.0, 23.0]]
    fr = [r['counts'].decode('ascii') for r in mask_utils.frPyObjects(np.array(boxes, dtype=np.float64), h, w)]
    bb = np.array([[1.0, 1.0, 4.0, 4.0], [3.0, 2.0, 4.0, 6.0], [2.5, 2.5, 0.0, 3.0], [0.0, 0.0, 10.0, 10.0]])
    box_iou = mask_utils.iou(bb, bb, [0, 1, 0, 1])
    return {'format': 'argus-mask-ops-v1', 'h': h, 'w': w, 'counts': counts, 'crowd': crowd,
            'iou': [[repr(float(v)) for v in row] for row in iou], 'union_first4': union, 'intersect_1_2': inter,
            'boxes': boxes, 'frbbox': fr, 'bb': bb.tolist(), 'bb_crowd': [0, 1, 0, 1],
            'bb_iou': [[repr(float(v)) for v in row] for row in box_iou]}


if __name__ == '__main__':
    main()
