#!/usr/bin/env python3
"""Reference PNGs for ArgusImage's label-map encoders (Tests/ArgusImageTests/Fixtures/segmentation/).

Run:  /work/venv-ref/bin/python tools/gen_segmentation_png_fixtures.py
(the venv is made by `bash ../shared/bench/install_venv.sh DIR`; it has numpy and Pillow).

voc_indexed_pil.png: a 23x17 label map with index (x + 23*y) % 256 saved by PIL in mode "P" with the
PASCAL VOC colormap, computed here as the VOC devkit's labelcolormap does (bits of the index dealt to
R, G, B, most significant first). The Swift test compares its PLTE with SegmentationPalette.pascalVOC()
and its pixels with encodeIndexedPNG's output.
"""
import os

import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'Tests', 'ArgusImageTests', 'Fixtures',
                   'segmentation')


def voc_colormap(n=256):
    def bit(value, index):
        return (value >> index) & 1
    cmap = np.zeros((n, 3), dtype=np.uint8)
    for i in range(n):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= bit(c, 0) << (7 - j)
            g |= bit(c, 1) << (7 - j)
            b |= bit(c, 2) << (7 - j)
            c >>= 3
        cmap[i] = (r, g, b)
    return cmap


def main():
    os.makedirs(OUT, exist_ok=True)
    w, h = 23, 17
    labels = (np.arange(w * h) % 256).astype(np.uint8).reshape(h, w)
    img = Image.fromarray(labels, mode='P')
    img.putpalette(voc_colormap().flatten().tolist())
    path = os.path.join(OUT, 'voc_indexed_pil.png')
    img.save(path)
    back = Image.open(path)
    assert back.mode == 'P' and (np.array(back) == labels).all()
    print('wrote', path, os.path.getsize(path), 'bytes')


if __name__ == '__main__':
    main()
