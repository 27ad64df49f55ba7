import ArgusImage
import ArgusServer
import XCTest

/// Every error status of the API, and a catalogue of malformed inputs: each gets its 4xx and the
/// server answers the next request normally.
final class ErrorStatusTests: XCTestCase {
    static var harness: ServerHarness!
    var server: ServerHarness { Self.harness }

    override class func setUp() {
        super.setUp()
        harness = try! ServerHarness { config in
            config.maxBodyBytes = 256 * 1024
            config.maxPixels = 1_000_000
            config.maxImagesPerRequest = 4
        }
    }

    override class func tearDown() {
        harness = nil
        super.tearDown()
    }

    /// Asserts the JSON error shape and status, then that a normal request still works.
    func expectError(_ response: RawResponse, _ status: Int, _ code: String? = nil, _ label: String,
                     file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(response.status, status, "\(label): \(response.text)", file: file, line: line)
        let error = response.object["error"] as? [String: Any]
        XCTAssertNotNil(error?["message"] as? String, "\(label): no error.message in \(response.text)", file: file, line: line)
        if let code { XCTAssertEqual(error?["code"] as? String, code, label, file: file, line: line) }
        let next = try server.post("/detect", contentType: "image/png", body: TestInputs.png(width: 16, height: 16))
        XCTAssertEqual(next.status, 200, "after \(label) the server answered \(next.status)", file: file, line: line)
    }

    func testRoutingErrors() throws {
        try expectError(try server.get("/nope"), 404, "not_found", "unknown route")
        let wrongMethod = try server.get("/detect")
        try expectError(wrongMethod, 405, "method_not_allowed", "GET /detect")
        XCTAssertEqual(wrongMethod.header("allow"), "POST")
        let deleteModels = try RawHTTPClient.request(port: server.port, method: "DELETE", path: "/models")
        try expectError(deleteModels, 405, "method_not_allowed", "DELETE /models")
        XCTAssertEqual(deleteModels.header("allow"), "GET, POST, HEAD")
        try expectError(try server.post("/detect?model=nope", contentType: "image/png", body: TestInputs.png()), 404, "model_not_found", "unknown model")
    }

    func testSegmentWithoutASegmentationModelIsAClear400() throws {
        let r = try server.post("/segment", contentType: "image/png", body: TestInputs.png())
        try expectError(r, 400, "model_cannot_segment", "segment")
        let message = (r.object["error"] as! [String: Any])["message"] as! String
        XCTAssertTrue(message.contains("none of the loaded models can"), message)
        XCTAssertTrue(message.contains("fake"), message)
    }

    func testLengthRequiredAndTooLarge() throws {
        let noLength = try RawHTTPClient.request(port: server.port, method: "POST", path: "/detect",
                                                 headers: [("Content-Type", "image/png")], contentLength: false)
        try expectError(noLength, 411, "length_required", "no Content-Length")
        // Declared too large: rejected from the header, before the body is read.
        let declared = try RawHTTPClient.send(port: server.port, bytes: Array(
            "POST /detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 999999999\r\nConnection: close\r\n\r\n".utf8),
            shutdownWrite: false)
        try expectError(declared, 413, "payload_too_large", "declared length")
        // Streamed without a length (chunked) past the cap: rejected while reading.
        var chunked = Array("POST /detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".utf8)
        let chunk = [UInt8](repeating: 0x41, count: 64 * 1024)
        for _ in 0..<6 { chunked += Array("10000\r\n".utf8) + chunk + Array("\r\n".utf8) }
        chunked += Array("0\r\n\r\n".utf8)
        try expectError(try RawHTTPClient.send(port: server.port, bytes: chunked), 413, "payload_too_large", "chunked over the cap")
        // Pixels over the limit, from the header only (this PNG's IDAT is tiny).
        let big = TestInputs.png(width: 1100, height: 1000)
        try expectError(try server.post("/detect", contentType: "image/png", body: big), 413, "image_too_large", "pixels")
        // Too many images.
        let many = Array(repeating: TestInputs.png(width: 8, height: 8), count: 5)
        try expectError(try server.postMultipart("/detect", images: many), 413, "too_many_images", "images per request")
    }

