@testable import ArgusTensor
import Foundation
import XCTest

/// A fixture file written by tools/gen_roi_fixtures.py (torchvision.ops.roi_align / roi_pool outputs).
private struct RoIFixtureFile: Decodable {
    struct Values: Decodable {
        let shape: [Int]
        let data: [Double]  // float32 values as decimals; read as Double, then rounded to Float
        var tensor: Tensor { Tensor(shape: shape, storage: data.map { Float($0) }) }
    }
    struct Case: Decodable {
        let name: String
        let input: String
        let rois: Values
        let output_size: [Int]
        let spatial_scale: Double
        let sampling_ratio: Int?
        let aligned: Bool?
        let expected: Values
    }
    let inputs: [String: Values]
    let cases: [Case]

    static func load(_ name: String) throws -> RoIFixtureFile {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures") else {
            throw XCTSkip("fixture \(name).json missing: run tools/gen_roi_fixtures.py")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(RoIFixtureFile.self, from: Data(contentsOf: url))
    }
}

/// The largest |actual - expected| (NaN must meet NaN, infinities must match exactly) and how many
/// values are not bit-identical; a mismatch in NaN-ness or infinity counts as an infinite difference.
private func difference(_ actual: Tensor, _ expected: Tensor) -> (maxAbs: Float, notIdentical: Int) {
    var worst: Float = 0, differing = 0
    for (a, e) in zip(actual.storage, expected.storage) {
        if a.bitPattern != e.bitPattern && !(a.isNaN && e.isNaN) { differing += 1 }
        if a.isNaN || e.isNaN || a.isInfinite || e.isInfinite {
            if !(a.isNaN && e.isNaN) && a != e { worst = .infinity }
        } else {
            worst = max(worst, abs(a - e))
        }
    }
    return (worst, differing)
}

