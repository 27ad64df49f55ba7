"""What the peers of `argus bench` share: the weights step (load a state dict, or fill the fixture weight rule;
optionally save what was used, so Argus loads the same), the ONNX engines (onnxruntime, OpenVINO) and their
cached exports, and the timing loop (warm-up runs, then timed runs of `once()`, which returns what it found,
printed as the one JSON line argus reads, with the process's peak RSS).

Nothing here imports torch at module level: an onnxruntime or OpenVINO peer runs in a process of its own without
it, so the peak RSS it reports is its engine's.
"""
import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ONNX_ENGINES = ("onnxruntime", "openvino")


def load_or_fill(model, weights, gain, save, skip_prefix=None):
    """`weights` (a state dict file; keys starting with `skip_prefix` left out) or the rule with `gain`."""
    import torch
    from gen_torchvision_fixtures import fill_weights
    if weights:
        sd = torch.load(weights, map_location="cpu", weights_only=True)
        model.load_state_dict({k: v for k, v in sd.items() if not (skip_prefix and k.startswith(skip_prefix))})
    else:
        fill_weights(model, gain)
    if save:
        torch.save(model.state_dict(), save)


def peak_rss_mb():
    """This process's peak resident set: VmHWM of its own address space. Not ru_maxrss: Linux carries the forking
    process's peak across exec into it, so a peer started by a larger Argus process would report Argus's size."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def weights_digest(weights):
    """sha256 of a checkpoint's content. A torch.save zip is hashed by its entries without their top folder,
    which torch names after the file: the same weights saved under another name (argus bench's generated
    temporary files) get the same digest."""
    h = hashlib.sha256()
    if zipfile.is_zipfile(weights):
        with zipfile.ZipFile(weights) as z:
            for name in sorted(z.namelist(), key=lambda n: n.partition("/")[2]):
                h.update(name.partition("/")[2].encode())
                h.update(z.read(name))
    else:
        h.update(Path(weights).read_bytes())
    return h.hexdigest()[:16]


def cache_folder(path):
    """Where exports of `path` are kept: its folder, or the temporary directory when that is read-only (the mode
    bits too: root may write anywhere, but a folder marked read-only, like shared weights, stays untouched)."""
    folder = Path(path).resolve().parent
    if os.access(folder, os.W_OK) and folder.stat().st_mode & 0o222:
        return folder
    return Path(tempfile.gettempdir())


def cached_export(weights, tag, make):
    """The path of an ONNX export of `weights`, keyed by their content and `tag` (the model and what else shapes
    the graph: input size, thresholds), next to the weights (or in the temporary directory when that folder is
    read-only). `make(path)` writes it when missing; it should run in a child process, so this one's peak RSS
    stays its engine's."""
    path = cache_folder(weights) / f"argus-bench-{tag}.{weights_digest(weights)}.onnx"
    if not path.exists():
        partial = path.with_name(path.name + ".partial")  # renamed when complete: a killed export is not reused
        make(str(partial))
        os.replace(partial, path)
    return str(path)


def run_child(args):
    """Runs this Python on `args` (an export step), its output on our stderr so argus's JSON line stays last."""
    subprocess.run([sys.executable, *args], check=True, stdout=sys.stderr)


def onnx_runner(engine, path, threads):
    """`run(feeds) -> [outputs]` for the ONNX file on `engine`, and the engine's name. onnxruntime: `threads`
    intra-op threads, one inter-op, sequential, all graph optimizations. OpenVINO: CPU, `threads` inference
    threads, one stream, latency hint, f32 precision (its CPU default is bf16 where the CPU has it)."""
    if engine == "onnxruntime":
        import onnxruntime as ort
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3  # errors only: Mask R-CNN's traced mask loop warns about its output shape every run
        sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        return (lambda feeds: sess.run(None, feeds)), f"onnxruntime {ort.__version__}"
    import openvino as ov
    compiled = ov.Core().compile_model(path, "CPU", openvino_config(threads))
    request = compiled.create_infer_request()

    def run(feeds):
        out = request.infer(feeds)
        return [out[o] for o in compiled.outputs]
    return run, f"openvino {ov.__version__.split('-')[0]}"


def openvino_config(threads):
    return {"INFERENCE_NUM_THREADS": threads, "NUM_STREAMS": 1, "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_PRECISION_HINT": "f32"}


