#!/usr/bin/env python3
"""Reference outputs for ArgusTensor's ops, computed with PyTorch.

Run from the repository root:
    /work/venv-ref/bin/python tools/gen_tensor_fixtures.py
(the venv is made by `bash ../shared/bench/install_venv.sh DIR`; torch 2.13.0+cpu).

Writes Tests/ArgusTensorTests/Fixtures/tensor_cases.json (one entry per case: op, parameters,
and for each tensor its shape and element offset) and tensor_cases.bin (all tensors as
little-endian float32, back to back). Every case uses small odd sizes and its own seed.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.utils.fusion import fuse_conv_bn_weights

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "ArgusTensorTests", "Fixtures")

cases = []
blob = []
offset = 0


def put(t):
    """Appends a tensor to the blob; returns its index entry."""
    global offset
    a = t.detach().contiguous().to(torch.float32).numpy().astype("<f4")
    blob.append(a.tobytes())
    entry = {"shape": list(a.shape), "offset": offset}
    offset += a.size
    return entry


def add(name, op, params, **tensors):
    cases.append({"name": name, "op": op, "params": params,
                  "tensors": {k: put(v) for k, v in tensors.items() if v is not None}})


def randn(*shape, gen):
    return torch.randn(*shape, generator=gen)


ACTS = {
    None: lambda x: x,
    "relu": F.relu,
    "relu6": F.relu6,
    "silu": F.silu,
    "sigmoid": torch.sigmoid,
    "hardswish": F.hardswish,
    "hardsigmoid": F.hardsigmoid,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.1),
}


def conv_cases():
    # (name, N, Cin, H, W, Cout, kh, kw, stride, padding, dilation, groups, bias, activation)
    specs = [
        ("3x3_s1_p1", 1, 5, 9, 11, 7, 3, 3, (1, 1), (1, 1), (1, 1), 1, True, None),
        ("3x3_s2_p1_silu", 1, 6, 13, 10, 8, 3, 3, (2, 2), (1, 1), (1, 1), 1, True, "silu"),
        ("1x1_fast_batch2", 2, 12, 7, 9, 10, 1, 1, (1, 1), (0, 0), (1, 1), 1, True, "relu"),
        ("1x1_nobias", 1, 8, 5, 6, 4, 1, 1, (1, 1), (0, 0), (1, 1), 1, False, None),
        ("1x1_s2", 1, 8, 9, 7, 6, 1, 1, (2, 2), (0, 0), (1, 1), 1, True, None),
        ("1x1_pad1", 1, 3, 4, 5, 2, 1, 1, (1, 1), (1, 1), (1, 1), 1, True, None),
        ("3x3_dil2_p2", 1, 4, 12, 11, 5, 3, 3, (1, 1), (2, 2), (2, 2), 1, True, "hardswish"),
        ("5x3_mixed", 2, 3, 14, 9, 4, 5, 3, (2, 1), (2, 0), (2, 1), 1, True, "leaky_relu"),
        ("groups2", 1, 6, 8, 9, 4, 3, 3, (1, 1), (1, 1), (1, 1), 2, True, "relu6"),
        ("groups2_s2", 1, 8, 11, 11, 6, 3, 3, (2, 2), (1, 1), (1, 1), 2, False, "sigmoid"),
        ("depthwise_3x3", 1, 6, 9, 10, 6, 3, 3, (1, 1), (1, 1), (1, 1), 6, True, "hardswish"),
        ("depthwise_3x3_s2", 2, 5, 11, 12, 5, 3, 3, (2, 2), (1, 1), (1, 1), 5, True, "relu"),
        ("depthwise_5x5_s2", 1, 4, 13, 11, 4, 5, 5, (2, 2), (2, 2), (1, 1), 4, False, None),
        ("depthwise_dil2", 1, 3, 10, 9, 3, 3, 3, (1, 1), (2, 2), (2, 2), 3, True, "hardsigmoid"),
        ("depthwise_mult2", 1, 3, 7, 8, 6, 3, 3, (1, 1), (1, 1), (1, 1), 3, True, None),
        ("stem_6x6_s2_p2", 1, 3, 17, 15, 8, 6, 6, (2, 2), (2, 2), (1, 1), 1, True, "silu"),
        ("stem_7x7_s2_p3", 1, 3, 15, 18, 4, 7, 7, (2, 2), (3, 3), (1, 1), 1, False, "relu"),
        ("pad_exceeds_kernel", 1, 2, 4, 3, 3, 3, 3, (1, 1), (3, 2), (1, 1), 1, True, None),
        ("stride3_odd", 1, 4, 10, 13, 3, 3, 2, (3, 2), (1, 0), (1, 1), 1, True, None),
        ("wide_k_s2_big", 1, 16, 23, 29, 24, 3, 3, (2, 2), (1, 1), (1, 1), 1, True, "silu"),
    ]
    for i, (name, n, cin, h, w, cout, kh, kw, s, p, d, g, has_bias, act) in enumerate(specs):
        gen = torch.Generator().manual_seed(100 + i)
        x = randn(n, cin, h, w, gen=gen)
        wt = randn(cout, cin // g, kh, kw, gen=gen) * (1.0 / (cin // g * kh * kw)) ** 0.5
        b = randn(cout, gen=gen) if has_bias else None
        y = ACTS[act](F.conv2d(x, wt, b, stride=s, padding=p, dilation=d, groups=g))
        add("conv_" + name, "conv2d",
            {"stride": list(s), "padding": list(p), "dilation": list(d), "groups": g, "activation": act or "none"},
            input=x, weight=wt, bias=b, output=y)


def fold_cases():
    for i, (cout, has_bias, eps) in enumerate([(6, False, 1e-3), (5, True, 1e-5)]):
        gen = torch.Generator().manual_seed(200 + i)
        w = randn(cout, 3, 3, 3, gen=gen)
        b = randn(cout, gen=gen) if has_bias else None
        gamma = randn(cout, gen=gen)
        beta = randn(cout, gen=gen)
        mean = randn(cout, gen=gen)
        var = torch.rand(cout, generator=gen) * 2 + 0.05
        # torch.nn.utils.fusion (used by Ultralytics 8.x fuse_conv_and_bn)
        tw, tb = fuse_conv_bn_weights(w, b, mean, var, eps, gamma, beta)
        # YOLOv5 utils/torch_utils.py fuse_conv_and_bn, step by step
        w_conv = w.clone().view(cout, -1)
        w_bn = torch.diag(gamma.div(torch.sqrt(eps + var)))
        yw = torch.mm(w_bn, w_conv).view(w.shape)
        b_conv = torch.zeros(cout) if b is None else b
        b_bn = beta - gamma.mul(mean).div(torch.sqrt(var + eps))
        yb = torch.mm(w_bn, b_conv.reshape(-1, 1)).reshape(-1) + b_bn
        add(f"fold_bn_{i}", "foldBatchNorm", {"eps": eps}, weight=w, bias=b, gamma=gamma, beta=beta,
            mean=mean, var=var, torch_weight=tw, torch_bias=tb, yolov5_weight=yw, yolov5_bias=yb)


def activation_cases():
    gen = torch.Generator().manual_seed(300)
    x = torch.cat([randn(397, gen=gen) * 4, torch.tensor([0.0, -0.0, 3.0, -3.0, 6.0, -6.0, 80.0, -80.0, 100.0, -100.0])])
    for act in ["relu", "relu6", "silu", "sigmoid", "hardswish", "hardsigmoid", "leaky_relu"]:
        add("act_" + act, "activation", {"activation": act, "slope": 0.1}, input=x, output=ACTS[act](x))


def pool_cases():
    # (name, shape, kernel, stride, padding, dilation, ceil_mode)
    specs = [
        ("k3_s2_p1", (1, 3, 9, 11), 3, 2, 1, 1, False),
        ("k3_s2_p1_ceil", (1, 3, 10, 8), 3, 2, 1, 1, True),
        ("k2_s2_ceil_odd", (2, 2, 7, 9), 2, 2, 0, 1, True),
        ("k5_s1_p2_sppf", (1, 4, 8, 7), 5, 1, 2, 1, False),
        ("k1_s2", (1, 2, 7, 6), 1, 2, 0, 1, False),
        ("k3_s2_dil2", (1, 2, 12, 11), 3, 2, 1, 2, True),
        ("k3_s3_ceil_edge", (1, 1, 10, 10), 3, 3, 1, 1, True),
    ]
    for i, (name, shape, k, s, p, d, ceil) in enumerate(specs):
        gen = torch.Generator().manual_seed(400 + i)
        x = randn(*shape, gen=gen)
        add("maxpool_" + name, "maxPool2d",
            {"kernel": k, "stride": s, "padding": p, "dilation": d, "ceil_mode": ceil},
            input=x, output=F.max_pool2d(x, k, s, p, d, ceil_mode=ceil))
    # (name, shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    avg = [
        ("k3_s2_p1", (1, 3, 9, 11), 3, 2, 1, False, True, None),
        ("k3_s2_p1_nopad", (1, 3, 9, 11), 3, 2, 1, False, False, None),
        ("k3_s2_p1_ceil", (1, 2, 10, 8), 3, 2, 1, True, True, None),
        ("k2_s2_ceil_odd", (2, 2, 7, 9), 2, 2, 0, True, False, None),
        ("k3_s1_div", (1, 2, 6, 5), 3, 1, 1, False, True, 4),
    ]
    for i, (name, shape, k, s, p, ceil, cip, div) in enumerate(avg):
        gen = torch.Generator().manual_seed(450 + i)
        x = randn(*shape, gen=gen)
        add("avgpool_" + name, "avgPool2d",
            {"kernel": k, "stride": s, "padding": p, "ceil_mode": ceil, "count_include_pad": cip,
             "divisor_override": div or 0},
            input=x, output=F.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=cip, divisor_override=div))
    for i, (shape, out) in enumerate([((1, 3, 9, 11), (1, 1)), ((2, 2, 10, 7), (3, 4)), ((1, 2, 5, 5), (7, 6)),
                                      ((1, 4, 14, 14), (7, 7))]):
        gen = torch.Generator().manual_seed(480 + i)
        x = randn(*shape, gen=gen)
        add(f"adaptive_{out[0]}x{out[1]}", "adaptiveAvgPool2d", {"output_size": list(out)},
            input=x, output=F.adaptive_avg_pool2d(x, out))


def interpolate_cases():
    gen = torch.Generator().manual_seed(500)
    x = randn(1, 2, 5, 7, gen=gen)
    for size in [(10, 14), (13, 9), (3, 4), (5, 7), (16, 21)]:
        add(f"nearest_size_{size[0]}x{size[1]}", "interpolateNearest", {"size": list(size)},
            input=x, output=F.interpolate(x, size=size, mode="nearest"))
    for sf in [2.0, 3.0, 1.5, 0.6]:
        add(f"nearest_scale_{sf}", "interpolateNearest", {"scale_factor": sf},
            input=x, output=F.interpolate(x, scale_factor=sf, mode="nearest"))
    for ac in [False, True]:
        for size in [(10, 14), (13, 9), (3, 4), (1, 1), (6, 17)]:
            add(f"bilinear_size_{size[0]}x{size[1]}_ac{int(ac)}", "interpolateBilinear",
                {"size": list(size), "align_corners": ac},
                input=x, output=F.interpolate(x, size=size, mode="bilinear", align_corners=ac))
        for sf in [2.0, 1.7, 0.5]:
            add(f"bilinear_scale_{sf}_ac{int(ac)}", "interpolateBilinear",
                {"scale_factor": sf, "align_corners": ac},
                input=x, output=F.interpolate(x, scale_factor=sf, mode="bilinear", align_corners=ac))
    # Outputs with H + W > 128 on a non-3-channel input: torch's generic NCHW kernel, matched bit for bit.
    big = randn(1, 2, 3, 4, gen=gen)
    for ac in [False, True]:
        add(f"bilinear_generic_61x70_ac{int(ac)}", "interpolateBilinear",
            {"size": [61, 70], "align_corners": ac, "exact": True},
            input=big, output=F.interpolate(big, size=(61, 70), mode="bilinear", align_corners=ac))
    one = randn(1, 1, 4, 5, gen=gen)
    add("bilinear_generic_scale_15.3", "interpolateBilinear", {"scale_factor": 15.3, "align_corners": False, "exact": True},
        input=one, output=F.interpolate(one, scale_factor=15.3, mode="bilinear", align_corners=False))


def misc_cases():
    gen = torch.Generator().manual_seed(600)
    a, b, c = randn(2, 3, 4, 5, gen=gen), randn(2, 1, 4, 5, gen=gen), randn(2, 4, 4, 5, gen=gen)
    add("concat_channels", "concat", {"axis": 1}, a=a, b=b, c=c, output=torch.cat([a, b, c], 1))
    d, e = randn(2, 3, 2, 5, gen=gen), randn(2, 3, 3, 5, gen=gen)
    add("concat_height", "concat", {"axis": 2}, a=d, b=e, output=torch.cat([d, e], 2))
    f_, g = randn(3, 7, gen=gen), randn(2, 7, gen=gen)
    add("concat_axis0", "concat", {"axis": 0}, a=f_, b=g, output=torch.cat([f_, g], 0))
    x = randn(2, 7, 3, 4, gen=gen)
    add("slice_channels", "slice", {"axis": 1, "start": 2, "end": 5}, input=x, output=x[:, 2:5])
    add("slice_width", "slice", {"axis": 3, "start": 1, "end": 4}, input=x, output=x[:, :, :, 1:4])
    for i, piece in enumerate(torch.chunk(x, 3, dim=1)):
        add(f"chunk3_{i}", "chunk", {"axis": 1, "chunks": 3, "index": i}, input=x, output=piece)
    for i, piece in enumerate(torch.split(x, [2, 4, 1], dim=1)):
        add(f"split_{i}", "split", {"axis": 1, "sizes": [2, 4, 1], "index": i}, input=x, output=piece)
    y = randn(2, 7, 3, 4, gen=gen)
    s = torch.sigmoid(randn(2, 7, 1, 1, gen=gen))
    s1 = randn(1, 7, 1, 1, gen=gen)
    add("add_same", "add", {}, a=x, b=y, output=x + y)
    add("add_channel", "add", {}, a=x, b=s1, output=x + s1)
    add("mul_same", "mul", {}, a=x, b=y, output=x * y)
    add("mul_se", "mul", {}, a=x, b=s, output=x * s)
    add("mul_channel_shared", "mul", {}, a=x, b=s1, output=x * s1)
    z = randn(3, 5, 4, gen=gen) * 5
    for axis in [0, 1, 2, -1]:
        add(f"softmax_axis{axis}", "softmax", {"axis": axis}, input=z, output=torch.softmax(z, axis))
    xi, w, b = randn(4, 37, gen=gen), randn(19, 37, gen=gen), randn(19, gen=gen)
    add("linear_bias", "linear", {}, input=xi, weight=w, bias=b, output=F.linear(xi, w, b))
    x3 = randn(2, 3, 37, gen=gen)
    add("linear_nobias_rank3", "linear", {}, input=x3, weight=w, output=F.linear(x3, w))


def main():
    torch.set_num_threads(1)
    with torch.no_grad():
        conv_cases()
        fold_cases()
        activation_cases()
        pool_cases()
        interpolate_cases()
        misc_cases()
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "tensor_cases.bin"), "wb") as f:
        f.write(b"".join(blob))
    with open(os.path.join(OUT, "tensor_cases.json"), "w") as f:
        json.dump({"generator": "tools/gen_tensor_fixtures.py", "torch": torch.__version__,
                   "cases": cases}, f, indent=1)
    print(f"{len(cases)} cases, {offset * 4} bytes of tensors")


if __name__ == "__main__":
    main()
