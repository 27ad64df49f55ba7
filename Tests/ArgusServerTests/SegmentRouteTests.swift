import ArgusDetection
import ArgusEval
import ArgusImage
import ArgusMask
import ArgusModels
import ArgusServer
import XCTest

/// POST /segment on a real server with test doubles: instance masks in every mask_format (decoded back and compared
/// with the model's masks), COCO results scored by ArgusEval, semantic label maps and score maps (decoded PNGs against
/// hand-computed VOC colours and counts), panoptic PNG + segments_info, and rendered overlays (pixels against the blend formula).
final class SegmentRouteTests: XCTestCase {
    static var harness: ServerHarness!
    var server: ServerHarness { Self.harness }
    let width = 128, height = 96

    override class func setUp() {
        super.setUp()
        harness = try! ServerHarness(loaded: [.detector(FakeDetector()), .detector(FakeMaskDetector()), .semantic(FakeSemanticSegmenter())])
    }

    override class func tearDown() {
        harness = nil
        super.tearDown()
    }

    var png: [UInt8] { TestInputs.png(width: width, height: height) }

    func segment(_ query: String) throws -> RawResponse {
        let r = try server.post("/segment" + (query.isEmpty ? "" : "?" + query), contentType: "image/png", body: png)
        XCTAssertEqual(r.status, 200, "\(query): \(r.text)")
        return r
    }

    func firstImage(_ r: RawResponse) throws -> [String: Any] {
        try XCTUnwrap((r.object["images"] as? [[String: Any]])?.first, r.text)
    }

    // MARK: instance masks

    func testInstanceMasksAsRLEByDefault() throws {
        let r = try segment("")
        XCTAssertEqual(r.object["model"] as? String, "fake_masks", "the first model that segments is the default")
        XCTAssertEqual(r.object["task"] as? String, "instance")
        let image = try firstImage(r)
        let expected = FakeMaskDetector.raw(width: width, height: height)
        let detections = try XCTUnwrap(image["detections"] as? [[String: Any]])
        XCTAssertEqual(detections.count, 3)
        assertDetections(image, equal: expected)
        for (got, want) in zip(detections, expected) {
            XCTAssertEqual(try MaskDecoding.rle(got["mask"]), want.mask)
            XCTAssertEqual(got["area"] as? Int, want.mask!.decodeRowMajor().reduce(0) { $0 + Int($1) })
        }
    }

    func testPolygonsRasterizeBackToTheMasks() throws {
        let detections = try XCTUnwrap(try firstImage(try segment("mask_format=polygon"))["detections"] as? [[String: Any]])
        let expected = FakeMaskDetector.raw(width: width, height: height)
        let parts = try detections.map { try MaskDecoding.polygons($0["mask"]) }
        XCTAssertEqual(parts.map(\.count), [1, 2, 0], "a ring, two rectangles, nothing")
        XCTAssertEqual(parts[0][0].holes.count, 1)
        // The ring's outline is its outer square's corners, in pixel-edge coordinates (pixel x covers [x, x+1]).
        XCTAssertEqual(Set(stride(from: 0, to: parts[0][0].exterior.count, by: 2).map { [parts[0][0].exterior[$0], parts[0][0].exterior[$0 + 1]] }),
                       Set([[16, 12], [64, 12], [64, 48], [16, 48]]))
        for (polygons, want) in zip(parts, expected) {
            XCTAssertEqual(try RLE(polygons: polygons, height: height, width: width), want.mask)
        }
    }

