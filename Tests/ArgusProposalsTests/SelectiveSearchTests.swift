import ArgusImage
@testable import ArgusProposals
import ArgusTestSupport
import Foundation
import XCTest

/// Fixtures/selective_search_boxes.json, written by tools/gen_selective_search_fixtures.py from
/// cv2.ximgproc.segmentation.createSelectiveSearchSegmentation().
enum BoxFixtures {
    struct Cases: Decodable {
        let opencv: Fixtures.OpenCVInfo
        let images: [Image]
    }

    struct Image: Decodable {
        let image: String
        let long_side: Int?
        let width: Int, height: Int
        let resized_bgr_sha256: String
        let fast: Mode?
        let quality: Mode?
        let groupings: [Grouping]?
        let rotated_planes: [Rotated]?
    }

    struct Rotated: Decodable {
        let channel: Int, width: Int, height: Int
        let sha256: String
        let row_sha256_prefixes: [String]
    }

    struct Mode: Decodable {
        let count: Int
        let sorted_sha256: String
        let order_sha256: String
        let boxes: [[Int]]?
    }

    struct Grouping: Decodable {
        let space: String
        let k: Float
        let strategy: String
        let count: Int
        let sha256: String
    }

    static let cases: Result<Cases, Error> = Result(catching: {
        try JSONDecoder().decode(Cases.self, from: Data(contentsOf: Fixtures.url("selective_search_boxes.json")))
    })

    static func load() throws -> Cases { try cases.get() }

    static func bgr(_ c: Image) throws -> ChannelImage {
        try sharedImage(c.image, longSide: c.long_side, width: c.width, height: c.height, sha: c.resized_bgr_sha256)
    }
}

/// Count and sha256 of the unique boxes as int32 [x, y, w, h] rows sorted ascending (the generator's form).
func sortedBoxDigest(_ boxes: [ProposalRect]) -> (count: Int, sha: String) {
    let rows = Set(boxes).sorted { ($0.x, $0.y, $0.width, $0.height) < ($1.x, $1.y, $1.width, $1.height) }
    return (rows.count, sha256(rows.flatMap { [Int32($0.x), Int32($0.y), Int32($0.width), Int32($0.height)] }))
}

/// sha256 of the boxes in the given order as int32 rows.
func orderedBoxDigest(_ boxes: [ProposalRect]) -> String {
    sha256(boxes.flatMap { [Int32($0.x), Int32($0.y), Int32($0.width), Int32($0.height)] })
}

final class SelectiveSearchTests: XCTestCase {
    /// Fast mode on every recorded image: the box set equal to OpenCV's, and the order equal to what OpenCV
    /// returns as the first rand() user of a fresh process.
    func testFastBoxSetsEqualOpenCV() throws { try checkMode(.fast) }

    func testQualityBoxSetsEqualOpenCV() throws { try checkMode(.quality) }

    private func checkMode(_ mode: SelectiveSearchMode) throws {
        let cases = try BoxFixtures.load().images.filter { (mode == .fast ? $0.fast : $0.quality) != nil }
        XCTAssertGreaterThan(cases.count, 0)
        var setFailures: [String] = [], orderFailures: [String] = []
        for c in cases {
            let expected = (mode == .fast ? c.fast : c.quality)!
            let boxes = SelectiveSearch(mode: mode).process(try BoxFixtures.bgr(c))
            let digest = sortedBoxDigest(boxes)
            XCTAssertEqual(boxes.count, digest.count, "duplicates in the output")
            if digest.sha != expected.sorted_sha256 {
                setFailures.append("\(c.image): \(digest.count) boxes vs OpenCV's \(expected.count)")
                if let list = expected.boxes {
                    let theirs = Set(list.map { ProposalRect(x: $0[0], y: $0[1], width: $0[2], height: $0[3]) })
                    let ours = Set(boxes)
                    print("\(c.image): \(ours.subtracting(theirs).count) extra, \(theirs.subtracting(ours).count) missing")
                }
            } else if orderedBoxDigest(boxes) != expected.order_sha256 {
                orderFailures.append(c.image)
            }
        }
        XCTAssertEqual(setFailures, [], "\(mode): \(setFailures.count) of \(cases.count) box sets differ from OpenCV")
        // The order also depends on every region's level, so on the exact merge sequence; OpenCV's float warp
        // (IPP) is reproduced to about 1 output in 6000 (`OpenCVWarp.warpAffine32F`), which moves a texture bin on
        // some images and with it a merge, usually without changing the set. So most orders match, not all.
        XCTAssertGreaterThanOrEqual(4 * (cases.count - setFailures.count - orderFailures.count), 3 * cases.count,
                                    "\(mode): equal sets, different order on \(orderFailures)")
        if !orderFailures.isEmpty { print("\(mode): equal sets, different order on \(orderFailures)") }
        print("selective search \(mode): box sets equal to OpenCV's on \(cases.count - setFailures.count) of "
              + "\(cases.count) images, order on \(cases.count - setFailures.count - orderFailures.count)")
    }

