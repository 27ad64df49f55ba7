import ArgusDetection
import ArgusImage
import ArgusMask
import ArgusModels
import ArgusPipeline
import ArgusServer
import Foundation

/// A whole request, as text: `METHOD /path?query` on the first line, `Name: value` header lines, an empty line,
/// then the body. It goes through `ArgusService.respond` — routing, body forms (multipart, JSON + base64, raw
/// image), parameters, header checks, image decoding, /evaluate's COCO parsing and evaluation, the result
/// encoders — with stand-in models that return fixed detections, so no network runs per input. The pixel limit
/// is 64x64 so a decoded image costs microseconds. A path starting with `/k/` goes, without that prefix, to a
/// service with API keys (the key check reads headers, the query and multipart bodies).
func fuzzHTTPRequest(_ bytes: [UInt8]) {
    var request = parseRequest(bytes)
    var service = fuzzService
    if request.path.hasPrefix("/k/") {
        request.path.removeFirst(2)
        service = fuzzKeyedService
    }
    let response = service.respond(to: request)
    require((200...599).contains(response.status), "status \(response.status)")
    service.didRespond(to: request, with: response, milliseconds: 1)
}

let fuzzService = makeFuzzService(keys: .none)
let fuzzKeyedService = makeFuzzService(keys: try! APIKeys(["fuzz-key-1", "k2"]))

func makeFuzzService(keys: APIKeys) -> ArgusService {
    var configuration = ServerConfiguration()
    configuration.workers = 1
    configuration.maxPixels = 64 * 64
    configuration.maxImagesPerRequest = 4
    configuration.accessLog = false
    configuration.apiKeys = keys
    do {
        let registry = try ModelRegistry([FixedDetector(name: "fixed", task: .detect),
                                          FixedDetector(name: "fixed_masks", task: .segment)])
        return try ArgusService(registry: registry, configuration: configuration)
    } catch {
        fatalError("argus-fuzz: cannot build the service: \(error)")
    }
}

func parseRequest(_ bytes: [UInt8]) -> HTTPRequest {
    // The head ends at the first empty line ("\n\n" or "\n\r\n").
    var headEnd = bytes.count, bodyStart = bytes.count
    var i = 0
    while i + 1 < bytes.count {
        if bytes[i] == 0x0A && bytes[i + 1] == 0x0A { headEnd = i; bodyStart = i + 2; break }
        if bytes[i] == 0x0A && bytes[i + 1] == 0x0D && i + 2 < bytes.count && bytes[i + 2] == 0x0A {
            headEnd = i; bodyStart = i + 3; break
        }
        i += 1
    }
    let head = String(decoding: bytes[..<headEnd], as: UTF8.self)
    var lines = head.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: ["\r"]) }
    let requestLine = lines.isEmpty ? "" : lines.removeFirst()
    let words = requestLine.split(separator: " ", maxSplits: 1)
    let method = words.first.map(String.init) ?? "GET"
    let target = words.count > 1 ? String(words[1]) : "/"
    let query = target.firstIndex(of: "?").map { String(target[target.index(after: $0)...]) } ?? ""
    let path = target.firstIndex(of: "?").map { String(target[..<$0]) } ?? target
    var headers: [String: String] = [:]
    for line in lines {
        guard let colon = line.firstIndex(of: ":") else { continue }
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        headers[name] = headers[name].map { $0 + ", " + value } ?? value
    }
    return HTTPRequest(method: method, path: path.removingPercentEncoding ?? path, query: queryPairs(query),
                       headers: headers, body: Array(bytes[bodyStart...]))
}

/// A stand-in model: two boxes scaled to the image, each with a mask for the segment task.
final class FixedDetector: Detector, @unchecked Sendable {
    let info: ModelInfo

    init(name: String, task: ModelTask) {
        info = ModelInfo(name: name, family: "fixed", task: task, classNames: ["person", "car"], stride: 32,
                         defaults: DetectDefaults(confidence: 0.25, iou: 0.45, maxDetections: 100, imageSize: 64))
    }

    func detect(_ image: RGBImage, options: DetectOptions) throws -> DetectionOutput {
        let w = image.width, h = image.height
        var detections: [Detection] = []
        for (i, score) in [Float(0.9), 0.4].enumerated() {
            let x0 = w * i / 3, y0 = h * i / 3, x1 = max(x0 + 1, w * (i + 2) / 3), y1 = max(y0 + 1, h * (i + 2) / 3)
            var mask: RLE?
            if info.task == .segment {
                var pixels = [UInt8](repeating: 0, count: w * h)
                for y in y0..<min(y1, h) { for x in x0..<min(x1, w) { pixels[y * w + x] = 1 } }
                mask = RLE(rowMajor: pixels, height: h, width: w)
            }
            detections.append(Detection(box: Box(x1: Float(x0), y1: Float(y0), x2: Float(x1), y2: Float(y1)),
                                        score: score, classId: i, label: info.classNames[i], mask: mask))
        }
        let options = try options.validated()
        detections = detections.filter { $0.score >= (options.confidence ?? info.defaults.confidence) }
        if let classes = options.classes { detections = detections.filter { classes.contains($0.classId) } }
        if let m = options.maxDetections { detections = Array(detections.prefix(m)) }
        return DetectionOutput(detections: detections, timings: StageTimings())
    }
}
