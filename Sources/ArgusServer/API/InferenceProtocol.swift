import ArgusDetection
import ArgusJSON
import ArgusModels
import ArgusPipeline

/// The Open Inference Protocol (KServe v2, Triton's HTTP/REST API, with Triton's binary tensor data extension) for
/// the served detectors. A detector takes one input, `image`: BYTES of shape [N], each element an encoded JPEG or
/// PNG. It answers five outputs over the N images' detections together: `boxes` FP32 [D, 4] (x1, y1, x2, y2 in
/// pixels, as /detect), `scores` FP32 [D], `classes` INT32 [D], `labels` BYTES [D] and `image_index` INT32 [D] (which
/// input image each detection belongs to, in order).
enum InferenceProtocol {
    static func serves(_ path: String) -> Bool { path == "/v2" || path.hasPrefix("/v2/") }

    /// The protocol's error shape: `{"error": "message"}`, with the real status.
    static func errorResponse(_ error: APIError) -> HTTPResponse {
        .json(error.status, .object([("error", .string(error.message))]), headers: error.headers)
    }

    static let inputName = "image"
    /// The outputs in their default order, with their datatypes.
    static let outputs: [(name: String, datatype: String)] = [
        ("boxes", "FP32"), ("scores", "FP32"), ("classes", "INT32"), ("labels", "BYTES"), ("image_index", "INT32"),
    ]
    /// The only version each model has; a versioned URL must name it.
    static let version = "1"
    /// Request parameters read as /detect's (the others the protocol defines are refused by name).
    static let detectParameterNames: Set<String> = ["conf", "iou", "max_det", "classes", "agnostic_nms", "imgsz", "allow_truncated", "timeout"]

    /// Model metadata: the tensors a detector takes and gives.
    static func metadata(_ info: ModelInfo) -> JSONValue {
        func tensor(_ name: String, _ datatype: String, _ shape: [Int]) -> JSONValue {
            .object([("name", .string(name)), ("datatype", .string(datatype)), ("shape", .array(shape.map { .number(Double($0)) }))])
        }
        return .object([
            ("name", .string(info.name)),
            ("versions", .array([.string(version)])),
            ("platform", .string("argus_\(info.family.rawValue)")),
            ("inputs", .array([tensor(inputName, "BYTES", [-1])])),
            ("outputs", .array(outputs.map { tensor($0.name, $0.datatype, $0.name == "boxes" ? [-1, 4] : [-1]) })),
        ])
    }
}

/// An inference request: the images, the detection parameters and the outputs asked for.
struct InferenceRequest {
    var id: JSONValue?
    var images: [[UInt8]] = []
    /// The request's `parameters`, as /detect reads them.
    var parameters: DetectParameters
    /// The same as given (`timeout` is read from them).
    var rawParameters = Parameters()
    /// The outputs to answer, in order, each as binary data or JSON.
    var outputs: [(name: String, binary: Bool)] = []

