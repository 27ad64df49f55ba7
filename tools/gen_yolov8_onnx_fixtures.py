#!/usr/bin/env python3
"""onnxruntime references for the shared ONNX exports (issue 8): a structural summary of each file and
the raw outputs + decoded detections on two coco128 images.

Run from the repository root (the reference venv is made by `bash ../shared/bench/install_venv.sh DIR`):
    YOLO_OFFLINE=1 YOLO_AUTOINSTALL=false YOLO_CONFIG_DIR=$(mktemp -d) \
        /work/venv-ref/bin/python tools/gen_yolov8_onnx_fixtures.py
With `--custom DIR` it instead exports the committed yolov8n_seg_tiny_custom3.pt (3 custom classes, names in
the metadata) the way the shared int8 files were made and writes that .onnx + its JSON into DIR (not committed).
The ONNX files are read from ../shared/weights/onnx (never copied); images from
../shared/datasets/coco128/images/train2017 (cv2.imread, BGR), named only. onnxruntime runs with one
intra/inter-op thread and all graph optimisations (its default), so a rerun writes the same numbers on
the same machine (the int8 kernels are CPU-feature dependent, see below).

Writes into Tests/ArgusModelsTests/Fixtures/yolov8/:
  onnx_models.json   per file: ir_version, producer, opset_import, inputs/outputs (name, shape, elem type),
                     metadata_props (all of them; Ultralytics stores names as a Python dict literal,
                     imgsz as a list literal, stride, task), op_type counts, initializer dtype counts,
                     and `quantization`: how the integer ops are wired (see below).
  onnx_yolox_nano.json, onnx_yolov8n_int8_320.json, onnx_yolov8n-seg_int8_320.json: per image
                     the input tensor stats, every raw output's stats + samples (+ top rows), decoded
                     detections (and for the seg model masks as COCO RLE + area and the proto stats).
                     onnx_yolox_nano.json also has per image `noise`, onnxruntime's own float32 sensitivity:
                     it has no float64 Conv, so the same graph is run again with graph optimisations
                     disabled (no NCHWc layout or fused convs: another summation order): output {max_abs,
                     max_rel} over the whole raw output, and detections_demo / detections_eval as
                     tools/reference_noise.py's detection_noise (the demo's and the evaluator's detections
                     of the unoptimised run). `--only-yolox` regenerates just that file.

YOLOX-Nano (opset 11, input `images` 1x3x416x416, output `output` 1x3549x85, exported without
decode_in_inference: columns are [dx, dy, log w, log h, sigmoid(obj), sigmoid(cls) x 80], rows are the
52x52, 26x26, 13x13 grids row-major, strides 8/16/32), preprocessing and decoding as the YOLOX repo's
demo/ONNXRuntime/onnx_inference.py with yolox/data/data_augment.py `preproc` and yolox/utils/demo_utils.py:
  * preproc: r = min(416/h, 416/w); cv2.resize(INTER_LINEAR) to (int(w r), int(h r)) (truncation, not
    rounding); pasted at the TOP-LEFT of a 416x416 canvas of 114; BGR kept; HWC->CHW; float32 0..255
    (no /255, no mean/std).
  * demo_postprocess: xy = (out[:2] + (gx, gy)) * stride (grid x, y integers, no 0.5 offset);
    wh = exp(out[2:4]) * stride; xyxy = xy -+ wh/2; divided by r; scores = obj * cls (80 columns).
  * detections_demo: multiclass_nms(nms_thr 0.45, score_thr 0.1, class_agnostic=True, the default):
    class = argmax(obj*cls) per row, keep score > 0.1, YOLOX's numpy nms with the legacy +1
    (area = (x2-x1+1)(y2-y1+1), IoU <= 0.45 survives), sorted by descending score. No clipping.
  * detections_eval: yolox/utils/boxes.py `postprocess` as the COCO evaluator runs it (Exp test_conf 0.01,
    nmsthre 0.65): class = argmax(cls), keep obj*cls_max >= 0.01, torchvision batched_nms (class-aware,
    no +1) at 0.65; boxes / r, not clipped (coco_evaluator converts to xywh).

YOLOv8n int8 (opset 20, `onnx.quantize` / onnxruntime.quantization.quantize_dynamic output; Ultralytics
8.4.33 export metadata: imgsz [320, 320], stride 32, task, names of the 80 COCO classes; output0 1x84x2100
(seg: output0 1x116x2100 and output1 = protos 1x32x80x80)): every Conv became
DynamicQuantizeLinear(activation, uint8, per-tensor scale/zero point computed per run) -> ConvInteger(x_q,
w_int8, x_zp, w_zp = 0) -> Cast(float) -> Mul(x_scale * w_scale, per-tensor) -> Add(bias); the DFL 1x1 conv
is quantized too (its 0..15 weights are then not exact). The seg model's Proto ConvTranspose stays float.
References = Ultralytics' own ONNX path (`YOLO(file).predict`, AutoBackend on onnxruntime):
  * LetterBox(320, auto=False): a non-dynamic export gets the full 320x320 square (centred, pad 114,
    rounding as in gen_yolov8_fixtures.py), RGB, /255.
  * decode is inside the graph (output0 = xywh in input pixels + sigmoid scores (+ 32 coefficients));
    NMS, box scaling and retina masks exactly as for the .pt models (see gen_yolov8_fixtures.py),
    iou 0.7, max_det 300, conf CONF_V8 (lowered from 0.25; filtering by score > 0.25 gives the default
    output, since a kept box is only ever suppressed by a higher-scoring one).

`samples`: as in gen_yolov8_fixtures.py: k = 0..15, over the shape minus the batch dimension; 3-D (c, y, x):
c = (37k+3) % C, y = (13k+1) % H, x = (29k+2) % W; 2-D (r, c): r = (997k+2) % R, c = (37k+3) % C
(YOLOX rows x columns) / (c, n) for the channel-first YOLOv8 outputs as there.
"""
import ast
import collections
import hashlib
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "false")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402
import ultralytics  # noqa: E402
from onnx import numpy_helper  # noqa: E402
from ultralytics import YOLO  # noqa: E402
from ultralytics.data.augment import LetterBox  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_yolov8_fixtures import rle, short_floats  # noqa: E402  (one definition for both scripts)
from reference_noise import detection_noise  # noqa: E402