    func testPNGMasksAreTheMaskCroppedToItsBox() throws {
        let detections = try XCTUnwrap(try firstImage(try segment("mask_format=png"))["detections"] as? [[String: Any]])
        let expected = FakeMaskDetector.raw(width: width, height: height)
        for (got, want) in zip(detections, expected) {
            let mask = try XCTUnwrap(got["mask"] as? [String: Any])
            let full = want.mask!.decodeRowMajor()
            let x = try XCTUnwrap(mask["x"] as? Int), y = try XCTUnwrap(mask["y"] as? Int)
            let w = try XCTUnwrap(mask["width"] as? Int), h = try XCTUnwrap(mask["height"] as? Int)
            if full.allSatisfy({ $0 == 0 }) {
                XCTAssertEqual([x, y, w, h], [0, 0, 0, 0])
                XCTAssert(mask["png"] is NSNull)
                continue
            }
            let decoded = try MaskDecoding.png(mask["png"])
            XCTAssertEqual([decoded.width, decoded.height], [w, h])
            var inside = 0
            for j in 0..<h {
                for i in 0..<w {
                    let want = full[(y + j) * width + x + i] != 0
                    XCTAssertEqual(decoded.pixels[(j * w + i) * 3], want ? 255 : 0, "(\(x + i), \(y + j))")
                    inside += want ? 1 : 0
                }
            }
            XCTAssertEqual(inside, full.reduce(0) { $0 + Int($1) }, "the crop holds every mask pixel")
        }
    }

    func testCOCOResultsScoreAPOneAgainstTheirOwnMasks() throws {
        let r = try segment("format=coco&conf=0.5")
        let detections = try XCTUnwrap(try firstImage(r)["detections"] as? [Any])
        XCTAssertEqual(detections.count, 2)
        let results = try COCOResult.parseList(json: try JSONSerialization.data(withJSONObject: detections))
        let expected = FakeMaskDetector.raw(width: width, height: height).prefix(2)
        let annotations = expected.enumerated().map { i, d in
            COCOAnnotation(id: i + 1, imageId: 0, categoryId: d.classId, bbox: d.mask!.boundingBox, area: Double(d.mask!.area),
                           segmentation: .rle(d.mask!))
        }
        let gt = COCODataset(images: [COCOImage(id: 0, width: width, height: height)],
                             categories: FakeDetector.classNames.enumerated().map { COCOCategory(id: $0.offset, name: $0.element) },
                             annotations: annotations)
        let report = try Evaluation.run(gt: gt, dt: results, iouType: .segm, policy: .pycocotools, voc: false, threads: 1)
        XCTAssertEqual(report.coco.stats[0], 1.0, accuracy: 1e-12)
        XCTAssertEqual(results.map { $0.segmentation }, expected.map { .rle($0.mask!) })
    }

    func testRenderedInstancesBlendTheMaskInTheClassColour() throws {
        let r = try segment("render=png")
        XCTAssertEqual(r.header("content-type"), "image/png")
        let out = try decodeImage(r.body).image
        let original = decoded(png)
        XCTAssertEqual([out.width, out.height], [width, height])
        func pixel(_ image: RGBImage, _ x: Int, _ y: Int) -> [UInt8] { Array(image.pixels[((y * width + x) * 3)..<((y * width + x) * 3 + 3)]) }
        // Inside the ring, away from its box outline and label tag: the mask colour blended at 0.45.
        XCTAssertEqual(pixel(out, 20, 20), MaskDecoding.blended(pixel(original, 20, 20), RGBColor.forClass(0), alpha: 0.45))
        // Inside the ring's hole and outside every mask and box: untouched.
        XCTAssertEqual(pixel(out, 40, 30), pixel(original, 40, 30))
        XCTAssertEqual(pixel(out, 100, 20), pixel(original, 100, 20))
        // Inside the second instance's large part, away from its box outline and tag: its own class colour.
        XCTAssertEqual(pixel(out, 90, 70), MaskDecoding.blended(pixel(original, 90, 70), RGBColor.forClass(2), alpha: 0.45))
    }

    // MARK: semantic

    /// Pixels per class of the fake semantic map, counted from its definition.
    var classPixels: [Int: Int] {
        let left = width / 3
        return [0: left * height, 15: (width - left) * (height / 2), 7: (width - left) * (height - height / 2)]
    }