    /// Parses the JSON header and, after `Inference-Header-Content-Length` bytes, the binary tensor data.
    init(_ request: HTTPRequest, maxImages: Int) throws {
        let body = request.body
        var headerLength = body.count
        if let text = request.header("inference-header-content-length") {
            guard let n = Int(text.trimmingSpaces()), (0...body.count).contains(n) else {
                throw APIError.badRequest("Inference-Header-Content-Length '\(text)' is not a length within the \(body.count)-byte body")
            }
            headerLength = n
        }
        if body.isEmpty { throw APIError.badRequest("the request body is empty; send an inference request (JSON)") }
        let document: JSONValue
        do { document = try JSONParser.parse(Array(body[..<headerLength])) } catch let error as JSONParseError {
            throw APIError.badRequest("invalid JSON: \(error.description)")
        }
        guard case .object(let members) = document else { throw APIError.badRequest("the inference request must be a JSON object") }
        for (name, _) in members where !["id", "inputs", "outputs", "parameters"].contains(name) {
            throw APIError.badRequest("unknown member '\(name)' in the inference request")
        }
        id = document["id"]
        if let id, id.stringValue == nil { throw APIError.badRequest("'id' must be a string") }

        var binaryOutput = false
        var given = Parameters()
        if let parameters = document["parameters"] {
            guard case .object(let pairs) = parameters else { throw APIError.badRequest("'parameters' must be an object") }
            if let flag = parameters["binary_data_output"] {
                guard case .bool(let b) = flag else { throw APIError.invalidParameter("binary_data_output must be true or false") }
                binaryOutput = b
            }
            let detect = pairs.filter { $0.0 != "binary_data_output" }
            if let unknown = detect.first(where: { !InferenceProtocol.detectParameterNames.contains($0.0) }) {
                throw APIError.invalidParameter("unknown parameter '\(unknown.0)'; known: "
                    + (InferenceProtocol.detectParameterNames.sorted() + ["binary_data_output"]).joined(separator: ", "))
            }
            try given.merge(jsonMembers: detect, skipping: [])
        }
        parameters = try DetectParameters(given, allowed: InferenceProtocol.detectParameterNames)
        rawParameters = given
        _ = try ArgusService.clientTimeout(request, given)

        guard let inputs = document["inputs"]?.arrayValue else { throw APIError.badRequest("'inputs' must be an array of tensors") }
        guard inputs.count == 1, inputs[0]["name"]?.stringValue == InferenceProtocol.inputName else {
            let names = inputs.compactMap { $0["name"]?.stringValue }.joined(separator: ", ")
            throw APIError.badRequest("a detector takes one input, '\(InferenceProtocol.inputName)' (BYTES, the encoded images); got [\(names)]")
        }
        let count = try Self.elementCount(of: inputs[0])

        if let requested = document["outputs"] {
            guard let list = requested.arrayValue else { throw APIError.badRequest("'outputs' must be an array") }
            for item in list {
                guard let name = item["name"]?.stringValue else { throw APIError.badRequest("every requested output needs a 'name'") }
                if let parameters = item["parameters"], !parameters.isObject {
                    throw APIError.badRequest("the parameters of output '\(name)' must be an object")
                }
                guard InferenceProtocol.outputs.contains(where: { $0.name == name }) else {
                    throw APIError.badRequest("unknown output '\(name)'; outputs: \(InferenceProtocol.outputs.map(\.name).joined(separator: ", "))")
                }
                guard !outputs.contains(where: { $0.name == name }) else { throw APIError.badRequest("output '\(name)' is requested twice") }
                var binary = binaryOutput
                if let flag = item["parameters"]?["binary_data"] {
                    guard case .bool(let b) = flag else { throw APIError.badRequest("binary_data of output '\(name)' must be true or false") }
                    binary = b
                }
                outputs.append((name, binary))
            }
        } else {
            outputs = InferenceProtocol.outputs.map { ($0.name, binaryOutput) }
        }

        // The limit after every structural check, so a malformed request is a 400 whatever its size.
        guard count <= maxImages else {
            throw APIError(status: 413, code: "too_many_images", "input 'image' has \(count) elements, over the limit of \(maxImages) images")
        }
        var binary = body[headerLength...]
        images = try Self.images(from: inputs[0], count: count, binary: &binary)
        if !binary.isEmpty {
            throw APIError.badRequest("\(binary.count) bytes of binary data after the tensors the inputs declare")
        }
    }

