#!/usr/bin/env python3
"""Reference outputs of torchvision's ImageNet classifiers (torchvision 0.28, torch 2.13 CPU) with
deterministic weights on real coco128 images, and of the classification preset (resize, center crop,
normalize): the fixtures for Argus's image classification.

Run from the repository root:
    /work/venv-ref/bin/python tools/gen_classification_fixtures.py [NAME ...] [--categories]
(the reference venv is made by `bash ../shared/bench/install_venv.sh DIR`). NAMEs are model names or
`preset`; without any, every model and preset.json are regenerated. `--categories` also writes
Sources/ArgusModels/Classification/ImageNetCategories.swift; given alone, it writes only that file.
Single-threaded and deterministic: a rerun writes identical files. Images are read from
../shared/datasets/coco128 and only referenced by name. Takes about half a minute (32 s wall here, 3.8 GB peak;
VGG-16 dominates: 138 M rule weights and its float64 twin).

The weight rule, the float64 twin and the `stats` convention are IMPORTED from
tools/gen_torchvision_fixtures.py (see its docstring; one definition for all these scripts). Reminder: gain
g[0] applies to keys starting with "backbone.body." and g[1] to every other conv/linear weight. No
classification key starts with that prefix, so g[1] applies to all of them and weight_gain is written as
[g, g]. Linear weights ([out, in]) get fan_in = in, conv weights in * kh * kw (groups included: the
depthwise convs of the MobileNets have fan_in = kh * kw).

Writes into Tests/ArgusModelsTests/Fixtures/classification/:

  <name>.json for the full-size models, exactly as the torchvision builders make them
  (`torchvision.models.<name>(weights=None)`, 1000 classes, eval mode: Dropout is the identity, BatchNorm2d
  (eps 1e-5, MobileNet eps 1e-3) uses the rule's running statistics), weights from the rule, NOT committed:
    alexnet, vgg16, resnet18, resnet50, mobilenet_v3_large, mobilenet_v3_small
  preset.json: the classification preset alone, on a synthetic image and two real ones (below).

Weight gains (g in the rule; chosen so the logits are spread (std a few units) and the softmax peaked but not
saturated: top-1 probability about 0.05..0.9 on the images, the top-5 probabilities clearly distinct):
  alexnet 6, vgg16 6        He's variance (the rule's s is uniform, var s^2 = 1/3, so g = 6 gives var 2 / fan_in):
                             logits std 4.2-5.4 / 2.8-3.5, top-1 0.22-0.85 / 0.23-0.52. AlexNet at g 8: std 13-17,
                             top-1 0.67-1.0; VGG-16 (16 layers, no BatchNorm) at 5: std 0.7, at 6.5: top-1 0.64-0.88
  resnet18 3.75, resnet50 3.4   std 3.7-4.7 / 4.8-6.4, top-1 0.17-0.42 / 0.25-0.42; ResNet-18 at 3: std 1.4, at
                             4.25: top-1 0.89 on one image; ResNet-50 at 3: std 2, at 4: std 22-30 (saturated)
  mobilenet_v3_large 5.13, mobilenet_v3_small 5.7   std 1.7-6.9 / 2.0-5.6, top-1 0.17-0.54 / 0.07-0.33 (Large at
                             5.125 has a top-5/6 probability gap of 7e-5 on one image, 26x the noise). The
                             hardswish / hard-sigmoid (SE) nets have a sharp edge: below it the logits are nearly
                             constant (Large at g <= 4.5, Small at <= 5.2: std 0.1-0.2, the classifier's biases, the
                             same top classes on every image), a few tenths above it they saturate (Large at 5.4:
                             std 13-30, top-1 0.75-1.0; Small at 6: std 11-20). Inside the chosen nets every block's
                             output has std 0.4-5 and max |x| < 40 (all six models).
  The random nets' logits are strongly correlated between images (0.8-0.997): most of the logit pattern is the
  image-independent part of the random weights, so several images share a top-1 class (ResNet-50: all three).
Images: 000000000025.jpg (426x640, landscape), 000000000036.jpg (640x481, portrait), 000000000061.jpg
(488x640, landscape) of ../shared/datasets/coco128/images/train2017.

Input (torchvision's documented inference recipe, on the 8-bit image):
  img = torchvision.io.decode_image(path)  (uint8 [3, H, W] RGB, torchvision's own libjpeg; decode_image
                                           exists in 0.28, so the PIL fallback is unused: for these three
                                           files both decoders give identical pixels)
  x = ImageClassification(crop_size=224, resize_size=256)(img)[None]  (torchvision.transforms._presets: the
      V1 preset of all six models' IMAGENET1K_V1 weights), which does, in torchvision.transforms.functional:
    resize(img, [256], bilinear, antialias=True): the shorter side becomes 256, the longer
        int(256 * long / short) (truncated); on a uint8 tensor the image is converted to float32, resized by
        torch.nn.functional.interpolate(mode="bilinear", align_corners=False, antialias=True), then
        torch.round (half to even) and cast back to uint8: the resized image is 8-bit
    center_crop(img, [224]): top = int(round((h - 224) / 2.0)), left likewise (Python's round: HALF TO EVEN,
        so 58.5 -> 58); when the image is smaller than the crop it is first zero-padded (uint8 0) by
        ((224 - w) // 2, (224 - h) // 2) on the left / top and ((224 - w + 1) // 2, (224 - h + 1) // 2) on the
        right / bottom (only along the short axes), then cropped the same way
    convert_image_dtype(img, float32): uint8 / 255 (float32 division)
    normalize(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)): (x - mean) / std per channel, float32
        (so a zero-padded pixel becomes -mean / std)
  input_232: the same with resize_size=232 (the V2 preset of ResNet-50's and MobileNetV3-Large's
  IMAGENET1K_V2 weights), recorded as input stats only (the models are run on the 256 input).

JSON fields (<name>.json):
  torch, torchvision        versions used
  builder                   "torchvision.models.<name>(weights=None)"
  weights_file              null (regenerate with the weight rule)
  weight_gain               [g, g]
  config                    num_classes 1000; preset {resize_size, crop_size, mean, std, interpolation,
                            antialias}: the V1 preset the inputs were made with (the same values as
                            <Enum>.IMAGENET1K_V1.transforms(), asserted)
  weights_presets           every member of the builder's weights enum (torchvision.models.get_model_weights):
                            {name (e.g. "IMAGENET1K_V2"), default (is <Enum>.DEFAULT), url, num_params
                            (meta['num_params']), num_categories (len(meta['categories']), or null when the
                            weights have none), resize_size, crop_size, mean, std, interpolation (the
                            InterpolationMode's value, e.g. "bilinear"), antialias}: read off .transforms()
  state_dict                per key: shape, dtype, sum (float64 sum of the float32 values)
  images[]                  one per image:
    file, original_size     [h, w]
    input                   stats of the V1 preset's output, [1, 3, 224, 224]
    input_232               stats of the V2 preset's output (resize 232, crop 224)
    logits                  stats of the [1, 1000] logits: shape, mean, std (unbiased, float64), samples
                            [[j, value]] at j = (37 k + 3) % 1000, k = 0..15; plus `top`: the 10 highest
                            logits, highest first, as {class_id, logit, probability} with probability =
                            torch.softmax(logits, 1) in float32
    noise                   the same model in float64 (copy.deepcopy(model).double(), same weights) on the same
                            float32 input cast to float64: max_abs_logit = max |logit32 - logit64|,
                            max_abs_probability = max |p32 - p64| (p64 = float64 softmax), top10_64 = the
                            float64 top-10 class ids, gaps = for k = 1..9, p64[rank k] - p64[rank k + 1]
                            (a top-k cut closer than a few max_abs_probability is borderline)
  `stats` objects (input, input_232): {shape, mean, std, samples} as in gen_torchvision_fixtures.py: samples
  [c, y, x, value] at c = (37 k + 3) % C, y = (13 k + 1) % H, x = (29 k + 2) % W, k = 0..15; mean and std
  (unbiased) over the whole tensor in float64.

preset.json: the preset alone (no model), cases[] with
    name, file (a coco128 name, or null for the synthetic image), original_size [h, w], resize_size,
    crop_size, resized_size [h, w] (after resize), padding_ltrb (center_crop's zero padding [left, top,
    right, bottom], null when none), crop_top_left [top, left] (in the padded image when padded),
    resized: stats of the 8-bit resized image (values 0..255 as float; samples as above),
    near_half: how many resized values were within 1e-3 of k + 0.5 before torch.round (where another
    float32 summation order may round the other way, one 8-bit level), input: stats of the [1, 3, 224, 224]
    output.
  The synthetic image (h 150, w 200, uint8 [3, 150, 200]), also described in the JSON's "synthetic":
    R[y, x] = (255 * x) // 199,  G[y, x] = (255 * y) // 149,  B[y, x] = (7 * x + 13 * y) % 256
  (integer arithmetic; R and G are ramps 0..255, B diagonal stripes that wrap); its "sum" and "samples"
  (stats convention) check a rebuild. Cases:
    synthetic_256   V1 preset (256 / 224): resized 256x341, no padding (the short side always becomes 256 >=
                    224), crop left = round(58.5) = 58, a round-half-to-even tie (round half up gives 59)
    synthetic_200   resize_size 200, crop 224: resized 200x266, padded top 12 / bottom 12, crop left 21
    synthetic_201   resize_size 201, crop 224: resized 201x268, padded top 11 / bottom 12 (odd), left 22
    landscape       000000000025.jpg (426x640) at 256 / 224: resized 256x384, crop (16, 80)
    portrait        000000000036.jpg (640x481) at 256 / 224: resized 340x256, crop (58, 16)

Sources/ArgusModels/Classification/ImageNetCategories.swift (with --categories): the 1000 names of
torchvision.models._meta._IMAGENET_CATEGORIES (the `categories` of every IMAGENET1K weights' meta) as a
Swift array literal, `\\` and `"` escaped.
"""
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torchvision
from torchvision.transforms._presets import ImageClassification

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_torchvision_fixtures as base  # noqa: E402  (the shared weight rule and stats)
from gen_torchvision_fixtures import fill_weights, float64_twin, state_dict_summary, stats  # noqa: E402

