import ArgusImage
import XCTest

/// Decodes every file in Fixtures/decode and compares with what cv2.imread produced for it.
final class DecodeFixtureTests: XCTestCase {
    struct Case: Decodable {
        let file: String
        let note: String
        let expected_error: String?
        let cv2_width: Int?
        let cv2_height: Int?
        let cv2_sha256: String?
        let exif_orientation: Int?
        let stored_sha256: String?
    }

    func loadCases() throws -> [Case] { try Fixtures.json("decode_cases.json", as: [Case].self) }

    func bytes(_ file: String) throws -> [UInt8] {
        // Empty files are not reliably copied as resources; the fixture's empty case is literal.
        if file == "empty.bin" { return [] }
        return try Fixtures.bytes(file, subdirectory: "Fixtures/decode")
    }

    func testVariantsMatchOpenCV() throws {
        let cases = try loadCases()
        XCTAssertGreaterThan(cases.count, 40)
        var checked = 0
        for c in cases where c.expected_error == nil {
            let data = try bytes(c.file)
            if let expected = c.cv2_sha256 {
                do {
                    // cv2.imread decodes cut and damaged JPEG data with a warning: allowTruncated is that behaviour.
                    let decoded = try decodeImage(data, allowTruncated: true)
                    XCTAssertEqual(decoded.image.width, c.cv2_width, c.file)
                    XCTAssertEqual(decoded.image.height, c.cv2_height, c.file)
                    XCTAssertEqual(SHA256.hex(decoded.image.pixels), expected, "\(c.file) (\(c.note)) differs from cv2.imread")
                    let dims = try imageDimensions(data)
                    XCTAssertEqual(dims.width, c.cv2_width, c.file)
                    XCTAssertEqual(dims.height, c.cv2_height, c.file)
                    checked += 1
                } catch {
                    XCTFail("\(c.file) (\(c.note)): cv2 decodes it but Argus threw \(error)")
                }
            } else {
                // cv2.imread returned None (e.g. a progressive JPEG cut inside a table segment).
                XCTAssertThrowsError(try decodeImage(data, allowTruncated: true), "\(c.file): cv2 refuses it, Argus should too")
            }
        }
        XCTAssertGreaterThan(checked, 30)
    }

    func testTruncatedScanDataDecodesWithWarningLikeOpenCVWhenAllowed() throws {
        var seen = 0
        for c in try loadCases() where c.file.hasPrefix("trunc_scan_") {
            let decoded = try decodeImage(try bytes(c.file), allowTruncated: true)
            XCTAssertGreaterThan(decoded.warningCount, 0, c.file)
            XCTAssertEqual(decoded.firstWarning, "Premature end of JPEG file", c.file)
            seen += 1
        }
        XCTAssertEqual(seen, 3)
        let clean = try decodeImage(try bytes("baseline.jpg"))
        XCTAssertEqual(clean.warningCount, 0)
        XCTAssertNil(clean.firstWarning)
    }

    /// By default a JPEG cut inside its scan data is `truncated`, though cv2.imread returns an image for it (the rest
    /// grey); every file cv2 decodes without a data warning still decodes (corrupt_scan.jpg's one flipped byte is
    /// still valid entropy-coded data: libjpeg cannot tell, and neither can Argus).
    func testCutScanDataIsRefusedByDefault() throws {
        var refused = 0, decoded = 0
        for c in try loadCases() where c.expected_error == nil && c.cv2_sha256 != nil {
            let data = try bytes(c.file)
            if c.file.hasPrefix("trunc_scan_") {
                XCTAssertThrowsError(try decodeImage(data), c.file) { error in
                    XCTAssertEqual((error as? ImageError).map(Self.kind), "truncated", "\(c.file): \(error)")
                    XCTAssertTrue("\(error)".contains("Premature end of JPEG file"), "\(error)")
                }
                refused += 1
            } else {
                XCTAssertNoThrow(try decodeImage(data), c.file)
                decoded += 1
            }
        }
        XCTAssertEqual(refused, 3)
        XCTAssertGreaterThan(decoded, 30)
    }

