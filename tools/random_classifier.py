#!/usr/bin/env python3
"""A real torchvision classifier for the server checks, without torch: mobilenet_v3_small's state dict (the key list
and shapes of Tests/ArgusModelsTests/Fixtures/classification/mobilenet_v3_small.json) with random weights (He-scaled
normal, seeded; batch norm the identity), written as a safetensors file, which argus loads like the .pth.

    python3 tools/random_classifier.py OUT.safetensors

Standard library only (the check venvs have no numpy). The classes it picks mean nothing; the server's answers are
what the checks compare.
"""
import array
import json
import math
import pathlib
import random
import struct
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
LISTING = ROOT / "Tests/ArgusModelsTests/Fixtures/classification/mobilenet_v3_small.json"


def write(path):
    listing = json.loads(LISTING.read_text())["state_dict"]
    rng = random.Random(0)
    header, chunks, offset = {}, [], 0
    for key, entry in listing.items():
        if entry["dtype"] != "float32":
            continue
        shape, n = entry["shape"], math.prod(entry["shape"])
        if len(shape) >= 2:
            scale = math.sqrt(2.0 / math.prod(shape[1:]))
            values = array.array("f", (rng.gauss(0, scale) for _ in range(n)))
        else:
            fill = 1.0 if key.endswith("running_var") or (key.endswith("weight") and "running" not in key) else 0.0
            values = array.array("f", [fill]) * n
        data = values.tobytes()
        header[key] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    pathlib.Path(path).write_bytes(struct.pack("<Q", len(text)) + text + b"".join(chunks))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    write(sys.argv[1])
