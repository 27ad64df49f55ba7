#!/usr/bin/env python3
"""Writes the checkpoint fixtures for Tests/ArgusWeightsTests/Fixtures.

Run from the repo root with the reference venv:
    /work/venv-ref/bin/python tools/gen_weight_fixtures.py
(the venv is made by `bash ../shared/bench/install_venv.sh DIR`; needs torch 2.x and numpy.)

Each fixture is written by torch itself (torch.save, zip and legacy formats) except the safetensors file and the
ZIP64/deflated re-pack, which are written by hand here following their specifications and then
read back with torch / zipfile to prove they are valid. `expected.json` holds what torch reads:
state-dict names in order, dtype, shape and every value (as float32, float64 or int64).

If ../shared/weights/ultralytics/yolov5n.pt exists, `yolov5n_expected.json` is written too:
torch loads it with stand-in classes for YOLOv5's own `models.*` modules (so no YOLOv5 code is
needed) and `state_dict()` gives the reference names and values.
"""
import collections
import io
import json
import os
import pickle
import struct
import sys
import types
import zipfile
import zlib

import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "ArgusWeightsTests", "Fixtures")
YOLOV5N = os.path.join(ROOT, "..", "shared", "weights", "ultralytics", "yolov5n.pt")

DTYPE_NAMES = {
    torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16",
    torch.float64: "float64", torch.int64: "int64", torch.int32: "int32", torch.int16: "int16",
    torch.int8: "int8", torch.uint8: "uint8", torch.bool: "bool",
    torch.uint16: "uint16", torch.uint32: "uint32",
}
INT_DTYPES = (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8, torch.bool,
              torch.uint16, torch.uint32)


def describe(t):
    """Expected record of one tensor: dtype, shape and all values the way Argus reads them.

    Values are bit patterns (float32 as uint32 ints, float64 as uint64 decimal strings) so
    that no JSON float parsing stands between torch and the comparison."""
    rec = {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape)}
    flat = t.detach().reshape(-1).contiguous()
    if t.dtype in INT_DTYPES:
        rec["ints"] = [int(v) for v in flat.to(torch.int64).tolist()]
    if t.dtype == torch.float64:
        rec["double_bits"] = [str(v) for v in flat.view(torch.int64).tolist()]
        rec["double_bits"] = [str(int(v) & 0xFFFFFFFFFFFFFFFF) for v in rec["double_bits"]]
    # What Tensor(Float32) must hold: torch's own conversion to float32.
    rec["float_bits"] = [v & 0xFFFFFFFF for v in flat.to(torch.float32).view(torch.int32).tolist()]
    return rec


def describe_state(sd):
    return {"names": list(sd.keys()), "tensors": {k: describe(v) for k, v in sd.items()}}


def special_values():
    return torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, 6.1e-5, 5.96e-8, 1e-7,
                         float("inf"), float("-inf"), float("nan"), 3.14159])


def make_state_dict():
    g = torch.Generator().manual_seed(0)
    base = torch.randn(3, 4, generator=g)
    shared = torch.arange(10, dtype=torch.float32) * 0.5
    sd = collections.OrderedDict()
    sd["f32"] = torch.randn(2, 3, generator=g)
    sd["f16"] = special_values().to(torch.float16)
    sd["bf16"] = special_values().to(torch.bfloat16)
    sd["f64"] = torch.tensor([[1.0 / 3.0, -1e300], [2.0 ** -1074, 12345.678901234567]],
                             dtype=torch.float64)
    sd["i64"] = torch.tensor([-(2 ** 62), -1, 0, 7, 2 ** 53 + 1], dtype=torch.int64)
    sd["i32"] = torch.tensor([-(2 ** 31), 2 ** 31 - 1, 5], dtype=torch.int32)
    sd["i16"] = torch.tensor([-32768, 32767], dtype=torch.int16)
    sd["i8"] = torch.tensor([-128, 127, 3], dtype=torch.int8)
    sd["u8"] = torch.tensor([0, 1, 200, 255], dtype=torch.uint8)
    sd["flags"] = torch.tensor([True, False, True])
    sd["base"] = base
    sd["transposed"] = base.t()                 # non-contiguous view of base's storage
    sd["sliced"] = base[1:, 1:3]                # offset 5, strides (4, 1)
    sd["shared_a"] = shared[:4]                 # two tensors in one storage
    sd["shared_b"] = shared[6:].view(2, 2)
    sd["expanded"] = torch.tensor([7.5]).expand(3, 2)   # stride 0
    sd["scalar"] = torch.tensor(2.75)
    sd["empty"] = torch.zeros(0, 3)
    sd["param"] = nn.Parameter(torch.randn(4, generator=g))
    return sd


