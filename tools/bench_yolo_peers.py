#!/usr/bin/env python3
"""The peers of `argus bench --weights` for YOLOv8-family checkpoints and ONNX exports: the reference code
timed on the same decoded image with the same thread count, one engine per process (--engine), printing one JSON
line for argus to read (with the process's peak RSS).

  *.pt (Ultralytics YOLOv8 detect/segment), --engine torch: `YOLO(pt).predict(img, imgsz, conf 0.25, iou 0.7,
    max_det 300, retina_masks=True)` on PyTorch (letterbox, forward, NMS, masks, Results).
  *.onnx with Ultralytics metadata, --engine onnxruntime: the same `predict` on onnxruntime (Ultralytics'
    AutoBackend; its session is created with --threads intra-op threads).
  ... --engine openvino: the same `predict` on OpenVINO (AutoBackend's OpenVINO backend) from the ONNX file
    converted to OpenVINO IR (float32 weights, converted once, cached next to it), compiled with --threads
    inference threads and f32 precision.
  *.pt with --engine onnxruntime or openvino: the checkpoint exported by Ultralytics to ONNX (float32, dynamic
    shapes so the letterbox is the same minimal rectangle; exported once), then as above.
  *.onnx without Ultralytics metadata (YOLOX), --engine onnxruntime or openvino: the graph on that engine + YOLOX's
    preproc, decode and postprocess (class-aware batched_nms, conf 0.3, nms 0.45: Argus's YOLOX defaults) as in
    gen_yolov8_onnx_fixtures.py.
Exports and conversions run in a child process, so the timed one's peak RSS is its engine's (Ultralytics and the
YOLOX postprocess import torch either way). The image is decoded once (cv2.imread, BGR) outside the timed region,
as Argus decodes once too. An engine that cannot run here prints {"engine": ..., "skipped": reason}.

Usage (run by argus bench; the venv is made by `bash ../shared/bench/install_venv.sh DIR`):
    VENV/bin/python tools/bench_yolo_peers.py --weights W --image IMG --threads 1 --runs 10 [--imgsz 640] \
        [--engine torch|onnxruntime|openvino]
"""
import argparse
import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "false")
# One settings folder for every run (Ultralytics writes its settings file there on first use).
os.environ.setdefault("YOLO_CONFIG_DIR", os.path.join(tempfile.gettempdir(), "argus-bench-yolo-config"))

import cv2  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402
import ultralytics  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_peer import (ONNX_ENGINES, cache_folder, onnx_runner, openvino_config, print_skipped, run_child,  # noqa: E402
                        time_and_print, weights_digest)


def with_threads(threads):
    """Every onnxruntime session and OpenVINO compiled model made from now on uses `threads` threads (onnxruntime:
    one inter-op thread; OpenVINO: one stream, f32 precision)."""
    import onnxruntime as ort
    original = ort.InferenceSession

    class Session(original):
        def __init__(self, path, sess_options=None, *args, **kwargs):
            opts = sess_options or ort.SessionOptions()
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            super().__init__(path, opts, *args, **kwargs)

    ort.InferenceSession = Session
    try:
        import openvino as ov
    except ImportError:
        return

    class Core(ov.Core):
        def compile_model(self, model, device_name=None, config=None, **kwargs):
            return super().compile_model(model, device_name or "CPU", {**(config or {}), **openvino_config(threads)},
                                         **kwargs)

    ov.Core = Core


def ultralytics_runner(weights, imgsz, image):
    from ultralytics import YOLO
    meta = {} if weights.endswith(".pt") else ultralytics_metadata(weights)
    yolo = YOLO(weights, task=meta.get("task"))
    task = yolo.task
    kwargs = {"conf": 0.25, "iou": 0.7, "max_det": 300, "retina_masks": True, "verbose": False}
    if imgsz:
        kwargs["imgsz"] = imgsz
    elif meta:
        kwargs["imgsz"] = eval(meta.get("imgsz", "640"), {})  # a list literal written by Ultralytics

    def once():
        r = yolo.predict(image, **kwargs)[0]
        if task == "segment" and r.masks is not None:
            r.masks.data.numpy()  # materialise the masks as a caller would
        return len(r.boxes)
    return once


def ultralytics_metadata(path):
    """An Ultralytics ONNX export's metadata, or for its OpenVINO IR folder the ONNX file's next to it."""
    p = Path(path)
    if p.is_dir():
        import yaml
        return {k: str(v) for k, v in yaml.safe_load((p / "metadata.yaml").read_text()).items()}
    return {m.key: m.value for m in onnx.load(path, load_external_data=False).metadata_props}


def engine_name(weights, engine):
    if engine == "torch":
        return "ultralytics %s + torch %s" % (ultralytics.__version__, torch.__version__)
    if engine == "onnxruntime":
        import onnxruntime as ort
        return "ultralytics %s + onnxruntime %s" % (ultralytics.__version__, ort.__version__)
    import openvino as ov
    return "ultralytics %s + openvino %s" % (ultralytics.__version__, ov.__version__.split("-")[0])


