#!/usr/bin/env python3
"""Writes the ArgusImage test fixtures from the reference libraries (OpenCV, Pillow).

Run from the repository root:
    /work/venv-ref/bin/python tools/gen_image_fixtures.py
(the venv is made by `bash ../shared/bench/install_venv.sh DIR`; it needs opencv-python-headless,
numpy and pillow). Output goes to Tests/ArgusImageTests/Fixtures/:

  shared_decode.json   sha256 of cv2.imread(path) converted to RGB for every JPEG under
                       ../shared/datasets/{coco128,coco-val96} (skipped if ../shared is absent)
  resize_cases.json    cv2.resize INTER_LINEAR on images drawn from a tiny LCG that the Swift
                       test re-implements (so only output hashes are stored)
  letterbox_cases.json YOLOv5 letterbox (utils.augmentations.letterbox, re-stated below) results
  chw_cases.json       float32 CHW conversion as torch/numpy compute it
  decode/*.{jpg,png}   small JPEG/PNG variants, EXIF orientations and malformed inputs, with
  decode_cases.json    the expected cv2.imread outcome of each (RGB sha256, or None)
"""
import glob
import hashlib
import io
import json
import os
import struct
import zlib

import cv2
import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "ArgusImageTests", "Fixtures")
DECODE_DIR = os.path.join(FIXTURES, "decode")
SHARED = os.path.join(os.path.dirname(ROOT), "shared")