    /// Single groupings (one image, one segmentation, one strategy) of the first image, to localise a difference.
    func testSingleGroupingsEqualOpenCV() throws {
        let c = try XCTUnwrap(BoxFixtures.load().images.first)
        let groupings = try XCTUnwrap(c.groupings)
        let bgr = try BoxFixtures.bgr(c)
        let hsv = OpenCVColorConversion.bgrToHSV(bgr), gray = OpenCVColorConversion.bgrToGray(bgr)
        let images: [String: ChannelImage] = [
            "hsv": hsv, "lab": OpenCVColorConversion.bgrToLab(bgr), "gray": gray, "hue": hsv.channel(0), "blue": bgr.channel(0),
            "rgI": ChannelImage.merging([bgr.channel(2), bgr.channel(1), gray]),
        ]
        let strategies: [String: SelectiveSearchStrategy] = [
            "color+fill+texture+size": .combination(.color, .fill, .texture, .size),
            "fill+texture+size": .combination(.fill, .texture, .size),
            "fill": .single(.fill), "size": .single(.size), "color": .single(.color), "texture": .single(.texture),
        ]
        var textures: [String: [[UInt8]]] = [:]
        var failures: [String] = []
        for g in groupings {
            let image = try XCTUnwrap(images[g.space]), strategy = try XCTUnwrap(strategies[g.strategy])
            let maps = textures[g.space] ?? TextureGradients.maps(image)
            textures[g.space] = maps
            let labels = GraphSegmentation(sigma: Double(Float(0.8)), k: g.k, minSize: 100).segment(image)
            let regions = SelectiveSearch.group(image, labels, maps, [strategy])[0]
            let digest = sortedBoxDigest(regions.map(\.box))
            if digest.sha != g.sha256 { failures.append("\(g.space) k=\(g.k) \(g.strategy): \(digest.count) vs \(g.count)") }
        }
        XCTAssertEqual(failures, [], "\(failures.count) of \(groupings.count) single groupings differ")
    }

    /// The 8-bit rotation of the texture strategy against cv2.warpAffine: equal but for a few rows. (OpenCV 5.1's
    /// wheels warp through Intel IPP, whose arithmetic is unpublished; `warpAffine8U` differs from it on about 3 in
    /// 100 000 pixels, each a value within 5e-4 of a half that IPP rounds the other way.)
    func testRotatedPlanesEqualOpenCV() throws {
        let c = try XCTUnwrap(BoxFixtures.load().images.first)
        let planes = try XCTUnwrap(c.rotated_planes)
        let bgr = try BoxFixtures.bgr(c)
        let w = bgr.width, h = bgr.height, cx = Float(w) / 2, cy = Float(h) / 2
        var forward = OpenCVWarp.rotationMatrix(centerX: cx, centerY: cy, angle: 45)
        let box = OpenCVWarp.rotatedBoundingRect(centerX: cx, centerY: cy, width: Float(w), height: Float(h), angle: 45)
        forward[2] += Double(box.width) / 2 - Double(cx)
        forward[5] += Double(box.height) / 2 - Double(cy)
        for p in planes {
            XCTAssertEqual([box.width, box.height], [p.width, p.height])
            let rotated = OpenCVWarp.warpAffine8U(bgr.channel(p.channel).pixels, width: w, height: h, forward: forward,
                                                 dstWidth: box.width, dstHeight: box.height)
            var differing = 0
            for y in 0 ..< box.height where String(sha256(Array(rotated[y * box.width ..< (y + 1) * box.width])).prefix(8))
                != p.row_sha256_prefixes[y] { differing += 1 }
            XCTAssertLessThanOrEqual(differing, 3, "channel \(p.channel): \(differing) rows differ")
            if sha256(rotated) != p.sha256 { print("rotated channel \(p.channel): \(differing) of \(box.height) rows differ") }
        }
    }