def onnx_export(pt, imgsz, threads):
    """The Ultralytics ONNX export of a .pt (dynamic axes, float32), cached by the checkpoint's content; made in a
    child process."""
    digest = hashlib.sha256(Path(pt).read_bytes()).hexdigest()[:16]
    out = Path(tempfile.gettempdir()) / f"argus-bench-onnx-{digest}-{imgsz}"
    onnx_file = out / (Path(pt).stem + ".onnx")
    if not onnx_file.exists():
        run_child([__file__, "--weights", pt, "--image", "-", "--threads", str(threads), "--imgsz", str(imgsz),
                   "--export-to", str(onnx_file)])
    return str(onnx_file)


def export_checkpoint(pt, imgsz, onnx_file):
    from ultralytics import YOLO
    out = Path(onnx_file).parent
    out.mkdir(parents=True, exist_ok=True)
    copy = out / Path(pt).name
    shutil.copyfile(pt, copy)
    exported = YOLO(str(copy)).export(format="onnx", imgsz=imgsz, dynamic=True, simplify=False, verbose=False)
    Path(exported).replace(onnx_file)


def openvino_ir(onnx_file, threads):
    """An Ultralytics ONNX file as the OpenVINO IR folder AutoBackend loads (`<stem>_openvino_model/` with the
    ONNX metadata as metadata.yaml), float32 weights; converted once, in a child process."""
    source = Path(onnx_file)
    ir = cache_folder(onnx_file) / f"{source.stem}.{weights_digest(onnx_file)}_openvino_model"
    if not (ir / "metadata.yaml").exists():
        run_child([__file__, "--weights", onnx_file, "--image", "-", "--threads", str(threads),
                   "--export-to", str(ir)])
    return str(ir)


def convert_to_openvino(onnx_file, ir):
    import openvino as ov
    import yaml
    Path(ir).mkdir(parents=True, exist_ok=True)
    ov.save_model(ov.convert_model(onnx_file), str(Path(ir) / (Path(onnx_file).stem + ".xml")), compress_to_fp16=False)
    (Path(ir) / "metadata.yaml").write_text(yaml.safe_dump(ultralytics_metadata(onnx_file)))


def yolox_runner(weights, image, engine, threads):
    from gen_yolov8_onnx_fixtures import yolox_decode, yolox_preproc
    graph_input = onnx.load(weights, load_external_data=False).graph.input[0]
    name, size = graph_input.name, graph_input.type.tensor_type.shape.dim[2].dim_value
    run, engine_label = onnx_runner(engine, weights, threads)

    def once():
        x, r, _ = yolox_preproc(image, size)
        out = run({name: x[None]})[0]
        t = torch.from_numpy(yolox_decode(out, size))
        xyxy = torch.cat([t[:, :2] - t[:, 2:4] / 2, t[:, :2] + t[:, 2:4] / 2], 1)
        conf, cls = t[:, 5:].max(1)
        score = t[:, 4] * conf
        m = score >= 0.3
        keep = torchvision.ops.batched_nms(xyxy[m], score[m], cls[m], 0.45)
        boxes = xyxy[m][keep] / r
        return len(boxes)
    return once, engine_label + " + YOLOX postprocess"


def runner(a, image):
    """`once()` and the engine's name for the file and engine asked for."""
    if a.weights.endswith(".pt") and a.engine in ONNX_ENGINES:
        a.imgsz = a.imgsz or 640
        a.weights = onnx_export(a.weights, a.imgsz, a.threads)
    if a.weights.endswith(".onnx") and not any(p.key == "task" for p in onnx.load(
            a.weights, load_external_data=False).metadata_props):
        return yolox_runner(a.weights, image, a.engine, a.threads)
    name = engine_name(a.weights, a.engine)  # before the conversion: an engine that is not installed stops here
    weights = openvino_ir(a.weights, a.threads) if a.engine == "openvino" else a.weights
    return ultralytics_runner(weights, a.imgsz, image), name


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--imgsz", type=int)
    ap.add_argument("--engine", choices=("torch",) + ONNX_ENGINES,
                    help="default: torch for a .pt, onnxruntime for an ONNX file")
    ap.add_argument("--export-to", help="only export the .pt to this ONNX file, or convert the ONNX file to this "
                    "OpenVINO IR folder")
    a = ap.parse_args()
    if a.export_to:
        export_checkpoint(a.weights, a.imgsz, a.export_to) if a.weights.endswith(".pt") else \
            convert_to_openvino(a.weights, a.export_to)
        return
    a.engine = a.engine or ("torch" if a.weights.endswith(".pt") else "onnxruntime")
    if a.engine == "torch" and not a.weights.endswith(".pt"):
        sys.exit("--engine torch takes a .pt checkpoint")
    torch.set_num_threads(a.threads)
    cv2.setNumThreads(a.threads)
    with_threads(a.threads)
    image = cv2.imread(a.image)
    if image is None:
        sys.exit(f"cannot read {a.image}")
    try:
        once, engine = runner(a, image)
    except Exception as e:  # noqa: BLE001 - the engine cannot load or compile this graph here
        if a.engine == "torch":
            raise
        print_skipped(a.engine, e)
        return
    time_and_print(once, a.threads, a.runs, 3, engine)


if __name__ == "__main__":
    main()