torch.set_num_threads(1)

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "Tests/ArgusModelsTests/Fixtures/yolov8"
ONNX_DIR = REPO.parent / "shared/weights/onnx"
COCO = REPO.parent / "shared/datasets/coco128/images/train2017"
IMAGES = ["000000000036.jpg", "000000000077.jpg"]  # 481x640 portrait, 500x375 landscape
YOLOX_SIZE = 416
CONF_V8, IOU_V8, MAX_DET = 0.05, 0.7, 300
MASKS_PER_IMAGE = 30
N_SAMPLES = 16
QUANT_OPS = {"DynamicQuantizeLinear", "ConvInteger", "MatMulInteger", "QLinearConv", "QLinearMatMul",
             "QuantizeLinear", "DequantizeLinear"}


def session(path, optimized=True):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    if not optimized:
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


# ---- structure summary ---------------------------------------------------------------------------

def value_info(v):
    t = v.type.tensor_type
    return {"name": v.name, "elem_type": onnx.TensorProto.DataType.Name(t.elem_type),
            "shape": [d.dim_value if d.HasField("dim_value") else d.dim_param for d in t.shape.dim]}


def quantization(model):
    g = model.graph
    init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    nodes = [n for n in g.node if n.op_type in QUANT_OPS]
    if not nodes:
        return None
    convs = [n for n in g.node if n.op_type == "ConvInteger"]
    w = [init[n.input[1]] for n in convs]
    wzp = [init[n.input[3]] for n in convs if len(n.input) > 3 and n.input[3] in init]
    wscale_names = {i for n in g.node if n.op_type == "Mul" for i in n.input if i.endswith("weight_scale")}
    wscales = [init[k] for k in wscale_names if k in init]
    dq = [n for n in g.node if n.op_type == "DynamicQuantizeLinear"]
    return {
        "scheme": "onnxruntime quantize_dynamic: DynamicQuantizeLinear(x) -> uint8 x_q, x_scale, x_zp (per "
                  "tensor, computed at run time: scale = (max(x,0) - min(x,0)) / 255, zp = saturate(round(-min/scale)));"
                  " ConvInteger(x_q, w_q int8, x_zp, w_zp) -> int32; Cast float; Mul(x_scale * w_scale); Add bias",
        "conv_integer": len(convs),
        "dynamic_quantize_linear": len(dq),
        "dynamic_quantize_inputs_shared": len(convs) - len(dq),
        "weight_dtype": sorted({str(a.dtype) for a in w}),
        "weight_zero_points_all_zero": all(not a.any() for a in wzp),
        "weight_zero_point_shapes": sorted({str(list(a.shape)) for a in wzp}),
        "weight_scale_shapes": sorted({str(list(a.shape)) for a in wscales}),
        "weight_value_range": [int(min(a.min() for a in w)), int(max(a.max() for a in w))],
        "dfl_conv_quantized": any("dfl" in n.input[1] for n in convs),
        "float_convs_left": [n.name for n in g.node if n.op_type in ("Conv", "ConvTranspose")],
        "matmul_integer": sum(n.op_type == "MatMulInteger" for n in g.node),
    }


