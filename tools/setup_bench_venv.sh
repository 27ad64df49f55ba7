#!/usr/bin/env bash
# Makes the venv the benchmarks time the peers with: the shared reference venv (torch 2.13 CPU,
# torchvision, onnxruntime, opencv, pycocotools, ultralytics) plus the official YOLOv5 code and OpenVINO from PyPI.
# Usage: bash tools/setup_bench_venv.sh [VENV_DIR]   (default /work/venv-ref; about 1.7 GB)
set -euo pipefail
venv=${1:-/work/venv-ref}
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import torch" 2>/dev/null; then
  bash "$here/../../shared/bench/install_venv.sh" "$venv"
fi
# yolov5's own requirements pull GUI OpenCV and more; install it bare plus what its modules import.
"$venv/bin/pip" install --no-deps yolov5==7.0.14
"$venv/bin/pip" install pandas seaborn gitpython "setuptools<70" pycocotools
# OpenVINO, a peer engine where it installs (argus bench names it as not timed otherwise).
"$venv/bin/pip" install openvino==2026.4.1 || echo "setup_bench_venv: no OpenVINO wheel here; argus bench runs without it" >&2