OUT = base.REPO / "Tests/ArgusModelsTests/Fixtures/classification"
CATEGORIES_SWIFT = base.REPO / "Sources/ArgusModels/Classification/ImageNetCategories.swift"
COCO = base.COCO
IMAGES = ["000000000025.jpg", "000000000036.jpg", "000000000061.jpg"]
CROP = 224
RESIZE_V1, RESIZE_V2 = 256, 232
TOP = 10
N_SAMPLES = base.N_SAMPLES

# g of the weight rule per model.
GAINS = {  # see the docstring for what the neighbouring gains give
    "alexnet": 6.0,
    "vgg16": 6.0,
    "resnet18": 3.75,
    "resnet50": 3.4,
    "mobilenet_v3_large": 5.13,
    "mobilenet_v3_small": 5.7,
}


# ---- input -----------------------------------------------------------------------------------------

def decode(name):
    """uint8 [3, H, W] RGB: torchvision.io.decode_image, or PIL when torchvision has no decode_image."""
    path = COCO / name
    if hasattr(torchvision.io, "decode_image"):
        img = torchvision.io.decode_image(str(path))
    else:  # pragma: no cover - fallback for torchvision builds without the image extension
        from PIL import Image
        img = torch.from_numpy(np.array(Image.open(path).convert("RGB"))).permute(2, 0, 1).contiguous()
    assert img.dtype == torch.uint8 and img.dim() == 3 and img.shape[0] == 3, (name, img.shape, img.dtype)
    return img