    /// The number of elements the `image` tensor declares (its datatype and shape checked).
    private static func elementCount(of input: JSONValue) throws -> Int {
        if let parameters = input["parameters"], !parameters.isObject {
            throw APIError.badRequest("the parameters of input 'image' must be an object")
        }
        guard input["datatype"]?.stringValue == "BYTES" else {
            throw APIError.badRequest("input 'image' must have datatype BYTES (encoded JPEG or PNG), got \(input["datatype"]?.serialized() ?? "none")")
        }
        guard let shape = input["shape"]?.arrayValue?.map({ $0.exactInt }), !shape.isEmpty, shape.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw APIError.badRequest("input 'image' needs a shape of positive integers (one image or more), e.g. [1]")
        }
        if let data = input["data"] {
            guard data.arrayValue != nil, flattened(data).allSatisfy({ $0.stringValue != nil }) else {
                throw APIError.badRequest("input 'image' as JSON data must be an array of base64 strings (or send it as binary data)")
            }
        }
        if let size = input["parameters"]?["binary_data_size"] {
            guard let n = size.exactInt, n >= 0 else { throw APIError.badRequest("binary_data_size of input 'image' must be a byte count") }
            // The binary extension: a tensor's data is either in the JSON or after it, never both.
            guard input["data"] == nil else {
                throw APIError.badRequest("input 'image' has both data and binary_data_size; send the images one way")
            }
        } else if input["data"] == nil {
            throw APIError.badRequest("input 'image' has neither data nor binary_data_size")
        }
        // Saturates: any count past the image limit is refused alike.
        return shape.compactMap { $0 }.reduce(1) { count, d in
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            return overflow ? Int.max : product
        }
    }

    /// The encoded images of the `image` tensor: binary (4-byte little-endian length, then the bytes, per element)
    /// when it declares `binary_data_size`, else `data` as base64 strings (JSON cannot hold raw bytes).
    private static func images(from input: JSONValue, count: Int, binary: inout ArraySlice<UInt8>) throws -> [[UInt8]] {
        var images: [[UInt8]] = []
        if let size = input["parameters"]?["binary_data_size"] {
            guard let n = size.exactInt, n <= binary.count else {
                throw APIError.badRequest("binary_data_size of input 'image' is not a length within the \(binary.count) bytes of binary data")
            }
            var data = binary.prefix(n)
            binary = binary.dropFirst(n)
            while !data.isEmpty {
                guard images.count < count else {
                    throw APIError.badRequest("input 'image' has more elements in its binary data than its \(count)-element shape")
                }
                guard data.count >= 4 else { throw APIError.badRequest("a BYTES element of input 'image' is cut inside its 4-byte length") }
                let length = data.prefix(4).reversed().reduce(0) { $0 << 8 | Int($1) }
                data = data.dropFirst(4)
                guard length <= data.count else { throw APIError.badRequest("a BYTES element of input 'image' declares \(length) bytes; \(data.count) remain") }
                images.append(Array(data.prefix(length)))
                data = data.dropFirst(length)
            }
        } else if let data = input["data"] {
            for item in flattened(data) {
                guard let bytes = Base64.decodeImage(item.stringValue ?? "") else { throw APIError.badRequest("image \(images.count) is not valid base64") }
                images.append(bytes)
            }
        }
        guard images.count == count else {
            throw APIError.badRequest("input 'image' has shape \(input["shape"]!.serialized()) (\(count) elements) but \(images.count) elements")
        }
        if let empty = images.firstIndex(where: \.isEmpty) { throw APIError.badRequest("image \(empty) is empty") }
        return images
    }

    /// The elements of a (possibly nested, row-major) JSON data array.
    private static func flattened(_ value: JSONValue) -> [JSONValue] {
        guard let items = value.arrayValue else { return [value] }
        return items.flatMap(flattened)
    }
}

/// The answer: the requested outputs over every image's detections, JSON or binary as asked.
struct InferenceResponse {
    let body: [UInt8]
    let headerLength: Int?

    init(model: ModelInfo, id: JSONValue?, outputs: [(name: String, binary: Bool)], results: [(detections: [Detection], index: Int)]) {
        let detections = results.flatMap { result in result.detections.map { (d: $0, image: result.index) } }
        var json: [JSONValue] = []
        var tail: [UInt8] = []
        for (name, asBinary) in outputs {
            let datatype = InferenceProtocol.outputs.first { $0.name == name }!.datatype
            let shape = name == "boxes" ? [detections.count, 4] : [detections.count]
            var entry: [(String, JSONValue)] = [("name", .string(name)), ("datatype", .string(datatype)),
                                                ("shape", .array(shape.map { .number(Double($0)) }))]
            var floats: [Float] = [], ints: [Int32] = [], strings: [String] = []
            switch name {
            case "boxes": floats = detections.flatMap { [$0.d.box.x1, $0.d.box.y1, $0.d.box.x2, $0.d.box.y2] }
            case "scores": floats = detections.map(\.d.score)
            case "classes": ints = detections.map { Int32($0.d.classId) }
            case "labels": strings = detections.map(\.d.label)
            default: ints = detections.map { Int32($0.image) }
            }
            if asBinary {
                let start = tail.count
                switch datatype {
                case "FP32": for f in floats { Self.append(f.bitPattern, to: &tail) }
                case "INT32": for i in ints { Self.append(UInt32(bitPattern: i), to: &tail) }
                default: for s in strings { Self.append(UInt32(s.utf8.count), to: &tail); tail += Array(s.utf8) }
                }
                entry.append(("parameters", .object([("binary_data_size", .number(Double(tail.count - start)))])))
            } else {
                let data: [JSONValue]
                switch datatype {
                case "FP32": data = floats.map { .float($0) }
                case "INT32": data = ints.map { .number(Double($0)) }
                default: data = strings.map { .string($0) }
                }
                entry.append(("data", .array(data)))
            }
            json.append(.object(entry))
        }
        var top: [(String, JSONValue)] = [("model_name", .string(model.name)), ("model_version", .string(InferenceProtocol.version))]
        if let id { top.append(("id", id)) }
        top.append(("outputs", .array(json)))
        let header = Array(JSONValue.object(top).serialized().utf8)
        body = header + tail
        headerLength = outputs.contains { $0.binary } ? header.count : nil
    }

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    var http: HTTPResponse {
        guard let headerLength else { return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: body) }
        return HTTPResponse(status: 200, headers: [("Content-Type", "application/octet-stream"),
                                                   ("Inference-Header-Content-Length", String(headerLength))], body: body)
    }
}

