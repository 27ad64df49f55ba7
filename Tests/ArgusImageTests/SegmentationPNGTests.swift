import ArgusImage
import ArgusTestSupport
import Foundation
import XCTest

/// Label-map encoders: indexed PNG with the VOC palette (against a PIL-written fixture), COCO panoptic
/// RGB ids (against the official COCO panoptic PNGs in ../shared), and 1-bit masks.
final class SegmentationPNGTests: XCTestCase {
    func testPascalVOCPaletteKnownEntries() {
        let p = SegmentationPalette.pascalVOC()
        XCTAssertEqual(p.count, 256)
        // Values from the VOC devkit's colour table (background, aeroplane, ..., tvmonitor, void).
        let known: [Int: RGBColor] = [
            0: RGBColor(0, 0, 0), 1: RGBColor(128, 0, 0), 2: RGBColor(0, 128, 0), 3: RGBColor(128, 128, 0),
            4: RGBColor(0, 0, 128), 5: RGBColor(128, 0, 128), 6: RGBColor(0, 128, 128), 7: RGBColor(128, 128, 128),
            8: RGBColor(64, 0, 0), 15: RGBColor(192, 128, 128), 20: RGBColor(0, 64, 128), 255: RGBColor(224, 224, 192),
        ]
        for (i, c) in known { XCTAssertEqual(p[i], c, "entry \(i)") }
        XCTAssertEqual(SegmentationPalette.pascalVOC(count: 21), Array(p.prefix(21)))
        XCTAssertEqual(SegmentationPalette.pascalVOC(count: 0), [])
        XCTAssertEqual(Set(p.map { [$0.r, $0.g, $0.b] }).count, 256, "entries are distinct")
    }

    func testIndexedPNGMatchesPILAndKeepsIndices() throws {
        let w = 23, h = 17
        let indices = (0..<(w * h)).map { UInt8($0 % 256) }
        let palette = SegmentationPalette.pascalVOC()
        let png = try encodeIndexedPNG(indices: indices, width: w, height: h, palette: palette)
        let chunks = pngChunks(png)
        let ihdr = try XCTUnwrap(chunks.first { $0.type == "IHDR" }?.data)
        XCTAssertEqual(ihdr[8], 8, "bit depth"); XCTAssertEqual(ihdr[9], 3, "colour type 3 = palette")
        let plte = try XCTUnwrap(chunks.first { $0.type == "PLTE" }?.data, "PLTE chunk present")
        XCTAssertEqual(plte, palette.flatMap { [$0.r, $0.g, $0.b] })
        // PIL's own file: same palette bytes and, decoded, the same colours.
        let pil = try Fixtures.bytes("voc_indexed_pil.png", subdirectory: "Fixtures/segmentation")
        XCTAssertEqual(pngChunks(pil).first { $0.type == "PLTE" }?.data, plte)
        let ours = try decodeImage(png).image, theirs = try decodeImage(pil).image
        XCTAssertEqual(ours, theirs)
        // Indices survive: each decoded colour maps back to its palette index (the entries are distinct).
        var lookup = [Int: UInt8]()
        for (i, c) in palette.enumerated() { lookup[Int(c.r) << 16 | Int(c.g) << 8 | Int(c.b)] = UInt8(i) }
        let back = (0..<(w * h)).map { lookup[rgbKey(ours.pixels, $0)] }
        XCTAssertEqual(back, indices)
        // A 21-colour palette refuses index 21.
        XCTAssertThrowsError(try encodeIndexedPNG(indices: [0, 21], width: 2, height: 1, palette: SegmentationPalette.pascalVOC(count: 21)))
        XCTAssertThrowsError(try encodeIndexedPNG(indices: [0], width: 1, height: 1, palette: []))
    }

    func testPanopticPNGLayout() throws {
        let ids: [UInt32] = [0, 1, 256, 65536, 0x030201, 0xFFFFFF]
        let png = try encodePanopticPNG(segmentIds: ids, width: 3, height: 2)
        XCTAssertEqual(pngChunks(png).first { $0.type == "IHDR" }?.data[9], 2, "colour type 2 = RGB")
        XCTAssertEqual(try decodeImage(png).image.pixels,
                       [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 2, 3, 255, 255, 255])
        XCTAssertThrowsError(try encodePanopticPNG(segmentIds: [1 << 24], width: 1, height: 1))
        XCTAssertThrowsError(try encodePanopticPNG(segmentIds: [1, 2], width: 1, height: 1))
    }