def preset(resize_size, crop_size=CROP):
    return ImageClassification(crop_size=crop_size, resize_size=resize_size)


def preset_record(p):
    """The values of an ImageClassification preset, as the JSON records them."""
    return {"resize_size": p.resize_size[0], "crop_size": p.crop_size[0], "mean": [float(v) for v in p.mean],
            "std": [float(v) for v in p.std], "interpolation": p.interpolation.value, "antialias": p.antialias}


def weights_presets(name):
    enum = torchvision.models.get_model_weights(name)
    out = []
    for member in enum:
        t = member.transforms()
        assert isinstance(t, ImageClassification), (name, member, type(t))
        cats = member.meta.get("categories")
        out.append({"name": member.name, "default": member is enum.DEFAULT, "url": member.url,
                    "num_params": member.meta["num_params"], "num_categories": len(cats) if cats else None,
                    **preset_record(t)})
    return out


# ---- reference runs --------------------------------------------------------------------------------

def logit_stats(t):
    v = t[0]
    d = v.double()
    samples = [[(37 * k + 3) % v.shape[0], float(v[(37 * k + 3) % v.shape[0]])] for k in range(N_SAMPLES)]
    return {"shape": list(t.shape), "mean": float(d.mean()), "std": float(d.std()), "samples": samples}