extension ArgusService {
    /// The model a /v2/models/{model}[/versions/{version}] path names: a served detector, at version 1.
    private func inferenceModel(_ request: HTTPRequest) throws -> any Detector {
        let name = request.pathSegment(3)
        if request.pathSegment(4) == "versions", request.pathSegment(5) != InferenceProtocol.version {
            throw APIError.notFound("model '\(name)' has only version \(InferenceProtocol.version)")
        }
        guard let model = registry.model(named: name) else {
            throw APIError.modelNotFound(name, available: registry.names)
        }
        guard let detector = model.detector else {
            throw APIError.notFound("model '\(name)' labels pixels and is served by POST /segment only; the inference protocol serves the detectors")
        }
        return detector
    }

    /// GET /v2: server metadata.
    func inferenceServerMetadata() -> HTTPResponse {
        .json(200, .object([("name", .string("argus")), ("version", .string(OpenAPIDocument.version)),
                            ("extensions", .array([.string("binary_tensor_data")]))]))
    }

    /// GET /v2/health/live and /v2/health/ready.
    func inferenceHealth(ready: Bool) -> HTTPResponse {
        let ok = !ready || self.ready
        return .json(ok ? 200 : 503, .object([(ready ? "ready" : "live", .bool(ok))]))
    }

    /// GET /v2/models/{model}.
    func inferenceModelMetadata(_ request: HTTPRequest) throws -> HTTPResponse {
        .json(200, InferenceProtocol.metadata(try inferenceModel(request).info))
    }

    /// GET /v2/models/{model}/ready.
    func inferenceModelReady(_ request: HTTPRequest) throws -> HTTPResponse {
        let model = try inferenceModel(request)
        return .json(ready ? 200 : 503, .object([("name", .string(model.info.name)), ("ready", .bool(ready))]))
    }

    /// POST /v2/models/{model}/infer.
    func inferenceInfer(_ request: HTTPRequest) throws -> HTTPResponse {
        let model = try inferenceModel(request)
        let parsed = try InferenceRequest(request, maxImages: configuration.maxImagesPerRequest)
        let parameters = parsed.parameters
        let options = try parameters.options(for: model)
        try ImageRequestBody.checkHeaders(parsed.images.map { UploadedImage(bytes: $0, declaredType: nil) },
                                          maxPixels: configuration.maxPixels)
        let limits = RunLimits(maxPixels: configuration.maxPixels, deadline: try deadline(for: request, parsed.rawParameters),
                               allowTruncated: parameters.allowTruncated)
        let metrics = self.metrics
        let (results, _) = try scheduler.run(deadline: limits.deadline!, cancelled: request.clientGone) {
            try ImageRun.detect(parsed.images, model: model, options: options, limits: limits, record: metrics.recordStage)
        }
        return InferenceResponse(model: model.info, id: parsed.id, outputs: parsed.outputs,
                                 results: results.enumerated().map { ($0.element.detections, $0.offset) }).http
    }
}

private extension JSONValue {
    var isObject: Bool { if case .object = self { return true }; return false }

    /// An integral number that fits an Int exactly, else nil.
    var exactInt: Int? {
        guard case .number(let d) = self, d == d.rounded(), abs(d) < 9e15 else { return nil }
        return Int(d)
    }
}
