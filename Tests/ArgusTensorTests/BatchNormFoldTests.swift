import ArgusTensor
import XCTest

final class BatchNormFoldTests: XCTestCase {
    /// The torch rule reproduces torch's Float32 arithmetic bit for bit. The YOLOv5 rule uses
    /// torch.sqrt, which torch's MKL build computes with VML (not correctly rounded: about 15% of
    /// values are 1 ulp off the IEEE sqrt used here), so it is held to 1-2 ulp instead.
    func testFoldMatchesReferences() throws {
        for c in Fixtures.cases(op: "foldBatchNorm") {
            for (rule, key) in [(BatchNormFoldRule.torch, "torch"), (.yolov5, "yolov5")] {
                let (w, b) = try foldBatchNorm(weight: c.tensor("weight"), bias: c.optionalTensor("bias"),
                                               gamma: c.tensor("gamma"), beta: c.tensor("beta"),
                                               runningMean: c.tensor("mean"), runningVar: c.tensor("var"),
                                               eps: Float(c.double("eps")), rule: rule)
                let rtol: Float = rule == .torch ? 0 : 2.5e-7
                assertClose(w, c.tensor("\(key)_weight"), rtol: rtol, atol: rtol * 1e-3, "\(c.name) \(key) weight")
                assertClose(b, c.tensor("\(key)_bias"), rtol: rtol, atol: rtol * 1e-3, "\(c.name) \(key) bias")
            }
        }
    }

    func testMismatchedStatisticsThrow() {
        let w = Tensor(zeros: [4, 2, 1, 1]), v = Tensor(repeating: 1, shape: [4])
        XCTAssertThrowsError(try foldBatchNorm(weight: w, bias: nil, gamma: v, beta: v,
                                               runningMean: Tensor(zeros: [3]), runningVar: v))
        XCTAssertThrowsError(try foldBatchNorm(weight: w, bias: Tensor(zeros: [5]), gamma: v, beta: v,
                                               runningMean: v, runningVar: v))
    }
}