def summary(path):
    m = onnx.load(str(path))
    g = m.graph
    meta = {p.key: p.value for p in m.metadata_props}
    parsed = {}
    for key in ("names", "imgsz", "stride", "batch", "channels", "end2end", "args"):
        if key in meta:
            try:
                parsed[key] = ast.literal_eval(meta[key])
            except (ValueError, SyntaxError):
                parsed[key] = meta[key]
    if isinstance(parsed.get("names"), dict):
        parsed["names"] = {str(k): v for k, v in parsed["names"].items()}
    inits = collections.Counter(onnx.TensorProto.DataType.Name(t.data_type) for t in g.initializer)
    return {
        "file": path.name, "bytes": path.stat().st_size, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "ir_version": m.ir_version, "producer": f"{m.producer_name} {m.producer_version}".strip(),
        "opset_import": {o.domain or "ai.onnx": o.version for o in m.opset_import},
        "inputs": [value_info(v) for v in g.input if v.name not in {t.name for t in g.initializer}],
        "outputs": [value_info(v) for v in g.output],
        "metadata_props": meta, "metadata_parsed": parsed,
        "op_counts": dict(collections.Counter(n.op_type for n in g.node).most_common()),
        "node_count": len(g.node), "initializer_dtypes": dict(inits),
        "quantization": quantization(m),
    }


# ---- JSON helpers ----------------------------------------------------------------------------------

def stats(a, rows_first=False):
    a = np.asarray(a, dtype=np.float64)
    s = a[0]
    samples = []
    for k in range(N_SAMPLES):
        if s.ndim == 3:
            c, h, w = s.shape
            idx = ((37 * k + 3) % c, (13 * k + 1) % h, (29 * k + 2) % w)
        elif rows_first:
            r, c = s.shape
            idx = ((997 * k + 2) % r, (37 * k + 3) % c)
        else:
            c, n = s.shape
            idx = ((37 * k + 3) % c, (997 * k + 2) % n)
        samples.append([*idx, float(s[idx])])
    return {"shape": list(a.shape), "mean": float(a.mean()), "std": float(a.std(ddof=1)), "samples": samples}


