#!/usr/bin/env python3
"""Writes openapi.json (OpenAPI 3.1) for the Argus HTTP service and embeds it in
Sources/ArgusServer/OpenAPIDocument.swift, so the file at the repository root and the
document served at /openapi.json are the same. Run from the repository root:

    python3 tools/server_openapi_source.py

(Plain Python 3, no packages needed. ArgusServerTests fail if the two copies differ.)
"""
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def error_response(description):
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def deepstack_error(description):
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DeepStackError"}}}}


DETECT_ERRORS = {
    "400": error_response("A bad parameter or a malformed body (multipart, JSON, base64); also /segment with no model that produces masks."),
    "404": error_response("Unknown model."),
    "411": error_response("POST without a body length."),
    "413": error_response("Body over the byte limit, image over the pixel limit (read from its header), or too many images."),
    "415": error_response("Unsupported Content-Type, or bytes that are neither JPEG nor PNG."),
    "422": error_response("An image that cannot be decoded."),
    "503": {"description": "The inference queue is full; retry after the number of seconds in Retry-After.",
            "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    "504": error_response("The request did not finish within its deadline."),
}

PARAMETER_SCHEMAS = {
    "model": ({"type": "string", "minLength": 1}, "Model name (GET /models); the first loaded model by default."),
    "conf": ({"type": "number", "minimum": 0, "maximum": 1}, "Minimum score. Default: the model's reference default."),
    "iou": ({"type": "number", "minimum": 0, "maximum": 1}, "NMS IoU threshold. Default: the model's reference default."),
    "max_det": ({"type": "integer", "minimum": 1, "maximum": 10000}, "Most detections per image."),
    "classes": ({"type": "string"}, "Keep only these classes: comma-separated names or ids."),
    "agnostic_nms": ({"type": "boolean"}, "Class-agnostic NMS."),
    "imgsz": ({"type": "integer", "minimum": 32, "maximum": 4096}, "Network input size: YOLO's long side; a Faster R-CNN's short side (torchvision's min_size); a semantic model's short side (default 520, torchvision's preset)."),
    "box_format": ({"type": "string", "enum": ["xyxy", "xywh", "cxcywh"]}, "Box layout in the argus format."),
    "normalized": ({"type": "boolean"}, "Boxes divided by the image width and height."),
    "format": ({"type": "string", "enum": ["argus", "coco"]}, "Result schema; coco writes COCO results (bbox xywh, category_id)."),
    "render": ({"type": "string", "enum": ["png", "jpeg"]}, "Return the image with boxes and labels drawn instead of JSON (one image)."),
    "proposals": ({"type": "string"}, "Fast R-CNN mode (Faster R-CNN models only): JSON [[x1, y1, x2, y2], ...] region proposals in "
                  "original-image pixels (at most 10000), used instead of the RPN's for every image of the request. In a JSON body, give the array itself."),
    "pooling": ({"type": "string", "enum": ["align", "pool"]}, "With proposals: crop RoI features by RoI Align (default) or RoI Pool (torchvision.ops semantics)."),
}


SEGMENT_PARAMETER_SCHEMAS = {
    "mask_format": ({"type": "string", "enum": ["rle", "polygon", "png"]},
                    "How masks are written: rle (COCO compressed RLE {size: [h, w], counts}, as pycocotools; the default for instances), "
                    "polygon (parts with exterior and holes, pixel-edge coordinates), png (a 1-bit PNG of the mask's tight box with its x, y). "
                    "Semantic classes and panoptic segments carry a mask only when this is given."),
    "semantic_model": ({"type": "string", "minLength": 1},
                       "Panoptic output: a semantic model merged with the instance model (model). Thing category ids are the instance "
                       "model's COCO ids, stuff ids the semantic model's class indexes."),
    "scores": ({"type": "boolean"}, "Semantic models: per-class probability maps as 8-bit PNGs (value = round(255 p))."),
    "overlap_threshold": ({"type": "number", "minimum": 0, "maximum": 1},
                          "Panoptic: drop an instance when this fraction of its pixels is already taken (default 0.5)."),
    "min_stuff_area": ({"type": "integer", "minimum": 0, "maximum": 2147483647},
                       "Panoptic: smallest stuff region kept, in pixels (default 4096)."),
}

ALL_PARAMETER_SCHEMAS = dict(PARAMETER_SCHEMAS, **SEGMENT_PARAMETER_SCHEMAS)


def parameter_components():
    """Each detection and segmentation parameter once, under components.parameters; operations refer to them."""
    return {name: {"name": name, "in": "query", "required": False, "description": description, "schema": schema}
            for name, (schema, description) in ALL_PARAMETER_SCHEMAS.items()}


def form_properties(schemas=PARAMETER_SCHEMAS):
    props = {}
    for name, (schema, description) in schemas.items():
        if name == "classes":
            props[name] = {"type": "string", "description": description}
        else:
            props[name] = dict(schema, description=description)
    return props


def detect_request_body(schemas=PARAMETER_SCHEMAS):
    """The body /detect and /segment share: multipart, raw image bytes, or JSON with base64 (with each route's parameters)."""
    multipart = {"type": "object", "required": ["image"],
                 "properties": dict({"image": {"description": "One or more image files (repeat the field).",
                                               "oneOf": [{"type": "string", "contentMediaType": "application/octet-stream"},
                                                         {"type": "array", "items": {"type": "string", "contentMediaType": "application/octet-stream"}, "minItems": 1}]}},
                                    **form_properties(schemas))}
    json_body = {"type": "object",
                 "properties": dict({"image": {"type": "string", "description": "Base64 (or a data: URL) of one JPEG or PNG."},
                                     "images": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                                                "description": "Base64 of several images."}},
                                    **{k: v for k, v in form_properties(schemas).items() if k not in ("classes", "proposals")},
                                    classes={"description": PARAMETER_SCHEMAS["classes"][1],
                                             "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": ["string", "integer"]}}]},
                                    proposals={"description": PARAMETER_SCHEMAS["proposals"][1], "type": "array", "maxItems": 10000,
                                               "items": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4}}),
                 "anyOf": [{"required": ["image"]}, {"required": ["images"]}]}
    return {"required": True, "content": {
        "multipart/form-data": {"schema": multipart},
        "image/jpeg": {"schema": {"type": "string", "contentMediaType": "image/jpeg"}},
        "image/png": {"schema": {"type": "string", "contentMediaType": "image/png"}},
        "application/octet-stream": {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}},
        "application/json": {"schema": json_body},
    }}