    func testSemanticLabelMapAndClasses() throws {
        let r = try segment("model=fake_semantic&mask_format=rle")
        XCTAssertEqual(r.object["task"] as? String, "semantic")
        let image = try firstImage(r)
        let map = try MaskDecoding.png(image["label_map"])
        let voc: [UInt8: [UInt8]] = [0: [0, 0, 0], 7: [128, 128, 128], 15: [192, 128, 128]]  // the VOC devkit colormap
        let labels = FakeSemanticSegmenter.labels(width: width, height: height).labels
        XCTAssertEqual([map.width, map.height], [width, height])
        for (i, label) in labels.enumerated() where Array(map.pixels[(3 * i)..<(3 * i + 3)]) != voc[label]! {
            XCTFail("label map pixel \(i): \(map.pixels[(3 * i)..<(3 * i + 3)]) for class \(label)"); break
        }
        let classes = try XCTUnwrap(image["classes"] as? [[String: Any]])
        XCTAssertEqual(classes.map { $0["class_id"] as? Int }, [0, 7, 15])
        XCTAssertEqual(classes.map { $0["label"] as? String }, ["__background__", "car", "person"])
        for entry in classes {
            let c = entry["class_id"] as! Int
            XCTAssertEqual(entry["pixels"] as? Int, classPixels[c])
            XCTAssertEqual(try MaskDecoding.rle(entry["mask"]).decodeRowMajor(), labels.map { Int($0) == c ? 1 : 0 })
        }
        XCTAssertNil(image["scores"])
    }

    func testSemanticScoresArePerClassProbabilityPNGs() throws {
        let image = try firstImage(try segment("model=fake_semantic&scores=true"))
        let scores = try XCTUnwrap(image["scores"] as? [[String: Any]])
        XCTAssertEqual(scores.count, 21)
        let labels = FakeSemanticSegmenter.labels(width: width, height: height).labels
        for c in [0, 3, 15] {
            XCTAssertEqual(scores[c]["class_id"] as? Int, c)
            let gray = MaskDecoding.red(try MaskDecoding.png(scores[c]["png"]))
            // round(255 * 0.8) = 204 where the class wins, round(255 * 0.01) = 3 elsewhere.
            XCTAssertEqual(gray, labels.map { Int($0) == c ? 204 : 3 }, "class \(c)")
        }
    }

    func testSemanticCOCOResultsAndRender() throws {
        let results = try XCTUnwrap(try firstImage(try segment("model=fake_semantic&format=coco"))["results"] as? [[String: Any]])
        XCTAssertEqual(results.map { $0["category_id"] as? Int }, [0, 7, 15])
        XCTAssertEqual(try results.map { try MaskDecoding.rle($0["segmentation"]).area }, [classPixels[0], classPixels[7], classPixels[15]])

        let r = try segment("model=fake_semantic&render=png")
        let out = try decodeImage(r.body).image, original = decoded(png)
        func pixel(_ image: RGBImage, _ x: Int, _ y: Int) -> [UInt8] { Array(image.pixels[((y * width + x) * 3)..<((y * width + x) * 3 + 3)]) }
        XCTAssertEqual(pixel(out, 120, 10), MaskDecoding.blended(pixel(original, 120, 10), RGBColor(192, 128, 128), alpha: 0.45))
        XCTAssertEqual(pixel(out, 120, 90), MaskDecoding.blended(pixel(original, 120, 90), RGBColor(128, 128, 128), alpha: 0.45))
        XCTAssertEqual(pixel(out, 2, 94), pixel(original, 2, 94), "background is left as it is")
    }

    // MARK: panoptic