def misc_object():
    """Plain Python values that exercise the pickle opcodes beyond tensors."""
    return {
        "none": None, "t": True, "f": False,
        "small": 7, "neg": -300, "i32": 2 ** 31 - 1, "big": 2 ** 70, "negbig": -(2 ** 40),
        "pi": 3.141592653589793, "text": "héllo ✓", "bytes": b"\x00\x01\xff",
        "bytearray": bytearray(b"ab"), "tuple": (1, "two", 3.0), "list": [1, [2, [3]]],
        "set": {5}, "frozenset": frozenset({"x"}), "slice": slice(1, 10, 2),
        "size": torch.Size([2, 3]), "device": torch.device("cpu"), "dtype": torch.float16,
        "intkeys": {1: "a", 2: "b"}, "tensor": torch.tensor([1.5, -2.0]),
    }


MISC_EXPECTED = {
    "none": None, "t": True, "f": False, "small": 7, "neg": -300, "i32": 2 ** 31 - 1,
    "negbig": -(2 ** 40), "pi": 3.141592653589793, "text": "héllo ✓", "bytes": [0, 1, 255],
    "bytearray": [97, 98], "tuple": [1, "two", 3.0], "set": [5], "frozenset": ["x"],
    "size": [2, 3], "device": "cpu", "tensor": [1.5, -2.0],
}


class TinyHead(nn.Module):
    """A custom Module subclass: pickled by reference to __main__.TinyHead."""

    def __init__(self, c):
        super().__init__()
        self.scale = nn.Parameter(torch.linspace(-1, 1, c))
        self.register_buffer("anchors", torch.tensor([[1.25, 1.625], [2.0, 3.75]]))
        self.register_buffer("scratch", torch.ones(2), persistent=False)  # not in state_dict
        self.register_parameter("unused", None)                           # skipped


class TinyNet(nn.Module):
    def __init__(self, seed):
        super().__init__()
        torch.manual_seed(seed)
        self.model = nn.Sequential(
            nn.Conv2d(3, 4, 3, padding=1, bias=False),
            nn.BatchNorm2d(4),
            nn.Sequential(nn.Conv2d(4, 2, 1), TinyHead(2)),
        )
        with torch.no_grad():
            bn = self.model[1]
            bn.running_mean.copy_(torch.tensor([0.1, -0.2, 0.3, 0.0]))
            bn.running_var.copy_(torch.tensor([1.5, 0.5, 2.0, 1.0]))
            bn.num_batches_tracked.fill_(42)
        self.yaml = {"nc": 2, "depth_multiple": 0.33, "width_multiple": 0.25,
                     "anchors": [[10, 13, 16, 30]], "backbone": [[-1, 1, "Conv", [4, 3]]]}
        self.names = ["cat", "dog"]
        self.nc = 2
        self.stride = torch.tensor([8.0, 16.0, 32.0])


def tensor_state_from_module(m):
    return collections.OrderedDict((k, v) for k, v in m.state_dict().items())


# --- hand-written containers -------------------------------------------------------------------

