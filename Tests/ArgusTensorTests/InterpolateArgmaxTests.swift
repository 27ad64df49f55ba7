import ArgusTensor
import XCTest

/// interpolateBilinearArgmax against the two steps it fuses: interpolateBilinear (bit-exact with torch), then
/// a first-maximum argmax over classes written out here.
final class InterpolateArgmaxTests: XCTestCase {
    func argmaxOfInterpolated(_ x: Tensor, _ size: (Int, Int), _ alignCorners: Bool) throws -> [UInt8] {
        let up = try interpolateBilinear(x, size: size, alignCorners: alignCorners)
        let (c, plane) = (up.shape[1], size.0 * size.1)
        return (0..<plane).map { i in
            var best = up.storage[i], label = 0
            for k in 1..<c where up.storage[k * plane + i] > best || (up.storage[k * plane + i].isNaN && !best.isNaN) {
                best = up.storage[k * plane + i]; label = k
            }
            return UInt8(label)
        }
    }

    func testEqualsInterpolateThenArgmax() throws {
        var rng = SystemRandomNumberGenerator()
        for trial in 0..<30 {
            let c = Int.random(in: 1...23, using: &rng), h = Int.random(in: 1...9, using: &rng), w = Int.random(in: 1...9, using: &rng)
            // Coarse values so ties happen (the first class must win them).
            let x = Tensor(shape: [1, c, h, w], storage: (0..<(c * h * w)).map { _ in Float(Int.random(in: 0...3, using: &rng)) })
            let size = (Int.random(in: 1...40, using: &rng), Int.random(in: 1...40, using: &rng))
            let align = trial % 3 == 0
            for threads in [1, 2] {
                EngineThreads.set(threads)
                XCTAssertEqual(try interpolateBilinearArgmax(x, size: size, alignCorners: align),
                               try argmaxOfInterpolated(x, size, align), "trial \(trial), \(threads) threads")
            }
        }
    }

    func testNaNIsTheMaximumAndBadShapesThrow() throws {
        let x = Tensor(shape: [1, 3, 1, 2], storage: [0, 5, .nan, 1, 2, .nan])
        XCTAssertEqual(try interpolateBilinearArgmax(x, size: (1, 2), alignCorners: false), [1, 2])
        // Rows wide enough for the eight-lane path, NaNs in several classes (and where they spread).
        var gen = SplitMix(seed: 9)
        var values = gen.tensor([1, 4, 3, 13]).storage
        for i in [5, 17, 40, 41, 70, 99, 120, 150] { values[i] = .nan }
        let wide = Tensor(shape: [1, 4, 3, 13], storage: values)
        XCTAssertEqual(try interpolateBilinearArgmax(wide, size: (7, 29), alignCorners: false),
                       try argmaxOfInterpolated(wide, (7, 29), false))
        XCTAssertThrowsError(try interpolateBilinearArgmax(Tensor(zeros: [2, 3, 4, 4]), size: (8, 8), alignCorners: false))
        XCTAssertThrowsError(try interpolateBilinearArgmax(Tensor(zeros: [1, 3, 4, 4]), size: (0, 8), alignCorners: false))
    }
}
