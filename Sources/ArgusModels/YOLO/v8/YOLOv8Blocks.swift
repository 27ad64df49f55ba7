import ArgusTensor
import Foundation

/// Ultralytics 8 building blocks (`ultralytics/nn/modules/block.py`), each loading its weights by the
/// published names below its prefix (e.g. `model.2.cv1.conv.weight`). Every `Conv`'s activation is the one
/// pickled in the checkpoint (`prefix.act`), so old and new Ultralytics releases run as they were saved.

extension ConvBlock {
    /// An Ultralytics `Conv` whose activation is read from the pickled module (`fallback` without one).
    init(v8 w: any WeightSource, _ prefix: String, c1: Int, c2: Int, k: Int = 1, s: Int = 1, g: Int = 1,
         act fallback: Activation?) throws {
        try self.init(w, prefix, c1: c1, c2: c2, k: k, s: s, g: g,
                      act: w.activation(at: prefix, fallback: fallback))
    }
}

/// `C2f`: cv1 to 2c channels, split in halves, n Bottlenecks (3x3, 3x3) chained on the second half,
/// every intermediate concatenated, then cv2: `cv2(cat([y0, y1, m0(y1), m1(m0(y1)), ...]))`. cv1 runs as its two
/// halves' filters and cv2 reads the parts in place, so neither the split nor the concatenation is copied.
struct C2f {
    let cv1: (first: ConvBlock, second: ConvBlock), cv2: ConvBlock
    let m: [Bottleneck]
    let hidden: Int

    init(_ w: any WeightSource, _ prefix: String, c1: Int, c2: Int, n: Int, shortcut: Bool, g: Int = 1, e: Double = 0.5,
         act: Activation?) throws {
        hidden = Int(Double(c2) * e)
        guard hidden >= 1 else { throw ModelError.malformedConfig("\(prefix): C2f hidden channels \(hidden)") }
        let whole = try ConvBlock(v8: w, "\(prefix).cv1", c1: c1, c2: 2 * hidden, act: act)
        cv1 = (try ConvBlock(whole, outputChannels: 0..<hidden), try ConvBlock(whole, outputChannels: hidden..<(2 * hidden)))
        cv2 = try ConvBlock(v8: w, "\(prefix).cv2", c1: (2 + n) * hidden, c2: c2, act: act)
        let c = hidden
        m = try (0..<n).map { i in
            let p = "\(prefix).m.\(i)"
            return try Bottleneck(w, p, c1: c, c2: c, shortcut: shortcut, g: g, k: (3, 3), e: 1.0,
                                  act: w.activation(at: "\(p).cv1", fallback: act),
                                  act2: .some(w.activation(at: "\(p).cv2", fallback: act)))
        }
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        var parts = [try cv1.first(x), try cv1.second(x)]
        for b in m { parts.append(try b(parts[parts.count - 1])) }
        return try cv2(concatenated: parts)
    }
}

/// `Proto`: the mask prototypes of a Segment head from the stride-8 features:
/// `cv3(cv2(upsample(cv1(x))))`, with a learnt 2x2 stride-2 transposed conv as the upsample.
struct Proto {
    let cv1: ConvBlock, cv2: ConvBlock, cv3: ConvBlock
    let upWeight: Tensor, upBias: Tensor
    let masks: Int

    init(_ w: any WeightSource, _ prefix: String, c1: Int, hidden: Int, masks: Int, act: Activation?) throws {
        cv1 = try ConvBlock(v8: w, "\(prefix).cv1", c1: c1, c2: hidden, k: 3, act: act)
        upWeight = try w.tensor("\(prefix).upsample.weight", shape: [hidden, hidden, 2, 2])
        upBias = try w.tensor("\(prefix).upsample.bias", shape: [hidden])
        cv2 = try ConvBlock(v8: w, "\(prefix).cv2", c1: hidden, c2: hidden, k: 3, act: act)
        cv3 = try ConvBlock(v8: w, "\(prefix).cv3", c1: hidden, c2: masks, act: act)
        self.masks = masks
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let up = try convTranspose2d(cv1(x), weight: upWeight, bias: upBias, stride: 2)
        return try cv3(cv2(up))
    }
}

/// `DFL` (distribution focal loss decoding): per box side, softmax over `bins` logits, then the expectation
/// with the stored 1x1 conv weights (0, 1, ..., bins - 1 in every Ultralytics checkpoint).
struct DFL {
    let weights: [Float]
    var bins: Int { weights.count }

    init(_ w: any WeightSource, _ prefix: String, bins: Int) throws {
        if w.contains("\(prefix).conv.weight") {
            weights = try w.tensor("\(prefix).conv.weight", shape: [1, bins, 1, 1]).storage
        } else {
            weights = (0..<bins).map(Float.init)
        }
    }

    /// The expected distance per side and anchor, [4 x anchors], from the box logits [4 * bins x anchors]:
    /// softmax over each side's bins, then their weighted sum (torch: `softmax(1)` and the 1x1 conv).
    func distances(_ logits: [Float], anchors: Int) throws -> [Float] {
        let probabilities = try softmax(Tensor(shape: [4, bins, anchors], storage: logits), axis: 1)
        var out = [Float](repeating: 0, count: 4 * anchors)
        probabilities.storage.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                for side in 0..<4 {
                    let dst = o.baseAddress! + side * anchors
                    for k in 0..<bins {
                        let src = p.baseAddress! + (side * bins + k) * anchors, w = weights[k]
                        for a in 0..<anchors { dst[a] += src[a] * w }
                    }
                }
            }
        }
        return out
    }
}
