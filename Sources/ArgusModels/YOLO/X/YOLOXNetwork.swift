import ArgusTensor

/// YOLOX's `CSPDarknet` (`yolox/models/darknet.py`): Focus stem, then dark2..dark5 (a stride-2 conv and a CSP
/// layer each, SPP before dark5's); returns dark3, dark4, dark5 (strides 8, 16, 32).
struct CSPDarknet {
    let stem: Focus
    let stages: [(down: YOLOXConv, spp: SPPBottleneck?, csp: CSPLayer)]

    init(_ w: any WeightSource, config: YOLOXConfig) throws {
        let b = config.baseChannels, dw = config.depthwise
        let p = "backbone.backbone"
        stem = try Focus(w, "\(p).stem", c1: 3, c2: b, k: 3, s: 1, p: nil, g: 1, act: .silu)
        var stages: [(YOLOXConv, SPPBottleneck?, CSPLayer)] = []
        for (i, c) in [2 * b, 4 * b, 8 * b, 16 * b].enumerated() {
            let name = "\(p).dark\(i + 2)"
            let down = try YOLOXConv(w, "\(name).0", c1: c / 2, c2: c, k: 3, s: 2, depthwise: dw)
            let last = i == 3
            let spp = last ? try SPPBottleneck(w, "\(name).1", c1: c, c2: c) : nil
            let cspName = "\(name).\(last ? 2 : 1)"
            let csp = try CSPLayer(w, cspName, c1: c, c2: c, n: CSPLayer.bottleneckCount(w, cspName),
                                   shortcut: !last, depthwise: dw)
            stages.append((down, spp, csp))
        }
        self.stages = stages
    }

    func callAsFunction(_ x: Tensor) throws -> [Tensor] {
        var y = try stem(x)
        var outputs: [Tensor] = []
        for (i, s) in stages.enumerated() {
            y = try s.down(y)
            if let spp = s.spp { y = try spp(y) }
            y = try s.csp(y)
            if i >= 1 { outputs.append(y) }
        }
        return outputs
    }
}

/// `YOLOPAFPN` (`yolox/models/yolo_pafpn.py`): the backbone, a top-down path (lateral / reduce 1x1 convs, nearest
/// 2x upsampling, CSP layers without shortcuts) and a bottom-up path (stride-2 convs); returns P3, P4, P5.
struct YOLOPAFPN {
    let backbone: CSPDarknet
    let lateralConv0: YOLOXConv, c3p4: CSPLayer, reduceConv1: YOLOXConv, c3p3: CSPLayer
    let buConv2: YOLOXConv, c3n3: CSPLayer, buConv1: YOLOXConv, c3n4: CSPLayer

    init(_ w: any WeightSource, config: YOLOXConfig) throws {
        backbone = try CSPDarknet(w, config: config)
        let b = config.baseChannels, dw = config.depthwise
        let (c3, c4, c5) = (4 * b, 8 * b, 16 * b)  // int(256 / 512 / 1024 * width)
        func csp(_ name: String, _ c1: Int, _ c2: Int) throws -> CSPLayer {
            let prefix = "backbone.\(name)"
            return try CSPLayer(w, prefix, c1: c1, c2: c2, n: CSPLayer.bottleneckCount(w, prefix), shortcut: false,
                                depthwise: dw)
        }
        lateralConv0 = try YOLOXConv(w, "backbone.lateral_conv0", c1: c5, c2: c4, k: 1)
        c3p4 = try csp("C3_p4", 2 * c4, c4)
        reduceConv1 = try YOLOXConv(w, "backbone.reduce_conv1", c1: c4, c2: c3, k: 1)
        c3p3 = try csp("C3_p3", 2 * c3, c3)
        buConv2 = try YOLOXConv(w, "backbone.bu_conv2", c1: c3, c2: c3, k: 3, s: 2, depthwise: dw)
        c3n3 = try csp("C3_n3", 2 * c3, c4)
        buConv1 = try YOLOXConv(w, "backbone.bu_conv1", c1: c4, c2: c4, k: 3, s: 2, depthwise: dw)
        c3n4 = try csp("C3_n4", 2 * c4, c5)
    }

    func callAsFunction(_ x: Tensor) throws -> [Tensor] {
        let features = try backbone(x)
        let (x2, x1, x0) = (features[0], features[1], features[2])
        let fpnOut0 = try lateralConv0(x0)
        let fOut0 = try c3p4(concat([interpolateNearest(fpnOut0, scaleFactor: 2), x1], axis: 1))
        let fpnOut1 = try reduceConv1(fOut0)
        let panOut2 = try c3p3(concat([interpolateNearest(fpnOut1, scaleFactor: 2), x2], axis: 1))
        let panOut1 = try c3n3(concat([buConv2(panOut2), fpnOut1], axis: 1))
        let panOut0 = try c3n4(concat([buConv1(panOut1), fpnOut0], axis: 1))
        return [panOut2, panOut1, panOut0]
    }
}