    func testPanopticPNGReproducesCOCOPanopticAnnotations() throws {
        let shared = try SharedData.root(containing: "datasets")
        let dir = shared.appendingPathComponent("datasets/coco128/annotations")
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("panoptic_train2017.json"))) as? [String: Any])
        let anns = try XCTUnwrap(json["annotations"] as? [[String: Any]])
        for ann in anns.prefix(8) {
            let file = ann["file_name"] as! String
            let original = try decodeImage([UInt8](Data(contentsOf: dir.appendingPathComponent("panoptic_train2017/\(file)")))).image
            let n = original.width * original.height
            let ids = (0..<n).map { UInt32(rgbKey(original.pixels, $0, bigEndian: false)) }
            // The ids decoded with COCO's rule are exactly the annotated segments (and void).
            let segs = (ann["segments_info"] as! [[String: Any]])
            let annotated = Set(segs.map { UInt32($0["id"] as! Int) })
            XCTAssertEqual(Set(ids).subtracting([0]), annotated, file)
            for s in segs.prefix(3) {
                let id = UInt32(s["id"] as! Int), area = s["area"] as! Int
                XCTAssertEqual(ids.filter { $0 == id }.count, area, "\(file) segment area")
            }
            let png = try encodePanopticPNG(segmentIds: ids, width: original.width, height: original.height)
            XCTAssertEqual(try decodeImage(png).image, original, file)
        }
    }

    func testOneBitMaskPNG() throws {
        let w = 13, h = 5
        let mask = (0..<(w * h)).map { UInt8(($0 * 7 % 11) < 4 ? 1 : 0) }
        let png = try encodePNG(bits1: mask, width: w, height: h)
        let ihdr = try XCTUnwrap(pngChunks(png).first { $0.type == "IHDR" }?.data)
        XCTAssertEqual(ihdr[8], 1, "bit depth 1"); XCTAssertEqual(ihdr[9], 0, "grayscale")
        XCTAssertEqual(try decodeImage(png).image.pixels, mask.flatMap { [$0 * 255, $0 * 255, $0 * 255] })
        // Nonzero means set.
        XCTAssertEqual(try encodePNG(bits1: mask.map { $0 * 200 }, width: w, height: h), png)
        XCTAssertThrowsError(try encodePNG(bits1: mask, width: w + 1, height: h))
        XCTAssertThrowsError(try encodePNG(bits1: [], width: 0, height: 0))
        // Smaller than the 8-bit gray PNG of a realistic 640x480 mask.
        var big = [UInt8](repeating: 0, count: 640 * 480)
        for y in 100..<300 { for x in 200..<(260 + y) { big[y * 640 + x] = 1 } }
        let one = try encodePNG(bits1: big, width: 640, height: 480)
        let eight = try encodePNG(gray: big.map { $0 * 255 }, width: 640, height: 480)
        XCTAssertLessThan(one.count, eight.count)
        XCTAssertEqual(try decodeImage(one).image, try decodeImage(eight).image)
    }
}

/// Pixel `i`'s colour as one integer: R<<16|G<<8|B, or R + 256 G + 256^2 B (COCO panoptic id) when not big-endian.
private func rgbKey(_ rgb: [UInt8], _ i: Int, bigEndian: Bool = true) -> Int {
    let r = Int(rgb[3 * i]), g = Int(rgb[3 * i + 1]), b = Int(rgb[3 * i + 2])
    return bigEndian ? (r << 16) | (g << 8) | b : r + 256 * g + 65536 * b
}

/// PNG chunks (type and data) after the 8-byte signature; no CRC check (the decoder does that).
private func pngChunks(_ png: [UInt8]) -> [(type: String, data: [UInt8])] {
    var out = [(type: String, data: [UInt8])]()
    var i = 8
    while i + 12 <= png.count {
        let len = Int(png[i]) << 24 | Int(png[i + 1]) << 16 | Int(png[i + 2]) << 8 | Int(png[i + 3])
        guard i + 12 + len <= png.count else { break }
        out.append((String(decoding: png[(i + 4)..<(i + 8)], as: UTF8.self), Array(png[(i + 8)..<(i + 8 + len)])))
        i += 12 + len
    }
    return out
}
