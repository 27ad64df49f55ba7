import ArgusDetection
import ArgusImage
import ArgusModels
import XCTest

/// Checks an `/detect` image entry against the detections the model returns for the same decoded image.
func assertDetections(_ entry: [String: Any], equal expected: [Detection], file: StaticString = #filePath, line: UInt = #line) {
    let detections = entry["detections"] as? [[String: Any]] ?? []
    XCTAssertEqual(detections.count, expected.count, "detection count", file: file, line: line)
    for (got, want) in zip(detections, expected) {
        let box = (got["box"] as? [Double] ?? []).map(Float.init)
        XCTAssertEqual(box, [want.box.x1, want.box.y1, want.box.x2, want.box.y2], file: file, line: line)
        XCTAssertEqual((got["score"] as? Double).map(Float.init), want.score, file: file, line: line)
        XCTAssertEqual(got["class_id"] as? Int, want.classId, file: file, line: line)
        XCTAssertEqual(got["label"] as? String, want.label, file: file, line: line)
    }
}

/// The decoded image the server sees for these bytes.
func decoded(_ bytes: [UInt8]) -> RGBImage { try! decodeImage(bytes).image }