    func testPanopticMergesThingsAndStuff() throws {
        let r = try segment("model=fake_masks&semantic_model=fake_semantic&min_stuff_area=10&mask_format=rle")
        XCTAssertEqual(r.object["task"] as? String, "panoptic")
        XCTAssertEqual(r.object["semantic_model"] as? String, "fake_semantic")
        let image = try firstImage(r)
        let instances = FakeMaskDetector.raw(width: width, height: height).map {
            PanopticInstance(mask: $0.mask!, score: $0.score, categoryId: $0.classId)
        }
        let expected = try PanopticMerge.merge(instances: instances, semantic: FakeSemanticSegmenter.labels(width: width, height: height),
                                               options: PanopticOptions(stuffAreaThreshold: 10))
        let decodedPNG = try MaskDecoding.png(image["panoptic"])
        let ids = (0..<(width * height)).map { (i: Int) -> UInt32 in
            let r = UInt32(decodedPNG.pixels[3 * i]), g = UInt32(decodedPNG.pixels[3 * i + 1]), b = UInt32(decodedPNG.pixels[3 * i + 2])
            return r + 256 * g + 65536 * b
        }
        XCTAssertEqual(ids, expected.segmentIds)
        let info = try XCTUnwrap(image["segments_info"] as? [[String: Any]])
        XCTAssertEqual(info.count, expected.segments.count)
        // Things: the two instances scoring >= 0.5 (the merge's default), with their own masks (they do not overlap).
        let things = info.filter { $0["isthing"] as? Bool == true }
        XCTAssertEqual(things.map { $0["label"] as? String }, ["person", "car"])
        XCTAssertEqual(things.map { $0["area"] as? Int }, [instances[0].mask.area, instances[1].mask.area])
        XCTAssertEqual(things.map { ($0["score"] as? Double).map(Float.init) }, [0.9, 0.6])
        // Stuff: the semantic classes present except the background, named by the semantic model, with the
        // instance model's category ids for the same names (person 0, car 2 of the fake detector's classes).
        let stuff = info.filter { $0["isthing"] as? Bool == false }
        XCTAssertEqual(Set(stuff.compactMap { $0["label"] as? String }), ["person", "car"])
        XCTAssertEqual(Set(stuff.compactMap { $0["category_id"] as? Int }), [0, 2])
        XCTAssert(stuff.allSatisfy { $0["score"] == nil })
        for (entry, segment) in zip(info, expected.segments) {
            XCTAssertEqual(entry["id"] as? Int, segment.id)
            let vocName = segment.isThing ? nil : FakeSemanticSegmenter.vocClasses[segment.categoryId]
            XCTAssertEqual(entry["category_id"] as? Int, vocName.map { FakeDetector.classNames.firstIndex(of: $0)! } ?? segment.categoryId)
            XCTAssertEqual(entry["bbox"] as? [Double], segment.bbox.array)
            XCTAssertEqual(try MaskDecoding.rle(entry["mask"]).decodeRowMajor(), ids.map { $0 == UInt32(segment.id) ? 1 : 0 })
        }
        XCTAssertEqual(info.reduce(0) { $0 + ($1["area"] as! Int) }, ids.filter { $0 != 0 }.count, "areas add up to the painted pixels")

        let rendered = try segment("semantic_model=fake_semantic&render=png")
        XCTAssertEqual(rendered.header("content-type"), "image/png")
        XCTAssertEqual(try decodeImage(rendered.body).image.width, width)
    }

    // MARK: errors and model choice

