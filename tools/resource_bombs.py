#!/usr/bin/env python3
"""Resource bombs against Argus: small inputs that claim or expand to huge sizes (a check with measurements, not a
unit test; the unit tests cover each parser's refusal). Python 3 stdlib only.

    python3 tools/resource_bombs.py [--argus .build/release/argus] [--image IMG]

Files given on the command line (`argus detect --weights FILE`), each in a fresh process whose peak RSS is measured:
  - a PyTorch zip checkpoint whose one tensor is a deflated run of zeros that inflates 1032:1 (deflate's limit);
  - the same checkpoint claiming more bytes than deflate can produce from its entry;
  - an ONNX file whose initializer declares 10^10 floats and stores 4 bytes;
  - an ONNX graph whose ConstantOfShape asks for 2^40 floats at run time.
Requests to one `argus serve` (the built-in model), with its peak RSS (VmHWM) before and after:
  - a 64x64 PNG whose IDAT inflates to 1 GiB; a JPEG whose last progressive scan repeats 600 times;
  - PNG and JPEG headers declaring 100000 x 100000 and 65000 x 65000 pixels;
  - JSON nested 100,000 deep; a multipart body of 5,000 parts; a body over the size limit.
Prints a markdown table: what was sent, the answer (status and code, or the CLI's exit status and message),
seconds, and peak RSS.
"""
import argparse
import http.client
import io
import json
import os
import pickle
import re
import struct
import subprocess
import sys
import tempfile
import time
import types
import uuid
import zipfile
import zlib
from collections import OrderedDict

from argus_server import ArgusServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---- PyTorch checkpoints: the pickle names torch's globals; stand-ins with those names pickle them by reference.
def _torch_stand_ins():
    if "torch._utils" in sys.modules:
        return sys.modules["torch._utils"]._rebuild_tensor_v2, sys.modules["torch"].FloatStorage
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise NotImplementedError

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2

    class FloatStorage:
        pass

    FloatStorage.__module__ = "torch"
    FloatStorage.__qualname__ = "FloatStorage"
    torch.FloatStorage = FloatStorage
    torch._utils = utils
    sys.modules["torch"] = torch
    sys.modules["torch._utils"] = utils
    return _rebuild_tensor_v2, FloatStorage


class _Storage:
    def __init__(self, key, numel):
        self.key, self.numel = key, numel


class _Tensor:
    def __init__(self, storage, shape):
        self.storage, self.shape = storage, shape

    def __reduce__(self):
        rebuild, _ = _torch_stand_ins()
        return rebuild, (self.storage, 0, self.shape, (1,) * len(self.shape), False, OrderedDict())


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            _, storage_class = _torch_stand_ins()
            return ("storage", storage_class, obj.key, "cpu", obj.numel)
        return None


