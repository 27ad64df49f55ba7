#!/usr/bin/env python3
"""Reference outputs of torchvision.ops.roi_align / roi_pool (CPU kernels) for ArgusTensor.

Run from the repository root:
    /work/venv-ref/bin/python tools/gen_roi_fixtures.py
(the venv is made by `bash ../shared/bench/install_venv.sh DIR`; torch 2.13.0+cpu, torchvision 0.28).

Writes Tests/ArgusTensorTests/Fixtures/roi_align_cases.json and roi_pool_cases.json:
{"inputs": {name: {"shape", "data"}}, "cases": [{"name", "input": input name, "rois": {"shape", "data"},
"output_size": [h, w], "spatial_scale", ("sampling_ratio", "aligned"), "expected": {...}}]}.
Each float is the shortest decimal that reads back (as a double, rounded to float32) to the exact
float32 value; non-finite values are the strings "nan", "inf", "-inf".
"""
import json
import os

import numpy as np
import torch
from torchvision.ops import roi_align, roi_pool

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "ArgusTensorTests", "Fixtures")


def number(v):
    """A float32 as JSON: shortest round-tripping decimal, or a string for non-finite values."""
    f = np.float32(v)
    if not np.isfinite(f):
        return "nan" if np.isnan(f) else ("inf" if f > 0 else "-inf")
    s = str(f)
    back = np.float32(float(s))
    assert back.tobytes() == f.tobytes(), (s, f)
    return float(s)


def tensor(t):
    a = t.detach().contiguous().to(torch.float32).numpy()
    return {"shape": list(a.shape), "data": [number(v) for v in a.reshape(-1)]}


def boxes(gen, n_img, h, w, scale, count):
    """RoIs in image coordinates (feature coordinates / scale): random boxes inside the map, then
    ones partly and fully outside, tiny (< 1 px), reversed (x2 < x1), on half-pixel corners
    (roi_pool's rounding ties) and the whole map, spread over the batch images."""
    rows = []

    def u(lo, hi):
        return lo + (hi - lo) * torch.rand((), generator=gen).item()

    for _ in range(count):
        x1, y1 = u(0, w - 1), u(0, h - 1)
        rows.append([x1, y1, x1 + u(0.5, w - x1), y1 + u(0.5, h - y1)])
    rows += [
        [u(-6, 0), u(-6, 0), u(2, w), u(2, h)],            # top-left overhang
        [u(1, w - 2), u(1, h - 2), w + u(1, 6), h + u(1, 6)],  # bottom-right overhang
        [w + 1.5, u(0, h), w + 7.25, h + 3.0],             # fully right of the map
        [-9.0, -8.0, -2.5, -1.25],                         # fully above-left
        [u(0, w - 1), u(0, h - 1), 0, 0],                  # tiny, filled in below
        [6.5, 2.5, 3.25, 1.0],                             # reversed corners
        [2.5, 1.5, 7.5, 5.5],                              # half-pixel corners
        [-0.5, -0.5, w - 0.5, h - 0.5],                    # the whole map
        [0.0, 0.0, w, h],
    ]
    tiny = rows[count + 4]
    tiny[2], tiny[3] = tiny[0] + u(0.01, 0.9), tiny[1] + u(0.01, 0.9)
    out = []
    for i, r in enumerate(rows):
        b = i % n_img
        out.append([float(b)] + [c / scale for c in r])
    return torch.tensor(out, dtype=torch.float32)