final class RoIOpsTests: XCTestCase {
    private func withThreads<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
        let before = EngineThreads.current
        defer { EngineThreads.set(before) }
        EngineThreads.set(n)
        return try body()
    }

    func testRoIAlignMatchesTorchvision() throws {
        let file = try RoIFixtureFile.load("roi_align_cases")
        var overall: Float = 0, differing = 0, values = 0
        for c in file.cases {
            let input = try XCTUnwrap(file.inputs[c.input]).tensor
            for layout in [RoIAlignLayout.automatic, .planar, .channelBlocks] {
                let y = try roiAlign(input, rois: c.rois.tensor, outputSize: (c.output_size[0], c.output_size[1]),
                                     spatialScale: Float(c.spatial_scale), samplingRatio: try XCTUnwrap(c.sampling_ratio),
                                     aligned: try XCTUnwrap(c.aligned), layout: layout)
                XCTAssertEqual(y.shape, c.expected.shape, c.name)
                guard y.shape == c.expected.shape else { continue }
                let d = difference(y, c.expected.tensor)
                XCTAssertLessThanOrEqual(d.maxAbs, 1e-6, "\(c.name) \(layout): \(d.notIdentical) values differ")
                // Same Float32 operations in the same order, so the bits match too (a fused
                // multiply-add would stay within 1e-6 but change about 10% of the values).
                XCTAssertEqual(d.notIdentical, 0, "\(c.name) \(layout): values not bit-identical")
                overall = max(overall, d.maxAbs); differing += d.notIdentical; values += y.count
            }
        }
        print("roiAlign vs torchvision: \(file.cases.count) cases x 3 layouts, max |diff| \(overall), \(differing) of \(values) values not bit-identical")
    }

    func testRoIPoolMatchesTorchvision() throws {
        let file = try RoIFixtureFile.load("roi_pool_cases")
        var overall: Float = 0, differing = 0, values = 0
        for c in file.cases {
            let input = try XCTUnwrap(file.inputs[c.input]).tensor
            let y = try roiPool(input, rois: c.rois.tensor, outputSize: (c.output_size[0], c.output_size[1]),
                                spatialScale: Float(c.spatial_scale))
            XCTAssertEqual(y.shape, c.expected.shape, c.name)
            guard y.shape == c.expected.shape else { continue }
            let d = difference(y, c.expected.tensor)
            XCTAssertEqual(d.maxAbs, 0, "\(c.name): \(d.notIdentical) values differ")
            XCTAssertEqual(d.notIdentical, 0, "\(c.name): values not bit-identical (signed zeros?)")
            overall = max(overall, d.maxAbs); differing += d.notIdentical; values += y.count
        }
        print("roiPool vs torchvision: \(file.cases.count) cases, max |diff| \(overall), \(differing) of \(values) values not bit-identical")
    }

    /// A hand-computed value: one sample at the centre of a 2x2 map is the mean of its four pixels.
    func testRoIAlignSingleSampleIsBilinear() throws {
        let x = Tensor(shape: [1, 1, 2, 2], storage: [1, 2, 3, 4])
        let rois = Tensor(shape: [1, 5], storage: [0, 0, 0, 1, 1])
        let y = try roiAlign(x, rois: rois, outputSize: (1, 1), spatialScale: 1, samplingRatio: 1, aligned: false)
        XCTAssertEqual(y.storage, [2.5])
        let pooled = try roiPool(x, rois: rois, outputSize: (1, 1), spatialScale: 1)
        XCTAssertEqual(pooled.storage, [4])
    }

    /// RoIs are split over workers in fixed blocks: 1, 2 and 3 threads give the same bits.
    func testResultsDoNotDependOnThreadCount() throws {
        var gen = SplitMix(seed: 11)
        let x = gen.tensor([2, 24, 40, 52])
        var rows: [Float] = []
        for k in 0..<37 {
            let x1 = (gen.next() + 1) * 100, y1 = (gen.next() + 1) * 80
            rows += [Float(k % 2), x1, y1, x1 + (gen.next() + 1.2) * 60, y1 + (gen.next() + 1.2) * 50]
        }
        let rois = Tensor(shape: [37, 5], storage: rows)
        func run() throws -> [Tensor] {
            try [roiAlign(x, rois: rois, outputSize: (7, 7), spatialScale: 0.25, samplingRatio: 2, aligned: false),
                 roiAlign(x, rois: rois, outputSize: (14, 14), spatialScale: 0.25, samplingRatio: 0, aligned: true,
                          layout: .planar),
                 roiAlign(x, rois: rois, outputSize: (14, 14), spatialScale: 0.25, samplingRatio: 0, aligned: true,
                          layout: .channelBlocks),
                 roiPool(x, rois: rois, outputSize: (7, 7), spatialScale: 0.25)]
        }
        let one = try withThreads(1) { try run() }
        XCTAssertEqual(one[1], one[2], "planar and channel-block layouts")
        for threads in [2, 3] {
            XCTAssertEqual(try withThreads(threads) { try run() }, one, "threads \(threads)")
        }
    }

    func testNoRoIsGiveAnEmptyBatch() throws {
        let x = Tensor(zeros: [2, 3, 5, 6])
        let rois = Tensor(shape: [0, 5], storage: [])
        XCTAssertEqual(try roiAlign(x, rois: rois, outputSize: (7, 7), spatialScale: 1, samplingRatio: 2, aligned: true).shape,
                       [0, 3, 7, 7])
        XCTAssertEqual(try roiPool(x, rois: rois, outputSize: (2, 3), spatialScale: 1).shape, [0, 3, 2, 3])
    }

    func testInvalidArgumentsThrow() {
        let x = Tensor(zeros: [2, 3, 5, 6])
        let good = Tensor(shape: [1, 5], storage: [1, 0, 0, 4, 4])
        func row(_ v: [Float]) -> Tensor { Tensor(shape: [1, 5], storage: v) }
        typealias Call = (input: Tensor, rois: Tensor, size: (Int, Int), scale: Float)
        let bad: [(String, Call)] = [
            ("rank-3 input", (Tensor(zeros: [3, 5, 6]), good, (7, 7), 1)),
            ("empty channel axis", (Tensor(zeros: [2, 0, 5, 6]), good, (7, 7), 1)),
            ("rois [1, 4]", (x, Tensor(shape: [1, 4], storage: [0, 0, 4, 4]), (7, 7), 1)),
            ("rois rank 1", (x, Tensor(shape: [5], storage: [0, 0, 0, 4, 4]), (7, 7), 1)),
            ("batch index = N", (x, row([2, 0, 0, 4, 4]), (7, 7), 1)),
            ("negative batch index", (x, row([-1, 0, 0, 4, 4]), (7, 7), 1)),
            ("fractional batch index", (x, row([0.5, 0, 0, 4, 4]), (7, 7), 1)),
            ("NaN batch index", (x, row([.nan, 0, 0, 4, 4]), (7, 7), 1)),
            ("infinite corner", (x, row([0, 0, 0, .infinity, 4]), (7, 7), 1)),
            ("NaN corner", (x, row([0, .nan, 0, 4, 4]), (7, 7), 1)),
            ("zero output height", (x, good, (0, 7), 1)),
            ("negative output width", (x, good, (7, -1), 1)),
            ("zero scale", (x, good, (7, 7), 0)),
            ("negative scale", (x, good, (7, 7), -0.25)),
            ("NaN scale", (x, good, (7, 7), .nan)),
            ("infinite scale", (x, good, (7, 7), .infinity)),
            ("output of 2^31 elements", (x, good, (1 << 16, 1 << 14), 1)),
        ]
        for (label, call) in bad {
            XCTAssertThrowsError(try roiAlign(call.input, rois: call.rois, outputSize: call.size, spatialScale: call.scale,
                                              samplingRatio: 2, aligned: false), "roiAlign: \(label)") {
                XCTAssertTrue($0 is TensorError, "roiAlign: \(label): \($0)")
            }
            XCTAssertThrowsError(try roiPool(call.input, rois: call.rois, outputSize: call.size, spatialScale: call.scale),
                                 "roiPool: \(label)") {
                XCTAssertTrue($0 is TensorError, "roiPool: \(label): \($0)")
            }
        }
        // Too many sampling points for one RoI (adaptive grid from a huge box, or a huge ratio).
        let huge = row([0, 0, 0, 3e37, 3e37])
        XCTAssertThrowsError(try roiAlign(x, rois: huge, outputSize: (7, 7), spatialScale: 1, samplingRatio: 0, aligned: false))
        XCTAssertThrowsError(try roiAlign(x, rois: good, outputSize: (7, 7), spatialScale: 1, samplingRatio: 1 << 12, aligned: false))
        // A fixed ratio samples the huge box fine (every point outside is 0); roiPool refuses its corners.
        XCTAssertNoThrow(try roiAlign(x, rois: huge, outputSize: (7, 7), spatialScale: 1, samplingRatio: 2, aligned: false))
        XCTAssertThrowsError(try roiPool(x, rois: huge, outputSize: (7, 7), spatialScale: 1))
        // Corners that overflow Float once scaled: roiAlign's samples become NaN and read as empty.
        let overflow = row([0, -3e38, 0, 3e38, 4])
        XCTAssertNoThrow(try roiAlign(x, rois: overflow, outputSize: (2, 2), spatialScale: 4, samplingRatio: 2, aligned: false))
        XCTAssertThrowsError(try roiAlign(x, rois: overflow, outputSize: (2, 2), spatialScale: 4, samplingRatio: 0, aligned: true))
    }
}
