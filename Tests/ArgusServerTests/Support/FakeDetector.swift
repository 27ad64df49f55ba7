import ArgusDetection
import ArgusImage
import ArgusModels
import Foundation

/// A deterministic test double for `Detector`: boxes derived from the image size and mean colour,
/// filtered by the options the way a real detector applies them. Optionally slow, to load the queue.
final class FakeDetector: Detector, @unchecked Sendable {
    let info: ModelInfo
    let delaySeconds: Double
    private let lock = NSLock()
    private var _calls = 0

    static let classNames = ["person", "bicycle", "car", "motorcycle"]

    init(name: String = "fake", task: ModelTask = .detect, delaySeconds: Double = 0,
         classNames: [String] = FakeDetector.classNames) {
        info = ModelInfo(name: name, family: "fake", task: task, classNames: classNames, stride: 32,
                         defaults: DetectDefaults(confidence: 0.25, iou: 0.45, maxDetections: 300, imageSize: 640))
        self.delaySeconds = delaySeconds
    }

    var calls: Int { lock.lock(); defer { lock.unlock() }; return _calls }

    /// The unfiltered detections for an image: four boxes with scores 0.9, 0.7 (+ mean/1000), 0.5, 0.2.
    static func raw(width: Int, height: Int, meanRed: Float) -> [Detection] {
        let w = Float(width), h = Float(height)
        let scores: [Float] = [0.9, 0.7 + meanRed / 1000, 0.5, 0.2]
        return (0..<4).map { i in
            let f = Float(i) * 0.1
            return Detection(box: Box(x1: w * f + 0.25, y1: h * f + 0.5, x2: w * (0.5 + f) - 0.25, y2: h * (0.55 + f)),
                             score: scores[i], classId: i, label: classNames[i])
        }
    }

    static func meanRed(_ image: RGBImage) -> Float {
        var sum = 0
        for i in stride(from: 0, to: image.pixels.count, by: 3) { sum += Int(image.pixels[i]) }
        return Float(sum) / Float(image.width * image.height)
    }

    /// What `detect` returns for an image and options (the reference the HTTP results are checked against).
    func expected(_ image: RGBImage, options: DetectOptions) -> [Detection] {
        let conf = options.confidence ?? info.defaults.confidence
        var out = Self.raw(width: image.width, height: image.height, meanRed: Self.meanRed(image))
            .filter { $0.score >= conf && (options.classes?.contains($0.classId) ?? true) }
            .sorted { $0.score > $1.score }
        if let m = options.maxDetections { out = Array(out.prefix(m)) }
        // Labels are this model's class names, as a real detector's are.
        for i in out.indices where out[i].classId < info.classNames.count { out[i].label = info.classNames[out[i].classId] }
        return out
    }

    func detect(_ image: RGBImage, options: DetectOptions) throws -> DetectionOutput {
        lock.lock(); _calls += 1; lock.unlock()
        if delaySeconds > 0 { Thread.sleep(forTimeInterval: delaySeconds) }
        return DetectionOutput(detections: expected(image, options: try options.validated()),
                               timings: StageTimings(preprocess: 0.5, inference: 2, postprocess: 0.25))
    }
}