def print_skipped(engine, error):
    """The line argus reads when an engine cannot run here (not installed, or the graph does not compile)."""
    # OpenVINO's messages open with "Exception from <file>:<line>" / "Check ... failed" lines: keep what follows.
    lines = [line.strip() for line in str(error).splitlines()
             if line.strip() and not line.startswith(("Exception from ", "Check '"))]
    reason = " ".join(lines)[:300] or "no message"
    print(json.dumps({"engine": engine, "skipped": f"{type(error).__name__}: {reason}"}))


def time_and_print(once, threads, runs, warmup, engine, extra=None):
    for _ in range(warmup):
        once()
    times = []
    n = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        n = once()
        times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"engine": engine, "threads": threads, "median_ms": statistics.median(times), "min_ms": min(times),
                      "runs": len(times), "times_ms": times, "detections": n, "peak_rss_mb": peak_rss_mb(),
                      **(extra or {})}))


def torchvision_peer_arguments(archs):
    """The command line both torchvision peer scripts share (each adds its own model options)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", required=True, choices=archs)
    ap.add_argument("--image", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--engine", choices=("torch",) + ONNX_ENGINES, default="torch")
    ap.add_argument("--weights", help="state dict to load (default: the fixture weight rule)")
    ap.add_argument("--save-weights", help="write the state dict used here")
    ap.add_argument("--export-onnx", help="only export the model for this image to this ONNX path")
    return ap


def detector_export_args(a, script):
    """A torchvision detector peer's own arguments that make its model (weights, thresholds, sizes) and export it
    (`script --export-onnx PATH`)."""
    args = [script, "--arch", a.arch, "--image", a.image, "--threads", str(a.threads), "--weights", a.weights]
    for flag, value in (("--box-score-thresh", a.box_score_thresh), ("--min-size", a.min_size),
                        ("--max-size", a.max_size)):
        if value is not None:
            args += [flag, str(value)]
    return args


def run_detector_onnx(a, script):
    """A torchvision detector exported by `script` (once, cached by weights, image size and settings), timed on
    onnxruntime or OpenVINO from the same float image as torch gets (to_tensor's values)."""
    import numpy as np
    from PIL import Image
    if not a.weights:
        sys.exit("--engine onnxruntime/openvino needs --weights (the state dict to export)")
    pil = Image.open(a.image).convert("RGB")
    settings = (("min", a.min_size), ("max", a.max_size), ("thr", a.box_score_thresh))
    tag = "-".join([a.arch, f"{pil.height}x{pil.width}"] + [f"{k}{v}" for k, v in settings if v is not None])
    path = cached_export(a.weights, tag, lambda p: run_child(detector_export_args(a, script) + ["--export-onnx", p]))
    try:
        run, engine = onnx_runner(a.engine, path, a.threads)
    except Exception as e:  # noqa: BLE001 - any load or compile failure means the engine does not run this graph
        print_skipped(a.engine, e)
        return
    img = np.ascontiguousarray(np.asarray(pil).transpose(2, 0, 1), dtype=np.float32) / 255
    time_and_print(lambda: len(run({"image": img})[0]), a.threads, a.runs, a.warmup, engine, {"onnx": path})


def run_torch_detector(a, build, output_names):
    """A torchvision detector peer on torch: `build(a)` makes the model; then either export it for this image to
    a.export_onnx, only save its weights (--runs 0), or time `model([img])` under inference_mode."""
    import torch
    import torchvision
    from PIL import Image
    from torchvision.transforms.functional import to_tensor
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    model = build(a)
    versions = {"torch": torch.__version__, "torchvision": torchvision.__version__}
    img = to_tensor(Image.open(a.image).convert("RGB"))
    if a.export_onnx:
        # Static image size: the size is part of the cache key, and fixed shapes are the ONNX engines' best case.
        torch.onnx.export(model, ([img],), a.export_onnx, opset_version=17, dynamo=False, do_constant_folding=True,
                          input_names=["image"], output_names=output_names)
        return
    if a.runs == 0:
        print(json.dumps({"saved": a.save_weights, **versions}))
        return

    def once():
        with torch.inference_mode():
            return len(model([img])[0]["boxes"])

    time_and_print(once, a.threads, a.runs, a.warmup, f"torch {torch.__version__} + torchvision {torchvision.__version__}",
                   versions)