# ---- YOLOX -----------------------------------------------------------------------------------------

def yolox_preproc(im0, size):
    padded = np.ones((size, size, 3), dtype=np.uint8) * 114
    r = min(size / im0.shape[0], size / im0.shape[1])
    w, h = int(im0.shape[1] * r), int(im0.shape[0] * r)
    padded[:h, :w] = cv2.resize(im0, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.uint8)
    return np.ascontiguousarray(padded.transpose(2, 0, 1), dtype=np.float32), r, (w, h)


def yolox_decode(out, size):
    grids, strides = [], []
    for s in (8, 16, 32):
        n = size // s
        xv, yv = np.meshgrid(np.arange(n), np.arange(n))
        grids.append(np.stack((xv, yv), 2).reshape(-1, 2))
        strides.append(np.full((n * n, 1), s))
    grids, strides = np.concatenate(grids), np.concatenate(strides)
    p = out[0].copy()
    p[:, :2] = (p[:, :2] + grids) * strides
    p[:, 2:4] = np.exp(p[:, 2:4]) * strides
    return p


def yolox_nms_plus1(boxes, scores, thr):
    x1, y1, x2, y2 = boxes.T
    areas = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = scores.argsort()[::-1]
    keep = []
    while order.size > 0:
        i = order[0]
        keep.append(i)
        w = np.maximum(0.0, np.minimum(x2[i], x2[order[1:]]) - np.maximum(x1[i], x1[order[1:]]) + 1)
        h = np.maximum(0.0, np.minimum(y2[i], y2[order[1:]]) - np.maximum(y1[i], y1[order[1:]]) + 1)
        inter = w * h
        ovr = inter / (areas[i] + areas[order[1:]] - inter)
        order = order[np.where(ovr <= thr)[0] + 1]
    return keep


def yolox_reference(path, names):
    sess = session(path)
    # onnxruntime has no float64 Conv, so its float32 sensitivity is measured against itself in another
    # summation order: the same graph without graph optimisations (no NCHWc layout, no fused convs).
    plain = session(path, optimized=False)
    images = []
    for file in IMAGES:
        im0 = cv2.imread(str(COCO / file))
        x, r, (w, h) = yolox_preproc(im0, YOLOX_SIZE)
        out = sess.run(None, {sess.get_inputs()[0].name: x[None]})[0]
        entry = yolox_detections(out, r, names)
        out2 = plain.run(None, {plain.get_inputs()[0].name: x[None]})[0]
        other = yolox_detections(out2, r, names)
        diff = np.abs(out.astype(np.float64) - out2)
        noise = {"output": {"max_abs": float(diff.max()), "max_rel": float((diff / np.maximum(1, np.abs(out2))).max())}}
        for key, cap, thr in [("detections_demo", None, 0.1), ("detections_eval", None, 0.01)]:
            def lists(d):
                return {"boxes": [e["box"] for e in d], "scores": [e["score"] for e in d],
                        "labels": [e["class_id"] for e in d]}
            noise[key] = detection_noise(lists(entry[key]), lists(other[key]), cap=cap, threshold=thr)
        top = np.argsort(-out[0][:, 4], kind="stable")[:10]
        images.append({"file": file, "width": im0.shape[1], "height": im0.shape[0],
                       "preproc": {"ratio": r, "resized": [w, h]}, "input": stats(x[None]),
                       "output": {**stats(out, rows_first=True),
                                  "top_rows_by_obj": [{"row": int(i), "values": out[0][i].astype(np.float64).tolist()}
                                                      for i in top]},
                       **entry, "noise": noise})
        print(f"  {file}: demo {len(entry['detections_demo'])}, eval {len(entry['detections_eval'])}, "
              f"output noise {noise['output']}")
    return {"model": path.name, "onnxruntime": ort.__version__, "input_size": [YOLOX_SIZE, YOLOX_SIZE],
            "strides": [8, 16, 32], "demo": {"score_thr": 0.1, "nms_thr": 0.45, "class_agnostic": True},
            "eval": {"conf_thre": 0.01, "nms_thre": 0.65, "class_agnostic": False}, "images": images}