def detect_result_response():
    return {"description": "Detections per image (or the rendered image with render=png|jpeg).",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DetectResponse"}},
                        "image/png": {"schema": {"type": "string", "contentMediaType": "image/png"}},
                        "image/jpeg": {"schema": {"type": "string", "contentMediaType": "image/jpeg"}}}}


def detect_operation(summary, description, op_id):
    return {
        "summary": summary, "description": description, "operationId": op_id,
        "parameters": [{"$ref": f"#/components/parameters/{name}"} for name in PARAMETER_SCHEMAS],
        "requestBody": {"$ref": "#/components/requestBodies/DetectRequest"},
        "responses": dict({"200": {"$ref": "#/components/responses/DetectResult"}},
                          **dict(DETECT_ERRORS, **{"400": error_response(
                              "A bad parameter or a malformed body (multipart, JSON, base64); a semantic segmentation model (model_cannot_detect).")})),
    }


SEGMENT_DESCRIPTION = (
    "The chosen model decides the output. An instance segmentation model (Mask R-CNN; task segment in GET /models) gives "
    "detections with `area` and `mask` in mask_format (format=coco: COCO results with `segmentation` RLE, which /evaluate with "
    "iou_type=segm reads unchanged). A semantic model (task semantic) gives `label_map`, the class of every pixel as a base64 "
    "indexed PNG in the PASCAL VOC palette (pixel value = class index), `classes` present with their pixel counts, and with "
    "scores=true `scores`, one 8-bit PNG of each class's probability; format=coco gives `results`, one COCO entry per class present. "
    "model plus semantic_model gives panoptic output: `panoptic`, a COCO panoptic PNG (segment id = R + 256 G + 256^2 B, 0 = void) and "
    "`segments_info` (id, category_id, isthing, area, bbox [x, y, w, h], label, score for things); things are the instance model's "
    "detections (category_id: its COCO ids) placed by score, stuff the semantic classes left (category_id: the semantic model's class "
    "index, background never), regions under min_stuff_area dropped. Without model, the first model that segments is used. "
    "render=png|jpeg returns the image with the masks drawn translucently in their class colours, with labelled boxes (instances) "
    "or a legend (semantic classes).")

