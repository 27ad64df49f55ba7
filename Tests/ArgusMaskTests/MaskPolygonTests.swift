import ArgusMask
import Foundation
import XCTest

/// Polygon tracing: exact rings on hand-made masks, and the pycocotools rasteriser (`RLE(polygons:)`)
/// giving every mask back on random blobs with holes, islands, single pixels and diagonal contacts.
final class MaskPolygonTests: XCTestCase {
    func testSinglePixelIsOneUnitSquareClockwiseOnScreen() throws {
        let mask = rle(rows: ["....", "..#.", "...."])
        let parts = MaskPolygons.trace(mask)
        XCTAssertEqual(parts, [MaskPolygon(exterior: [2, 1, 3, 1, 3, 2, 2, 2], holes: [])])
        XCTAssertEqual(try RLE(polygons: parts, height: 3, width: 4).decodeRowMajor(), mask.decodeRowMajor())
    }

    func testRectangleCollapsesToFourCornersAndTouchesTheBorder() throws {
        let mask = rle(rows: ["#####", "#####", "....."])
        let parts = MaskPolygons.trace(mask)
        XCTAssertEqual(parts, [MaskPolygon(exterior: [0, 0, 5, 0, 5, 2, 0, 2])])
        XCTAssertEqual(try RLE(polygons: parts, height: 3, width: 5).decodeRowMajor(), mask.decodeRowMajor())
        let full = RLE(rowMajor: [UInt8](repeating: 1, count: 12), height: 3, width: 4)
        XCTAssertEqual(MaskPolygons.trace(full), [MaskPolygon(exterior: [0, 0, 4, 0, 4, 3, 0, 3])])
        XCTAssertEqual(try RLE(polygons: MaskPolygons.trace(full), height: 3, width: 4), full)
    }

    func testDiagonalNeighboursAreOnePart() throws {
        let mask = rle(rows: ["#..", ".#.", "..#"])
        let parts = MaskPolygons.trace(mask)
        XCTAssertEqual(parts.count, 1, "8-connectivity joins diagonal pixels")
        XCTAssertEqual(parts[0].holes, [])
        // The ring passes twice through each pinch corner (1,1) and (2,2).
        XCTAssertEqual(parts[0].exterior, [0, 0, 1, 0, 1, 1, 2, 1, 2, 2, 3, 2, 3, 3, 2, 3, 2, 2, 1, 2, 1, 1, 0, 1])
        XCTAssertEqual(try RLE(polygons: parts, height: 3, width: 3).decodeRowMajor(), mask.decodeRowMajor())
        let anti = rle(rows: [".#", "#."])
        XCTAssertEqual(MaskPolygons.trace(anti).count, 1)
        XCTAssertEqual(try RLE(polygons: MaskPolygons.trace(anti), height: 2, width: 2).decodeRowMajor(), anti.decodeRowMajor())
    }

    func testRingWithHoleAndIslandInTheHole() throws {
        let mask = rle(rows: [
            "#######",
            "#.....#",
            "#..#..#",
            "#.....#",
            "#######",
        ])
        let parts = MaskPolygons.trace(mask)
        XCTAssertEqual(parts.count, 2)
        XCTAssertEqual(parts[0].exterior, [0, 0, 7, 0, 7, 5, 0, 5])
        XCTAssertEqual(parts[0].holes, [[1, 4, 6, 4, 6, 1, 1, 1]], "hole runs the other way round, from its bottom-left corner")
        XCTAssertEqual(parts[1], MaskPolygon(exterior: [3, 2, 4, 2, 4, 3, 3, 3]))
        XCTAssertLessThan(signedArea2(parts[0].holes[0]), 0)
        XCTAssertEqual(try RLE(polygons: parts, height: 5, width: 7).decodeRowMajor(), mask.decodeRowMajor())
    }

