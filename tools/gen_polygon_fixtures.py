#!/usr/bin/env python3
"""Reference fixture for ArgusMask's polygon rasterisation on polygons that reach far outside the image
(tools/mask_fixtures/far_polygon_cases.json).

Run:  /work/venv-ref/bin/python tools/gen_polygon_fixtures.py
(the venv is made by `bash ../shared/bench/install_venv.sh DIR`; it needs numpy and pycocotools 2.0.11).

pycocotools' rleFrPoly walks every point of the 5x upsampled boundary, including the parts outside the image;
Argus skips those. The cases are seeded random polygons (3 to 9 vertices, fractional coordinates) in small
images, each with some vertices moved far away (up to 2e6 pixels, either sign, either axis, or both), plus
repeated vertices, collinear runs, 1-pixel-wide or -tall images and vertices on pixel centres, each answered by
pycocotools' frPyObjects.
"""
import json
import os

import numpy as np
from pycocotools import mask as mask_utils

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'mask_fixtures', 'far_polygon_cases.json')


def polygon(rng, h, w):
    k = int(rng.integers(3, 10))
    xs = rng.uniform(-0.3 * w, 1.3 * w, k)
    ys = rng.uniform(-0.3 * h, 1.3 * h, k)
    style = rng.integers(0, 6)
    if style == 1:    # pixel-centre and half-pixel vertices: the rounding ties
        xs = np.round(xs * 2) / 2
        ys = np.round(ys * 2) / 2
    if style == 2:    # a repeated vertex and a collinear one
        xs[1], ys[1] = xs[0], ys[0]
        xs[2], ys[2] = (xs[0] + xs[3 % k]) / 2, (ys[0] + ys[3 % k]) / 2
    far = rng.integers(1, 3) if style != 5 else 0
    for i in rng.choice(k, size=min(far, k), replace=False):
        axis = rng.integers(0, 3)
        magnitude = float(10 ** rng.uniform(2, np.log10(2e6))) * (1 if rng.random() < 0.5 else -1)
        if axis in (0, 2):
            xs[i] = magnitude + rng.random()
        if axis in (1, 2):
            ys[i] = magnitude * (1 if rng.random() < 0.5 else -1) + rng.random()
    return [float(round(v, 4)) for pair in zip(xs, ys) for v in pair]


def main():
    rng = np.random.default_rng(20261206)
    cases = []
    sizes = [(1, 1), (1, 17), (23, 1), (2, 3)] + [(int(rng.integers(4, 70)), int(rng.integers(4, 70))) for _ in range(56)]
    for n, (h, w) in enumerate(sizes):
        poly = polygon(rng, h, w)
        rle = mask_utils.frPyObjects([poly], h, w)[0]
        cases.append({'name': f'random{n}', 'h': h, 'w': w, 'polygon': poly,
                      'counts': rle['counts'].decode()})
    # The input the coco_json fuzz harness found: one vertex 1.77 million pixels to the right of a 96x80 image.
    poly = [1772078.0, 56.6879, 8.8945, 61.9817, 6.8623, 60.1919, 7.2584, 59.387, 4.9709, 57.3744, 9.2457, 49.6322,
            9.6521, 46.6736, 15.9506, 52.8284]
    cases.append({'name': 'fuzz-far-vertex', 'h': 80, 'w': 96, 'polygon': poly,
                  'counts': mask_utils.frPyObjects([poly], 80, 96)[0]['counts'].decode()})
    with open(OUT, 'w') as f:
        f.write('{"generator": "tools/gen_polygon_fixtures.py", "reference": "pycocotools.mask.frPyObjects",\n'
                '"cases": [\n' + ',\n'.join(json.dumps(c) for c in cases) + '\n]}\n')
    print(f'{len(cases)} cases -> {OUT}')


if __name__ == '__main__':
    main()