SEGMENT_ERRORS = dict(DETECT_ERRORS, **{
    "400": error_response("A bad parameter or a malformed body; a model without masks (model_cannot_segment); semantic_model naming a "
                          "model that is not semantic (model_not_semantic); a semantic model given as model together with semantic_model; "
                          "parameters that do not apply to the chosen model (e.g. conf for a semantic model, scores for an instance model)."),
    "404": error_response("Unknown model or semantic_model."),
    "413": error_response("Body over the byte limit, image over the pixel limit, too many images, or scores=true maps over the score limit (scores_too_large)."),
})


def segment_operation():
    return {
        "summary": "Segment: instance masks, semantic label maps, panoptic", "description": SEGMENT_DESCRIPTION, "operationId": "segment",
        "parameters": [{"$ref": f"#/components/parameters/{name}"} for name in ALL_PARAMETER_SCHEMAS],
        "requestBody": {"$ref": "#/components/requestBodies/SegmentRequest"},
        "responses": dict({"200": {"description": "Segmentation per image (or the rendered image with render=png|jpeg).",
                                   "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SegmentResponse"}},
                                               "image/png": {"schema": {"type": "string", "contentMediaType": "image/png"}},
                                               "image/jpeg": {"schema": {"type": "string", "contentMediaType": "image/jpeg"}}}}},
                          **SEGMENT_ERRORS),
    }


def segment_schemas():
    number = {"type": "number"}
    integer = {"type": "integer"}
    ring = {"type": "array", "items": number, "description": "Flat [x0, y0, x1, y1, ...], pixel-edge coordinates (pixel x covers [x, x+1])."}
    return {
        "RLEMask": {"type": "object", "required": ["size", "counts"], "properties": {
            "size": {"type": "array", "items": integer, "minItems": 2, "maxItems": 2, "description": "[height, width]"},
            "counts": {"type": "string", "description": "pycocotools' compressed column-major run lengths."}}},
        "PolygonPart": {"type": "object", "required": ["exterior", "holes"], "properties": {
            "exterior": ring, "holes": {"type": "array", "items": ring}}},
        "PNGMask": {"type": "object", "required": ["x", "y", "width", "height", "png"], "properties": {
            "x": integer, "y": integer, "width": integer, "height": integer,
            "png": {"type": ["string", "null"], "description": "Base64 1-bit PNG of the mask's tight box (white = mask); null for an empty mask."}}},
        "Mask": {"oneOf": [{"$ref": "#/components/schemas/RLEMask"},
                           {"type": "array", "items": {"$ref": "#/components/schemas/PolygonPart"}},
                           {"$ref": "#/components/schemas/PNGMask"}, {"type": "null"}]},
        "InstanceDetection": {"type": "object", "required": ["box", "score", "class_id", "label", "area", "mask"], "properties": {
            "box": {"type": "array", "items": number, "minItems": 4, "maxItems": 4}, "score": number, "class_id": integer,
            "label": {"type": "string"}, "area": {"type": ["integer", "null"], "description": "Mask pixels."},
            "mask": {"$ref": "#/components/schemas/Mask"}}},
        "COCOSegmentResult": {"type": "object", "required": ["image_id", "category_id", "segmentation"], "properties": {
            "image_id": integer, "category_id": integer, "bbox": {"type": "array", "items": number}, "score": number,
            "segmentation": {"oneOf": [{"$ref": "#/components/schemas/RLEMask"}, {"type": "null"}]}}},
        "SemanticClass": {"type": "object", "required": ["class_id", "label", "pixels"], "properties": {
            "class_id": integer, "label": {"type": "string"}, "pixels": integer, "mask": {"$ref": "#/components/schemas/Mask"}}},
        "ScoreMap": {"type": "object", "required": ["class_id", "label", "png"], "properties": {
            "class_id": integer, "label": {"type": "string"}, "png": {"type": "string", "description": "Base64 8-bit gray PNG, round(255 p)."}}},
        "PanopticSegment": {"type": "object", "required": ["id", "category_id", "isthing", "area", "bbox", "label"], "properties": {
            "id": integer, "category_id": integer, "isthing": {"type": "boolean"}, "area": integer,
            "bbox": {"type": "array", "items": number, "minItems": 4, "maxItems": 4}, "label": {"type": "string"}, "score": number,
            "mask": {"$ref": "#/components/schemas/Mask"}}},
        "SegmentImage": {"type": "object", "required": ["width", "height", "orientation_applied"], "properties": {
            "width": integer, "height": integer, "orientation_applied": {"type": "integer", "minimum": 1, "maximum": 8},
            "detections": {"type": "array", "description": "Instance output.", "items": {"oneOf": [
                {"$ref": "#/components/schemas/InstanceDetection"}, {"$ref": "#/components/schemas/COCOSegmentResult"}]}},
            "label_map": {"type": "string", "description": "Semantic output: base64 indexed PNG, pixel value = class index, VOC palette."},
            "classes": {"type": "array", "items": {"$ref": "#/components/schemas/SemanticClass"}},
            "scores": {"type": "array", "items": {"$ref": "#/components/schemas/ScoreMap"}},
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/COCOSegmentResult"},
                        "description": "Semantic output with format=coco: one entry per class present."},
            "panoptic": {"type": "string", "description": "Panoptic output: base64 RGB PNG, id = R + 256 G + 256^2 B."},
            "segments_info": {"type": "array", "items": {"$ref": "#/components/schemas/PanopticSegment"}}}},
        "SegmentResponse": {"type": "object", "required": ["model", "task", "images", "timing_ms"], "properties": {
            "model": {"type": "string"}, "semantic_model": {"type": "string"},
            "task": {"type": "string", "enum": ["instance", "semantic", "panoptic"]},
            "images": {"type": "array", "items": {"$ref": "#/components/schemas/SegmentImage"}},
            "timing_ms": {"type": "object", "required": ["decode", "preprocess", "inference", "postprocess", "total"],
                          "properties": {k: number for k in ["decode", "preprocess", "inference", "postprocess", "total"]}}}},
    }