def run_image(model, model64, name):
    img = decode(name)
    x = preset(RESIZE_V1)(img)[None]
    x232 = preset(RESIZE_V2)(img)[None]
    assert x.dtype == torch.float32 and list(x.shape) == [1, 3, CROP, CROP]
    with torch.inference_mode():
        logits = model(x)
        logits64 = model64(x.double())
    p32 = torch.softmax(logits, 1)
    p64 = torch.softmax(logits64, 1)
    values, ids = logits[0].topk(TOP)
    top = [{"class_id": int(i), "logit": float(v), "probability": float(p32[0, i])} for v, i in zip(values, ids)]
    p64s, ids64 = p64[0].topk(TOP)
    noise = {"max_abs_logit": float((logits.double() - logits64).abs().max()),
             "max_abs_probability": float((p32.double() - p64).abs().max()),
             "top10_64": [int(i) for i in ids64],
             "gaps": [float(p64s[k - 1] - p64s[k]) for k in range(1, TOP)]}
    return {"file": name, "original_size": list(img.shape[-2:]), "input": stats(x), "input_232": stats(x232),
            "logits": {**logit_stats(logits), "top": top}, "noise": noise}


def run_model(name):
    fn = getattr(torchvision.models, name)
    model = fn(weights=None)
    g = GAINS[name]
    fill_weights(model, (g, g))
    model.eval()
    v1 = preset(RESIZE_V1)
    presets = weights_presets(name)
    assert [p for p in presets if p["name"] == "IMAGENET1K_V1"][0] == {
        **[p for p in presets if p["name"] == "IMAGENET1K_V1"][0], **preset_record(v1)}, name
    doc = {"torch": torch.__version__, "torchvision": torchvision.__version__,
           "builder": f"torchvision.models.{name}(weights=None)", "weights_file": None, "weight_gain": [g, g],
           "config": {"num_classes": 1000, "preset": preset_record(v1)}, "weights_presets": presets,
           "state_dict": state_dict_summary(model)}
    model64 = float64_twin(model)
    doc["images"] = [run_image(model, model64, f) for f in IMAGES]
    return doc


# ---- preset alone ----------------------------------------------------------------------------------

SYNTHETIC_SIZE = (150, 200)