def yolox_detections(out, r, names):
    """The demo's and the evaluator's detections from one raw output."""
    p = yolox_decode(out, YOLOX_SIZE)
    boxes = np.stack([p[:, 0] - p[:, 2] / 2, p[:, 1] - p[:, 3] / 2,
                      p[:, 0] + p[:, 2] / 2, p[:, 1] + p[:, 3] / 2], 1) / r
    scores = p[:, 4:5] * p[:, 5:]
    # demo: class-agnostic numpy NMS with +1
    cls = scores.argmax(1)
    best = scores[np.arange(len(cls)), cls]
    valid = best > 0.1
    vb, vs, vc = boxes[valid], best[valid], cls[valid]
    keep = yolox_nms_plus1(vb, vs, 0.45)
    demo = [{"box": vb[i].astype(np.float64).tolist(), "score": float(vs[i]), "class_id": int(vc[i]),
             "label": names[int(vc[i])]} for i in keep]
    # eval: yolox.utils.postprocess (class-aware torchvision batched_nms) at test_conf 0.01, nms 0.65
    t = torch.from_numpy(p.copy())
    xyxy = torch.cat([t[:, :2] - t[:, 2:4] / 2, t[:, :2] + t[:, 2:4] / 2], 1)
    class_conf, class_pred = t[:, 5:].max(1)
    score = t[:, 4] * class_conf
    m = score >= 0.01
    idx = torchvision.ops.batched_nms(xyxy[m], score[m], class_pred[m], 0.65)
    eb = (xyxy[m][idx] / r).double()
    ev = [{"box": eb[i].tolist(), "score": float(score[m][idx][i]), "class_id": int(class_pred[m][idx][i]),
           "label": names[int(class_pred[m][idx][i])]} for i in range(len(idx))]
    return {"detections_demo": demo, "detections_eval": ev}


# ---- YOLOv8 int8 -----------------------------------------------------------------------------------

def v8_reference(path, task):
    sess = session(path)
    yolo = YOLO(str(path), task=task)
    imgsz = ast.literal_eval({p.key: p.value for p in onnx.load(str(path)).metadata_props}["imgsz"])
    seg = task == "segment"
    images = []
    for file in IMAGES:
        im0 = cv2.imread(str(COCO / file))
        res = yolo.predict(im0, imgsz=imgsz, conf=CONF_V8, iou=IOU_V8, max_det=MAX_DET, retina_masks=True,
                           verbose=False)[0]
        x = yolo.predictor.preprocess([im0])
        lb = LetterBox(imgsz, auto=False)
        own = lb(image=im0)
        own = torch.from_numpy(np.ascontiguousarray(own.transpose(2, 0, 1)[::-1])).float()[None] / 255
        assert torch.equal(x, own), "Ultralytics' ONNX preprocess differs from LetterBox(auto=False)"
        outs = sess.run(None, {sess.get_inputs()[0].name: x.numpy()})
        params = lb.get_params({"img": im0})
        names = res.names
        y = outs[0]
        best = y[0, 4:84].max(0)
        top = np.argsort(-best, kind="stable")[:10]
        entry = {"file": file, "width": im0.shape[1], "height": im0.shape[0],
                 "letterbox": {"new_unpad": list(params["new_unpad"]), **{k: params[k] for k in
                                                                       ("top", "bottom", "left", "right")}},
                 "input": stats(x.numpy()),
                 "output0": {**stats(y), "top_anchors": [{"anchor": int(a), "values": y[0, :, a].astype(np.float64)
                                                          .tolist()} for a in top]}}
        if seg:
            entry["output1_protos"] = stats(outs[1])
        dets = []
        masks = res.masks.data.numpy() if seg and res.masks is not None else None
        for i in range(len(res.boxes)):
            c = int(res.boxes.cls[i])
            d = {"box": res.boxes.xyxy[i].double().tolist(), "score": float(res.boxes.conf[i]), "class_id": c,
                 "label": names[c]}
            if seg and i < MASKS_PER_IMAGE:
                d["mask"], d["area"] = rle(masks[i] > 0.5)
            dets.append(d)
        entry["detections"] = dets
        images.append(entry)
        print(f"  {file}: {len(dets)} detections")
    return {"model": path.name, "onnxruntime": ort.__version__, "ultralytics": ultralytics.__version__,
            "task": task, "imgsz": imgsz, "conf": CONF_V8, "iou": IOU_V8, "max_det": MAX_DET, "retina_masks": True,
            "letterbox": "LetterBox(imgsz, auto=False): full square, centred, pad 114", "images": images}