def sha(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def lcg_bytes(seed, count, kind):
    """The Swift test's generator: x = x*1664525 + 1013904223 (mod 2^32), byte = x >> 24."""
    out = np.empty(count, np.uint8)
    x = seed & 0xFFFFFFFF
    for i in range(count):
        x = (x * 1664525 + 1013904223) & 0xFFFFFFFF
        out[i] = x >> 24
    if kind == "binary":  # only 0 and 255: the saturation corners of the fixed-point math
        out = np.where(out >= 128, 255, 0).astype(np.uint8)
    return out


def lcg_image(seed, w, h, kind="random"):
    return lcg_bytes(seed, w * h * 3, kind).reshape(h, w, 3)


def cv2_rgb(path_or_bytes):
    """cv2.imread(IMREAD_COLOR) converted to RGB, or None when cv2 refuses the file."""
    if isinstance(path_or_bytes, bytes):
        tmp = os.path.join(DECODE_DIR, ".probe")
        with open(tmp, "wb") as f:
            f.write(path_or_bytes)
        path_or_bytes = tmp
    try:
        img = cv2.imread(path_or_bytes, cv2.IMREAD_COLOR)
    except cv2.error:  # e.g. cv2's own pixel limit
        img = None
    return None if img is None else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


# ---------------------------------------------------------------------------------------------
def shared_decode():
    roots = ["datasets/coco128/images/train2017", "datasets/coco-val96/images/val2017"]
    cases = []
    for root in roots:
        for path in sorted(glob.glob(os.path.join(SHARED, root, "*.jpg"))):
            rgb = cv2_rgb(path)
            cases.append({"path": os.path.relpath(path, SHARED), "width": rgb.shape[1],
                          "height": rgb.shape[0], "sha256": sha(rgb)})
    return cases


def resize_cases():
    rng = np.random.default_rng(20240601)
    sizes = []
    for _ in range(260):  # small, any ratio, up and down
        w, h = (int(v) for v in rng.integers(1, 48, 2))
        W, H = (int(v) for v in rng.integers(1, 72, 2))
        sizes.append((w, h, W, H))
    for _ in range(40):  # larger rows: exercise long vector runs and their tails
        w, h = (int(v) for v in rng.integers(40, 260, 2))
        W, H = (int(v) for v in rng.integers(40, 260, 2))
        sizes.append((w, h, W, H))
    for w, h in [(8, 6), (31, 17), (64, 64), (33, 12)]:  # exact 2x down (INTER_AREA path) and 2x up
        sizes += [(w * 2, h * 2, w, h), (w, h, w * 2, h * 2)]
    sizes += [(1, 1, 5, 3), (5, 3, 1, 1), (1, 9, 4, 2), (7, 1, 3, 6), (3, 3, 3, 7), (10, 10, 10, 10),
              (500, 313, 640, 401), (333, 500, 426, 640), (640, 480, 320, 240), (1280, 720, 640, 360),
              (300, 200, 100, 67), (99, 98, 33, 49), (640, 427, 640, 427), (612, 612, 640, 640)]
    cases = []
    for i, (w, h, W, H) in enumerate(sizes):
        kind = "binary" if i % 5 == 4 else "random"
        seed = 1000 + i
        img = lcg_image(seed, w, h, kind)
        out = cv2.resize(img, (W, H), interpolation=cv2.INTER_LINEAR)
        cases.append({"seed": seed, "kind": kind, "w": w, "h": h, "W": W, "H": H, "sha256": sha(out)})
    return cases


def yolov5_letterbox(im, new_shape=(640, 640), color=(114, 114, 114), auto=True, scaleFill=False,
                     scaleup=True, stride=32):
    """YOLOv5 utils.augmentations.letterbox, stated here as the reference semantics."""
    shape = im.shape[:2]
    r = min(new_shape[0] / shape[0], new_shape[1] / shape[1])
    if not scaleup:
        r = min(r, 1.0)
    ratio = r, r
    new_unpad = int(round(shape[1] * r)), int(round(shape[0] * r))
    dw, dh = new_shape[1] - new_unpad[0], new_shape[0] - new_unpad[1]
    if auto:
        dw, dh = np.mod(dw, stride), np.mod(dh, stride)
    elif scaleFill:
        dw, dh = 0.0, 0.0
        new_unpad = (new_shape[1], new_shape[0])
        ratio = new_shape[1] / shape[1], new_shape[0] / shape[0]
    dw /= 2
    dh /= 2
    if shape[::-1] != new_unpad:
        im = cv2.resize(im, new_unpad, interpolation=cv2.INTER_LINEAR)
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    im = cv2.copyMakeBorder(im, top, bottom, left, right, cv2.BORDER_CONSTANT, value=color)
    return im, ratio, (dw, dh), (top, bottom, left, right), new_unpad


def letterbox_cases():
    rng = np.random.default_rng(7)
    configs = []
    for _ in range(40):
        w, h = (int(v) for v in rng.integers(8, 200, 2))
        nh, nw = (int(v) for v in rng.choice([64, 96, 128, 160, 100], 2))
        configs.append((w, h, nh, nw, bool(rng.integers(0, 2)), bool(rng.integers(0, 2)),
                        bool(rng.integers(0, 2)), int(rng.choice([8, 16, 32]))))
    configs += [(500, 313, 640, 640, True, False, True, 32), (333, 500, 640, 640, True, False, True, 32),
                (640, 426, 640, 640, True, False, True, 32), (640, 480, 640, 640, False, False, True, 32),
                (1280, 720, 640, 640, True, False, True, 32), (300, 200, 640, 640, True, False, False, 32),
                (123, 77, 320, 320, False, True, True, 32), (50, 50, 64, 96, False, False, True, 32)]
    cases = []
    for i, (w, h, nh, nw, auto, fill, up, stride) in enumerate(configs):
        seed = 5000 + i
        img = lcg_image(seed, w, h)
        color = (114, 114, 114) if i % 3 else (0, 50, 255)
        out, ratio, (dw, dh), (t, b, l, r), unpad = yolov5_letterbox(
            img, (nh, nw), color=color, auto=auto, scaleFill=fill, scaleup=up, stride=stride)
        cases.append({"seed": seed, "w": w, "h": h, "new_h": nh, "new_w": nw, "auto": auto,
                      "scale_fill": fill, "scale_up": up, "stride": stride, "color": list(color),
                      "out_w": out.shape[1], "out_h": out.shape[0], "sha256": sha(out),
                      "ratio": [float(ratio[0]), float(ratio[1])], "resized": [int(unpad[0]), int(unpad[1])],
                      "pad": [float(dw), float(dh)], "tblr": [t, b, l, r]})
    return cases


def chw_cases():
    cases = []
    for i, (w, h) in enumerate([(7, 5), (16, 3)]):
        img = lcg_image(9000 + i, w, h).astype(np.float32)
        plain = (img / np.float32(255)).transpose(2, 0, 1)
        mean = np.array([0.485, 0.456, 0.406], np.float32)
        std = np.array([0.229, 0.224, 0.225], np.float32)
        normed = ((img / np.float32(255)) - mean) / std  # torchvision: div(255), sub_(mean), div_(std)
        cases.append({"seed": 9000 + i, "w": w, "h": h, "plain_sha256": sha(plain.astype(np.float32)),
                      "normalized_sha256": sha(normed.transpose(2, 0, 1).astype(np.float32)),
                      "mean": mean.tolist(), "std": std.tolist()})
    return cases


# --- decode variants ---------------------------------------------------------------------------
def exif_app1(orientation, big_endian):
    """An APP1 segment holding a one-entry IFD0 with the orientation tag."""
    e = ">" if big_endian else "<"
    tiff = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8)
    tiff += struct.pack(e + "H", 1) + struct.pack(e + "HHI", 0x0112, 3, 1)
    tiff += struct.pack(e + "H", orientation) + b"\x00\x00" + struct.pack(e + "I", 0)
    body = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pattern(w, h, seed):
    """Smooth, blocky colors so JPEG round trips stay close and orientation errors are visible."""
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([(x * 255 // max(w - 1, 1)), (y * 255 // max(h - 1, 1)),
                    ((x // 4 + y // 4 + seed) % 2) * 200 + 20], -1)
    return img.astype(np.uint8)


def pil_bytes(im, fmt, **kw):
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def decode_files():
    files = {}  # name -> (bytes, expected-error-kind or None, note)
    rgb = pattern(24, 16, 0)
    base = pil_bytes(Image.fromarray(rgb), "JPEG", quality=92)
    files["baseline.jpg"] = (base, None, "baseline 4:2:0")
    files["baseline444.jpg"] = (pil_bytes(Image.fromarray(rgb), "JPEG", quality=95, subsampling=0), None, "4:4:4")
    files["progressive.jpg"] = (pil_bytes(Image.fromarray(pattern(37, 21, 1)), "JPEG", quality=90,
                                          progressive=True), None, "progressive, odd size")
    files["restart.jpg"] = (pil_bytes(Image.fromarray(pattern(40, 24, 0)), "JPEG", quality=85,
                                      restart_marker_blocks=1), None, "restart markers")
    files["gray.jpg"] = (pil_bytes(Image.fromarray(rgb[:, :, 0]), "JPEG", quality=90), None, "grayscale")
    cmyk = Image.fromarray(np.concatenate([rgb, rgb[:, :, :1] // 2], -1), "CMYK")
    files["cmyk.jpg"] = (pil_bytes(cmyk, "JPEG", quality=95), None, "Adobe CMYK")
    # EXIF orientation: the same compressed data with an APP1 inserted after SOI.
    for o in range(1, 9):
        files[f"orient_le_{o}.jpg"] = (base[:2] + exif_app1(o, False) + base[2:], None, f"EXIF {o} II")
    for o in (3, 6, 7):
        files[f"orient_be_{o}.jpg"] = (base[:2] + exif_app1(o, True) + base[2:], None, f"EXIF {o} MM")
    files["orient_bad_9.jpg"] = (base[:2] + exif_app1(9, False) + base[2:], None, "EXIF value 9 ignored")
    # PNG variants (13x7 keeps them tiny; odd sizes exercise sub-byte row padding)
    rng = np.random.default_rng(3)
    w, h = 13, 7
    rgb8 = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    gray8 = rng.integers(0, 256, (h, w), dtype=np.uint8)
    alpha = rng.integers(0, 256, (h, w), dtype=np.uint8)
    files["rgb.png"] = (pil_bytes(Image.fromarray(rgb8), "PNG"), None, "RGB8")
    files["rgba.png"] = (pil_bytes(Image.fromarray(np.dstack([rgb8, alpha]), "RGBA"), "PNG"), None, "RGBA8")
    files["gray.png"] = (pil_bytes(Image.fromarray(gray8), "PNG"), None, "gray8")
    files["gray_alpha.png"] = (pil_bytes(Image.fromarray(np.dstack([gray8, alpha]), "LA"), "PNG"), None, "gray+alpha")
    pal = Image.fromarray(rgb8).quantize(colors=16)
    files["palette.png"] = (pil_bytes(pal, "PNG"), None, "palette 4-bit")
    files["palette_trns.png"] = (pil_bytes(pal, "PNG", transparency=bytes(range(0, 256, 16))), None, "palette+tRNS")
    pal256 = Image.fromarray(rgb8).quantize(colors=200)
    files["palette8.png"] = (pil_bytes(pal256, "PNG"), None, "palette 8-bit")
    for bits in (1, 2, 4):
        levels = (1 << bits) - 1
        g = (gray8 * levels // 255).astype(np.uint8)
        raw = b"".join(b"\x00" + np.packbits(np.unpackbits(row[:, None], axis=1)[:, 8 - bits:].ravel()).tobytes()
                       for row in g)
        ihdr = struct.pack(">IIBBBBB", w, h, bits, 0, 0, 0, 0)
        data = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b"")
        files[f"gray{bits}.png"] = (data, None, f"gray {bits}-bit")
    ok, enc = cv2.imencode(".png", (gray8.astype(np.uint16) * 257 + rng.integers(0, 256, (h, w)).astype(np.uint16)))
    files["gray16.png"] = (enc.tobytes(), None, "gray 16-bit")
    ok, enc = cv2.imencode(".png", (rgb8.astype(np.uint16) * 257 ^ rng.integers(0, 256, (h, w, 3)).astype(np.uint16)))
    files["rgb16.png"] = (enc.tobytes(), None, "RGB 16-bit")
    rgba16 = np.dstack([rgb8.astype(np.uint16) * 256 + 255, alpha.astype(np.uint16) * 257])
    ok, enc = cv2.imencode(".png", rgba16)
    files["rgba16.png"] = (enc.tobytes(), None, "RGBA 16-bit")
    files["interlaced.png"] = (adam7_png(rgb8), None, "Adam7 RGB")
    gray_trns = pil_bytes(Image.fromarray(gray8), "PNG", transparency=int(gray8[0, 0]))
    files["gray_trns.png"] = (gray_trns, None, "gray with tRNS key")
    # PNG with an eXIf chunk (orientation 6) before IDAT
    plain = pil_bytes(Image.fromarray(rgb8), "PNG")
    exif_tiff = exif_app1(6, False)[4 + 6:]
    files["orient_6.png"] = (plain[:33] + png_chunk(b"eXIf", exif_tiff) + plain[33:], None, "PNG eXIf 6")
    # Malformed catalogue (the expected error kind is checked by the Swift test; the expected
    # pixels, when cv2 returns an image, come from cv2 below).
    files["empty.bin"] = (b"", "empty", "no bytes")
    files["one_byte.bin"] = (b"\xff", "unsupportedFormat", "1 byte")
    files["garbage.bin"] = (bytes(rng.integers(0, 256, 300, dtype=np.uint8)), "unsupportedFormat", "random bytes")
    files["text.bin"] = (b"GIF89a not really an image", "unsupportedFormat", "other magic")
    files["soi_only.jpg"] = (base[:3], "truncated", "FF D8 FF")
    sos = base.index(b"\xff\xda")
    for cut in (20, 100, sos - 50, sos + 4):
        files[f"trunc_header_{cut}.jpg"] = (base[:cut], "truncated", f"JPEG cut at {cut} (before image data)")
    for cut in (sos + 40, (sos + len(base)) // 2, len(base) - 2):
        files[f"trunc_scan_{cut}.jpg"] = (base[:cut], None, f"JPEG cut at {cut} (in scan data: cv2 returns an image)")
    corrupt_scan = bytearray(base)
    corrupt_scan[(sos + len(base)) // 2] ^= 0x5A
    files["corrupt_scan.jpg"] = (bytes(corrupt_scan), None, "one damaged byte in the scan data")
    files["trailing_garbage.jpg"] = (base + bytes(rng.integers(0, 256, 64, dtype=np.uint8)), None, "bytes after EOI")
    prog = files["progressive.jpg"][0]
    files["trunc_progressive.jpg"] = (prog[: len(prog) * 2 // 3], None, "progressive cut at 2/3")
    bad_marker = bytearray(base)
    bad_marker[sos + 1] = 0x02  # SOS replaced by a reserved marker code
    files["bad_marker.jpg"] = (bytes(bad_marker), "corrupt", "reserved marker where SOS was")
    files["jpeg_2comp.jpg"] = (two_component_jpeg(base), "unsupportedColorSpace", "2-component JPEG")
    png = files["rgb.png"][0]
    files["trunc_sig.png"] = (png[:8], "truncated", "signature only")
    files["trunc_ihdr.png"] = (png[:20], "truncated", "IHDR cut")
    files["trunc_idat.png"] = (png[: len(png) - 30], "truncated", "IDAT cut")
    bad_crc = bytearray(png)
    bad_crc[29] ^= 0xFF  # IHDR CRC
    files["bad_crc_ihdr.png"] = (bytes(bad_crc), "corrupt", "IHDR CRC")
    idat = png.index(b"IDAT")
    bad_idat = bytearray(png)
    bad_idat[idat + 6] ^= 0x55  # inside the zlib stream
    files["bad_zlib.png"] = (bytes(bad_idat), "corrupt", "damaged zlib data")
    huge = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)) \
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + png_chunk(b"IEND", b"")
    files["huge_100000.png"] = (huge, "tooLarge", "IHDR declares 100000x100000")
    huge_jpeg = bytearray(base)
    sof = base.index(b"\xff\xc0")
    huge_jpeg[sof + 5: sof + 9] = struct.pack(">HH", 60000, 60000)
    files["huge_60000.jpg"] = (bytes(huge_jpeg), "tooLarge", "SOF declares 60000x60000")
    files["zero_width.png"] = (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 0, 5, 8, 2, 0, 0, 0))
                               + png_chunk(b"IEND", b""), "corrupt", "zero width")
    return files


def adam7_png(rgb):
    """Writes an Adam7-interlaced RGB8 PNG by hand (Pillow cannot write interlaced PNGs)."""
    h, w, _ = rgb.shape
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    raw = b""
    for x0, y0, dx, dy in passes:
        sub = rgb[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        raw += b"".join(b"\x00" + row.tobytes() for row in sub)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 1)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b"")


def two_component_jpeg(base):
    """A gray JPEG whose SOF claims 2 components (libjpeg has no RGB conversion for that)."""
    gray = pil_bytes(Image.fromarray(np.full((8, 8), 90, np.uint8)), "JPEG", quality=90)
    sof = gray.index(b"\xff\xc0")
    length = struct.unpack(">H", gray[sof + 2: sof + 4])[0]
    comp = gray[sof + 10: sof + 13]
    second = bytes([2]) + comp[1:]
    body = gray[sof + 4: sof + 9] + bytes([2]) + comp + second
    return gray[:sof] + b"\xff\xc0" + struct.pack(">H", len(body) + 2) + body + gray[sof + 2 + length:]


def main():
    os.makedirs(DECODE_DIR, exist_ok=True)
    for old in glob.glob(os.path.join(DECODE_DIR, "*")):
        os.remove(old)
    decode_cases = []
    for name, (data, error, note) in sorted(decode_files().items()):
        with open(os.path.join(DECODE_DIR, name), "wb") as f:
            f.write(data)
        rgb = cv2_rgb(data) if data else None
        case = {"file": name, "note": note, "expected_error": error}
        if rgb is not None:
            case.update({"cv2_width": rgb.shape[1], "cv2_height": rgb.shape[0], "cv2_sha256": sha(rgb)})
        if name.startswith("orient_"):
            upright = cv2.imread(os.path.join(DECODE_DIR, name), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
            pil = Image.open(os.path.join(DECODE_DIR, name))
            case["exif_orientation"] = pil.getexif().get(274) if name.endswith(".jpg") else 6
            case["stored_sha256"] = sha(cv2.cvtColor(upright, cv2.COLOR_BGR2RGB))
        decode_cases.append(case)
    probe = os.path.join(DECODE_DIR, ".probe")
    if os.path.exists(probe):
        os.remove(probe)

    def dump(name, obj):
        with open(os.path.join(FIXTURES, name), "w") as f:
            json.dump(obj, f, indent=1)
            f.write("\n")

    dump("decode_cases.json", decode_cases)
    dump("resize_cases.json", resize_cases())
    dump("letterbox_cases.json", letterbox_cases())
    dump("chw_cases.json", chw_cases())
    if os.path.isdir(SHARED):
        dump("shared_decode.json", shared_decode())
    else:
        print("../shared not found: shared_decode.json left as is")
    print("opencv", cv2.__version__, "->", FIXTURES)


if __name__ == "__main__":
    main()