def synthetic():
    h, w = SYNTHETIC_SIZE
    y = np.arange(h, dtype=np.int64)[:, None]
    x = np.arange(w, dtype=np.int64)[None, :]
    r = np.broadcast_to((255 * x) // 199, (h, w))
    g = np.broadcast_to((255 * y) // 149, (h, w))
    b = (7 * x + 13 * y) % 256
    return torch.from_numpy(np.stack([r, g, b]).astype(np.uint8))


def crop_geometry(size, crop):
    """center_crop's padding (or None) and crop (top, left), as torchvision.transforms.functional computes them."""
    h, w = size
    padding = None
    if crop > w or crop > h:
        padding = [(crop - w) // 2 if crop > w else 0, (crop - h) // 2 if crop > h else 0,
                   (crop - w + 1) // 2 if crop > w else 0, (crop - h + 1) // 2 if crop > h else 0]
        h, w = h + padding[1] + padding[3], w + padding[0] + padding[2]
    return padding, [int(round((h - crop) / 2.0)), int(round((w - crop) / 2.0))]


def near_half(img, size):
    """Resized values within 1e-3 of k + 0.5 before torch.round (the float32 interpolate result)."""
    f = torch.nn.functional.interpolate(img[None].float(), size=size, mode="bilinear", align_corners=False,
                                        antialias=True)
    frac = f - f.floor()
    return int(((frac - 0.5).abs() <= 1e-3).sum())


def preset_case(case, file, img, resize_size):
    from torchvision.transforms import functional as F
    p = preset(resize_size)
    resized = F.resize(img, p.resize_size, interpolation=p.interpolation, antialias=p.antialias)
    assert resized.dtype == torch.uint8
    size = list(resized.shape[-2:])
    padding, top_left = crop_geometry(size, CROP)
    x = p(img)[None]
    # The recorded geometry reproduces the preset (pad, crop, scale, normalize by hand).
    padded = resized
    if padding:
        padded = torch.nn.functional.pad(resized, (padding[0], padding[2], padding[1], padding[3]), value=0)
    cropped = padded[:, top_left[0]:top_left[0] + CROP, top_left[1]:top_left[1] + CROP].float() / 255
    mean = torch.tensor(p.mean)[:, None, None]
    std = torch.tensor(p.std)[:, None, None]
    assert torch.equal(((cropped - mean) / std)[None], x), case
    return {"name": case, "file": file, "original_size": list(img.shape[-2:]), "resize_size": resize_size,
            "crop_size": CROP, "resized_size": size, "padding_ltrb": padding, "crop_top_left": top_left,
            "resized": stats(resized.float()), "near_half": near_half(img, size), "input": stats(x)}


def preset_doc():
    syn = synthetic()
    cases = [preset_case(f"synthetic_{r}", None, syn, r) for r in (RESIZE_V1, 200, 201)]
    cases.append(preset_case("landscape", IMAGES[0], decode(IMAGES[0]), RESIZE_V1))
    cases.append(preset_case("portrait", IMAGES[1], decode(IMAGES[1]), RESIZE_V1))
    return {"torch": torch.__version__, "torchvision": torchvision.__version__,
            "preset": "torchvision.transforms._presets.ImageClassification(crop_size=224, resize_size=R) on a uint8 "
                      "[3, H, W] tensor (defaults: bilinear, antialias=True, ImageNet mean / std)",
            "mean": list(preset(RESIZE_V1).mean), "std": list(preset(RESIZE_V1).std),
            "synthetic": {"size": list(SYNTHETIC_SIZE), "dtype": "uint8",
                          "definition": "R[y,x] = (255*x)//199, G[y,x] = (255*y)//149, B[y,x] = (7*x + 13*y) % 256",
                          "sum": int(syn.long().sum()), **{k: v for k, v in stats(syn.float()).items()
                                                           if k in ("shape", "samples")}},
            "cases": cases}


# ---- categories ------------------------------------------------------------------------------------

def categories_swift():
    from torchvision.models._meta import _IMAGENET_CATEGORIES as names
    assert len(names) == 1000
    for e in torchvision.models.ResNet50_Weights:
        assert list(e.meta["categories"]) == list(names)
    items = []
    for n in names:
        assert n.isprintable() and n.isascii(), n
        items.append('"' + n.replace("\\", "\\\\").replace('"', '\\"') + '",')
    lines, line = [], ""
    indent = " " * 8
    for item in items:
        if line and len(indent) + len(line) + 1 + len(item) > 119:
            lines.append(indent + line)
            line = ""
        line = item if not line else line + " " + item
    lines.append(indent + line)
    head = ["/// The 1000 ImageNet-1k class names in class-index order, as torchvision lists them",
            "/// (torchvision.models._meta._IMAGENET_CATEGORIES, the `categories` of every IMAGENET1K weights' meta).",
            "/// Generated by tools/gen_classification_fixtures.py --categories.",
            "enum ImageNetCategories {",
            "    static let names: [String] = ["]
    return "\n".join(head + lines + ["    ]", "}", ""])


# ---- main ------------------------------------------------------------------------------------------

def write_json(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    args = sys.argv[1:]
    cats = "--categories" in args
    only = [a for a in args if a != "--categories"]
    unknown = [a for a in only if a not in GAINS and a != "preset"]
    if unknown:
        sys.exit(f"unknown NAME {unknown}; known: {list(GAINS)} and preset")
    if cats:
        CATEGORIES_SWIFT.parent.mkdir(parents=True, exist_ok=True)
        CATEGORIES_SWIFT.write_text(categories_swift())
        print(f"wrote {CATEGORIES_SWIFT.relative_to(base.REPO)}", flush=True)
        if not only:
            return
    OUT.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    for name in GAINS:
        if only and name not in only:
            continue
        t = time.time()
        doc = run_model(name)
        write_json(OUT / f"{name}.json", doc)
        parts = []
        for im in doc["images"]:
            top, nz = im["logits"]["top"], im["noise"]
            parts.append(f"{im['file'][8:12]} std {im['logits']['std']:.2f} p1 {top[0]['probability']:.3f} "
                         f"p5 {top[4]['probability']:.3f} noise {nz['max_abs_logit']:.1e}/{nz['max_abs_probability']:.1e}")
        print(f"{name} (g {GAINS[name]}, {time.time() - t:.0f} s): " + "; ".join(parts), flush=True)
    if not only or "preset" in only:
        doc = preset_doc()
        write_json(OUT / "preset.json", doc)
        print("preset: " + "; ".join(f"{c['name']} {c['resized_size']} pad {c['padding_ltrb']} crop {c['crop_top_left']}"
                                     for c in doc["cases"]), flush=True)
    print(f"total {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
