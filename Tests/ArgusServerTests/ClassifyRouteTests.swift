import ArgusImage
import ArgusModels
import ArgusServer
import ArgusTestSupport
import XCTest

/// A classifier test double whose probabilities follow the image's mean red level, so an answer tells which image
/// (and which crop of parameters) the route ran: class k gets weight exp(-|k * 32 - mean red| / 16), normalised.
final class FakeClassifier: ImageClassifier, @unchecked Sendable {
    static let classNames = ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"]
    let info: ModelInfo

    init(name: String = "fake_classifier") {
        info = ModelInfo(name: name, family: "fake", task: .classify, classNames: Self.classNames, stride: 1,
                         defaults: DetectDefaults(confidence: 0, iou: 0, maxDetections: ClassifyOptions.defaultTop, imageSize: 224))
    }

    static func probabilities(_ image: RGBImage) -> [Float] {
        let red = stride(from: 0, to: image.pixels.count, by: 3).reduce(0.0) { $0 + Double(image.pixels[$1]) } / Double(image.width * image.height)
        let weights = classNames.indices.map { exp(-abs(Double($0 * 32) - red) / 16) }
        let total = weights.reduce(0, +)
        return weights.map { Float($0 / total) }
    }

    func classify(_ image: RGBImage, options: ClassifyOptions) throws -> ClassificationOutput {
        let p = Self.probabilities(image)
        let best = p.indices.sorted { (p[$0], -$0) > (p[$1], -$1) }.prefix(options.top)
        return ClassificationOutput(classes: best.map { ClassScore(classId: $0, label: Self.classNames[$0], score: p[$0]) },
                                    timings: StageTimings())
    }
}

/// POST /classify: the classes of each image from the chosen classifier, `top`, and the errors that name the route a
/// model belongs to.
final class ClassifyRouteTests: XCTestCase {
    func testClassesOfEachImageBestFirst() throws {
        let server = try ServerHarness(loaded: [.detector(FakeDetector()), .classifier(FakeClassifier())]) { $0.workers = 1 }
        let images = [try encodePNG(RGBImage(width: 40, height: 30, fill: (220, 90, 0))),
                      try encodeJPEG(RGBImage(width: 64, height: 48, fill: (20, 0, 200)), quality: 90)]
        let r = try server.postMultipart("/classify?top=3", images: images)
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.object["model"] as? String, "fake_classifier")  // the first classifier, not the first model
        let answered = try XCTUnwrap(r.object["images"] as? [[String: Any]])
        XCTAssertEqual(answered.count, 2)
        for (entry, bytes) in zip(answered, images) {
            let decoded = try decodeImage(bytes).image
            XCTAssertEqual(entry["width"] as? Int, decoded.width)
            XCTAssertEqual(entry["height"] as? Int, decoded.height)
            let classes = try XCTUnwrap(entry["classes"] as? [[String: Any]])
            let expected = try FakeClassifier().classify(decoded, options: ClassifyOptions(top: 3)).classes
            XCTAssertEqual(classes.compactMap { $0["class_id"] as? Int }, expected.map(\.classId))
            XCTAssertEqual(classes.compactMap { $0["label"] as? String }, expected.map(\.label))
            for (c, e) in zip(classes, expected) { XCTAssertEqual(c["score"] as? Double ?? -1, Double(e.score), accuracy: 1e-6) }
        }
        XCTAssertNotEqual((answered[0]["classes"] as? [[String: Any]])?.first?["class_id"] as? Int,
                          (answered[1]["classes"] as? [[String: Any]])?.first?["class_id"] as? Int, "two images, two answers")
        // Default top: 5.
        let one = try server.post("/classify", contentType: "image/png", body: images[0])
        XCTAssertEqual(((one.object["images"] as? [[String: Any]])?.first?["classes"] as? [Any])?.count, 5, one.text)
    }

    func testParametersAreChecked() throws {
        let server = try ServerHarness(loaded: [.classifier(FakeClassifier())]) { $0.workers = 1 }
        let png = TestInputs.png()
        for query in ["top=0", "top=x", "top=9", "conf=0.5", "allow_truncated=maybe"] {
            let r = try server.post("/classify?\(query)", contentType: "image/png", body: png)
            XCTAssertEqual(r.status, 400, "\(query): \(r.text)")
            XCTAssertEqual(r.errorCode, "invalid_parameter", query)
        }
        XCTAssertEqual(try server.post("/classify?top=8", contentType: "image/png", body: png).status, 200)
        let missing = try server.post("/classify?model=nope", contentType: "image/png", body: png)
        XCTAssertEqual(missing.status, 404, missing.text)
        let bad = try server.post("/classify", contentType: "image/png", body: Array(png.prefix(40)))
        XCTAssertEqual(bad.status, 422, bad.text)
    }

    func testEachRouteNamesTheOneAModelBelongsTo() throws {
        let detectorOnly = try ServerHarness(loaded: [.detector(FakeDetector())]) { $0.workers = 1 }
        let r = try detectorOnly.post("/classify", contentType: "image/png", body: TestInputs.png())
        XCTAssertEqual(r.status, 400, r.text)
        XCTAssertEqual(r.errorCode, "model_cannot_classify")
        let both = try ServerHarness(loaded: [.detector(FakeDetector()), .classifier(FakeClassifier())]) { $0.workers = 1 }
        let named = try both.post("/classify?model=\(FakeDetector().info.name)", contentType: "image/png", body: TestInputs.png())
        XCTAssertEqual(named.errorCode, "model_cannot_classify", named.text)
        XCTAssertTrue(named.text.contains("POST /detect"), named.text)
        let detect = try both.post("/detect?model=fake_classifier", contentType: "image/png", body: TestInputs.png())
        XCTAssertEqual(detect.status, 400, detect.text)
        XCTAssertTrue(detect.text.contains("POST /classify"), detect.text)
        let segment = try both.post("/segment?model=fake_classifier", contentType: "image/png", body: TestInputs.png())
        XCTAssertEqual(segment.errorCode, "model_cannot_segment", segment.text)

        // GET /models: task classify, its defaults are how many classes and the crop size.
        let listed = try XCTUnwrap((try both.get("/models").object["models"] as? [[String: Any]])?.last)
        XCTAssertEqual(listed["task"] as? String, "classify")
        XCTAssertEqual(listed["defaults"] as? [String: Int], ["top": 5, "imgsz": 224])
    }
}