    /// The shared-sort path selective search uses gives the label maps `segment` gives one k at a time.
    func testSegmentationsForSeveralKEqualSingleRuns() throws {
        let c = try XCTUnwrap(BoxFixtures.load().images.first)
        let gray = OpenCVColorConversion.bgrToGray(try BoxFixtures.bgr(c))
        let segmentations = SelectiveSearch(mode: .quality).segmentations
        let shared = segmentations[0].segment(gray, ks: segmentations.map(\.k))
        XCTAssertEqual(shared, segmentations.map { $0.segment(gray) })
    }

    func testGlibcRandomSequence() {
        var r = GlibcRandom(seed: 1)
        XCTAssertEqual((0 ..< 5).map { _ in r.next() }, [1804289383, 846930886, 1681692777, 1714636915, 1957747793])
        var s = GlibcRandom(seed: 0)  // srand(0) seeds as 1
        XCTAssertEqual(s.next(), 1804289383)
        for _ in 0 ..< 100_000 { _ = r.next() }
        XCTAssertLessThanOrEqual(r.next(), GlibcRandom.max)
    }

    /// `cvtColor(BGR2GRAY)` on the 4096 x 4096 image of every colour (hash from OpenCV 5.1).
    func testGrayConversionMatchesOpenCV() {
        var pixels = [UInt8](repeating: 0, count: 3 << 24)
        for i in 0 ..< 1 << 24 {
            pixels[3 * i] = UInt8(i & 255); pixels[3 * i + 1] = UInt8((i >> 8) & 255); pixels[3 * i + 2] = UInt8(i >> 16)
        }
        let gray = OpenCVColorConversion.bgrToGray(ChannelImage(width: 4096, height: 4096, channels: 3, pixels: pixels))
        XCTAssertEqual(sha256(gray.pixels), "6d4f6d7f4301c52d2672db66451b4a06a5502bef956dd81b577660f956f410ae")
    }

    /// `cv2.RotatedRect(center, size, 45).boundingRect()` and `cv2.getRotationMatrix2D` values from OpenCV 5.1.
    func testRotationGeometryMatchesOpenCV() {
        let expected: [(Int, Int, ProposalRect)] = [
            (200, 150, ProposalRect(x: -24, y: -49, width: 249, height: 249)),
            (133, 200, ProposalRect(x: -52, y: -18, width: 238, height: 237)),
            (200, 200, ProposalRect(x: -42, y: -42, width: 285, height: 285)),
            (1, 5, ProposalRect(x: -2, y: 0, width: 6, height: 6)),
        ]
        for (w, h, box) in expected {
            XCTAssertEqual(OpenCVWarp.rotatedBoundingRect(centerX: Float(w) / 2, centerY: Float(h) / 2, width: Float(w),
                                                          height: Float(h), angle: 45), box, "\(w)x\(h)")
        }
        let m = OpenCVWarp.rotationMatrix(centerX: 100, centerY: 75, angle: 45)
        XCTAssertEqual(m, [0.7071067811865476, 0.7071067811865475, -23.743686707645818,
                           -0.7071067811865475, 0.7071067811865476, 92.67766952966367])
    }

