/// The OpenAPI document served at /openapi.json: the repository's openapi.json, embedded by
/// tools/server_openapi_source.py (a test checks that the two are the same).
public enum OpenAPIDocument {
    /// The JSON text.
    public static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Argus",
    "version": "0.1.0",
    "description": "Object detection and segmentation on the CPU. Every failure is {\"error\": {\"code\", \"message\"}} with its HTTP status (the DeepStack route keeps DeepStack's shape)."
  },
  "servers": [
    {
      "url": "http://127.0.0.1:8080"
    }
  ],
  "paths": {
    "/detect": {
      "post": {
        "summary": "Detect objects",
        "description": "Boxes from any detection model, for one or several images.",
        "operationId": "detect",
        "parameters": [
          {
            "$ref": "#/components/parameters/model"
          },
          {
            "$ref": "#/components/parameters/conf"
          },
          {
            "$ref": "#/components/parameters/iou"
          },
          {
            "$ref": "#/components/parameters/max_det"
          },
          {
            "$ref": "#/components/parameters/classes"
          },
          {
            "$ref": "#/components/parameters/agnostic_nms"
          },
          {
            "$ref": "#/components/parameters/imgsz"
          },
          {
            "$ref": "#/components/parameters/box_format"
          },
          {
            "$ref": "#/components/parameters/normalized"
          },
          {
            "$ref": "#/components/parameters/format"
          },
          {
            "$ref": "#/components/parameters/render"
          },
          {
            "$ref": "#/components/parameters/proposals"
          },
          {
            "$ref": "#/components/parameters/pooling"
          }
        ],
        "requestBody": {
          "$ref": "#/components/requestBodies/DetectRequest"
        },
        "responses": {
          "200": {
            "$ref": "#/components/responses/DetectResult"
          },
          "400": {
            "description": "A bad parameter or a malformed body (multipart, JSON, base64); a semantic segmentation model (model_cannot_detect).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Unknown model.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "411": {
            "description": "POST without a body length.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "description": "Body over the byte limit, image over the pixel limit (read from its header), or too many images.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "415": {
            "description": "Unsupported Content-Type, or bytes that are neither JPEG nor PNG.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "422": {
            "description": "An image that cannot be decoded.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "503": {
            "description": "The inference queue is full; retry after the number of seconds in Retry-After.",
            "headers": {
              "Retry-After": {
                "schema": {
                  "type": "integer",
                  "minimum": 1
                }
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "504": {
            "description": "The request did not finish within its deadline.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/segment": {
      "post": {
        "summary": "Segment: instance masks, semantic label maps, panoptic",
        "description": "The chosen model decides the output. An instance segmentation model (Mask R-CNN; task segment in GET /models) gives detections with `area` and `mask` in mask_format (format=coco: COCO results with `segmentation` RLE, which /evaluate with iou_type=segm reads unchanged). A semantic model (task semantic) gives `label_map`, the class of every pixel as a base64 indexed PNG in the PASCAL VOC palette (pixel value = class index), `classes` present with their pixel counts, and with scores=true `scores`, one 8-bit PNG of each class's probability; format=coco gives `results`, one COCO entry per class present. model plus semantic_model gives panoptic output: `panoptic`, a COCO panoptic PNG (segment id = R + 256 G + 256^2 B, 0 = void) and `segments_info` (id, category_id, isthing, area, bbox [x, y, w, h], label, score for things); things are the instance model's detections (category_id: its COCO ids) placed by score, stuff the semantic classes left (category_id: the semantic model's class index, background never), regions under min_stuff_area dropped. Without model, the first model that segments is used. render=png|jpeg returns the image with the masks drawn translucently in their class colours, with labelled boxes (instances) or a legend (semantic classes).",
        "operationId": "segment",
        "parameters": [
          {
            "$ref": "#/components/parameters/model"
          },
          {
            "$ref": "#/components/parameters/conf"
          },
          {
            "$ref": "#/components/parameters/iou"
          },
          {
            "$ref": "#/components/parameters/max_det"
          },
          {
            "$ref": "#/components/parameters/classes"
          },
          {
            "$ref": "#/components/parameters/agnostic_nms"
          },
          {
            "$ref": "#/components/parameters/imgsz"
          },
          {
            "$ref": "#/components/parameters/box_format"
          },
          {
            "$ref": "#/components/parameters/normalized"
          },
          {
            "$ref": "#/components/parameters/format"
          },
          {
            "$ref": "#/components/parameters/render"
          },
          {
            "$ref": "#/components/parameters/proposals"
          },
          {
            "$ref": "#/components/parameters/pooling"
          },
          {
            "$ref": "#/components/parameters/mask_format"
          },
          {
            "$ref": "#/components/parameters/semantic_model"
          },
          {
            "$ref": "#/components/parameters/scores"
          },
          {
            "$ref": "#/components/parameters/overlap_threshold"
          },
          {
            "$ref": "#/components/parameters/min_stuff_area"
          }
        ],
        "requestBody": {
          "$ref": "#/components/requestBodies/SegmentRequest"
        },
        "responses": {
          "200": {
            "description": "Segmentation per image (or the rendered image with render=png|jpeg).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SegmentResponse"
                }
              },
              "image/png": {
                "schema": {
                  "type": "string",
                  "contentMediaType": "image/png"
                }
              },
              "image/jpeg": {
                "schema": {
                  "type": "string",
                  "contentMediaType": "image/jpeg"
                }
              }
            }
          },
          "400": {
            "description": "A bad parameter or a malformed body; a model without masks (model_cannot_segment); semantic_model naming a model that is not semantic (model_not_semantic); a semantic model given as model together with semantic_model; parameters that do not apply to the chosen model (e.g. conf for a semantic model, scores for an instance model).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Unknown model or semantic_model.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "411": {
            "description": "POST without a body length.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "description": "Body over the byte limit, image over the pixel limit, too many images, or scores=true maps over the score limit (scores_too_large).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "415": {
            "description": "Unsupported Content-Type, or bytes that are neither JPEG nor PNG.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "422": {
            "description": "An image that cannot be decoded.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "503": {
            "description": "The inference queue is full; retry after the number of seconds in Retry-After.",
            "headers": {
              "Retry-After": {
                "schema": {
                  "type": "integer",
                  "minimum": 1
                }
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "504": {
            "description": "The request did not finish within its deadline.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/evaluate": {
      "post": {
        "summary": "Batch COCO evaluation (mAP)",
        "operationId": "evaluate",
        "description": "COCO ground truth and results in; pycocotools' 12 stats, per-category AP and PASCAL VOC AP@0.5 out. Runs on an inference worker (queue and deadline apply); its body limit is separate (larger) from /detect's. Instead of results, multipart `image` files (one part each, its filename matched to the ground truth's file_name, else to a numeric image id) and a `model` run the model first, at YOLOv5 val.py thresholds (conf 0.001, iou 0.6, max_det 300) unless conf/iou/max_det/imgsz are given; ground-truth images without a file are left out and reported in `inference.warnings`. The images-per-request and pixel limits apply. With an instance segmentation model (task segment), iou_type=segm scores its masks.",
        "parameters": [
          {
            "name": "iou_type",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "enum": [
                "bbox",
                "segm"
              ],
              "default": "bbox"
            }
          },
          {
            "name": "policy",
            "in": "query",
            "required": false,
            "description": "strict: likely mistakes (unknown ids, empty results) are 400; pycocotools: they only warn.",
            "schema": {
              "type": "string",
              "enum": [
                "strict",
                "pycocotools"
              ],
              "default": "strict"
            }
          },
          {
            "name": "voc",
            "in": "query",
            "required": false,
            "schema": {
              "type": "boolean",
              "default": true
            }
          },
          {
            "name": "curves",
            "in": "query",
            "required": false,
            "schema": {
              "type": "boolean",
              "default": false
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/EvaluateRequest"
              }
            },
            "multipart/form-data": {
              "schema": {
                "type": "object",
                "required": [
                  "ground_truth"
                ],
                "properties": {
                  "ground_truth": {
                    "type": "string",
                    "contentMediaType": "application/json"
                  },
                  "results": {
                    "type": "string",
                    "contentMediaType": "application/json",
                    "description": "COCO results; or send image files instead."
                  },
                  "image": {
                    "type": "array",
                    "items": {
                      "type": "string",
                      "contentMediaType": "application/octet-stream"
                    },
                    "description": "Images to run the model on (instead of results), one part per file, named by its filename."
                  },
                  "model": {
                    "type": "string",
                    "description": "With images: a loaded model's name (default: the server's default model)."
                  },
                  "conf": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1,
                    "default": 0.001
                  },
                  "iou": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1,
                    "default": 0.6
                  },
                  "max_det": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 10000,
                    "default": 300
                  },
                  "imgsz": {
                    "type": "integer",
                    "minimum": 32,
                    "maximum": 4096
                  },
                  "params": {
                    "type": "string",
                    "contentMediaType": "application/json"
                  },
                  "iou_type": {
                    "type": "string",
                    "enum": [
                      "bbox",
                      "segm"
                    ]
                  },
                  "policy": {
                    "type": "string",
                    "enum": [
                      "strict",
                      "pycocotools"
                    ]
                  },
                  "voc": {
                    "type": "boolean"
                  },
                  "curves": {
                    "type": "boolean"
                  }
                }
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Metrics.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/EvaluateResponse"
                }
              }
            }
          },
          "400": {
            "description": "Malformed JSON or multipart, a missing document, input that cannot be evaluated (code invalid_evaluation_input), or an uploaded image that matches no ground-truth image.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Unknown model (with images).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "411": {
            "description": "No body length.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "description": "Body over the /evaluate byte limit, too many images, or an image over the pixel limit.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "415": {
            "description": "Neither application/json nor multipart/form-data, or an uploaded image that is neither JPEG nor PNG.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "422": {
            "description": "An uploaded image that cannot be decoded.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "503": {
            "description": "The inference queue is full; retry after the number of seconds in Retry-After.",
            "headers": {
              "Retry-After": {
                "schema": {
                  "type": "integer",
                  "minimum": 1
                }
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "504": {
            "description": "The request did not finish within its deadline.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/v1/vision/detection": {
      "post": {
        "summary": "DeepStack / CodeProject.AI compatible detection",
        "operationId": "deepstackDetection",
        "description": "For Frigate, Blue Iris, Agent DVR and Double Take. Integer pixel boxes, sorted by confidence descending.",
        "requestBody": {
          "required": true,
          "content": {
            "multipart/form-data": {
              "schema": {
                "type": "object",
                "required": [
                  "image"
                ],
                "properties": {
                  "image": {
                    "type": "string",
                    "contentMediaType": "application/octet-stream"
                  },
                  "min_confidence": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1,
                    "default": 0.4
                  },
                  "model": {
                    "type": "string"
                  }
                }
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Predictions.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DeepStackResponse"
                }
              }
            }
          },
          "400": {
            "description": "A bad parameter or a malformed body (multipart, JSON, base64); also /segment with no model that produces masks.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DeepStackError"
                }
              }
            }
          },
          "404": {
            "description": "Unknown model.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DeepStackError"
                }
              }
            }
          },
          "411": {
            "description": "POST without a body length.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DeepStackError"
                }
              }
            }
          },
          "413": {
            "description": "Body over the byte limit, image over the pixel limit (read from its header), or too many images.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DeepStackError"
                }
              }
            }
          },
          "415": {
            "description": "Unsupported Content-Type, or bytes that are neither JPEG nor PNG.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DeepStackError"
                }
              }
            }
          },
          "422": {
            "description": "An image that cannot be decoded.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DeepStackError"
                }
              }
            }
          },
          "503": {
            "description": "The inference queue is full; retry after the number of seconds in Retry-After.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DeepStackError"
                }
              }
            }
          },
          "504": {
            "description": "The request did not finish within its deadline.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DeepStackError"
                }
              }
            }
          }
        }
      }
    },
    "/models": {
      "get": {
        "summary": "Loaded models",
        "operationId": "listModels",
        "responses": {
          "200": {
            "description": "Models in load order; the first is the default.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ModelList"
                }
              }
            }
          }
        }
      }
    },
    "/healthz": {
      "get": {
        "summary": "Liveness",
        "operationId": "healthz",
        "responses": {
          "200": {
            "description": "The process is alive.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          }
        }
      }
    },
    "/readyz": {
      "get": {
        "summary": "Readiness",
        "operationId": "readyz",
        "responses": {
          "200": {
            "description": "Models loaded and one warm-up inference passed.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          },
          "503": {
            "description": "Still warming up (code not_ready), or warm-up failed.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/metrics": {
      "get": {
        "summary": "Prometheus metrics",
        "operationId": "metrics",
        "responses": {
          "200": {
            "description": "Text exposition format 0.0.4.",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        }
      }
    },
    "/openapi.json": {
      "get": {
        "summary": "This document",
        "operationId": "openapi",
        "responses": {
          "200": {
            "description": "OpenAPI 3.1.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        }
      }
    }
  },
  "components": {
    "parameters": {
      "model": {
        "name": "model",
        "in": "query",
        "required": false,
        "description": "Model name (GET /models); the first loaded model by default.",
        "schema": {
          "type": "string",
          "minLength": 1
        }
      },
      "conf": {
        "name": "conf",
        "in": "query",
        "required": false,
        "description": "Minimum score. Default: the model's reference default.",
        "schema": {
          "type": "number",
          "minimum": 0,
          "maximum": 1
        }
      },
      "iou": {
        "name": "iou",
        "in": "query",
        "required": false,
        "description": "NMS IoU threshold. Default: the model's reference default.",
        "schema": {
          "type": "number",
          "minimum": 0,
          "maximum": 1
        }
      },
      "max_det": {
        "name": "max_det",
        "in": "query",
        "required": false,
        "description": "Most detections per image.",
        "schema": {
          "type": "integer",
          "minimum": 1,
          "maximum": 10000
        }
      },
      "classes": {
        "name": "classes",
        "in": "query",
        "required": false,
        "description": "Keep only these classes: comma-separated names or ids.",
        "schema": {
          "type": "string"
        }
      },
      "agnostic_nms": {
        "name": "agnostic_nms",
        "in": "query",
        "required": false,
        "description": "Class-agnostic NMS.",
        "schema": {
          "type": "boolean"
        }
      },
      "imgsz": {
        "name": "imgsz",
        "in": "query",
        "required": false,
        "description": "Network input size: YOLO's long side; a Faster R-CNN's short side (torchvision's min_size); a semantic model's short side (default 520, torchvision's preset).",
        "schema": {
          "type": "integer",
          "minimum": 32,
          "maximum": 4096
        }
      },
      "box_format": {
        "name": "box_format",
        "in": "query",
        "required": false,
        "description": "Box layout in the argus format.",
        "schema": {
          "type": "string",
          "enum": [
            "xyxy",
            "xywh",
            "cxcywh"
          ]
        }
      },
      "normalized": {
        "name": "normalized",
        "in": "query",
        "required": false,
        "description": "Boxes divided by the image width and height.",
        "schema": {
          "type": "boolean"
        }
      },
      "format": {
        "name": "format",
        "in": "query",
        "required": false,
        "description": "Result schema; coco writes COCO results (bbox xywh, category_id).",
        "schema": {
          "type": "string",
          "enum": [
            "argus",
            "coco"
          ]
        }
      },
      "render": {
        "name": "render",
        "in": "query",
        "required": false,
        "description": "Return the image with boxes and labels drawn instead of JSON (one image).",
        "schema": {
          "type": "string",
          "enum": [
            "png",
            "jpeg"
          ]
        }
      },
      "proposals": {
        "name": "proposals",
        "in": "query",
        "required": false,
        "description": "Fast R-CNN mode (Faster R-CNN models only): JSON [[x1, y1, x2, y2], ...] region proposals in original-image pixels (at most 10000), used instead of the RPN's for every image of the request. In a JSON body, give the array itself.",
        "schema": {
          "type": "string"
        }
      },
      "pooling": {
        "name": "pooling",
        "in": "query",
        "required": false,
        "description": "With proposals: crop RoI features by RoI Align (default) or RoI Pool (torchvision.ops semantics).",
        "schema": {
          "type": "string",
          "enum": [
            "align",
            "pool"
          ]
        }
      },
      "mask_format": {
        "name": "mask_format",
        "in": "query",
        "required": false,
        "description": "How masks are written: rle (COCO compressed RLE {size: [h, w], counts}, as pycocotools; the default for instances), polygon (parts with exterior and holes, pixel-edge coordinates), png (a 1-bit PNG of the mask's tight box with its x, y). Semantic classes and panoptic segments carry a mask only when this is given.",
        "schema": {
          "type": "string",
          "enum": [
            "rle",
            "polygon",
            "png"
          ]
        }
      },
      "semantic_model": {
        "name": "semantic_model",
        "in": "query",
        "required": false,
        "description": "Panoptic output: a semantic model merged with the instance model (model). Thing category ids are the instance model's COCO ids, stuff ids the semantic model's class indexes.",
        "schema": {
          "type": "string",
          "minLength": 1
        }
      },
      "scores": {
        "name": "scores",
        "in": "query",
        "required": false,
        "description": "Semantic models: per-class probability maps as 8-bit PNGs (value = round(255 p)).",
        "schema": {
          "type": "boolean"
        }
      },
      "overlap_threshold": {
        "name": "overlap_threshold",
        "in": "query",
        "required": false,
        "description": "Panoptic: drop an instance when this fraction of its pixels is already taken (default 0.5).",
        "schema": {
          "type": "number",
          "minimum": 0,
          "maximum": 1
        }
      },
      "min_stuff_area": {
        "name": "min_stuff_area",
        "in": "query",
        "required": false,
        "description": "Panoptic: smallest stuff region kept, in pixels (default 4096).",
        "schema": {
          "type": "integer",
          "minimum": 0,
          "maximum": 2147483647
        }
      }
    },
    "requestBodies": {
      "DetectRequest": {
        "required": true,
        "content": {
          "multipart/form-data": {
            "schema": {
              "type": "object",
              "required": [
                "image"
              ],
              "properties": {
                "image": {
                  "description": "One or more image files (repeat the field).",
                  "oneOf": [
                    {
                      "type": "string",
                      "contentMediaType": "application/octet-stream"
                    },
                    {
                      "type": "array",
                      "items": {
                        "type": "string",
                        "contentMediaType": "application/octet-stream"
                      },
                      "minItems": 1
                    }
                  ]
                },
                "model": {
                  "type": "string",
                  "minLength": 1,
                  "description": "Model name (GET /models); the first loaded model by default."
                },
                "conf": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1,
                  "description": "Minimum score. Default: the model's reference default."
                },
                "iou": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1,
                  "description": "NMS IoU threshold. Default: the model's reference default."
                },
                "max_det": {
                  "type": "integer",
                  "minimum": 1,
                  "maximum": 10000,
                  "description": "Most detections per image."
                },
                "classes": {
                  "type": "string",
                  "description": "Keep only these classes: comma-separated names or ids."
                },
                "agnostic_nms": {
                  "type": "boolean",
                  "description": "Class-agnostic NMS."
                },
                "imgsz": {
                  "type": "integer",
                  "minimum": 32,
                  "maximum": 4096,
                  "description": "Network input size: YOLO's long side; a Faster R-CNN's short side (torchvision's min_size); a semantic model's short side (default 520, torchvision's preset)."
                },
                "box_format": {
                  "type": "string",
                  "enum": [
                    "xyxy",
                    "xywh",
                    "cxcywh"
                  ],
                  "description": "Box layout in the argus format."
                },
                "normalized": {
                  "type": "boolean",
                  "description": "Boxes divided by the image width and height."
                },
                "format": {
                  "type": "string",
                  "enum": [
                    "argus",
                    "coco"
                  ],
                  "description": "Result schema; coco writes COCO results (bbox xywh, category_id)."
                },
                "render": {
                  "type": "string",
                  "enum": [
                    "png",
                    "jpeg"
                  ],
                  "description": "Return the image with boxes and labels drawn instead of JSON (one image)."
                },
                "proposals": {
                  "type": "string",
                  "description": "Fast R-CNN mode (Faster R-CNN models only): JSON [[x1, y1, x2, y2], ...] region proposals in original-image pixels (at most 10000), used instead of the RPN's for every image of the request. In a JSON body, give the array itself."
                },
                "pooling": {
                  "type": "string",
                  "enum": [
                    "align",
                    "pool"
                  ],
                  "description": "With proposals: crop RoI features by RoI Align (default) or RoI Pool (torchvision.ops semantics)."
                }
              }
            }
          },
          "image/jpeg": {
            "schema": {
              "type": "string",
              "contentMediaType": "image/jpeg"
            }
          },
          "image/png": {
            "schema": {
              "type": "string",
              "contentMediaType": "image/png"
            }
          },
          "application/octet-stream": {
            "schema": {
              "type": "string",
              "contentMediaType": "application/octet-stream"
            }
          },
          "application/json": {
            "schema": {
              "type": "object",
              "properties": {
                "image": {
                  "type": "string",
                  "description": "Base64 (or a data: URL) of one JPEG or PNG."
                },
                "images": {
                  "type": "array",
                  "items": {
                    "type": "string"
                  },
                  "minItems": 1,
                  "description": "Base64 of several images."
                },
                "model": {
                  "type": "string",
                  "minLength": 1,
                  "description": "Model name (GET /models); the first loaded model by default."
                },
                "conf": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1,
                  "description": "Minimum score. Default: the model's reference default."
                },
                "iou": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1,
                  "description": "NMS IoU threshold. Default: the model's reference default."
                },
                "max_det": {
                  "type": "integer",
                  "minimum": 1,
                  "maximum": 10000,
                  "description": "Most detections per image."
                },
                "agnostic_nms": {
                  "type": "boolean",
                  "description": "Class-agnostic NMS."
                },
                "imgsz": {
                  "type": "integer",
                  "minimum": 32,
                  "maximum": 4096,
                  "description": "Network input size: YOLO's long side; a Faster R-CNN's short side (torchvision's min_size); a semantic model's short side (default 520, torchvision's preset)."
                },
                "box_format": {
                  "type": "string",
                  "enum": [
                    "xyxy",
                    "xywh",
                    "cxcywh"
                  ],
                  "description": "Box layout in the argus format."
                },
                "normalized": {
                  "type": "boolean",
                  "description": "Boxes divided by the image width and height."
                },
                "format": {
                  "type": "string",
                  "enum": [
                    "argus",
                    "coco"
                  ],
                  "description": "Result schema; coco writes COCO results (bbox xywh, category_id)."
                },
                "render": {
                  "type": "string",
                  "enum": [
                    "png",
                    "jpeg"
                  ],
                  "description": "Return the image with boxes and labels drawn instead of JSON (one image)."
                },
                "pooling": {
                  "type": "string",
                  "enum": [
                    "align",
                    "pool"
                  ],
                  "description": "With proposals: crop RoI features by RoI Align (default) or RoI Pool (torchvision.ops semantics)."
                },
                "classes": {
                  "description": "Keep only these classes: comma-separated names or ids.",
                  "oneOf": [
                    {
                      "type": "string"
                    },
                    {
                      "type": "array",
                      "items": {
                        "type": [
                          "string",
                          "integer"
                        ]
                      }
                    }
                  ]
                },
                "proposals": {
                  "description": "Fast R-CNN mode (Faster R-CNN models only): JSON [[x1, y1, x2, y2], ...] region proposals in original-image pixels (at most 10000), used instead of the RPN's for every image of the request. In a JSON body, give the array itself.",
                  "type": "array",
                  "maxItems": 10000,
                  "items": {
                    "type": "array",
                    "items": {
                      "type": "number"
                    },
                    "minItems": 4,
                    "maxItems": 4
                  }
                }
              },
              "anyOf": [
                {
                  "required": [
                    "image"
                  ]
                },
                {
                  "required": [
                    "images"
                  ]
                }
              ]
            }
          }
        }
      },
      "SegmentRequest": {
        "required": true,
        "content": {
          "multipart/form-data": {
            "schema": {
              "type": "object",
              "required": [
                "image"
              ],
              "properties": {
                "image": {
                  "description": "One or more image files (repeat the field).",
                  "oneOf": [
                    {
                      "type": "string",
                      "contentMediaType": "application/octet-stream"
                    },
                    {
                      "type": "array",
                      "items": {
                        "type": "string",
                        "contentMediaType": "application/octet-stream"
                      },
                      "minItems": 1
                    }
                  ]
                },
                "model": {
                  "type": "string",
                  "minLength": 1,
                  "description": "Model name (GET /models); the first loaded model by default."
                },
                "conf": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1,
                  "description": "Minimum score. Default: the model's reference default."
                },
                "iou": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1,
                  "description": "NMS IoU threshold. Default: the model's reference default."
                },
                "max_det": {
                  "type": "integer",
                  "minimum": 1,
                  "maximum": 10000,
                  "description": "Most detections per image."
                },
                "classes": {
                  "type": "string",
                  "description": "Keep only these classes: comma-separated names or ids."
                },
                "agnostic_nms": {
                  "type": "boolean",
                  "description": "Class-agnostic NMS."
                },
                "imgsz": {
                  "type": "integer",
                  "minimum": 32,
                  "maximum": 4096,
                  "description": "Network input size: YOLO's long side; a Faster R-CNN's short side (torchvision's min_size); a semantic model's short side (default 520, torchvision's preset)."
                },
                "box_format": {
                  "type": "string",
                  "enum": [
                    "xyxy",
                    "xywh",
                    "cxcywh"
                  ],
                  "description": "Box layout in the argus format."
                },
                "normalized": {
                  "type": "boolean",
                  "description": "Boxes divided by the image width and height."
                },
                "format": {
                  "type": "string",
                  "enum": [
                    "argus",
                    "coco"
                  ],
                  "description": "Result schema; coco writes COCO results (bbox xywh, category_id)."
                },
                "render": {
                  "type": "string",
                  "enum": [
                    "png",
                    "jpeg"
                  ],
                  "description": "Return the image with boxes and labels drawn instead of JSON (one image)."
                },
                "proposals": {
                  "type": "string",
                  "description": "Fast R-CNN mode (Faster R-CNN models only): JSON [[x1, y1, x2, y2], ...] region proposals in original-image pixels (at most 10000), used instead of the RPN's for every image of the request. In a JSON body, give the array itself."
                },
                "pooling": {
                  "type": "string",
                  "enum": [
                    "align",
                    "pool"
                  ],
                  "description": "With proposals: crop RoI features by RoI Align (default) or RoI Pool (torchvision.ops semantics)."
                },
                "mask_format": {
                  "type": "string",
                  "enum": [
                    "rle",
                    "polygon",
                    "png"
                  ],
                  "description": "How masks are written: rle (COCO compressed RLE {size: [h, w], counts}, as pycocotools; the default for instances), polygon (parts with exterior and holes, pixel-edge coordinates), png (a 1-bit PNG of the mask's tight box with its x, y). Semantic classes and panoptic segments carry a mask only when this is given."
                },
                "semantic_model": {
                  "type": "string",
                  "minLength": 1,
                  "description": "Panoptic output: a semantic model merged with the instance model (model). Thing category ids are the instance model's COCO ids, stuff ids the semantic model's class indexes."
                },
                "scores": {
                  "type": "boolean",
                  "description": "Semantic models: per-class probability maps as 8-bit PNGs (value = round(255 p))."
                },
                "overlap_threshold": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1,
                  "description": "Panoptic: drop an instance when this fraction of its pixels is already taken (default 0.5)."
                },
                "min_stuff_area": {
                  "type": "integer",
                  "minimum": 0,
                  "maximum": 2147483647,
                  "description": "Panoptic: smallest stuff region kept, in pixels (default 4096)."
                }
              }
            }
          },
          "image/jpeg": {
            "schema": {
              "type": "string",
              "contentMediaType": "image/jpeg"
            }
          },
          "image/png": {
            "schema": {
              "type": "string",
              "contentMediaType": "image/png"
            }
          },
          "application/octet-stream": {
            "schema": {
              "type": "string",
              "contentMediaType": "application/octet-stream"
            }
          },
          "application/json": {
            "schema": {
              "type": "object",
              "properties": {
                "image": {
                  "type": "string",
                  "description": "Base64 (or a data: URL) of one JPEG or PNG."
                },
                "images": {
                  "type": "array",
                  "items": {
                    "type": "string"
                  },
                  "minItems": 1,
                  "description": "Base64 of several images."
                },
                "model": {
                  "type": "string",
                  "minLength": 1,
                  "description": "Model name (GET /models); the first loaded model by default."
                },
                "conf": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1,
                  "description": "Minimum score. Default: the model's reference default."
                },
                "iou": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1,
                  "description": "NMS IoU threshold. Default: the model's reference default."
                },
                "max_det": {
                  "type": "integer",
                  "minimum": 1,
                  "maximum": 10000,
                  "description": "Most detections per image."
                },
                "agnostic_nms": {
                  "type": "boolean",
                  "description": "Class-agnostic NMS."
                },
                "imgsz": {
                  "type": "integer",
                  "minimum": 32,
                  "maximum": 4096,
                  "description": "Network input size: YOLO's long side; a Faster R-CNN's short side (torchvision's min_size); a semantic model's short side (default 520, torchvision's preset)."
                },
                "box_format": {
                  "type": "string",
                  "enum": [
                    "xyxy",
                    "xywh",
                    "cxcywh"
                  ],
                  "description": "Box layout in the argus format."
                },
                "normalized": {
                  "type": "boolean",
                  "description": "Boxes divided by the image width and height."
                },
                "format": {
                  "type": "string",
                  "enum": [
                    "argus",
                    "coco"
                  ],
                  "description": "Result schema; coco writes COCO results (bbox xywh, category_id)."
                },
                "render": {
                  "type": "string",
                  "enum": [
                    "png",
                    "jpeg"
                  ],
                  "description": "Return the image with boxes and labels drawn instead of JSON (one image)."
                },
                "pooling": {
                  "type": "string",
                  "enum": [
                    "align",
                    "pool"
                  ],
                  "description": "With proposals: crop RoI features by RoI Align (default) or RoI Pool (torchvision.ops semantics)."
                },
                "mask_format": {
                  "type": "string",
                  "enum": [
                    "rle",
                    "polygon",
                    "png"
                  ],
                  "description": "How masks are written: rle (COCO compressed RLE {size: [h, w], counts}, as pycocotools; the default for instances), polygon (parts with exterior and holes, pixel-edge coordinates), png (a 1-bit PNG of the mask's tight box with its x, y). Semantic classes and panoptic segments carry a mask only when this is given."
                },
                "semantic_model": {
                  "type": "string",
                  "minLength": 1,
                  "description": "Panoptic output: a semantic model merged with the instance model (model). Thing category ids are the instance model's COCO ids, stuff ids the semantic model's class indexes."
                },
                "scores": {
                  "type": "boolean",
                  "description": "Semantic models: per-class probability maps as 8-bit PNGs (value = round(255 p))."
                },
                "overlap_threshold": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1,
                  "description": "Panoptic: drop an instance when this fraction of its pixels is already taken (default 0.5)."
                },
                "min_stuff_area": {
                  "type": "integer",
                  "minimum": 0,
                  "maximum": 2147483647,
                  "description": "Panoptic: smallest stuff region kept, in pixels (default 4096)."
                },
                "classes": {
                  "description": "Keep only these classes: comma-separated names or ids.",
                  "oneOf": [
                    {
                      "type": "string"
                    },
                    {
                      "type": "array",
                      "items": {
                        "type": [
                          "string",
                          "integer"
                        ]
                      }
                    }
                  ]
                },
                "proposals": {
                  "description": "Fast R-CNN mode (Faster R-CNN models only): JSON [[x1, y1, x2, y2], ...] region proposals in original-image pixels (at most 10000), used instead of the RPN's for every image of the request. In a JSON body, give the array itself.",
                  "type": "array",
                  "maxItems": 10000,
                  "items": {
                    "type": "array",
                    "items": {
                      "type": "number"
                    },
                    "minItems": 4,
                    "maxItems": 4
                  }
                }
              },
              "anyOf": [
                {
                  "required": [
                    "image"
                  ]
                },
                {
                  "required": [
                    "images"
                  ]
                }
              ]
            }
          }
        }
      }
    },
    "responses": {
      "DetectResult": {
        "description": "Detections per image (or the rendered image with render=png|jpeg).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/DetectResponse"
            }
          },
          "image/png": {
            "schema": {
              "type": "string",
              "contentMediaType": "image/png"
            }
          },
          "image/jpeg": {
            "schema": {
              "type": "string",
              "contentMediaType": "image/jpeg"
            }
          }
        }
      }
    },
    "schemas": {
      "RLEMask": {
        "type": "object",
        "required": [
          "size",
          "counts"
        ],
        "properties": {
          "size": {
            "type": "array",
            "items": {
              "type": "integer"
            },
            "minItems": 2,
            "maxItems": 2,
            "description": "[height, width]"
          },
          "counts": {
            "type": "string",
            "description": "pycocotools' compressed column-major run lengths."
          }
        }
      },
      "PolygonPart": {
        "type": "object",
        "required": [
          "exterior",
          "holes"
        ],
        "properties": {
          "exterior": {
            "type": "array",
            "items": {
              "type": "number"
            },
            "description": "Flat [x0, y0, x1, y1, ...], pixel-edge coordinates (pixel x covers [x, x+1])."
          },
          "holes": {
            "type": "array",
            "items": {
              "type": "array",
              "items": {
                "type": "number"
              },
              "description": "Flat [x0, y0, x1, y1, ...], pixel-edge coordinates (pixel x covers [x, x+1])."
            }
          }
        }
      },
      "PNGMask": {
        "type": "object",
        "required": [
          "x",
          "y",
          "width",
          "height",
          "png"
        ],
        "properties": {
          "x": {
            "type": "integer"
          },
          "y": {
            "type": "integer"
          },
          "width": {
            "type": "integer"
          },
          "height": {
            "type": "integer"
          },
          "png": {
            "type": [
              "string",
              "null"
            ],
            "description": "Base64 1-bit PNG of the mask's tight box (white = mask); null for an empty mask."
          }
        }
      },
      "Mask": {
        "oneOf": [
          {
            "$ref": "#/components/schemas/RLEMask"
          },
          {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/PolygonPart"
            }
          },
          {
            "$ref": "#/components/schemas/PNGMask"
          },
          {
            "type": "null"
          }
        ]
      },
      "InstanceDetection": {
        "type": "object",
        "required": [
          "box",
          "score",
          "class_id",
          "label",
          "area",
          "mask"
        ],
        "properties": {
          "box": {
            "type": "array",
            "items": {
              "type": "number"
            },
            "minItems": 4,
            "maxItems": 4
          },
          "score": {
            "type": "number"
          },
          "class_id": {
            "type": "integer"
          },
          "label": {
            "type": "string"
          },
          "area": {
            "type": [
              "integer",
              "null"
            ],
            "description": "Mask pixels."
          },
          "mask": {
            "$ref": "#/components/schemas/Mask"
          }
        }
      },
      "COCOSegmentResult": {
        "type": "object",
        "required": [
          "image_id",
          "category_id",
          "segmentation"
        ],
        "properties": {
          "image_id": {
            "type": "integer"
          },
          "category_id": {
            "type": "integer"
          },
          "bbox": {
            "type": "array",
            "items": {
              "type": "number"
            }
          },
          "score": {
            "type": "number"
          },
          "segmentation": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/RLEMask"
              },
              {
                "type": "null"
              }
            ]
          }
        }
      },
      "SemanticClass": {
        "type": "object",
        "required": [
          "class_id",
          "label",
          "pixels"
        ],
        "properties": {
          "class_id": {
            "type": "integer"
          },
          "label": {
            "type": "string"
          },
          "pixels": {
            "type": "integer"
          },
          "mask": {
            "$ref": "#/components/schemas/Mask"
          }
        }
      },
      "ScoreMap": {
        "type": "object",
        "required": [
          "class_id",
          "label",
          "png"
        ],
        "properties": {
          "class_id": {
            "type": "integer"
          },
          "label": {
            "type": "string"
          },
          "png": {
            "type": "string",
            "description": "Base64 8-bit gray PNG, round(255 p)."
          }
        }
      },
      "PanopticSegment": {
        "type": "object",
        "required": [
          "id",
          "category_id",
          "isthing",
          "area",
          "bbox",
          "label"
        ],
        "properties": {
          "id": {
            "type": "integer"
          },
          "category_id": {
            "type": "integer"
          },
          "isthing": {
            "type": "boolean"
          },
          "area": {
            "type": "integer"
          },
          "bbox": {
            "type": "array",
            "items": {
              "type": "number"
            },
            "minItems": 4,
            "maxItems": 4
          },
          "label": {
            "type": "string"
          },
          "score": {
            "type": "number"
          },
          "mask": {
            "$ref": "#/components/schemas/Mask"
          }
        }
      },
      "SegmentImage": {
        "type": "object",
        "required": [
          "width",
          "height",
          "orientation_applied"
        ],
        "properties": {
          "width": {
            "type": "integer"
          },
          "height": {
            "type": "integer"
          },
          "orientation_applied": {
            "type": "integer",
            "minimum": 1,
            "maximum": 8
          },
          "detections": {
            "type": "array",
            "description": "Instance output.",
            "items": {
              "oneOf": [
                {
                  "$ref": "#/components/schemas/InstanceDetection"
                },
                {
                  "$ref": "#/components/schemas/COCOSegmentResult"
                }
              ]
            }
          },
          "label_map": {
            "type": "string",
            "description": "Semantic output: base64 indexed PNG, pixel value = class index, VOC palette."
          },
          "classes": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/SemanticClass"
            }
          },
          "scores": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/ScoreMap"
            }
          },
          "results": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/COCOSegmentResult"
            },
            "description": "Semantic output with format=coco: one entry per class present."
          },
          "panoptic": {
            "type": "string",
            "description": "Panoptic output: base64 RGB PNG, id = R + 256 G + 256^2 B."
          },
          "segments_info": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/PanopticSegment"
            }
          }
        }
      },
      "SegmentResponse": {
        "type": "object",
        "required": [
          "model",
          "task",
          "images",
          "timing_ms"
        ],
        "properties": {
          "model": {
            "type": "string"
          },
          "semantic_model": {
            "type": "string"
          },
          "task": {
            "type": "string",
            "enum": [
              "instance",
              "semantic",
              "panoptic"
            ]
          },
          "images": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/SegmentImage"
            }
          },
          "timing_ms": {
            "type": "object",
            "required": [
              "decode",
              "preprocess",
              "inference",
              "postprocess",
              "total"
            ],
            "properties": {
              "decode": {
                "type": "number"
              },
              "preprocess": {
                "type": "number"
              },
              "inference": {
                "type": "number"
              },
              "postprocess": {
                "type": "number"
              },
              "total": {
                "type": "number"
              }
            }
          }
        }
      },
      "Error": {
        "type": "object",
        "required": [
          "error"
        ],
        "properties": {
          "error": {
            "type": "object",
            "required": [
              "code",
              "message"
            ],
            "properties": {
              "code": {
                "type": "string"
              },
              "message": {
                "type": "string"
              }
            }
          }
        }
      },
      "Status": {
        "type": "object",
        "required": [
          "status"
        ],
        "properties": {
          "status": {
            "type": "string"
          }
        }
      },
      "Detection": {
        "type": "object",
        "required": [
          "box",
          "score",
          "class_id",
          "label"
        ],
        "properties": {
          "box": {
            "type": "array",
            "items": {
              "type": "number"
            },
            "minItems": 4,
            "maxItems": 4,
            "description": "In box_format order, in pixels of the oriented image unless normalized."
          },
          "score": {
            "type": "number"
          },
          "class_id": {
            "type": "integer"
          },
          "label": {
            "type": "string"
          }
        }
      },
      "COCOResult": {
        "type": "object",
        "required": [
          "image_id",
          "category_id",
          "bbox",
          "score"
        ],
        "properties": {
          "image_id": {
            "type": "integer",
            "description": "Index of the image in the request."
          },
          "category_id": {
            "type": "integer",
            "description": "COCO category id (1..90) for COCO-80 models, else the class id."
          },
          "bbox": {
            "type": "array",
            "items": {
              "type": "number"
            },
            "minItems": 4,
            "maxItems": 4
          },
          "score": {
            "type": "number"
          }
        }
      },
      "ImageResult": {
        "type": "object",
        "required": [
          "width",
          "height",
          "orientation_applied",
          "detections"
        ],
        "properties": {
          "width": {
            "type": "integer"
          },
          "height": {
            "type": "integer"
          },
          "orientation_applied": {
            "type": "integer",
            "minimum": 1,
            "maximum": 8,
            "description": "EXIF orientation applied (1: none)."
          },
          "detections": {
            "type": "array",
            "items": {
              "oneOf": [
                {
                  "$ref": "#/components/schemas/Detection"
                },
                {
                  "$ref": "#/components/schemas/COCOResult"
                }
              ]
            }
          }
        }
      },
      "DetectResponse": {
        "type": "object",
        "required": [
          "model",
          "images",
          "timing_ms"
        ],
        "properties": {
          "model": {
            "type": "string"
          },
          "images": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/ImageResult"
            }
          },
          "timing_ms": {
            "type": "object",
            "required": [
              "decode",
              "preprocess",
              "inference",
              "postprocess",
              "total"
            ],
            "properties": {
              "decode": {
                "type": "number"
              },
              "preprocess": {
                "type": "number"
              },
              "inference": {
                "type": "number"
              },
              "postprocess": {
                "type": "number"
              },
              "total": {
                "type": "number"
              }
            }
          }
        }
      },
      "DeepStackPrediction": {
        "type": "object",
        "required": [
          "label",
          "confidence",
          "x_min",
          "y_min",
          "x_max",
          "y_max"
        ],
        "properties": {
          "label": {
            "type": "string"
          },
          "confidence": {
            "type": "number"
          },
          "x_min": {
            "type": "integer"
          },
          "y_min": {
            "type": "integer"
          },
          "x_max": {
            "type": "integer"
          },
          "y_max": {
            "type": "integer"
          }
        }
      },
      "DeepStackResponse": {
        "type": "object",
        "required": [
          "success",
          "predictions"
        ],
        "properties": {
          "success": {
            "const": true
          },
          "predictions": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/DeepStackPrediction"
            }
          },
          "inferenceMs": {
            "type": "integer"
          },
          "processMs": {
            "type": "integer"
          },
          "moduleId": {
            "type": "string"
          },
          "model": {
            "type": "string"
          }
        }
      },
      "DeepStackError": {
        "type": "object",
        "required": [
          "success",
          "error"
        ],
        "properties": {
          "success": {
            "const": false
          },
          "error": {
            "type": "string"
          },
          "code": {
            "type": "integer"
          }
        }
      },
      "EvaluateRequest": {
        "type": "object",
        "required": [
          "ground_truth",
          "results"
        ],
        "properties": {
          "ground_truth": {
            "type": "object",
            "description": "A COCO annotations document (images, annotations, categories)."
          },
          "results": {
            "type": "array",
            "items": {
              "type": "object"
            },
            "description": "COCO results ({image_id, category_id, score, bbox and/or segmentation}), e.g. /detect?format=coco output with image ids mapped."
          },
          "params": {
            "type": "object",
            "description": "pycocotools params: iouThrs, recThrs, maxDets, areaRng, areaRngLbl, useCats, imgIds, catIds."
          },
          "iou_type": {
            "type": "string",
            "enum": [
              "bbox",
              "segm"
            ],
            "default": "bbox"
          },
          "policy": {
            "type": "string",
            "enum": [
              "strict",
              "pycocotools"
            ],
            "default": "strict"
          },
          "voc": {
            "type": "boolean"
          },
          "curves": {
            "type": "boolean"
          }
        }
      },
      "EvaluateResponse": {
        "type": "object",
        "required": [
          "stats",
          "per_category_ap",
          "ap50_per_category"
        ],
        "properties": {
          "stats": {
            "type": "array",
            "items": {
              "type": "number"
            },
            "minItems": 12,
            "maxItems": 12,
            "description": "COCOeval.stats: AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl (-1: nothing to average)."
          },
          "stats_named": {
            "type": "object"
          },
          "per_category_ap": {
            "type": "object"
          },
          "ap50_per_category": {
            "type": "object"
          },
          "voc": {
            "type": "object"
          },
          "iou_type": {
            "type": "string"
          },
          "warnings": {
            "type": "array",
            "items": {
              "type": "object"
            }
          },
          "curves": {
            "type": "object"
          },
          "inference": {
            "type": "object",
            "description": "With images: {model, images, detections, warnings} of the model run."
          }
        }
      },
      "ModelList": {
        "type": "object",
        "required": [
          "models"
        ],
        "properties": {
          "models": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "name",
                "family",
                "task",
                "default",
                "classes",
                "input_size",
                "stride",
                "defaults"
              ],
              "properties": {
                "name": {
                  "type": "string"
                },
                "family": {
                  "type": "string"
                },
                "task": {
                  "type": "string",
                  "enum": [
                    "detect",
                    "segment",
                    "semantic"
                  ]
                },
                "default": {
                  "type": "boolean"
                },
                "classes": {
                  "type": "array",
                  "items": {
                    "type": "string"
                  }
                },
                "input_size": {
                  "type": "integer"
                },
                "stride": {
                  "type": "integer"
                },
                "defaults": {
                  "type": "object",
                  "description": "conf, iou and max_det are absent for semantic models",
                  "required": [
                    "imgsz"
                  ],
                  "properties": {
                    "conf": {
                      "type": "number"
                    },
                    "iou": {
                      "type": "number"
                    },
                    "max_det": {
                      "type": "integer"
                    },
                    "imgsz": {
                      "type": "integer"
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}
"""#
}