    func testHoleTouchingOnlyAtACornerStaysAHole() throws {
        // Background (1,1) and (2,2) touch diagonally: with 8-connected parts they are two 4-connected holes.
        let mask = rle(rows: ["####", "#.##", "##.#", "####"])
        let parts = MaskPolygons.trace(mask)
        XCTAssertEqual(parts.count, 1)
        XCTAssertEqual(parts[0].holes.count, 2)
        XCTAssertEqual(try RLE(polygons: parts, height: 4, width: 4).decodeRowMajor(), mask.decodeRowMajor())
    }

    func testEmptyMasksAndBadRings() throws {
        XCTAssertEqual(MaskPolygons.trace(RLE(height: 3, width: 4, counts: [12])), [])
        XCTAssertEqual(MaskPolygons.trace(RLE(height: 0, width: 0, counts: [0])), [])
        XCTAssertEqual(try RLE(polygons: [MaskPolygon](), height: 3, width: 4), RLE(height: 3, width: 4, counts: [12]))
        XCTAssertThrowsError(try RLE(polygons: [MaskPolygon(exterior: [0, 0, 1, 1])], height: 3, width: 4))
        XCTAssertThrowsError(try RLE(polygons: [MaskPolygon(exterior: [0, 0, 1, 1, 2])], height: 3, width: 4))
        XCTAssertThrowsError(try RLE(polygons: [MaskPolygon(exterior: [0, 0, 2, 0, 2, .nan])], height: 3, width: 4))
        XCTAssertThrowsError(try RLE(polygons: [MaskPolygon(exterior: [0, 0, 2, 0, 2, 2])], height: -1, width: 4))
    }

    func testMalformedRunsDoNotReachPastTheImage() throws {
        // Unvalidated RLEs whose runs overshoot or fall short of the image are clipped to it.
        let over = RLE(height: 10, width: 10, counts: [0, UInt32.max])
        XCTAssertEqual(MaskPolygons.trace(over), [MaskPolygon(exterior: [0, 0, 10, 0, 10, 10, 0, 10])])
        let short = RLE(height: 10, width: 10, counts: [5, 3])
        XCTAssertEqual(MaskPolygons.trace(short), [MaskPolygon(exterior: [0, 5, 1, 5, 1, 8, 0, 8])])
    }

    func testRandomBlobsRoundTripExactly() throws {
        var rng = LCG(seed: 7)
        var checked = 0
        for trial in 0..<300 {
            let h = 1 + rng.next(40), w = 1 + rng.next(40)
            var pixels = [UInt8](repeating: 0, count: h * w)
            for _ in 0..<(1 + rng.next(5)) {  // ellipses, some hollowed
                let cx = rng.next(w), cy = rng.next(h), rx = 1 + rng.next(max(1, w / 2)), ry = 1 + rng.next(max(1, h / 2))
                let hollow = rng.next(3) == 0
                for y in 0..<h { for x in 0..<w {
                    let d = Double((x - cx) * (x - cx)) / Double(rx * rx) + Double((y - cy) * (y - cy)) / Double(ry * ry)
                    if d <= 1 { pixels[y * w + x] = hollow && d < 0.3 ? 0 : 1 }
                } }
            }
            let noise = trial % 3  // salt and pepper: single pixels, diagonal contacts, one-pixel holes
            for _ in 0..<(noise * h * w / 10) { pixels[rng.next(h * w)] ^= 1 }
            let mask = RLE(rowMajor: pixels, height: h, width: w)
            let parts = MaskPolygons.trace(mask)
            XCTAssertEqual(parts.count, components8(pixels, h, w), "trial \(trial)")
            var area2 = 0
            for part in parts {
                XCTAssertGreaterThan(signedArea2(part.exterior), 0)
                area2 += signedArea2(part.exterior)
                for hole in part.holes { XCTAssertLessThan(signedArea2(hole), 0); area2 += signedArea2(hole) }
            }
            XCTAssertEqual(area2, 2 * mask.area, "rings enclose exactly the set pixels (trial \(trial))")
            let back = try RLE(polygons: parts, height: h, width: w)
            XCTAssertEqual(back.decodeRowMajor(), pixels.map { $0 != 0 ? 1 : 0 }, "trial \(trial)")
            checked += 1
        }
        XCTAssertEqual(checked, 300)
    }

