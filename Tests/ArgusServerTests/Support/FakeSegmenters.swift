import ArgusDetection
import ArgusImage
import ArgusMask
import ArgusModels
import ArgusTensor
import Foundation

/// Builds a row-major 0/1 mask of `width x height` from filled rectangles [x0, x1) x [y0, y1) minus holes.
func rectangleMask(width: Int, height: Int, fill: [(Int, Int, Int, Int)], holes: [(Int, Int, Int, Int)] = []) -> [UInt8] {
    var m = [UInt8](repeating: 0, count: width * height)
    for (value, rects) in [(UInt8(1), fill), (UInt8(0), holes)] {
        for (x0, y0, x1, y1) in rects {
            for y in max(0, y0)..<min(height, y1) { for x in max(0, x0)..<min(width, x1) { m[y * width + x] = value } }
        }
    }
    return m
}

/// An instance segmentation test double: three detections whose masks depend on the image size only — a square
/// ring (a part with a hole), two disjoint rectangles, and an empty mask — filtered by `conf` like a real detector.
final class FakeMaskDetector: Detector, @unchecked Sendable {
    let info: ModelInfo

    init(name: String = "fake_masks", classNames: [String] = FakeDetector.classNames) {
        info = ModelInfo(name: name, family: "fake", task: .segment, classNames: classNames, stride: 32,
                         defaults: DetectDefaults(confidence: 0.25, iou: 0.5, maxDetections: 100, imageSize: 640))
    }

    /// The unfiltered detections for a `width x height` image (boxes are the masks' tight boxes).
    static func raw(width w: Int, height h: Int) -> [Detection] {
        let ring = rectangleMask(width: w, height: h, fill: [(w / 8, h / 8, w / 2, h / 2)],
                                 holes: [(w / 4, h / 4, 3 * w / 8, 3 * h / 8)])
        let parts = rectangleMask(width: w, height: h, fill: [(w / 2 + 2, h / 2, 7 * w / 8, 7 * h / 8), (1, h - 4, 3, h - 1)])
        let empty = [UInt8](repeating: 0, count: w * h)
        let specs: [([UInt8], Float, Int)] = [(ring, 0.9, 0), (parts, 0.6, 2), (empty, 0.3, 1)]
        return specs.map { mask, score, classId in
            let rle = RLE(rowMajor: mask, height: h, width: w)
            let b = rle.boundingBox
            return Detection(box: Box(x1: Float(b.x), y1: Float(b.y), x2: Float(b.x + b.width), y2: Float(b.y + b.height)),
                             score: score, classId: classId, label: FakeDetector.classNames[classId], mask: rle)
        }
    }

    func expected(_ image: RGBImage, options: DetectOptions) -> [Detection] {
        let conf = options.confidence ?? info.defaults.confidence
        return Self.raw(width: image.width, height: image.height)
            .filter { $0.score >= conf && (options.classes?.contains($0.classId) ?? true) }
    }

    func detect(_ image: RGBImage, options: DetectOptions) throws -> DetectionOutput {
        DetectionOutput(detections: expected(image, options: try options.validated()),
                        timings: StageTimings(preprocess: 0.5, inference: 2, postprocess: 0.25))
    }
}

/// A semantic test double with torchvision's 21 VOC classes: background in the left third, person (15) in the
/// top of the rest, car (7) below; scores 0.8 for the pixel's class and 0.01 for each other class.
final class FakeSemanticSegmenter: SemanticSegmenter, @unchecked Sendable {
    let info: ModelInfo

    static let vocClasses = ["__background__", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair",
                             "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
                             "train", "tvmonitor"]

    init(name: String = "fake_semantic") {
        info = ModelInfo(name: name, family: "fake_semantic", task: .semantic, classNames: Self.vocClasses, stride: 1,
                         defaults: DetectDefaults(confidence: 0, iou: 0, maxDetections: 1, imageSize: 520))
    }

    static func labels(width w: Int, height h: Int) -> LabelMap {
        var labels = [UInt8](repeating: 0, count: w * h)
        for y in 0..<h { for x in 0..<w where x >= w / 3 { labels[y * w + x] = y < h / 2 ? 15 : 7 } }
        return LabelMap(width: w, height: h, labels: labels)
    }

    func segment(_ image: RGBImage, options: SegmentOptions) throws -> SemanticOutput {
        let map = Self.labels(width: image.width, height: image.height)
        var scores: Tensor?
        if options.includeScores {
            let plane = image.width * image.height
            var storage = [Float](repeating: 0.01, count: 21 * plane)
            for (i, label) in map.labels.enumerated() { storage[Int(label) * plane + i] = 0.8 }
            scores = Tensor(shape: [21, image.height, image.width], storage: storage)
        }
        return SemanticOutput(labels: map, scores: scores, timings: StageTimings(preprocess: 0.5, inference: 3, postprocess: 0.5))
    }
}
