#!/usr/bin/env python3
"""Checks `argus serve`'s Open Inference Protocol routes (/v2/...) with the standard client, tritonclient (PyPI).

    bash tools/oip_client_check.sh [ARGUS_BINARY]      (makes .venv-tritonclient, then runs this file)
    .venv-tritonclient/bin/python tools/oip_client_check.py ARGUS_BINARY [IMAGE_DIR]

Serves the built-in default model (with an API key, so the key travels as tritonclient sends headers) and checks,
through tritonclient.http: server live/ready/metadata (binary_tensor_data listed), model ready and metadata, then
inference on real photos (../shared/datasets/coco128 by default) with the images as binary BYTES and as base64 JSON,
outputs as binary and as JSON, request parameters (conf, max_det), against /detect's JSON for the same images and
parameters: the same detections, boxes and scores equal as float32. Errors (unknown model, wrong input) must come
back as tritonclient exceptions carrying the server's message. Exits 1 on any mismatch.
"""
import base64
import importlib.metadata
import http.client
import json
import os
import sys
import uuid

import numpy as np
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from argus_server import ArgusServer  # noqa: E402

KEY = "oip-check-" + uuid.uuid4().hex
MODEL = "yolox_nano"
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


def detect(port, images, fields=()):
    """/detect's JSON for the images (multipart), with the key."""
    boundary = uuid.uuid4().hex
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields)
    for data in images:
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="i.jpg"\r\n'
                 f"Content-Type: image/jpeg\r\n\r\n").encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request("POST", "/detect", body, {"Content-Type": f"multipart/form-data; boundary={boundary}",
                                                 "Authorization": f"Bearer {KEY}"})
    response = connection.getresponse()
    return json.loads(response.read())


def expected_tensors(document):
    boxes, scores, classes, labels, index = [], [], [], [], []
    for i, image in enumerate(document["images"]):
        for d in image["detections"]:
            boxes.append(d["box"]); scores.append(d["score"]); classes.append(d["class_id"])
            labels.append(d["label"]); index.append(i)
    return (np.array(boxes, dtype=np.float32).reshape(-1, 4), np.array(scores, dtype=np.float32),
            np.array(classes, dtype=np.int32), labels, np.array(index, dtype=np.int32))


def compare(result, document, what):
    boxes, scores, classes, labels, index = expected_tensors(document)
    check(result.as_numpy("boxes") is not None and np.array_equal(result.as_numpy("boxes"), boxes), f"{what}: boxes")
    check(np.array_equal(result.as_numpy("scores"), scores), f"{what}: scores")
    check(np.array_equal(result.as_numpy("classes"), classes), f"{what}: classes")
    got_labels = [x.decode() if isinstance(x, bytes) else str(x) for x in result.as_numpy("labels").tolist()]
    check(got_labels == labels, f"{what}: labels {got_labels[:5]} vs {labels[:5]}")
    check(np.array_equal(result.as_numpy("image_index"), index), f"{what}: image_index")
    return len(scores)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    argus = sys.argv[1]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    image_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "..", "shared", "datasets", "coco128", "images", "train2017")
    if not os.path.isdir(image_dir):
        print(f"skipped: no images at {image_dir}")
        return
    names = sorted(os.listdir(image_dir))[:3]
    images = [open(os.path.join(image_dir, n), "rb").read() for n in names]

    with ArgusServer(argus, ["--quiet", "--api-key", KEY]) as server:
        url = f"127.0.0.1:{server.port}"
        # A fresh dict per call: tritonclient writes Inference-Header-Content-Length into the one it is given.
        def auth():
            return {"Authorization": f"Bearer {KEY}"}
        client = triton.InferenceServerClient(url, network_timeout=120, connection_timeout=120)
        check(client.is_server_live(), "server live (open without a key)")
        check(client.is_server_ready(), "server ready")
        try:
            client.get_server_metadata()
            check(False, "server metadata without a key should be refused")
        except InferenceServerException as e:
            check("API key" in str(e), f"refusal names the key: {e}")
        metadata = client.get_server_metadata(headers=auth())
        check("binary_tensor_data" in metadata.get("extensions", []), f"server metadata: {metadata}")
        check(client.is_model_ready(MODEL, headers=auth()), "model ready")
        check(client.is_model_ready(MODEL, model_version="1", headers=auth()), "model ready, version 1")
        model = client.get_model_metadata(MODEL, headers=auth())
        check(model["inputs"] == [{"name": "image", "datatype": "BYTES", "shape": [-1]}], f"model inputs: {model['inputs']}")
        check([o["name"] for o in model["outputs"]] == ["boxes", "scores", "classes", "labels", "image_index"],
              f"model outputs: {model['outputs']}")

        counts = []
        for binary_in in (True, False):
            for binary_out in (True, False):
                batch = images if binary_in else images[:2]
                tensor = triton.InferInput("image", [len(batch)], "BYTES")
                data = batch if binary_in else [base64.b64encode(b) for b in batch]
                tensor.set_data_from_numpy(np.array(data, dtype=np.object_), binary_data=binary_in)
                outputs = [triton.InferRequestedOutput(n, binary_data=binary_out)
                           for n in ("boxes", "scores", "classes", "labels", "image_index")]
                result = client.infer(MODEL, [tensor], outputs=outputs, headers=auth(), request_id="r1")
                what = f"infer (input {'binary' if binary_in else 'JSON'}, output {'binary' if binary_out else 'JSON'})"
                check(result.get_response().get("id") == "r1", f"{what}: id")
                counts.append(compare(result, detect(server.port, batch), what))

        tensor = triton.InferInput("image", [1], "BYTES")
        tensor.set_data_from_numpy(np.array(images[:1], dtype=np.object_))
        result = client.infer(MODEL, [tensor], headers=auth(), parameters={"conf": 0.5, "max_det": 3})
        counts.append(compare(result, detect(server.port, images[:1], [("conf", "0.5"), ("max_det", "3")]),
                              "infer with conf 0.5, max_det 3, outputs not listed"))

        for call, expect in [
            (lambda: client.infer("no_such_model", [tensor], headers=auth()), "no_such_model"),
            (lambda: client.infer(MODEL, [tensor], headers=auth(), parameters={"conf": 2}), "conf"),
            (lambda: client.infer(MODEL, [tensor], headers=auth(), parameters={"colour": 1}), "colour"),
        ]:
            try:
                call()
                check(False, f"an error naming {expect} was expected")
            except InferenceServerException as e:
                check(expect in str(e), f"error names {expect}: {e}")
        wrong = triton.InferInput("pixels", [1, 3], "FP32")
        wrong.set_data_from_numpy(np.zeros((1, 3), dtype=np.float32))
        try:
            client.infer(MODEL, [wrong], headers=auth())
            check(False, "a wrong input should be refused")
        except InferenceServerException as e:
            check("image" in str(e), f"wrong input: {e}")

    print(f"tritonclient {importlib.metadata.version('tritonclient')}: {len(counts)} inference requests, detections per request {counts}; "
          f"{len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
