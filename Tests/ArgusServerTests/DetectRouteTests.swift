import ArgusDetection
import ArgusImage
import ArgusModels
import ArgusServer
import XCTest
import ArgusPipeline

/// /detect through every input form, parameter source and output format, on a real server.
final class DetectRouteTests: XCTestCase {
    static var harness: ServerHarness!
    let model = FakeDetector()
    var server: ServerHarness { Self.harness }

    override class func setUp() {
        super.setUp()
        harness = try! ServerHarness(models: [FakeDetector(), FakeDetector(name: "second")])
    }

    override class func tearDown() {
        harness = nil
        super.tearDown()
    }

    func testMultipartPNG() throws {
        let png = TestInputs.png(width: 64, height: 48)
        let r = try server.postMultipart("/detect", images: [png])
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.header("content-type"), "application/json")
        XCTAssertEqual(r.object["model"] as? String, "fake")
        let images = r.object["images"] as! [[String: Any]]
        XCTAssertEqual(images.count, 1)
        XCTAssertEqual(images[0]["width"] as? Int, 64)
        XCTAssertEqual(images[0]["height"] as? Int, 48)
        XCTAssertEqual(images[0]["orientation_applied"] as? Int, 1)
        assertDetections(images[0], equal: model.expected(decoded(png), options: DetectOptions()))
        let timing = r.object["timing_ms"] as! [String: Double]
        XCTAssertEqual(Set(timing.keys), ["decode", "preprocess", "inference", "postprocess", "total"])
        XCTAssertEqual(timing["inference"], 2)
        XCTAssertEqual(timing["preprocess"], 0.5)
        XCTAssertGreaterThanOrEqual(timing["total"]!, timing["decode"]!)
    }

    func testRawJPEGAndPNGAndSniffedOctetStream() throws {
        let jpeg = TestInputs.jpeg(width: 80, height: 60)
        let png = TestInputs.png(width: 50, height: 70)
        for (type, bytes) in [("image/jpeg", jpeg), ("image/png", png), ("application/octet-stream", jpeg), ("application/octet-stream", png)] {
            let r = try server.post("/detect", contentType: type, body: bytes)
            XCTAssertEqual(r.status, 200, "\(type): \(r.text)")
            let image = (r.object["images"] as! [[String: Any]])[0]
            let reference = decoded(bytes)
            XCTAssertEqual(image["width"] as? Int, reference.width)
            assertDetections(image, equal: model.expected(reference, options: DetectOptions()))
        }
    }

    func testJSONBase64SingleAndMany() throws {
        let a = TestInputs.png(width: 40, height: 30), b = TestInputs.jpeg(width: 64, height: 64, red: 90)
        let single = try server.postJSON("/detect", #"{"image": "\#(TestInputs.base64(a))", "conf": 0.6}"#)
        XCTAssertEqual(single.status, 200, single.text)
        assertDetections((single.object["images"] as! [[String: Any]])[0],
                         equal: model.expected(decoded(a), options: DetectOptions(confidence: 0.6)))
        let many = try server.postJSON("/detect", #"{"images": ["\#(TestInputs.base64(a))", "data:image/jpeg;base64,\#(TestInputs.base64(b))"], "classes": ["person", 2]}"#)
        XCTAssertEqual(many.status, 200, many.text)
        let images = many.object["images"] as! [[String: Any]]
        XCTAssertEqual(images.count, 2)
        assertDetections(images[0], equal: model.expected(decoded(a), options: DetectOptions(classes: [0, 2])))
        assertDetections(images[1], equal: model.expected(decoded(b), options: DetectOptions(classes: [0, 2])))
    }

    func testMultiImageMultipartKeepsOrder() throws {
        let images = [TestInputs.png(width: 32, height: 32), TestInputs.png(width: 96, height: 64, red: 200), TestInputs.jpeg(width: 48, height: 80)]
        let r = try server.postMultipart("/detect", images: images)
        XCTAssertEqual(r.status, 200, r.text)
        let entries = r.object["images"] as! [[String: Any]]
        XCTAssertEqual(entries.count, 3)
        for (entry, bytes) in zip(entries, images) {
            let reference = decoded(bytes)
            XCTAssertEqual(entry["width"] as? Int, reference.width)
            XCTAssertEqual(entry["height"] as? Int, reference.height)
            assertDetections(entry, equal: model.expected(reference, options: DetectOptions()))
        }
    }

    func testParametersFromQueryFormAndJSONWithBodyOverridingQuery() throws {
        let png = TestInputs.png()
        let reference = decoded(png)
        // Query only.
        var r = try server.post("/detect?conf=0.45&max_det=1&model=second", contentType: "image/png", body: png)
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.object["model"] as? String, "second")
        assertDetections((r.object["images"] as! [[String: Any]])[0],
                         equal: model.expected(reference, options: DetectOptions(confidence: 0.45, maxDetections: 1)))
        // A form field overrides the query.
        r = try server.postMultipart("/detect?conf=0.95", fields: [("conf", "0.1"), ("classes", "car, 3")], images: [png])
        XCTAssertEqual(r.status, 200, r.text)
        assertDetections((r.object["images"] as! [[String: Any]])[0],
                         equal: model.expected(reference, options: DetectOptions(confidence: 0.1, classes: [2, 3])))
    }

    func testBoxFormatsAndNormalized() throws {
        let png = TestInputs.png(width: 100, height: 50)
        let top = model.expected(decoded(png), options: DetectOptions())[0].box
        func firstBox(_ query: String) throws -> [Float] {
            let r = try server.post("/detect?\(query)", contentType: "image/png", body: png)
            XCTAssertEqual(r.status, 200, r.text)
            let d = ((r.object["images"] as! [[String: Any]])[0]["detections"] as! [[String: Any]])[0]
            return (d["box"] as! [Double]).map(Float.init)
        }
        XCTAssertEqual(try firstBox("box_format=xyxy"), [top.x1, top.y1, top.x2, top.y2])
        XCTAssertEqual(try firstBox("box_format=xywh"), [top.x1, top.y1, top.x2 - top.x1, top.y2 - top.y1])
        XCTAssertEqual(try firstBox("box_format=cxcywh"), [(top.x1 + top.x2) / 2, (top.y1 + top.y2) / 2, top.x2 - top.x1, top.y2 - top.y1])
        XCTAssertEqual(try firstBox("box_format=xyxy&normalized=true"), [top.x1 / 100, top.y1 / 50, top.x2 / 100, top.y2 / 50])
    }

    func testCOCOFormat() throws {
        let png = TestInputs.png(width: 64, height: 64)
        let r = try server.postMultipart("/detect?format=coco", images: [png, png])
        XCTAssertEqual(r.status, 200, r.text)
        let entries = r.object["images"] as! [[String: Any]]
        let expected = model.expected(decoded(png), options: DetectOptions())
        for (index, entry) in entries.enumerated() {
            let dets = entry["detections"] as! [[String: Any]]
            XCTAssertEqual(dets.count, expected.count)
            for (d, e) in zip(dets, expected) {
                XCTAssertEqual(d["image_id"] as? Int, index)
                // The fake's classes are not COCO's 80, so category ids are the class ids.
                XCTAssertEqual(d["category_id"] as? Int, e.classId)
                XCTAssertEqual((d["bbox"] as! [Double]).map(Float.init), [e.box.x1, e.box.y1, e.box.x2 - e.box.x1, e.box.y2 - e.box.y1])
                XCTAssertEqual((d["score"] as? Double).map(Float.init), e.score)
            }
        }
    }

    func testCOCOCategoryIdsForCOCO80Models() {
        // COCO's published ids: person 1, traffic light 10, fire hydrant 11, stop sign 13, toothbrush 90.
        let names = COCOCategories.names80
        XCTAssertEqual(names.count, 80)
        XCTAssertEqual(COCOResultJSON.categoryId(classId: 0, classNames: names), 1)
        XCTAssertEqual(COCOResultJSON.categoryId(classId: 9, classNames: names), 10)
        XCTAssertEqual(COCOResultJSON.categoryId(classId: 11, classNames: names), 13)
        XCTAssertEqual(COCOResultJSON.categoryId(classId: 79, classNames: names), 90)
        XCTAssertEqual(COCOResultJSON.categoryId(classId: 3, classNames: ["a", "b", "c", "d"]), 3)
    }

    func testRenderPNGAndJPEG() throws {
        let png = TestInputs.png(width: 120, height: 90)
        let r = try server.post("/detect?render=png", contentType: "image/png", body: png)
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.header("content-type"), "image/png")
        let rendered = try decodeImage(r.body).image
        XCTAssertEqual(rendered.width, 120)
        XCTAssertEqual(rendered.height, 90)
        // The highest-scoring box's outline is drawn in its class colour at its top-left corner.
        let top = model.expected(decoded(png), options: DetectOptions())[0]
        let color = RGBColor.forClass(top.classId)
        let (cr, cg, cb) = rendered[Int(top.box.x1.rounded()), Int(top.box.y2.rounded())]
        XCTAssertEqual([cr, cg, cb], [color.r, color.g, color.b])
        XCTAssertNotEqual(rendered, decoded(png))

        let j = try server.post("/detect?render=jpeg", contentType: "image/png", body: png)
        XCTAssertEqual(j.status, 200)
        XCTAssertEqual(j.header("content-type"), "image/jpeg")
        XCTAssertEqual(ImageFormat.sniff(j.body), .jpeg)
    }

    func testEXIFOrientationIsAppliedAndReported() throws {
        // A JPEG with an Exif APP1 segment saying orientation 6 (rotate 90 degrees clockwise).
        let jpeg = TestInputs.jpeg(width: 40, height: 20)
        let tiff: [UInt8] = [0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0]
        let payload: [UInt8] = Array("Exif".utf8) + [0, 0] + tiff
        let length = payload.count + 2
        let app1: [UInt8] = [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
        let oriented = Array(jpeg[0..<2]) + app1 + Array(jpeg[2...])
        let r = try server.post("/detect", contentType: "image/jpeg", body: oriented)
        XCTAssertEqual(r.status, 200, r.text)
        let entry = (r.object["images"] as! [[String: Any]])[0]
        XCTAssertEqual(entry["orientation_applied"] as? Int, 6)
        XCTAssertEqual(entry["width"] as? Int, 20)
        XCTAssertEqual(entry["height"] as? Int, 40)
    }
}