    /// A marker inside the scan data (a spliced or damaged stream): libjpeg warns "premature end of data segment" and
    /// fills the rest of the segment. `corrupt` by default; decoded with the warning when allowed.
    func testDamagedScanDataIsCorruptByDefault() throws {
        var data = try bytes("baseline.jpg")
        let sos = try XCTUnwrap((0 ..< data.count - 1).first { data[$0] == 0xFF && data[$0 + 1] == 0xDA })
        let scanStart = sos + 2 + (Int(data[sos + 2]) << 8 | Int(data[sos + 3]))
        let middle = (scanStart + data.count - 2) / 2
        data[middle] = 0xFF
        data[middle + 1] = 0xD0
        XCTAssertThrowsError(try decodeImage(data)) { error in
            XCTAssertEqual((error as? ImageError).map(Self.kind), "corrupt", "\(error)")
            XCTAssertTrue("\(error)".contains("premature end of data segment"), "\(error)")
        }
        let lenient = try decodeImage(data, allowTruncated: true)
        XCTAssertEqual(lenient.firstWarning, "Corrupt JPEG data: premature end of data segment")
        XCTAssertEqual(lenient.image.width, 24)
    }

    func testExifOrientation() throws {
        var seen = Set<Int>()
        for c in try loadCases() where c.file.hasPrefix("orient_") {
            let data = try bytes(c.file)
            let tag = try XCTUnwrap(c.exif_orientation, c.file)
            let decoded = try decodeImage(data)
            let expectedApplied = (1 ... 8).contains(tag) ? tag : 1
            XCTAssertEqual(decoded.appliedOrientation.rawValue, expectedApplied, c.file)
            let stored = try decodeImage(data, applyExifOrientation: false)
            XCTAssertEqual(stored.appliedOrientation, .up)
            XCTAssertEqual(SHA256.hex(stored.image.pixels), c.stored_sha256, "\(c.file) stored pixels")
            XCTAssertEqual(SHA256.hex(decoded.image.pixels), c.cv2_sha256, "\(c.file) oriented pixels vs cv2")
            // Applying the orientation ourselves to the untagged decode gives the same pixels.
            if let orientation = ExifOrientation(rawValue: tag) {
                XCTAssertEqual(applyOrientation(stored.image, orientation), decoded.image, c.file)
            }
            let header = try readImageHeader(data)
            XCTAssertEqual(header.orientation?.rawValue, (1 ... 8).contains(tag) ? tag : nil, c.file)
            XCTAssertEqual(header.width, decoded.image.width, c.file)
            XCTAssertEqual(header.height, decoded.image.height, c.file)
            seen.insert(decoded.appliedOrientation.rawValue)
        }
        XCTAssertEqual(seen, Set(1 ... 8))
    }