def document():
    return {
        "openapi": "3.1.0",
        "info": {"title": "Argus", "version": "0.1.0",
                 "description": "Object detection and segmentation on the CPU. Every failure is "
                                "{\"error\": {\"code\", \"message\"}} with its HTTP status (the DeepStack route keeps DeepStack's shape)."},
        "servers": [{"url": "http://127.0.0.1:8080"}],
        "paths": {
            "/detect": {"post": detect_operation("Detect objects", "Boxes from any detection model, for one or several images.", "detect")},
            "/segment": {"post": segment_operation()},
            "/evaluate": {"post": {
                "summary": "Batch COCO evaluation (mAP)", "operationId": "evaluate",
                "description": "COCO ground truth and results in; pycocotools' 12 stats, per-category AP and PASCAL VOC AP@0.5 out. "
                               "Runs on an inference worker (queue and deadline apply); its body limit is separate (larger) from /detect's. "
                               "Instead of results, multipart `image` files (one part each, its filename matched to the ground truth's "
                               "file_name, else to a numeric image id) and a `model` run the model first, at YOLOv5 val.py thresholds "
                               "(conf 0.001, iou 0.6, max_det 300) unless conf/iou/max_det/imgsz are given; ground-truth images "
                               "without a file are left out and reported in `inference.warnings`. The images-per-request and pixel limits apply. "
                               "With an instance segmentation model (task segment), iou_type=segm scores its masks.",
                "parameters": [
                    {"name": "iou_type", "in": "query", "required": False, "schema": {"type": "string", "enum": ["bbox", "segm"], "default": "bbox"}},
                    {"name": "policy", "in": "query", "required": False, "description": "strict: likely mistakes (unknown ids, empty results) are 400; pycocotools: they only warn.",
                     "schema": {"type": "string", "enum": ["strict", "pycocotools"], "default": "strict"}},
                    {"name": "voc", "in": "query", "required": False, "schema": {"type": "boolean", "default": True}},
                    {"name": "curves", "in": "query", "required": False, "schema": {"type": "boolean", "default": False}},
                ],
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/EvaluateRequest"}},
                    "multipart/form-data": {"schema": {"type": "object", "required": ["ground_truth"], "properties": {
                        "ground_truth": {"type": "string", "contentMediaType": "application/json"},
                        "results": {"type": "string", "contentMediaType": "application/json",
                                    "description": "COCO results; or send image files instead."},
                        "image": {"type": "array", "items": {"type": "string", "contentMediaType": "application/octet-stream"},
                                  "description": "Images to run the model on (instead of results), one part per file, named by its filename."},
                        "model": {"type": "string", "description": "With images: a loaded model's name (default: the server's default model)."},
                        "conf": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.001},
                        "iou": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.6},
                        "max_det": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 300},
                        "imgsz": {"type": "integer", "minimum": 32, "maximum": 4096},
                        "params": {"type": "string", "contentMediaType": "application/json"},
                        "iou_type": {"type": "string", "enum": ["bbox", "segm"]},
                        "policy": {"type": "string", "enum": ["strict", "pycocotools"]},
                        "voc": {"type": "boolean"}, "curves": {"type": "boolean"}}}},
                }},
                "responses": {
                    "200": {"description": "Metrics.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EvaluateResponse"}}}},
                    "400": error_response("Malformed JSON or multipart, a missing document, input that cannot be evaluated (code invalid_evaluation_input), "
                                          "or an uploaded image that matches no ground-truth image."),
                    "404": error_response("Unknown model (with images)."),
                    "411": error_response("No body length."),
                    "413": error_response("Body over the /evaluate byte limit, too many images, or an image over the pixel limit."),
                    "415": error_response("Neither application/json nor multipart/form-data, or an uploaded image that is neither JPEG nor PNG."),
                    "422": error_response("An uploaded image that cannot be decoded."),
                    "503": DETECT_ERRORS["503"], "504": DETECT_ERRORS["504"],
                }}},
            "/v1/vision/detection": {"post": {
                "summary": "DeepStack / CodeProject.AI compatible detection", "operationId": "deepstackDetection",
                "description": "For Frigate, Blue Iris, Agent DVR and Double Take. Integer pixel boxes, sorted by confidence descending.",
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["image"],
                    "properties": {"image": {"type": "string", "contentMediaType": "application/octet-stream"},
                                   "min_confidence": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.4},
                                   "model": {"type": "string"}}}}}},
                "responses": {
                    "200": {"description": "Predictions.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DeepStackResponse"}}}},
                    **{code: deepstack_error(resp["description"]) for code, resp in DETECT_ERRORS.items()},
                }}},
            "/models": {"get": {"summary": "Loaded models", "operationId": "listModels",
                                "responses": {"200": {"description": "Models in load order; the first is the default.",
                                                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ModelList"}}}}}}},
            "/healthz": {"get": {"summary": "Liveness", "operationId": "healthz",
                                 "responses": {"200": {"description": "The process is alive.",
                                                       "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}}}}},
            "/readyz": {"get": {"summary": "Readiness", "operationId": "readyz",
                                "responses": {"200": {"description": "Models loaded and one warm-up inference passed.",
                                                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}},
                                              "503": error_response("Still warming up (code not_ready), or warm-up failed.")}}},
            "/metrics": {"get": {"summary": "Prometheus metrics", "operationId": "metrics",
                                 "responses": {"200": {"description": "Text exposition format 0.0.4.",
                                                       "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
            "/openapi.json": {"get": {"summary": "This document", "operationId": "openapi",
                                      "responses": {"200": {"description": "OpenAPI 3.1.",
                                                            "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        },
        "components": {
          "parameters": parameter_components(),
          "requestBodies": {"DetectRequest": detect_request_body(),
                            "SegmentRequest": detect_request_body(ALL_PARAMETER_SCHEMAS)},
          "responses": {"DetectResult": detect_result_response()},
          "schemas": dict(segment_schemas(), **{
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
            "Status": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}},
            "Detection": {"type": "object", "required": ["box", "score", "class_id", "label"], "properties": {
                "box": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4,
                        "description": "In box_format order, in pixels of the oriented image unless normalized."},
                "score": {"type": "number"}, "class_id": {"type": "integer"}, "label": {"type": "string"}}},
            "COCOResult": {"type": "object", "required": ["image_id", "category_id", "bbox", "score"], "properties": {
                "image_id": {"type": "integer", "description": "Index of the image in the request."},
                "category_id": {"type": "integer", "description": "COCO category id (1..90) for COCO-80 models, else the class id."},
                "bbox": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
                "score": {"type": "number"}}},
            "ImageResult": {"type": "object", "required": ["width", "height", "orientation_applied", "detections"], "properties": {
                "width": {"type": "integer"}, "height": {"type": "integer"},
                "orientation_applied": {"type": "integer", "minimum": 1, "maximum": 8, "description": "EXIF orientation applied (1: none)."},
                "detections": {"type": "array", "items": {"oneOf": [{"$ref": "#/components/schemas/Detection"},
                                                                     {"$ref": "#/components/schemas/COCOResult"}]}}}},
            "DetectResponse": {"type": "object", "required": ["model", "images", "timing_ms"], "properties": {
                "model": {"type": "string"},
                "images": {"type": "array", "items": {"$ref": "#/components/schemas/ImageResult"}},
                "timing_ms": {"type": "object", "required": ["decode", "preprocess", "inference", "postprocess", "total"],
                              "properties": {k: {"type": "number"} for k in ["decode", "preprocess", "inference", "postprocess", "total"]}}}},
            "DeepStackPrediction": {"type": "object", "required": ["label", "confidence", "x_min", "y_min", "x_max", "y_max"], "properties": {
                "label": {"type": "string"}, "confidence": {"type": "number"},
                "x_min": {"type": "integer"}, "y_min": {"type": "integer"}, "x_max": {"type": "integer"}, "y_max": {"type": "integer"}}},
            "DeepStackResponse": {"type": "object", "required": ["success", "predictions"], "properties": {
                "success": {"const": True},
                "predictions": {"type": "array", "items": {"$ref": "#/components/schemas/DeepStackPrediction"}},
                "inferenceMs": {"type": "integer"}, "processMs": {"type": "integer"},
                "moduleId": {"type": "string"}, "model": {"type": "string"}}},
            "DeepStackError": {"type": "object", "required": ["success", "error"], "properties": {
                "success": {"const": False}, "error": {"type": "string"}, "code": {"type": "integer"}}},
            "EvaluateRequest": {"type": "object", "required": ["ground_truth", "results"], "properties": {
                "ground_truth": {"type": "object", "description": "A COCO annotations document (images, annotations, categories)."},
                "results": {"type": "array", "items": {"type": "object"},
                            "description": "COCO results ({image_id, category_id, score, bbox and/or segmentation}), e.g. /detect?format=coco output with image ids mapped."},
                "params": {"type": "object", "description": "pycocotools params: iouThrs, recThrs, maxDets, areaRng, areaRngLbl, useCats, imgIds, catIds."},
                "iou_type": {"type": "string", "enum": ["bbox", "segm"], "default": "bbox"},
                "policy": {"type": "string", "enum": ["strict", "pycocotools"], "default": "strict"},
                "voc": {"type": "boolean"}, "curves": {"type": "boolean"}}},
            "EvaluateResponse": {"type": "object", "required": ["stats", "per_category_ap", "ap50_per_category"], "properties": {
                "stats": {"type": "array", "items": {"type": "number"}, "minItems": 12, "maxItems": 12,
                          "description": "COCOeval.stats: AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl (-1: nothing to average)."},
                "stats_named": {"type": "object"}, "per_category_ap": {"type": "object"}, "ap50_per_category": {"type": "object"},
                "voc": {"type": "object"}, "iou_type": {"type": "string"}, "warnings": {"type": "array", "items": {"type": "object"}},
                "curves": {"type": "object"},
                "inference": {"type": "object", "description": "With images: {model, images, detections, warnings} of the model run."}}},
            "ModelList": {"type": "object", "required": ["models"], "properties": {"models": {"type": "array", "items": {
                "type": "object", "required": ["name", "family", "task", "default", "classes", "input_size", "stride", "defaults"],
                "properties": {
                    "name": {"type": "string"}, "family": {"type": "string"}, "task": {"type": "string", "enum": ["detect", "segment", "semantic"]},
                    "default": {"type": "boolean"}, "classes": {"type": "array", "items": {"type": "string"}},
                    "input_size": {"type": "integer"}, "stride": {"type": "integer"},
                    "defaults": {"type": "object", "description": "conf, iou and max_det are absent for semantic models", "required": ["imgsz"], "properties": {
                        "conf": {"type": "number"}, "iou": {"type": "number"}, "max_det": {"type": "integer"}, "imgsz": {"type": "integer"}}}}}}}},
        })},
    }


def main():
    text = json.dumps(document(), indent=2) + "\n"
    (ROOT / "openapi.json").write_text(text)
    assert '"""#' not in text
    swift = ("/// The OpenAPI document served at /openapi.json: the repository's openapi.json, embedded by\n"
             "/// tools/server_openapi_source.py (a test checks that the two are the same).\n"
             "public enum OpenAPIDocument {\n    /// The JSON text.\n    public static let json = #\"\"\"\n" + text + "\"\"\"#\n}\n")
    (ROOT / "Sources/ArgusServer/OpenAPIDocument.swift").write_text(swift)


if __name__ == "__main__":
    main()