def write_safetensors(path, tensors, metadata):
    """safetensors layout: u64 LE header size, JSON header, then the raw little-endian data."""
    codes = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
             torch.float64: "F64", torch.int64: "I64", torch.int32: "I32", torch.int16: "I16",
             torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}
    header, chunks, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        t = t.contiguous()
        raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": codes[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)   # the reference writer pads the header to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def write_zip64(path, entries, deflate):
    """A ZIP64 archive where every size/offset field is routed through ZIP64 extra fields."""
    out = bytearray()
    central = bytearray()
    for name, data, compress in entries:
        method = 8 if (deflate and compress) else 0
        if method == 8:
            co = zlib.compressobj(9, zlib.DEFLATED, -15)
            payload = co.compress(data) + co.flush()
        else:
            payload = data
        crc = zlib.crc32(data) & 0xFFFFFFFF
        offset = len(out)
        n = name.encode()
        extra = struct.pack("<HHQQ", 1, 16, len(data), len(payload))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, method, 0, 0x21, crc,
                           0xFFFFFFFF, 0xFFFFFFFF, len(n), len(extra)) + n + extra + payload
        cextra = struct.pack("<HHQQQ", 1, 24, len(data), len(payload), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, method, 0, 0x21, crc,
                               0xFFFFFFFF, 0xFFFFFFFF, len(n), len(cextra), 0, 0, 0, 0,
                               0xFFFFFFFF) + n + cextra
    cd_offset = len(out)
    out += central
    z64_offset = len(out)
    count = len(entries)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count,
                       len(central), cd_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, z64_offset, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    with open(path, "wb") as f:
        f.write(out)


def repack_zip64(src, dst, folder):
    """Re-pack a torch zip under another top folder name, deflating data.pkl and one storage."""
    with zipfile.ZipFile(src) as z:
        entries = []
        for info in z.infolist():
            rest = info.filename.split("/", 1)[1]
            data = z.read(info.filename)
            compress = rest in ("data.pkl", "data/0")
            entries.append((folder + "/" + rest, data, compress))
    write_zip64(dst, entries, deflate=True)


# --- YOLOv5 reference --------------------------------------------------------------------------

def load_yolov5(path):
    """torch.load with stand-in nn.Module classes for YOLOv5's `models.*` (no YOLOv5 code)."""
    stubs = {}

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            if module.startswith("models."):
                key = module + "." + name
                if key not in stubs:
                    stubs[key] = type(name, (nn.Module,), {"__module__": module})
                return stubs[key]
            return super().find_class(module, name)

    pm = types.ModuleType("stub_pickle")
    pm.Unpickler = Unpickler
    pm.load = lambda f, **kw: Unpickler(f, **kw).load()
    return torch.load(path, map_location="cpu", weights_only=False, pickle_module=pm)