    /// OpenCV's neighbour rule: left, above and above-left only, from the second row and column on.
    func testRegionAdjacency() {
        // 0 0 1
        // 2 0 1
        // 2 3 3
        let labels = LabelMap(width: 3, height: 3, labels: [0, 0, 1, 2, 0, 1, 2, 3, 3], count: 4)
        let a = RegionAdjacency(labels)
        XCTAssertEqual(a.sizes, [3, 2, 2, 2])
        XCTAssertEqual(a.boxes, [ProposalRect(x: 0, y: 0, width: 2, height: 2), ProposalRect(x: 2, y: 0, width: 1, height: 2),
                                 ProposalRect(x: 0, y: 1, width: 1, height: 2), ProposalRect(x: 1, y: 2, width: 2, height: 1)])
        XCTAssertEqual(a.pairs.map { [$0.0, $0.1] }, [[0, 1], [0, 2], [0, 3], [1, 3], [2, 3]])
        // 0 and 1 touch only along the first row here: not neighbours for OpenCV.
        let row = RegionAdjacency(LabelMap(width: 2, height: 2, labels: [0, 1, 2, 2], count: 3))
        XCTAssertEqual(row.pairs.map { [$0.0, $0.1] }, [[0, 2], [1, 2]])
    }

    /// A hand-checkable grouping: three segments in a row, size strategy only. The two smallest neighbours merge
    /// first; n segments give 2n - 1 regions with the expected levels and boxes.
    func testHierarchicalGroupingBySize() {
        // 0 0 0 0 1 2   (sizes 8, 2, 2: 1 and 2, the smallest pair, merge first)
        // 0 0 0 0 1 2
        let labels = LabelMap(width: 6, height: 2, labels: [0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 1, 2], count: 3)
        let adjacency = RegionAdjacency(labels)
        var state = StrategyState(strategy: .single(.size), imageSize: 12, sizes: adjacency.sizes, color: [],
                                  colorLength: 0, texture: [], textureLength: 0, fillBoxes: adjacency.boxes)
        let regions = HierarchicalGrouping.group(adjacency, state: &state)
        XCTAssertEqual(regions.count, 5)
        XCTAssertEqual(regions[3], GroupedRegion(id: 1, level: 2, box: ProposalRect(x: 4, y: 0, width: 2, height: 2)))
        XCTAssertEqual(regions[4], GroupedRegion(id: 0, level: 3, box: ProposalRect(x: 0, y: 0, width: 6, height: 2)))
        XCTAssertEqual(state.sizes, [12, 12, 4])  // as OpenCV: only the two ids merged are updated
    }

    func testStrategyListsAndWeights() {
        XCTAssertEqual(SelectiveSearch(mode: .fast).segmentations.map(\.k), [150, 300, 450])
        XCTAssertEqual(SelectiveSearch(mode: .quality).segmentations.map(\.k), [150, 300, 450, 600, 750])
        XCTAssertEqual(SelectiveSearchStrategy.strategies(for: .fast).count, 2)
        XCTAssertEqual(SelectiveSearchStrategy.strategies(for: .quality).map(\.measures),
                       [[.color, .fill, .texture, .size], [.fill, .texture, .size], [.fill], [.size]])
        // OpenCV divides by the float sum of its 0.3333f weights, not by 1.
        XCTAssertEqual(SelectiveSearchStrategy.combination(.fill, .texture, .size).weightsTotal,
                       Float(0.3333) + Float(0.3333) + Float(0.3333))
    }

    /// Argus vs OpenCV time per image (printed; compare with the generator's timing of cv2 on the same machine).
    func testTimingOneImage() throws {
        let c = try XCTUnwrap(BoxFixtures.load().images.first)
        let bgr = try BoxFixtures.bgr(c)
        for mode in [SelectiveSearchMode.fast, .quality] {
            var best = Double.infinity
            for _ in 0 ..< 3 {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = SelectiveSearch(mode: mode).process(bgr)
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            print(String(format: "selective search %@ %dx%d: %.1f ms (best of 3)", "\(mode)", c.width, c.height, best))
        }
    }
}