    func testMalformedInputCatalogue() throws {
        let png = TestInputs.png(width: 32, height: 24)
        let jpeg = TestInputs.jpeg(width: 32, height: 24)
        let base = "/detect"
        var corruptJPEG = jpeg
        for i in 2..<min(40, corruptJPEG.count) { corruptJPEG[i] = 0x00 }
        var corruptPNG = png
        corruptPNG[16] ^= 0xFF  // IHDR width byte: the CRC no longer matches
        let hugePNG = TestInputs.pngDeclaring(width: 60000, height: 60000)
        let hugeJPEG = TestInputs.jpegDeclaring(width: 65000, height: 65000)
        let boundary = "XyZ"
        let goodPart = Array("--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n".utf8) + png
        let jsonImage = TestInputs.base64(png)
        // A camera frame cut off (or spliced) inside the entropy-coded data: libjpeg would fill the rest with grey.
        let photo = TestInputs.jpeg(width: 96, height: 64)
        let cutJPEG = Array(photo.prefix(photo.count * 2 / 3))
        var splicedJPEG = photo
        let sos = (0 ..< photo.count - 1).first { photo[$0] == 0xFF && photo[$0 + 1] == 0xDA }!
        let middle = (sos + photo.count) / 2
        splicedJPEG[middle] = 0xFF
        splicedJPEG[middle + 1] = 0xD0

        // (label, content type, body, query, expected status, expected code)
        let cases: [(String, String?, [UInt8], String, Int, String?)] = [
            ("zero-byte body", "image/png", [], "", 400, "bad_request"),
            ("truncated JPEG header", "image/jpeg", Array(jpeg.prefix(20)), "", 422, "truncated_image"),
            ("JPEG of only SOI", "image/jpeg", [0xFF, 0xD8, 0xFF], "", 422, "truncated_image"),
            ("corrupt JPEG markers", "image/jpeg", corruptJPEG, "", 422, "undecodable_image"),
            ("truncated PNG", "image/png", Array(png.prefix(30)), "", 422, "truncated_image"),
            ("PNG signature only", "image/png", Array(png.prefix(8)), "", 422, "truncated_image"),
            ("PNG with a bad IHDR CRC", "image/png", corruptPNG, "", 422, "corrupt_image"),
            ("garbage declared as JPEG", "image/jpeg", Array("hello, world".utf8), "", 422, "undecodable_image"),
            ("JPEG cut inside its scan data", "image/jpeg", cutJPEG, "", 422, "truncated_image"),
            ("JPEG cut inside its scan data, allow_truncated=false", "image/jpeg", cutJPEG, "?allow_truncated=false", 422, "truncated_image"),
            ("PNG cut inside IDAT, even with allow_truncated", "image/png", Array(png.prefix(png.count - 20)), "?allow_truncated=true", 422, "truncated_image"),
            ("a marker inside JPEG scan data", "image/jpeg", splicedJPEG, "", 422, "corrupt_image"),
            ("a PNG zlib stream going on 200 KB past the image", "image/png", TestInputs.pngWithDataAfterTheImage(extra: 200_000), "", 422, "corrupt_image"),
            ("allow_truncated not a bool", "image/jpeg", cutJPEG, "?allow_truncated=perhaps", 400, "invalid_parameter"),
            ("a bad query value overridden by a good JSON member", "application/json",
             Array("{\"image\": \"\(jsonImage)\", \"conf\": 0.5}".utf8), "?conf=high", 400, "invalid_parameter"),
            ("garbage as octet-stream", "application/octet-stream", Array("hello, world".utf8), "", 415, "unsupported_media_type"),
            ("GIF content type", "image/gif", Array("GIF89a....".utf8), "", 415, "unsupported_media_type"),
            ("text/plain", "text/plain", Array("hi".utf8), "", 415, "unsupported_media_type"),
            ("form-urlencoded", "application/x-www-form-urlencoded", Array("image=abc".utf8), "", 415, "unsupported_media_type"),
            ("malformed Content-Type", "image", png, "", 415, "unsupported_media_type"),
            ("huge declared PNG dimensions", "image/png", hugePNG, "", 413, "image_too_large"),
            ("huge declared JPEG dimensions", "image/jpeg", hugeJPEG, "", 413, "image_too_large"),
            ("multipart without boundary", "multipart/form-data", goodPart, "", 400, "bad_request"),
            ("multipart with the wrong boundary", "multipart/form-data; boundary=Other", goodPart + Array("\r\n--XyZ--\r\n".utf8), "", 400, "bad_request"),
            ("multipart missing the closing boundary", "multipart/form-data; boundary=\(boundary)", goodPart, "", 400, "bad_request"),
            ("multipart part without headers end", "multipart/form-data; boundary=\(boundary)", Array("--XyZ\r\nContent-Disposition: form-data; name=\"image\"".utf8), "", 400, "bad_request"),
            ("multipart part without a name", "multipart/form-data; boundary=\(boundary)", Array("--XyZ\r\nContent-Disposition: form-data\r\n\r\nabc\r\n--XyZ--\r\n".utf8), "", 400, "bad_request"),
            ("multipart with no image field", "multipart/form-data; boundary=\(boundary)", Array("--XyZ\r\nContent-Disposition: form-data; name=\"conf\"\r\n\r\n0.5\r\n--XyZ--\r\n".utf8), "", 400, "bad_request"),
            ("multipart boundary too long", "multipart/form-data; boundary=\(String(repeating: "b", count: 71))", goodPart, "", 400, "bad_request"),
            ("multipart with an empty image part", "multipart/form-data; boundary=\(boundary)", Array("--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a\"\r\n\r\n\r\n--XyZ--\r\n".utf8), "", 400, "bad_request"),
            ("invalid JSON", "application/json", Array("{\"image\": ".utf8), "", 400, "bad_request"),
            ("JSON not an object", "application/json", Array("[1, 2]".utf8), "", 400, "bad_request"),
            ("JSON nested too deep", "application/json", Array((String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)).utf8), "", 400, "bad_request"),
            ("JSON image not a string", "application/json", Array("{\"image\": 5}".utf8), "", 400, "bad_request"),
            ("invalid base64", "application/json", Array("{\"image\": \"!!!not base64!!!\"}".utf8), "", 400, "bad_request"),
            ("base64 of garbage", "application/json", Array("{\"image\": \"aGVsbG8gd29ybGQ=\"}".utf8), "", 415, "unsupported_media_type"),
            ("conf out of range", "image/png", png, "?conf=1.5", 400, "invalid_parameter"),
            ("conf not a number", "image/png", png, "?conf=high", 400, "invalid_parameter"),
            ("conf NaN", "image/png", png, "?conf=nan", 400, "invalid_parameter"),
            ("iou negative", "image/png", png, "?iou=-0.1", 400, "invalid_parameter"),
            ("max_det zero", "image/png", png, "?max_det=0", 400, "invalid_parameter"),
            ("max_det not an integer", "image/png", png, "?max_det=2.5", 400, "invalid_parameter"),
            ("imgsz too small", "image/png", png, "?imgsz=8", 400, "invalid_parameter"),
            ("imgsz huge", "image/png", png, "?imgsz=99999999999999999999", 400, "invalid_parameter"),
            ("agnostic_nms not a bool", "image/png", png, "?agnostic_nms=maybe", 400, "invalid_parameter"),
            ("unknown box_format", "image/png", png, "?box_format=yolo", 400, "invalid_parameter"),
            ("unknown format", "image/png", png, "?format=voc", 400, "invalid_parameter"),
            ("unknown render", "image/png", png, "?render=gif", 400, "invalid_parameter"),
            ("unknown parameter", "image/png", png, "?confidence=0.5", 400, "invalid_parameter"),
            ("unknown class name", "image/png", png, "?classes=unicorn", 400, "invalid_parameter"),
            ("class id out of range", "image/png", png, "?classes=99", 400, "invalid_parameter"),
            ("empty class entry", "image/png", png, "?classes=person,,car", 400, "invalid_parameter"),
            ("unknown model", "image/png", png, "?model=yolov99", 404, "model_not_found"),
            ("coco with box_format", "image/png", png, "?format=coco&box_format=xyxy", 400, "invalid_parameter"),
            ("render with two images", "application/json", Array("{\"images\": [\"\(jsonImage)\", \"\(jsonImage)\"], \"render\": \"png\"}".utf8), "", 400, "invalid_parameter"),
            ("JSON parameter of the wrong type", "application/json", Array("{\"image\": \"\(jsonImage)\", \"conf\": {\"a\": 1}}".utf8), "", 400, "invalid_parameter"),
        ]
        XCTAssertGreaterThanOrEqual(cases.count, 30)
        for (label, type, body, query, status, code) in cases {
            let response = try server.post(base + query, contentType: type, body: body)
            try expectError(response, status, code, label)
        }
    }

    func testAllowTruncatedDecodesACutJPEGAsLibjpegDoes() throws {
        let photo = TestInputs.jpeg(width: 96, height: 64)
        let cut = Array(photo.prefix(photo.count * 2 / 3))
        let refused = try server.post("/detect", contentType: "image/jpeg", body: cut)
        try expectError(refused, 422, "truncated_image", "cut JPEG")
        XCTAssertTrue(refused.text.contains("allow_truncated"), refused.text)
        for route in ["/detect?allow_truncated=true", "/detect?allow_truncated=1", "/v1/vision/detection?allow_truncated=true"] {
            let accepted = try server.post(route, contentType: "image/jpeg", body: cut)
            XCTAssertEqual(accepted.status, 200, "\(route): \(accepted.text)")
        }
        let deepStack = try server.post("/v1/vision/detection", contentType: "image/jpeg", body: cut)
        XCTAssertEqual(deepStack.status, 422, deepStack.text)
    }

    func testAPNGWithAFewBytesAfterItsRowsStillDecodes() throws {
        // Within the budget (a row plus 64 KB): libpng finishes the stream, as for any encoder's padding.
        let response = try server.post("/detect", contentType: "image/png", body: TestInputs.pngWithDataAfterTheImage(extra: 1000))
        XCTAssertEqual(response.status, 200, response.text)
    }

    func testBrokenHTTPFramingKeepsTheServerServing() throws {
        // A request line that is not HTTP, a body shorter than its Content-Length (client gives up),
        // and a connection closed mid-headers: none may hurt the next request.
        _ = try? RawHTTPClient.send(port: server.port, bytes: Array("NOT HTTP AT ALL\r\n\r\n".utf8), timeout: 5)
        _ = try? RawHTTPClient.send(port: server.port, bytes: Array("POST /detect HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc".utf8), timeout: 2)
        _ = try? RawHTTPClient.send(port: server.port, bytes: Array("POST /detect HTTP/1.1\r\nHost:".utf8), timeout: 2)
        // A chunked upload far past the cap is cut off (connection closed) rather than read forever.
        var endless = Array("POST /detect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        for _ in 0..<40 { endless += Array("10000\r\n".utf8) + [UInt8](repeating: 0x42, count: 65536) + Array("\r\n".utf8) }
        let cut = try? RawHTTPClient.send(port: server.port, bytes: endless, timeout: 5)
        XCTAssertNotEqual(cut?.status, 200)
        let next = try server.post("/detect", contentType: "image/png", body: TestInputs.png(width: 16, height: 16))
        XCTAssertEqual(next.status, 200)
    }
}