def yolov5_expected(path):
    ckpt = load_yolov5(path)
    model = ckpt.get("ema") or ckpt["model"]
    sd = model.state_dict()
    picks = ["model.0.conv.weight", "model.0.bn.running_var", "model.24.anchors",
             "model.24.m.0.bias", "model.2.cv1.bn.num_batches_tracked"]
    tensors = {}
    for name in picks:
        rec = describe(sd[name])
        for key in ("float_bits", "ints"):
            if key in rec and len(rec[key]) > 64:
                flat = rec[key]
                idx = sorted(set([0, 1, 2, 3, len(flat) // 3, len(flat) // 2, len(flat) - 1]))
                rec["sampled_" + key] = {str(i): flat[i] for i in idx}
                del rec[key]
        tensors[name] = rec
    return {
        "class": type(model).__module__ + "." + type(model).__name__,
        "names": list(sd.keys()),
        "shapes": {k: list(v.shape) for k, v in sd.items()},
        "dtypes": {k: DTYPE_NAMES[v.dtype] for k, v in sd.items()},
        "tensors": tensors,
        "yaml_depth_multiple": model.yaml["depth_multiple"],
        "yaml_width_multiple": model.yaml["width_multiple"],
        "class_names": list(model.names),
        "stride": model.stride.tolist(),
        "epoch": ckpt.get("epoch"),
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}

    sd = make_state_dict()
    torch.save(sd, os.path.join(OUT, "state_dict.pt"))
    expected["state_dict.pt"] = describe_state(torch.load(os.path.join(OUT, "state_dict.pt")))

    torch.save(sd, os.path.join(OUT, "state_dict_p4.pt"), pickle_protocol=4)
    expected["state_dict_p4.pt"] = expected["state_dict.pt"]

    nested = {"state_dict": sd, "epoch": 3, "optimizer": None}
    torch.save(nested, os.path.join(OUT, "nested.pt"))
    expected["nested.pt"] = dict(expected["state_dict.pt"], epoch=3)

    net = TinyNet(seed=1)
    torch.save(net, os.path.join(OUT, "module.pt"))
    back = torch.load(os.path.join(OUT, "module.pt"), weights_only=False)
    expected["module.pt"] = describe_state(tensor_state_from_module(back))
    expected["module.pt"].update(cls="__main__.TinyNet", names_attr=back.names, nc=back.nc,
                                 stride=back.stride.tolist(), yaml=back.yaml)

    ema = TinyNet(seed=2)
    ckpt = {"epoch": 5, "model": net.half(), "ema": ema, "date": "today"}
    torch.save(ckpt, os.path.join(OUT, "ckpt_ema.pt"))
    back = torch.load(os.path.join(OUT, "ckpt_ema.pt"), weights_only=False)
    expected["ckpt_ema.pt"] = describe_state(tensor_state_from_module(back["ema"]))

    torch.save(misc_object(), os.path.join(OUT, "misc_p5.pt"), pickle_protocol=5)
    back = torch.load(os.path.join(OUT, "misc_p5.pt"), weights_only=False)
    assert back["big"] == 2 ** 70 and back["slice"] == slice(1, 10, 2)
    expected["misc_p5.pt"] = {"values": MISC_EXPECTED, "names": ["tensor"]}

    # dtypes added after the legacy storage classes travel as UntypedStorage + _rebuild_tensor_v3.
    v3 = collections.OrderedDict()
    v3["u16"] = torch.tensor([0, 1, 40000, 65535], dtype=torch.uint16)
    v3["u32"] = torch.tensor([[7, 4000000000]], dtype=torch.uint32).t()
    v3["f32"] = torch.tensor([0.5])
    torch.save(v3, os.path.join(OUT, "v3_dtypes.pt"))
    expected["v3_dtypes.pt"] = describe_state(torch.load(os.path.join(OUT, "v3_dtypes.pt")))
    torch.save({"f8": torch.tensor([1.0, -2.0]).to(torch.float8_e4m3fn)}, os.path.join(OUT, "float8.pt"))

    torch.save(sd, os.path.join(OUT, "legacy_state_dict.pt"), _use_new_zipfile_serialization=False)
    back = torch.load(os.path.join(OUT, "legacy_state_dict.pt"))
    expected["legacy_state_dict.pt"] = describe_state(back)

    legacy_net = TinyNet(seed=3)
    torch.save(legacy_net, os.path.join(OUT, "legacy_module.pt"), _use_new_zipfile_serialization=False)
    back = torch.load(os.path.join(OUT, "legacy_module.pt"), weights_only=False)
    expected["legacy_module.pt"] = describe_state(tensor_state_from_module(back))
    expected["legacy_module.pt"].update(cls="__main__.TinyNet", names_attr=back.names, nc=back.nc)

    repack_zip64(os.path.join(OUT, "state_dict.pt"), os.path.join(OUT, "zip64_deflated.pt"),
                 folder="my_ckpt")
    with zipfile.ZipFile(os.path.join(OUT, "zip64_deflated.pt")) as z:
        assert z.testzip() is None
    expected["zip64_deflated.pt"] = expected["state_dict.pt"]

    st = collections.OrderedDict((k, v.contiguous()) for k, v in sd.items()
                                 if k not in ("param",))
    write_safetensors(os.path.join(OUT, "tensors.safetensors"), st,
                      {"format": "pt", "source": "gen_weight_fixtures"})
    expected["tensors.safetensors"] = describe_state(st)
    expected["tensors.safetensors"]["metadata"] = {"format": "pt", "source": "gen_weight_fixtures"}
    try:  # cross-check the hand-written file with the reference reader when it is installed
        from safetensors.torch import load_file
        got = load_file(os.path.join(OUT, "tensors.safetensors"))
        assert all(torch.equal(got[k], v) or k in ("f16", "bf16") for k, v in st.items())
    except ImportError:
        pass

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)

    if os.path.exists(YOLOV5N):
        with open(os.path.join(OUT, "yolov5n_expected.json"), "w") as f:
            json.dump(yolov5_expected(YOLOV5N), f, indent=1)
    else:
        print("note: %s absent, yolov5n_expected.json not refreshed" % YOLOV5N, file=sys.stderr)

    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print("wrote %s (%d bytes)" % (OUT, total))


if __name__ == "__main__":
    main()
