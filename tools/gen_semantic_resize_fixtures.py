#!/usr/bin/env python3
"""References for Argus's semantic `imageSize` path: torchvision's SemanticSegmentation preset resize on an image
tensor (F.resize(uint8 [3, H, W], [short], bilinear, antialias=True): cast to float32, antialiased bilinear,
rounded back to uint8), then the tiny LRASPP of tools/gen_segmentation_fixtures.py (weights
Fixtures/torchvision_seg/semantic_mnv3_tiny.pt, only its lraspp keys), its "out" logits bilinearly upsampled
(align_corners=False) back to the image size, softmax and argmax there.

Run from the repository root:
    /work/venv-ref/bin/python tools/gen_semantic_resize_fixtures.py
(the reference venv is made by `bash ../shared/bench/install_venv.sh DIR`). Deterministic, single-threaded, a few
seconds. Images from ../shared/datasets/coco128, referenced by name.

Writes Tests/ArgusModelsTests/Fixtures/torchvision_seg/semantic_resize.json:
  resizes[]: {file, short, size [h, w] after the resize, sum (int, of all resized bytes), samples
              [[c, y, x, value]] at c = k % 3, y = (13k+1) % h, x = (29k+2) % w, k = 0..63} for downscales
              (short 96, 160, 200) and an upscale (short 700) of both images
  lraspp[]:  {file, short, input (stats of the normalized resized batch), out (stats of the model's out at the
              resized size), label_map (8-bit PNG at the image's size, argmax of the upsampled logits),
              noise {out: largest |float32 - float64| of the upsampled logits, labels_flipped},
              ambiguous {eps, k, count, coords} (top-2 gap < eps = max(k x that noise, 1e-4), as the other
              semantic fixtures),
              scores: {mean, std, samples [[c, y, x, p]]} of the softmax probabilities [21, H, W]}
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torchvision.transforms import functional as TF
from torchvision.transforms._presets import SemanticSegmentation

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_segmentation_fixtures as seg  # noqa: E402
from gen_torchvision_fixtures import COCO, IMAGES, stats  # noqa: E402

OUT = seg.OUT
RESIZE_SHORT = [96, 160, 200, 700]
LRASPP_SHORT = 200


def load_uint8(name):
    return torch.from_numpy(np.asarray(Image.open(COCO / name).convert("RGB")).copy()).permute(2, 0, 1)


def resize_entry(name, short):
    img = load_uint8(name)
    r = TF.resize(img, [short], interpolation=TF.InterpolationMode.BILINEAR, antialias=True)
    _, h, w = r.shape
    samples = [[k % 3, (13 * k + 1) % h, (29 * k + 2) % w] for k in range(64)]
    return {"file": name, "short": short, "size": [h, w], "sum": int(r.to(torch.int64).sum()),
            "samples": [[c, y, x, int(r[c, y, x])] for c, y, x in samples]}


def lraspp_entry(model, model64, name):
    img = load_uint8(name)
    x = SemanticSegmentation(resize_size=LRASPP_SHORT)(img)[None]
    with torch.inference_mode():
        out = model(x)["out"]
        full = F.interpolate(out, size=img.shape[-2:], mode="bilinear", align_corners=False)[0]
        full64 = F.interpolate(model64(x.double())["out"], size=img.shape[-2:], mode="bilinear", align_corners=False)[0]
    labels = full.argmax(0)
    noise = seg.tensor_noise(full, full64)
    eps = max(seg.AMBIGUOUS_K * noise["max_abs"], seg.AMBIGUOUS_MIN)
    top2 = full.topk(2, dim=0).values
    coords = ((top2[0] - top2[1]) < eps).nonzero().tolist()
    png = f"semantic_resize_lraspp_{Path(name).stem}.png"
    Image.fromarray(labels.numpy().astype(np.uint8), mode="L").save(OUT / png, optimize=True)
    p = full.softmax(0)
    C, H, W = p.shape
    samples = [[(37 * k + 3) % C, (13 * k + 1) % H, (29 * k + 2) % W] for k in range(16)]
    d = p.double()
    return {"file": name, "short": LRASPP_SHORT, "input": stats(x), "out": stats(out), "label_map": png,
            "noise": {"out": noise, "labels_flipped": int((full64.argmax(0) != labels).sum())},
            "ambiguous": {"eps": eps, "k": seg.AMBIGUOUS_K, "count": len(coords), "coords": coords[:seg.MAX_COORDS]},
            "scores": {"mean": float(d.mean()), "std": float(d.std()),
                       "samples": [[c, y, xx, float(p[c, y, xx])] for c, y, xx in samples]}}


def main():
    torch.set_num_threads(1)
    model, _ = seg.tiny_lraspp()
    sd = torch.load(OUT / seg.SEM_TINY_FILE)
    model.load_state_dict({k: v for k, v in sd.items() if k in model.state_dict()})
    model.eval()
    doc = {"torch": torch.__version__, "resize": "TF.resize(uint8 tensor, [short], BILINEAR, antialias=True)",
           "model": "lraspp_mnv3_tiny (gen_segmentation_fixtures.py)",
           "resizes": [resize_entry(f, s) for f in IMAGES for s in RESIZE_SHORT],
           "lraspp": [lraspp_entry(model, seg.float64_twin(model), f) for f in IMAGES]}
    with open(OUT / "semantic_resize.json", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print([(e["file"], e["short"], e["size"]) for e in doc["resizes"]])


if __name__ == "__main__":
    main()