def main():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1234)
    a = torch.randn(2, 3, 13, 17)
    b = torch.randn(1, 1, 9, 11)
    # Non-finite values: at [0] (the index empty samples multiply by 0) and inside the map.
    c = torch.randn(1, 2, 6, 7)
    c[0, 0, 0, 0] = float("inf")
    c[0, 1, 0, 0] = float("nan")
    c[0, 0, 3, 4] = float("-inf")
    c[0, 1, 2, 2] = float("nan")

    d = torch.randn(1, 20, 9, 11)  # 20 channels: a full 16-channel block plus a remainder
    inputs = {"a": a, "b": b, "c": c, "d": d}
    align_specs = [
        # (name, input, scale, output size, sampling ratio, aligned, random boxes)
        ("a_s1_7x7_sr2", "a", 1.0, (7, 7), 2, False, 4),
        ("a_s1_7x7_sr2_aligned", "a", 1.0, (7, 7), 2, True, 4),
        ("a_s05_2x3_sr0", "a", 0.5, (2, 3), 0, False, 8),
        ("a_s05_2x3_sr0_aligned", "a", 0.5, (2, 3), 0, True, 8),
        ("a_s025_7x7_sr0_aligned", "a", 0.25, (7, 7), 0, True, 3),
        ("a_s025_2x3_sr1", "a", 0.25, (2, 3), 1, False, 8),
        ("a_s1_32_2x3_sr2_aligned", "a", 1 / 32, (2, 3), 2, True, 6),
        ("a_s1_32_7x7_sr0", "a", 1 / 32, (7, 7), 0, False, 2),
        ("b_s1_14x14_sr2_aligned", "b", 1.0, (14, 14), 2, True, 0),
        ("b_s05_14x14_sr0", "b", 0.5, (14, 14), 0, False, 0),
        ("b_s1_2x3_sr1_aligned", "b", 1.0, (2, 3), 1, True, 6),
        ("c_nonfinite_2x3_sr2", "c", 1.0, (2, 3), 2, False, 3),
        ("c_nonfinite_2x3_sr0_aligned", "c", 0.5, (2, 3), 0, True, 3),
        ("d_s05_2x3_sr2", "d", 0.5, (2, 3), 2, False, 1),
        ("d_s1_3x2_sr0_aligned", "d", 1.0, (3, 2), 0, True, 1),
    ]
    align_cases = []
    for name, key, scale, size, ratio, aligned, count in align_specs:
        x = inputs[key]
        rois = boxes(gen, x.shape[0], x.shape[2], x.shape[3], scale, count)
        y = roi_align(x, rois, size, spatial_scale=scale, sampling_ratio=ratio, aligned=aligned)
        align_cases.append({"name": name, "input": key, "rois": tensor(rois), "output_size": list(size),
                            "spatial_scale": scale, "sampling_ratio": ratio, "aligned": aligned,
                            "expected": tensor(y)})

    pool_specs = [
        ("a_s1_7x7", "a", 1.0, (7, 7), 4),
        ("a_s05_2x3", "a", 0.5, (2, 3), 8),
        ("a_s025_7x7", "a", 0.25, (7, 7), 3),
        ("a_s1_32_2x3", "a", 1 / 32, (2, 3), 6),
        ("b_s1_14x14", "b", 1.0, (14, 14), 0),
        ("b_s05_2x3", "b", 0.5, (2, 3), 6),
        ("c_nonfinite_2x3", "c", 1.0, (2, 3), 3),
        ("d_s05_3x2", "d", 0.5, (3, 2), 1),
    ]
    pool_cases = []
    for name, key, scale, size, count in pool_specs:
        x = inputs[key]
        rois = boxes(gen, x.shape[0], x.shape[2], x.shape[3], scale, count)
        y = roi_pool(x, rois, size, spatial_scale=scale)
        pool_cases.append({"name": name, "input": key, "rois": tensor(rois), "output_size": list(size),
                           "spatial_scale": scale, "expected": tensor(y)})

    for file, cases in [("roi_align_cases.json", align_cases), ("roi_pool_cases.json", pool_cases)]:
        path = os.path.join(OUT, file)
        used = sorted({case["input"] for case in cases})
        with open(path, "w") as f:
            json.dump({"inputs": {k: tensor(inputs[k]) for k in used}, "cases": cases}, f, separators=(",", ":"), allow_nan=False)
        print(f"{path}: {len(cases)} cases, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
