import ArgusTensor
import XCTest

final class ShapeAndMathOpsTests: XCTestCase {
    func testConcatMatchesTorch() throws {
        for c in Fixtures.cases(op: "concat") {
            let inputs = ["a", "b", "c"].compactMap { c.optionalTensor($0) }
            assertClose(try concat(inputs, axis: c.int("axis")), c.tensor("output"), c.name)
        }
    }

    func testSliceSplitChunkMatchTorch() throws {
        for c in Fixtures.cases(op: "slice") {
            let y = try slice(c.tensor("input"), axis: c.int("axis"), c.int("start")..<c.int("end"))
            assertClose(y, c.tensor("output"), c.name)
        }
        for c in Fixtures.cases(op: "chunk") {
            let pieces = try chunk(c.tensor("input"), c.int("chunks"), axis: c.int("axis"))
            assertClose(pieces[c.int("index")], c.tensor("output"), c.name)
        }
        for c in Fixtures.cases(op: "split") {
            let pieces = try split(c.tensor("input"), sizes: c.ints("sizes"), axis: c.int("axis"))
            assertClose(pieces[c.int("index")], c.tensor("output"), c.name)
        }
    }

    func testChunkCountFollowsTorch() throws {
        // torch.chunk(range(6), 4) gives 3 pieces of 2; torch.chunk(range(5), 2) gives [3, 2].
        XCTAssertEqual(try chunk(Tensor(zeros: [6]), 4, axis: 0).map(\.shape), [[2], [2], [2]])
        XCTAssertEqual(try chunk(Tensor(zeros: [1, 5]), 2, axis: -1).map(\.shape), [[1, 3], [1, 2]])
    }

    func testElementwiseMatchesTorch() throws {
        for c in Fixtures.cases(op: "add") {
            assertClose(try add(c.tensor("a"), c.tensor("b")), c.tensor("output"), c.name)
        }
        for c in Fixtures.cases(op: "mul") {
            assertClose(try mul(c.tensor("a"), c.tensor("b")), c.tensor("output"), c.name)
        }
    }

    func testSoftmaxMatchesTorch() throws {
        for c in Fixtures.cases(op: "softmax") {
            assertClose(try softmax(c.tensor("input"), axis: c.int("axis")), c.tensor("output"),
                        rtol: 2e-6, atol: 1e-9, c.name)
        }
    }

    func testLinearMatchesTorch() throws {
        for c in Fixtures.cases(op: "linear") {
            let y = try linear(c.tensor("input"), weight: c.tensor("weight"), bias: c.optionalTensor("bias"))
            assertClose(y, c.tensor("output"), rtol: 1e-5, atol: 1e-5, c.name)
        }
    }

    func testBadArgumentsThrow() {
        let x = Tensor(zeros: [2, 3, 4, 4])
        XCTAssertThrowsError(try concat([], axis: 0))
        XCTAssertThrowsError(try concat([x, Tensor(zeros: [2, 3, 5, 5])], axis: 1))
        XCTAssertThrowsError(try concat([x], axis: 4))
        XCTAssertThrowsError(try slice(x, axis: 1, 2..<4))
        XCTAssertThrowsError(try split(x, sizes: [1, 1], axis: 1))
        XCTAssertThrowsError(try chunk(x, 0, axis: 1))
        XCTAssertThrowsError(try add(x, Tensor(zeros: [2, 3, 4])))
        XCTAssertThrowsError(try mul(x, Tensor(zeros: [2, 2, 1, 1])))
        XCTAssertThrowsError(try linear(Tensor(zeros: [2, 5]), weight: Tensor(zeros: [3, 4])))
        XCTAssertThrowsError(try softmax(x, axis: -5))
    }

    func testBLASThreadsRoundTrip() {
        let before = BLASThreads.current
        BLASThreads.set(1)
        XCTAssertEqual(BLASThreads.current, 1)
        BLASThreads.set(before)
        XCTAssertFalse(BLASThreads.configuration.isEmpty)
    }
}