/// `YOLOXHead` (`yolox/models/yolo_head.py`) in inference mode: per level a 1x1 stem, two 3x3 convs each for the
/// class and box branches, then `cls_preds`, `reg_preds`, `obj_preds` (1x1 with bias); output as the ONNX
/// export's (`decode_in_inference=False`): [1, rows, 5 + classes] = box logits, sigmoid(obj), sigmoid(cls).
struct YOLOXHead {
    struct Level {
        let stem: YOLOXConv
        let clsConvs: [YOLOXConv], regConvs: [YOLOXConv]
        /// The 1x1 prediction convs, packed at load.
        let cls: (weights: ConvWeights, bias: Tensor), reg: (weights: ConvWeights, bias: Tensor)
        let obj: (weights: ConvWeights, bias: Tensor)
    }
    let levels: [Level]
    let classCount: Int

    init(_ w: any WeightSource, config: YOLOXConfig) throws {
        let b = config.baseChannels, hidden = 4 * b  // int(256 * width)
        classCount = config.classCount
        func pred(_ name: String, _ k: Int, _ out: Int) throws -> (weights: ConvWeights, bias: Tensor) {
            (try ConvWeights(w.tensor("head.\(name).\(k).weight", shape: [out, hidden, 1, 1])),
             try w.tensor("head.\(name).\(k).bias", shape: [out]))
        }
        levels = try [4 * b, 8 * b, 16 * b].enumerated().map { k, c in
            let branch = { (name: String) in
                try (0..<2).map {
                    try YOLOXConv(w, "head.\(name).\(k).\($0)", c1: hidden, c2: hidden, k: 3, depthwise: config.depthwise)
                }
            }
            return Level(stem: try YOLOXConv(w, "head.stems.\(k)", c1: c, c2: hidden, k: 1),
                         clsConvs: try branch("cls_convs"), regConvs: try branch("reg_convs"),
                         cls: try pred("cls_preds", k, config.classCount), reg: try pred("reg_preds", k, 4),
                         obj: try pred("obj_preds", k, 1))
        }
    }

    func callAsFunction(_ features: [Tensor]) throws -> Tensor {
        let columns = classCount + 5
        var parts: [(reg: Tensor, obj: Tensor, cls: Tensor)] = []
        for (level, x) in zip(levels, features) {
            let s = try level.stem(x)
            var c = s, r = s
            for conv in level.clsConvs { c = try conv(c) }
            for conv in level.regConvs { r = try conv(r) }
            parts.append((try conv2d(r, weights: level.reg.weights, bias: level.reg.bias),
                          try conv2d(r, weights: level.obj.weights, bias: level.obj.bias, activation: .sigmoid),
                          try conv2d(c, weights: level.cls.weights, bias: level.cls.bias, activation: .sigmoid)))
        }
        let rows = parts.reduce(0) { $0 + $1.reg.shape[2] * $1.reg.shape[3] }
        // Channel-first planes -> one row per grid cell: [reg 4 | obj | cls C].
        let storage = [Float](unsafeUninitializedCapacity: rows * columns) { out, initialized in
            var row0 = 0
            for part in parts {
                let plane = part.reg.shape[2] * part.reg.shape[3]
                for (t, col0) in [(part.reg, 0), (part.obj, 4), (part.cls, 5)] {
                    t.storage.withUnsafeBufferPointer { src in
                        for ch in 0..<t.shape[1] {
                            let s = src.baseAddress! + ch * plane
                            let d = out.baseAddress! + row0 * columns + col0 + ch
                            for i in 0..<plane { d[i * columns] = s[i] }
                        }
                    }
                }
                row0 += plane
            }
            initialized = rows * columns
        }
        return Tensor(shape: [1, rows, columns], storage: storage)
    }
}

/// The whole YOLOX module (`yolox/models/yolox.py`): PAFPN then the head, on a [1, 3, H, W] input with H, W
/// multiples of 32.
struct YOLOXNetwork {
    let config: YOLOXConfig
    let neck: YOLOPAFPN
    let head: YOLOXHead

    init(_ w: any WeightSource) throws {
        config = try YOLOXConfig(w)
        neck = try YOLOPAFPN(w, config: config)
        head = try YOLOXHead(w, config: config)
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        try head(neck(x))
    }
}