    func testOrientationGeometryByHand() throws {
        // 3x2 image whose pixels are numbered 0...5 row-major (value in the red channel).
        let image = try RGBImage(width: 3, height: 2, pixels: (0 ..< 6).flatMap { [UInt8($0), 0, 0] })
        func reds(_ o: ExifOrientation) -> [UInt8] {
            let out = applyOrientation(image, o)
            return stride(from: 0, to: out.pixels.count, by: 3).map { out.pixels[$0] }
        }
        // Stored:  0 1 2 / 3 4 5
        XCTAssertEqual(reds(.up), [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(reds(.upMirrored), [2, 1, 0, 5, 4, 3])
        XCTAssertEqual(reds(.down), [5, 4, 3, 2, 1, 0])
        XCTAssertEqual(reds(.downMirrored), [3, 4, 5, 0, 1, 2])
        XCTAssertEqual(reds(.leftMirrored), [0, 3, 1, 4, 2, 5])   // transpose
        XCTAssertEqual(reds(.right), [3, 0, 4, 1, 5, 2])          // 90 degrees clockwise
        XCTAssertEqual(reds(.rightMirrored), [5, 2, 4, 1, 3, 0])  // transverse
        XCTAssertEqual(reds(.left), [2, 5, 1, 4, 0, 3])           // 90 degrees counter-clockwise
        XCTAssertEqual(applyOrientation(image, .right).width, 2)
    }

    func testMalformedInputsGiveTypedErrors() throws {
        var count = 0
        for c in try loadCases() {
            guard let kind = c.expected_error else { continue }
            let data = try bytes(c.file)
            XCTAssertThrowsError(try decodeImage(data), c.file) { error in
                guard let error = error as? ImageError else { return XCTFail("\(c.file): untyped \(error)") }
                XCTAssertEqual(Self.kind(error), kind, "\(c.file) (\(c.note)): \(error)")
                XCTAssertFalse(error.description.isEmpty)
            }
            XCTAssertNil(c.cv2_sha256, "\(c.file): cv2 decodes it, so Argus should not fail")
            count += 1
        }
        XCTAssertGreaterThanOrEqual(count, 19)
    }

    func testPixelLimitIsCheckedFromTheHeader() throws {
        let data = try bytes("baseline.jpg")  // 24x16 = 384 pixels
        XCTAssertThrowsError(try decodeImage(data, maxPixels: 383)) { error in
            XCTAssertEqual(error as? ImageError, .tooLarge(width: 24, height: 16, limit: 383))
        }
        XCTAssertNoThrow(try decodeImage(data, maxPixels: 384))
        let png = try bytes("rgb.png")  // 13x7
        XCTAssertThrowsError(try decodeImage(png, maxPixels: 90)) { error in
            XCTAssertEqual(error as? ImageError, .tooLarge(width: 13, height: 7, limit: 90))
        }
        // The 100000x100000 header is reported without allocating 30 GB.
        let huge = try bytes("huge_100000.png")
        XCTAssertEqual(try imageDimensions(huge).width, 100000)
        XCTAssertThrowsError(try decodeImage(huge)) { error in
            XCTAssertEqual(error as? ImageError, .tooLarge(width: 100000, height: 100000, limit: defaultMaxPixels))
        }
    }

    func testProgressiveScanBombIsRefused() throws {
        // The last scan of a progressive file repeated 600 times: libjpeg would re-run every
        // scan over the whole coefficient buffer; Argus stops after 500 scans (cv2 has no limit).
        let data = try bytes("progressive.jpg")
        var lastSOS = 0
        for i in 0 ..< data.count - 1 where data[i] == 0xFF && data[i + 1] == 0xDA { lastSOS = i }
        XCTAssertGreaterThan(lastSOS, 0)
        let scan = Array(data[lastSOS ..< (data.count - 2)])
        var bomb = Array(data[0 ..< lastSOS])
        for _ in 0 ..< 600 { bomb += scan }
        bomb += [0xFF, 0xD9]
        XCTAssertThrowsError(try decodeImage(bomb)) { error in
            XCTAssertEqual(error as? ImageError, .corrupt("JPEG: JPEG has too many progressive scans"))
        }
        var few = Array(data[0 ..< lastSOS])
        for _ in 0 ..< 3 { few += scan }
        few += [0xFF, 0xD9]
        // A repeated refinement scan runs out of correction bits: damaged data, decodable only when allowed.
        XCTAssertNoThrow(try decodeImage(few, allowTruncated: true), "a few repeated scans are still decodable")
        XCTAssertThrowsError(try decodeImage(few)) { error in
            XCTAssertEqual((error as? ImageError).map(Self.kind), "corrupt", "\(error)")
        }
    }

    func testSniff() throws {
        XCTAssertEqual(ImageFormat.sniff(try bytes("baseline.jpg")), .jpeg)
        XCTAssertEqual(ImageFormat.sniff(try bytes("rgb.png")), .png)
        XCTAssertEqual(ImageFormat.sniff([]), .other)
        XCTAssertEqual(ImageFormat.sniff([0xFF, 0xD8]), .other)
        XCTAssertEqual(ImageFormat.sniff(Array("GIF89a".utf8)), .other)
        XCTAssertEqual(ImageFormat.sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A]), .other)
    }

    func testEveryPrefixOfAJPEGAndAPNGIsHandled() throws {
        // No prefix may crash, hang or exit; each either decodes or throws a typed error.
        for file in ["progressive.jpg", "baseline.jpg", "interlaced.png", "palette_trns.png"] {
            let data = try bytes(file)
            for cut in 0 ..< data.count {
                do { _ = try decodeImage(Array(data[0 ..< cut])) } catch is ImageError {} catch {
                    XCTFail("\(file)[0..<\(cut)]: untyped error \(error)")
                }
            }
        }
    }

    func testRandomByteFlipsNeverCrash() throws {
        var state: UInt32 = 12345
        func next() -> Int { state = state &* 1664525 &+ 1013904223; return Int(state >> 8) }
        for file in ["baseline.jpg", "progressive.jpg", "rgb.png", "interlaced.png", "cmyk.jpg"] {
            let data = try bytes(file)
            for _ in 0 ..< 150 {
                var mutated = data
                for _ in 0 ..< 1 + next() % 4 { mutated[next() % mutated.count] = UInt8(next() & 0xFF) }
                do { _ = try decodeImage(mutated) } catch is ImageError {} catch {
                    XCTFail("\(file): untyped error \(error)")
                }
            }
        }
    }

    static func kind(_ error: ImageError) -> String {
        switch error {
        case .empty: return "empty"
        case .unsupportedFormat: return "unsupportedFormat"
        case .corrupt: return "corrupt"
        case .truncated: return "truncated"
        case .tooLarge: return "tooLarge"
        case .unsupportedColorSpace: return "unsupportedColorSpace"
        case .invalidArgument: return "invalidArgument"
        }
    }
}
