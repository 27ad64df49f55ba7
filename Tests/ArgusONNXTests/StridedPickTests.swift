@testable import ArgusONNX
import ArgusTensor
import XCTest

/// The strided gather behind Slice, Split and Transpose, against the index arithmetic written out, on outputs
/// large enough to be split over workers (and a thread count that does not divide the rows).
final class StridedPickTests: XCTestCase {
    func testMatchesIndexArithmeticAtEveryThreadCount() throws {
        let source = (0..<(4 * 3 * 160 * 170)).map { Float($0) }
        // Focus's stride-2 slice of [4, 3, 160, 170] at offset (0, 0, 1, 0); a transpose (0, 2, 3, 1); one column.
        let picks = [
            StridedPick(shape: [4, 3, 80, 85], strides: [3 * 160 * 170, 160 * 170, 2 * 170, 2], base: 170),
            StridedPick(shape: [4, 160, 170, 3], strides: [3 * 160 * 170, 170, 1, 160 * 170], base: 0),
            StridedPick(shape: [4 * 3 * 160], strides: [170], base: 7),
            // stride-2 rows of 8, 9 and 17 floats ending on the source's last float (vector steps and tails)
            StridedPick(shape: [8], strides: [2], base: 4 * 3 * 160 * 170 - 15),
            StridedPick(shape: [9], strides: [2], base: 4 * 3 * 160 * 170 - 17),
            StridedPick(shape: [17], strides: [2], base: 4 * 3 * 160 * 170 - 33),
        ]
        let before = EngineThreads.current
        defer { EngineThreads.set(before) }
        for pick in picks {
            var expected: [Float] = []
            var index = [Int](repeating: 0, count: pick.shape.count)
            for _ in 0..<pick.shape.reduce(1, *) {
                expected.append(source[pick.base + zip(index, pick.strides).map(*).reduce(0, +)])
                var axis = index.count - 1
                while axis >= 0 {
                    index[axis] += 1
                    if index[axis] < pick.shape[axis] { break }
                    index[axis] = 0
                    axis -= 1
                }
            }
            for threads in [1, 2, 3] {
                EngineThreads.set(threads)
                XCTAssertEqual(try pick(source), expected, "\(pick.shape), \(threads) threads")
            }
        }
    }
}
