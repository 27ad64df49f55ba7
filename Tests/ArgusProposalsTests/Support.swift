import ArgusImage
@testable import ArgusProposals
import ArgusTestSupport
import CCrypto
import Foundation
import XCTest

/// Tests/ArgusProposalsTests/Fixtures, written by tools/gen_selective_search_fixtures.py from OpenCV contrib.
enum Fixtures {
    struct Cases: Decodable {
        let opencv: OpenCVInfo
        let kernels: [Kernel]
        let blur: [Blur]
        let color: Color
        let segmentations: [Segmentation]
        let synthetic: [Synthetic]
        let coverage: [Coverage]
    }

    struct OpenCVInfo: Decodable {
        let version: String
        let cpu_features: String
    }

    struct Kernel: Decodable {
        let sigma: Double
        let size: Int
        let bits: [UInt32]
    }

    struct Blur: Decodable {
        let seed: Int, width: Int, height: Int
        let sigma: Double
        let sha256: String
    }

    struct Color: Decodable {
        let hsv_sha256: String
        let lab_sha256: String
    }

    struct Segmentation: Decodable {
        let image: String
        let long_side: Int?
        let width: Int, height: Int
        let resized_bgr_sha256: String
        let space: String
        let sigma: Double
        let k: Float
        let min_size: Int
        let segments: Int
        let labels_sha256: String
        let png: String
    }

    struct Synthetic: Decodable {
        let seed: Int, blocks_w: Int, blocks_h: Int, cell: Int
        let sigma: Double
        let k: Float
        let min_size: Int
        let segments: Int
        let labels_sha256: String
        let png: String
    }

    struct Coverage: Decodable {
        let image: String
        let long_side: Int?
        let width: Int, height: Int
        let resized_bgr_sha256: String
        let hsv_sha256: String, lab_sha256: String
        let sigma: Double
        let ks: [Float]
        let min_size: Int
        let hsv_labels_sha256: [String]
        let lab_labels_sha256: [String]
    }

    static func url(_ relative: String) throws -> URL {
        let base = (relative as NSString).deletingPathExtension, ext = (relative as NSString).pathExtension
        return try XCTUnwrap(Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Fixtures"),
                             "missing fixture Fixtures/\(relative)")
    }

    static let cases: Result<Cases, Error> = Result(catching: {
        try JSONDecoder().decode(Cases.self, from: Data(contentsOf: url("selective_search_cases.json")))
    })

    static func load() throws -> Cases { try cases.get() }

    /// A label map stored as PNG: label = R + 256 G + 65536 B.
    static func labels(_ png: String) throws -> LabelMap {
        let image = try decodeImage([UInt8](Data(contentsOf: url(png)))).image
        var labels = [Int32](repeating: 0, count: image.width * image.height)
        var count: Int32 = 0
        for i in 0 ..< labels.count {
            let p = image.pixels[3 * i ..< 3 * i + 3].map { Int32($0) }
            labels[i] = p[0] | p[1] << 8 | p[2] << 16
            count = max(count, labels[i] + 1)
        }
        return LabelMap(width: image.width, height: image.height, labels: labels, count: Int(count))
    }
}

/// SHA-256 (OpenSSL) of the bytes of an array of plain values, as lowercase hex.
func sha256<T>(_ values: [T]) -> String {
    values.withUnsafeBytes { raw -> String in
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = EVP_Digest(raw.baseAddress, raw.count, &digest, &length, EVP_sha256(), nil)
        precondition(ok == 1, "EVP_Digest failed")
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }
}

/// The generator's pixel source: x = x * 1664525 + 1013904223 (mod 2^32), byte = x >> 24.
func lcgBytes(seed: Int, count: Int) -> [UInt8] {
    var x = UInt32(truncatingIfNeeded: seed)
    var out = [UInt8](repeating: 0, count: count)
    for i in 0 ..< count {
        x = x &* 1664525 &+ 1013904223
        out[i] = UInt8(x >> 24)
    }
    return out
}

/// The generator's blocky image: a 4-colour LCG palette on a blocksW x blocksH grid of cell x cell squares.
func blockyImage(seed: Int, blocksW: Int, blocksH: Int, cell: Int) -> ChannelImage {
    let palette = lcgBytes(seed: seed, count: 12)
    let index = lcgBytes(seed: seed * 7 + 1, count: blocksW * blocksH).map { Int($0 % 4) }
    let width = blocksW * cell, height = blocksH * cell
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    for y in 0 ..< height {
        for x in 0 ..< width {
            let colour = index[(y / cell) * blocksW + x / cell]
            for c in 0 ..< 3 { pixels[(y * width + x) * 3 + c] = palette[colour * 3 + c] }
        }
    }
    return ChannelImage(width: width, height: height, channels: 3, pixels: pixels)
}

/// A shared dataset image as the generator prepared it: cv2.imread (BGR), resized with INTER_LINEAR to the
/// recorded size unless `longSide` is nil. Skips when ../shared is absent; fails when the pixels differ from the
/// generator's (so a resize difference is not reported as a segmentation difference).
func sharedImage(_ path: String, longSide: Int?, width: Int, height: Int, sha: String,
                 file: StaticString = #filePath, line: UInt = #line) throws -> ChannelImage {
    let url = try SharedData.url(path, file: file, line: line)
    var image = try decodeImage([UInt8](Data(contentsOf: url))).image
    if longSide != nil { image = resizeBilinear(image, width: width, height: height) }
    let bgr = ChannelImage(bgr: image)
    XCTAssertEqual(sha256(bgr.pixels), sha, "\(path): the input image differs from the generator's", file: file, line: line)
    return bgr
}

/// How two label maps differ: pixels with different labels, and whether they are the same partition.
func describeDifference(_ a: LabelMap, _ b: LabelMap) -> String {
    guard a.width == b.width && a.height == b.height else { return "sizes differ" }
    var differing = 0
    var forward = [Int32: Int32](), backward = [Int32: Int32]()
    var samePartition = true
    for i in 0 ..< a.labels.count {
        if a.labels[i] != b.labels[i] { differing += 1 }
        if let m = forward[a.labels[i]], m != b.labels[i] { samePartition = false }
        if let m = backward[b.labels[i]], m != a.labels[i] { samePartition = false }
        forward[a.labels[i]] = b.labels[i]
        backward[b.labels[i]] = a.labels[i]
    }
    return "\(differing) of \(a.labels.count) pixels labelled differently, \(a.count) vs \(b.count) segments, "
        + (samePartition ? "same partition" : "different partitions")
}