    func testTracingHundredMasksOn640x480() throws {
        // 100 instance-like blobs (wobbly ellipses, a few with holes) as Mask R-CNN would give, and the
        // same with a dense lattice of one-pixel holes as a worst case. A measurement, printed, not asserted.
        var rng = LCG(seed: 11)
        let h = 480, w = 640
        var masks = [RLE](), holey = [RLE]()
        for i in 0..<100 {
            var pixels = [UInt8](repeating: 0, count: h * w)
            var lattice = pixels
            let cx = rng.next(w), cy = rng.next(h), rx = 10 + rng.next(80), ry = 10 + rng.next(80)
            let phase = Double(rng.next(100)) / 10
            for y in max(0, cy - ry)..<min(h, cy + ry + 1) { for x in max(0, cx - rx)..<min(w, cx + rx + 1) {
                let ang = atan2(Double(y - cy), Double(x - cx))
                let d = Double((x - cx) * (x - cx)) / Double(rx * rx) + Double((y - cy) * (y - cy)) / Double(ry * ry)
                let inside = d <= 0.8 + 0.2 * sin(5 * ang + phase) && !(i % 10 == 0 && d < 0.1)
                if inside { pixels[y * w + x] = 1; lattice[y * w + x] = (x * 7 + y * 3) % 53 != 0 ? 1 : 0 }
            } }
            masks.append(RLE(rowMajor: pixels, height: h, width: w))
            holey.append(RLE(rowMajor: lattice, height: h, width: w))
        }
        for (name, set) in [("instance-like", masks), ("1-px hole lattice", holey)] {
            var vertices = 0
            let start = DispatchTime.now().uptimeNanoseconds
            for m in set { for p in MaskPolygons.trace(m) { vertices += p.exterior.count / 2 + p.holes.reduce(0) { $0 + $1.count / 2 } } }
            let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            print("MaskPolygons.trace: 100 \(name) masks on 640x480 in \(String(format: "%.2f", ms)) ms (\(vertices) vertices)")
            XCTAssertGreaterThan(vertices, 400)
        }
        for m in masks.prefix(10) {
            XCTAssertEqual(try RLE(polygons: MaskPolygons.trace(m), height: h, width: w).decodeRowMajor(), m.decodeRowMajor())
        }
    }
}

// MARK: - Independent helpers

/// Builds a mask from rows of '#' (set) and '.' (clear).
func rle(rows: [String]) -> RLE {
    let h = rows.count, w = rows[0].count
    return RLE(rowMajor: rows.flatMap { $0.map { $0 == "#" ? UInt8(1) : 0 } }, height: h, width: w)
}

/// Twice the shoelace sum `Σ x_i*y_(i+1) - x_(i+1)*y_i` of a flat ring (integer vertices).
func signedArea2(_ ring: [Double]) -> Int {
    let n = ring.count / 2
    var s = 0.0
    for i in 0..<n {
        let j = (i + 1) % n
        s += ring[2 * i] * ring[2 * j + 1] - ring[2 * j] * ring[2 * i + 1]
    }
    return Int(s)
}

/// Number of 8-connected components of set pixels (breadth-first flood fill).
func components8(_ pixels: [UInt8], _ h: Int, _ w: Int) -> Int {
    var seen = [Bool](repeating: false, count: h * w)
    var count = 0
    for start in 0..<(h * w) where pixels[start] != 0 && !seen[start] {
        count += 1
        var queue = [start]
        seen[start] = true
        while let p = queue.popLast() {
            let x = p % w, y = p / w
            for dy in -1...1 { for dx in -1...1 {
                let nx = x + dx, ny = y + dy
                guard nx >= 0, ny >= 0, nx < w, ny < h else { continue }
                let q = ny * w + nx
                if pixels[q] != 0 && !seen[q] { seen[q] = true; queue.append(q) }
            } }
        }
    }
    return count
}

/// A small deterministic generator (Knuth's MMIX LCG).
struct LCG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int((state >> 33) % UInt64(max(bound, 1)))
    }
}