def torch_checkpoint(path, numel, declared_bytes=None):
    """A state dict {'weight': zeros(numel)} whose storage entry is deflated; `declared_bytes` overrides the entry's
    uncompressed size in the zip directories (a lie)."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=2).dump(OrderedDict([("weight", _Tensor(_Storage("0", numel), (numel,)))]))
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", buffer.getvalue())
        z.writestr("archive/byteorder", "little")
        info = zipfile.ZipInfo("archive/data/0")
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as f:
            chunk = bytes(1 << 24)
            left = numel * 4
            while left > 0:
                f.write(chunk[: min(left, len(chunk))])
                left -= len(chunk)
    if declared_bytes is not None:
        data = bytearray(open(path, "rb").read())
        # The central directory's zip64 extra field holds the real size: replace it wherever it appears.
        real = struct.pack("<Q", numel * 4)
        for m in [m.start() for m in re.finditer(re.escape(real), bytes(data))]:
            data[m:m + 8] = struct.pack("<Q", declared_bytes)
        open(path, "wb").write(bytes(data))


# ---- ONNX: protobuf written by hand (field numbers from onnx.proto).
def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number, wire, payload):
    key = _varint(number << 3 | wire)
    if wire == 0:
        return key + _varint(payload)
    return key + _varint(len(payload)) + payload


def _s(number, text):
    return _field(number, 2, text.encode())


def onnx_model(graph):
    opset = _field(2, 0, 13)  # OperatorSetIdProto.version
    return _field(1, 0, 8) + _field(8, 2, opset) + _field(7, 2, graph)  # ir_version, opset_import, graph


def _value_info(name, dims):
    shape = b"".join(_field(1, 2, _field(1, 0, d)) for d in dims)  # TensorShapeProto.dim.dim_value
    tensor_type = _field(1, 0, 1) + _field(2, 2, shape)  # elem_type FLOAT, shape
    return _s(1, name) + _field(2, 2, _field(1, 2, tensor_type))  # name, type.tensor_type


def onnx_huge_initializer():
    tensor = b"".join(_field(1, 0, d) for d in (100000, 100000)) + _field(2, 0, 1) + _s(8, "w") + _field(9, 2, bytes(4))
    node = _s(1, "x") + _s(1, "w") + _s(2, "y") + _s(4, "Add")
    graph = _field(1, 2, node) + _s(2, "bomb") + _field(5, 2, tensor) + _field(11, 2, _value_info("x", (1,))) \
        + _field(12, 2, _value_info("y", (1,)))
    return onnx_model(graph)


def onnx_constant_of_shape():
    shape = _field(1, 0, 2) + _field(2, 0, 7) + _s(8, "s") + _field(7, 2, _varint(1 << 20) + _varint(1 << 20))
    node = _s(1, "s") + _s(2, "y") + _s(4, "ConstantOfShape")
    add = _s(1, "x") + _s(1, "y") + _s(2, "z") + _s(4, "Add")
    graph = _field(1, 2, node) + _field(1, 2, add) + _s(2, "bomb") + _field(5, 2, shape) \
        + _field(11, 2, _value_info("x", (1, 3, 64, 64))) + _field(12, 2, _value_info("z", (1, 3, 64, 64)))
    return onnx_model(graph)


# ---- Images.
def _png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width, height, raw):
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", raw) + _png_chunk(b"IEND", b"")


def png_idat_bomb():
    z = zlib.compressobj(9)
    rows = b"".join(b"\x00" + bytes(range(64)) * 3 for _ in range(64))
    out = [z.compress(rows)]
    zeros = bytes(1 << 24)
    for _ in range(64):  # 1 GiB past the image
        out.append(z.compress(zeros))
    out.append(z.flush())
    return png(64, 64, b"".join(out))


def progressive_scan_bomb():
    data = open(os.path.join(ROOT, "Tests/ArgusImageTests/Fixtures/decode/progressive.jpg"), "rb").read()
    last = data.rfind(b"\xff\xda")
    scan = data[last:len(data) - 2]
    return data[:last] + scan * 600 + b"\xff\xd9"


def jpeg_declaring(width, height):
    data = bytearray(open(os.path.join(ROOT, "Tests/ArgusImageTests/Fixtures/decode/baseline.jpg"), "rb").read())
    sof = data.find(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def multipart(parts):
    boundary = uuid.uuid4().hex
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n"
                    for name, value in parts)
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


# ---- Running.
def cli_row(argus, label, path, image):
    start = time.time()
    run = subprocess.run(["/usr/bin/time", "-f", "%M", argus, "detect", "--weights", path, image],
                         capture_output=True, text=True)
    seconds = time.time() - start
    lines = run.stderr.strip().splitlines()
    peak_kb = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    message = next((l for l in lines if l.startswith("argus:")), lines[0] if lines else "")
    return (label, f"exit {run.returncode}: {message[:150]}", seconds, peak_kb / 1024)


def vm_hwm_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1)) / 1024


def post(port, path, body, ctype, declare_only=False):
    """The answer's status and error code. `declare_only`: send the headers (Content-Length included) and read the
    answer before any body byte, as a client that waits for 100 Continue would."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    start = time.time()
    try:
        if declare_only:
            connection.putrequest("POST", path)
            connection.putheader("Content-Type", ctype)
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders()
        else:
            connection.request("POST", path, body=body, headers={"Content-Type": ctype})
        response = connection.getresponse()
        text = response.read().decode(errors="replace")
        code = ""
        try:
            code = json.loads(text).get("error", {}).get("code", "")
        except (ValueError, AttributeError):
            pass
        return f"{response.status} {code}".strip(), time.time() - start
    except (ConnectionError, http.client.HTTPException, OSError) as error:
        return f"connection: {error.__class__.__name__}", time.time() - start
    finally:
        connection.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--argus", default=os.path.join(ROOT, ".build/release/argus"))
    ap.add_argument("--image", default=os.path.join(ROOT, "Tests/ArgusImageTests/Fixtures/decode/baseline.jpg"))
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as work:
        bomb = os.path.join(work, "zeros.pt")
        torch_checkpoint(bomb, 1 << 28)  # 1 GiB of zeros in about 1 MB
        rows.append(cli_row(args.argus, f"checkpoint: 1 GiB tensor deflated to {os.path.getsize(bomb) >> 10} KiB",
                            bomb, args.image))
        liar = os.path.join(work, "liar.pt")
        torch_checkpoint(liar, 1 << 20, declared_bytes=1 << 40)
        rows.append(cli_row(args.argus, "checkpoint: entry claims 1 TiB", liar, args.image))
        for name, model in [("ONNX: initializer declares 10^10 floats, stores 4 bytes", onnx_huge_initializer()),
                            ("ONNX: ConstantOfShape of 2^40 floats", onnx_constant_of_shape())]:
            path = os.path.join(work, "bomb.onnx")
            open(path, "wb").write(model)
            rows.append(cli_row(args.argus, name, path, args.image))

    with ArgusServer(args.argus, ["--quiet"]) as server:
        port = server.port
        normal = open(args.image, "rb").read()
        status, _ = post(port, "/detect", normal, "image/jpeg")
        before = vm_hwm_mb(server.pid)
        nested = b"[" * 100000 + b"]" * 100000
        parts, parts_type = multipart([("conf", b"0.5")] * 5000)
        requests = [
            ("HTTP: 64x64 PNG whose IDAT inflates to 1 GiB", png_idat_bomb(), "image/png"),
            ("HTTP: progressive JPEG, last scan repeated 600 times", progressive_scan_bomb(), "image/jpeg"),
            ("HTTP: PNG header declaring 100000 x 100000", png(100000, 100000, zlib.compress(b"")), "image/png"),
            ("HTTP: JPEG header declaring 65000 x 65000", jpeg_declaring(65000, 65000), "image/jpeg"),
            ("HTTP: JSON nested 100,000 deep", nested, "application/json"),
            ("HTTP: multipart with 5,000 parts", parts, parts_type),
            ("HTTP: 64 MiB body (Content-Length read first)", bytes(64 << 20), "image/jpeg"),
        ]
        for label, body, ctype in requests:
            answer, seconds = post(port, "/detect", body, ctype, declare_only=len(body) > 32 << 20)
            rows.append((label, answer, seconds, vm_hwm_mb(server.pid)))
        after_status, _ = post(port, "/detect", normal, "image/jpeg")
        rows.append(("HTTP: a normal request afterwards", after_status, 0.0, vm_hwm_mb(server.pid)))

    print(f"Server peak RSS after one normal request: {before:.0f} MB (first answer {status})")
    print()
    print("| input | answer | seconds | peak RSS MB |")
    print("|---|---|---|---|")
    for label, answer, seconds, peak in rows:
        print(f"| {label} | {answer} | {seconds:.2f} | {peak:.0f} |")


if __name__ == "__main__":
    main()