def custom_export(out):
    """The committed 3-class tiny seg checkpoint exported as the shared int8 files were made (Ultralytics ONNX
    export at 320, then onnxruntime quantize_dynamic with int8 weights), with its summary and references."""
    import shutil
    from onnxruntime.quantization import QuantType, quantize_dynamic
    out.mkdir(parents=True, exist_ok=True)
    pt = out / "yolov8n_seg_tiny_custom3.pt"
    shutil.copyfile(OUT / pt.name, pt)
    f32 = Path(YOLO(str(pt)).export(format="onnx", imgsz=320, simplify=False))
    q = out / "yolov8n_seg_tiny_custom3_int8_320.onnx"
    quantize_dynamic(str(f32), str(q), weight_type=QuantType.QInt8)
    (out / "onnx_custom_model.json").write_text(json.dumps(summary(q), indent=1) + "\n")
    ref = v8_reference(q, "segment")
    (out / f"onnx_{q.stem}.json").write_text(json.dumps(short_floats(ref), separators=(",", ":")) + "\n")


def main():
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--custom", metavar="DIR", help="instead export the 3-class tiny seg fixture to an int8 "
                        "ONNX (0.66 MB, not committed) in DIR, with its summary and references")
    parser.add_argument("--only-yolox", action="store_true", help="regenerate onnx_yolox_nano.json only")
    args = parser.parse_args()
    if args.only_yolox:
        coco80 = json.loads((OUT / "onnx_models.json").read_text())["models"][1]["metadata_parsed"]["names"]
        ref = yolox_reference(ONNX_DIR / "yolox_nano.onnx", [coco80[str(i)] for i in range(80)])
        (OUT / "onnx_yolox_nano.json").write_text(json.dumps(short_floats(ref), separators=(",", ":")) + "\n")
        return
    if args.custom:
        custom_export(Path(args.custom))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    files = ["yolox_nano.onnx", "yolov8n_int8_320.onnx", "yolov8n-seg_int8_320.onnx"]
    summaries = [summary(ONNX_DIR / f) for f in files]
    (OUT / "onnx_models.json").write_text(json.dumps({"onnxruntime": ort.__version__, "onnx": onnx.__version__,
                                                      "models": summaries}, indent=1) + "\n")
    v8names = summaries[1]["metadata_parsed"]["names"]
    coco80 = [v8names[str(i)] for i in range(80)]  # YOLOX's COCO_CLASSES are the same 80 names in order
    print("yolox_nano.onnx")
    ref = yolox_reference(ONNX_DIR / files[0], coco80)
    (OUT / "onnx_yolox_nano.json").write_text(json.dumps(short_floats(ref), separators=(",", ":")) + "\n")
    for f, task in [(files[1], "detect"), (files[2], "segment")]:
        print(f)
        ref = v8_reference(ONNX_DIR / f, task)
        (OUT / f"onnx_{f.replace('.onnx', '')}.json").write_text(
            json.dumps(short_floats(ref), separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
