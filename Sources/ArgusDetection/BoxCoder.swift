#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// torchvision's `BoxCoder` (models/detection/_utils.py): box regression deltas (dx, dy, dw, dh) relative
/// to a reference box (an anchor or a proposal), scaled by the weights (wx, wy, ww, wh). Float32 with
/// torch's operation order, so decoded boxes are the bits torchvision produces (up to torch's exp).
public struct BoxCoder: Sendable {
    public let wx: Float, wy: Float, ww: Float, wh: Float
    /// `bbox_xform_clip`: dw/dh are clamped here so a wild regression cannot overflow exp.
    public let clip: Float = Float(log(1000.0 / 16.0))

    public init(weights: [Float]) {
        precondition(weights.count == 4, "BoxCoder: 4 weights (wx, wy, ww, wh), got \(weights.count)")
        (wx, wy, ww, wh) = (weights[0], weights[1], weights[2], weights[3])
    }

    /// `decode_single` for one box: `d` points at 4 deltas (dx, dy, dw, dh).
    @inlinable @inline(__always)
    public func decode(_ d: UnsafePointer<Float>, reference r: Box) -> Box {
        let width = r.x2 - r.x1, height = r.y2 - r.y1
        let ctrX = r.x1 + 0.5 * width, ctrY = r.y1 + 0.5 * height
        let dx = d[0] / wx, dy = d[1] / wy
        let dw = min(d[2] / ww, clip), dh = min(d[3] / wh, clip)
        let predCtrX = dx * width + ctrX, predCtrY = dy * height + ctrY
        let predW = expf(dw) * width, predH = expf(dh) * height
        let halfW = 0.5 * predW, halfH = 0.5 * predH
        return Box(x1: predCtrX - halfW, y1: predCtrY - halfH, x2: predCtrX + halfW, y2: predCtrY + halfH)
    }

    /// `decode_single` for one box from its 4 deltas (dx, dy, dw, dh).
    public func decode(_ deltas: [Float], reference: Box) -> Box {
        precondition(deltas.count == 4, "BoxCoder.decode: 4 deltas, got \(deltas.count)")
        return deltas.withUnsafeBufferPointer { decode($0.baseAddress!, reference: reference) }
    }

    /// `encode_single`: the deltas that `decode` turns back into `box` (up to rounding) from `reference`.
    /// torchvision names the arguments the other way round (`encode_single(reference_boxes, proposals)`
    /// takes the target box first and the anchor/proposal second); here `reference` is the anchor, as in
    /// `decode`. No clamp: a zero-width reference or box gives inf/NaN, as in torch.
    public func encode(_ box: Box, reference r: Box) -> [Float] {
        let exW = r.x2 - r.x1, exH = r.y2 - r.y1
        let exCtrX = r.x1 + 0.5 * exW, exCtrY = r.y1 + 0.5 * exH
        let gtW = box.x2 - box.x1, gtH = box.y2 - box.y1
        let gtCtrX = box.x1 + 0.5 * gtW, gtCtrY = box.y1 + 0.5 * gtH
        // torch evaluates `wx * (gt_ctr_x - ex_ctr_x) / ex_widths` left to right: multiply, then divide.
        let dx = wx * (gtCtrX - exCtrX) / exW
        let dy = wy * (gtCtrY - exCtrY) / exH
        let dw = ww * logf(gtW / exW)
        let dh = wh * logf(gtH / exH)
        return [dx, dy, dw, dh]
    }
}