    func testErrorsNameTheProblem() throws {
        let cases: [(String, Int, String, String)] = [
            ("model=nope", 404, "model_not_found", "no model named 'nope'"),
            ("model=fake", 400, "model_cannot_segment", "fake_masks, fake_semantic"),
            ("semantic_model=nope", 404, "model_not_found", "no model named 'nope'"),
            ("semantic_model=fake_masks", 400, "model_not_semantic", "fake_semantic"),
            ("model=fake_semantic&semantic_model=fake_semantic", 400, "invalid_parameter", "give it as semantic_model"),
            ("mask_format=bitmap", 400, "invalid_parameter", "mask_format must be one of rle, polygon, png"),
            ("format=coco&mask_format=polygon", 400, "invalid_parameter", "format=coco writes segmentation as COCO RLE"),
            ("scores=true", 400, "invalid_parameter", "scores gives per-class probability maps"),
            ("scores=maybe", 400, "invalid_parameter", "scores must be true or false"),
            ("model=fake_semantic&conf=0.5&iou=0.3", 400, "invalid_parameter", "conf, iou tune instance detections"),
            ("model=fake_semantic&min_stuff_area=5", 400, "invalid_parameter", "min_stuff_area"),
            ("overlap_threshold=0.3", 400, "invalid_parameter", "give semantic_model too"),
            ("semantic_model=fake_semantic&overlap_threshold=2", 400, "invalid_parameter", "overlap_threshold must be in [0, 1]"),
            ("semantic_model=fake_semantic&min_stuff_area=-1", 400, "invalid_parameter", "min_stuff_area must be in"),
            ("semantic_model=fake_semantic&format=coco", 400, "invalid_parameter", "COCO panoptic already"),
            ("semantic_model=fake_semantic&scores=true", 400, "invalid_parameter", "scores applies to a semantic model on its own"),
            ("semantic_model=fake_semantic&box_format=xywh", 400, "invalid_parameter", "box_format do not apply"),
            ("proposals=%5B%5B1,2,3,4%5D%5D", 400, "invalid_parameter", "two-stage"),
            ("semantic_model=", 400, "invalid_parameter", "semantic_model must not be empty"),
            ("mask=rle", 400, "invalid_parameter", "unknown parameter 'mask'"),
            ("imgsz=5", 400, "invalid_parameter", "imgsz must be in 32...4096"),
        ]
        for (query, status, code, message) in cases {
            let r = try server.post("/segment?\(query)", contentType: "image/png", body: png)
            XCTAssertEqual(r.status, status, "\(query): \(r.text)")
            XCTAssertEqual(r.errorCode, code, "\(query): \(r.text)")
            XCTAssert(r.text.contains(message), "\(query): \(r.text)")
        }
        // Several images with render; a corrupt image; no image.
        let two = try server.postMultipart("/segment?render=png", images: [png, png])
        XCTAssertEqual(two.status, 400, two.text)
        let corrupt = try server.post("/segment?model=fake_semantic", contentType: "image/png", body: Array(png.prefix(60)))
        XCTAssertEqual(corrupt.status / 100, 4, corrupt.text)
        let empty = try server.postJSON("/segment", "{\"model\": \"fake_semantic\"}")
        XCTAssertEqual(empty.status, 400, empty.text)
    }

    func testDetectRefusesSemanticModelsAndListsThem() throws {
        let r = try server.post("/detect?model=fake_semantic", contentType: "image/png", body: png)
        XCTAssertEqual(r.status, 400, r.text)
        XCTAssertEqual(r.errorCode, "model_cannot_detect")
        XCTAssert(r.text.contains("use POST /segment"), r.text)
        let deepStack = try server.postMultipart("/v1/vision/detection", fields: [("model", "fake_semantic")], images: [png])
        XCTAssertEqual(deepStack.status, 400, deepStack.text)
        XCTAssertEqual(deepStack.object["success"] as? Bool, false)
        // The box routes still default to the first detector; masks of a mask model are not part of /detect output.
        let boxes = try server.post("/detect?model=fake_masks", contentType: "image/png", body: png)
        XCTAssertEqual(boxes.status, 200, boxes.text)
        let detections = try XCTUnwrap(try firstImage(boxes)["detections"] as? [[String: Any]])
        XCTAssertEqual(detections.count, 3)
        XCTAssertNil(detections[0]["mask"])
        let models = try XCTUnwrap(try server.get("/models").object["models"] as? [[String: Any]])
        XCTAssertEqual(models.map { $0["task"] as? String }, ["detect", "segment", "semantic"])
    }

    func testScoreMapsOverTheLimitAre413() throws {
        let small = try ServerHarness(loaded: [.semantic(FakeSemanticSegmenter())]) { $0.maxScoreMapBytes = 60_000 }
        let r = try small.post("/segment?scores=true", contentType: "image/png", body: TestInputs.png(width: 64, height: 48))
        XCTAssertEqual(r.status, 413, r.text)  // 21 classes x 3072 pixels = 64512 bytes
        XCTAssertEqual(r.errorCode, "scores_too_large")
        let fine = try small.post("/segment?scores=true", contentType: "image/png", body: TestInputs.png(width: 40, height: 40))
        XCTAssertEqual(fine.status, 200, fine.text)
        let detect = try small.post("/detect", contentType: "image/png", body: TestInputs.png(width: 40, height: 40))
        XCTAssertEqual(detect.errorCode, "model_cannot_detect", detect.text)
    }
}
