/// The parts of onnx.proto this runtime reads (field numbers from onnx/onnx.proto), decoded from the wire.
/// Unknown fields are skipped, so files from newer exporters still load when they use nothing new.

struct TensorProtoMessage {
    var name = ""
    var dims: [Int64] = []
    var dataType: Int64 = 0
    var rawData: Range<Int>?
    var floatData: [Float] = []
    var int32Data: [Int64] = []
    var int64Data: [Int64] = []
    var doubleData: [Double] = []
    var hasExternalData = false
    var dataLocation: Int64 = 0
    var hasStringData = false
    var hasUInt64Data = false
    var hasSegment = false

    init(_ r: ProtoReader) throws {
        var r = r
        while let (field, p) = try r.next() {
            switch field {
            case 1: try r.appendVarints(p, to: &dims, "TensorProto.dims")
            case 2: dataType = try p.int("TensorProto.data_type")
            case 3: hasSegment = true
            case 4: try r.appendFloats(p, to: &floatData, "TensorProto.float_data")
            case 5: try r.appendVarints(p, to: &int32Data, "TensorProto.int32_data")
            case 6: hasStringData = true
            case 7: try r.appendVarints(p, to: &int64Data, "TensorProto.int64_data")
            case 8: name = try r.string(p, "TensorProto.name")
            case 9: rawData = try p.range("TensorProto.raw_data")
            case 10: try r.appendDoubles(p, to: &doubleData, "TensorProto.double_data")
            case 11: hasUInt64Data = true
            case 13: hasExternalData = true
            case 14: dataLocation = try p.int("TensorProto.data_location")
            default: break
            }
        }
    }
}

/// TensorShapeProto.Dimension: a value, a symbolic name, or nothing.
struct DimensionMessage {
    var value: Int64?
    var param: String?
}

struct ValueInfoMessage {
    var name = ""
    var elemType: Int64 = 0
    /// nil when the type carries no shape (unknown rank).
    var dims: [DimensionMessage]?
    var isTensor = false

    init(_ r: ProtoReader) throws {
        var r = r
        while let (field, p) = try r.next() {
            switch field {
            case 1: name = try r.string(p, "ValueInfoProto.name")
            case 2: try readType(r.nested(p, "ValueInfoProto.type"))
            default: break
            }
        }
    }

    private mutating func readType(_ r: ProtoReader) throws {
        var r = r
        while let (field, p) = try r.next() {
            guard field == 1 else { continue }  // only tensor_type is read
            isTensor = true
            var t = try r.nested(p, "TypeProto.tensor_type")
            while let (f, q) = try t.next() {
                switch f {
                case 1: elemType = try q.int("TypeProto.Tensor.elem_type")
                case 2: dims = try readShape(t.nested(q, "TypeProto.Tensor.shape"))
                default: break
                }
            }
        }
    }

    private func readShape(_ r: ProtoReader) throws -> [DimensionMessage] {
        var r = r
        var dims: [DimensionMessage] = []
        while let (field, p) = try r.next() {
            guard field == 1 else { continue }
            var d = try r.nested(p, "TensorShapeProto.dim")
            var dim = DimensionMessage()
            while let (f, q) = try d.next() {
                switch f {
                case 1: dim.value = try q.int("Dimension.dim_value")
                case 2: dim.param = try d.string(q, "Dimension.dim_param")
                default: break
                }
            }
            dims.append(dim)
        }
        return dims
    }
}

struct AttributeMessage {
    var name = ""
    var type: Int64 = 0
    var f: Float?
    var i: Int64?
    var s: String?
    var t: TensorProtoMessage?
    var floats: [Float] = []
    var ints: [Int64] = []
    var hasGraph = false
    var hasOther = false
    var refAttrName: String?

    init(_ r: ProtoReader) throws {
        var r = r
        while let (field, p) = try r.next() {
            switch field {
            case 1: name = try r.string(p, "AttributeProto.name")
            case 2: f = try p.float("AttributeProto.f")
            case 3: i = try p.int("AttributeProto.i")
            case 4: s = try r.string(p, "AttributeProto.s")
            case 5: t = try TensorProtoMessage(r.nested(p, "AttributeProto.t"))
            case 6, 11: hasGraph = true
            case 7: try r.appendFloats(p, to: &floats, "AttributeProto.floats")
            case 8: try r.appendVarints(p, to: &ints, "AttributeProto.ints")
            case 9, 10, 12, 14, 15, 22, 23: hasOther = true
            case 20: type = try p.int("AttributeProto.type")
            case 21: refAttrName = try r.string(p, "AttributeProto.ref_attr_name")
            default: break
            }
        }
    }
}

struct NodeMessage {
    var inputs: [String] = []
    var outputs: [String] = []
    var name = ""
    var opType = ""
    var domain = ""
    var attributes: [AttributeMessage] = []

    init(_ r: ProtoReader) throws {
        var r = r
        while let (field, p) = try r.next() {
            switch field {
            case 1: inputs.append(try r.string(p, "NodeProto.input"))
            case 2: outputs.append(try r.string(p, "NodeProto.output"))
            case 3: name = try r.string(p, "NodeProto.name")
            case 4: opType = try r.string(p, "NodeProto.op_type")
            case 5: attributes.append(try AttributeMessage(r.nested(p, "NodeProto.attribute")))
            case 7: domain = try r.string(p, "NodeProto.domain")
            default: break
            }
        }
    }
}

struct GraphMessage {
    var nodes: [NodeMessage] = []
    var initializers: [TensorProtoMessage] = []
    var inputs: [ValueInfoMessage] = []
    var outputs: [ValueInfoMessage] = []
    var hasSparseInitializers = false

    init(_ r: ProtoReader) throws {
        var r = r
        while let (field, p) = try r.next() {
            switch field {
            case 1: nodes.append(try NodeMessage(r.nested(p, "GraphProto.node")))
            case 5: initializers.append(try TensorProtoMessage(r.nested(p, "GraphProto.initializer")))
            case 11: inputs.append(try ValueInfoMessage(r.nested(p, "GraphProto.input")))
            case 12: outputs.append(try ValueInfoMessage(r.nested(p, "GraphProto.output")))
            case 15: hasSparseInitializers = true
            default: break
            }
        }
    }
}

struct ModelMessage {
    var irVersion: Int64 = 0
    var producerName = ""
    var opsets: [(domain: String, version: Int64)] = []
    var metadata: [(String, String)] = []
    var graph: GraphMessage?
    var hasFunctions = false

    init(_ r: ProtoReader) throws {
        var r = r
        while let (field, p) = try r.next() {
            switch field {
            case 1: irVersion = try p.int("ModelProto.ir_version")
            case 2: producerName = try r.string(p, "ModelProto.producer_name")
            case 7: graph = try GraphMessage(r.nested(p, "ModelProto.graph"))
            case 8:
                var o = try r.nested(p, "ModelProto.opset_import")
                var domain = "", version: Int64 = 0
                while let (f, q) = try o.next() {
                    if f == 1 { domain = try o.string(q, "OperatorSetIdProto.domain") }
                    if f == 2 { version = try q.int("OperatorSetIdProto.version") }
                }
                opsets.append((domain, version))
            case 14:
                var e = try r.nested(p, "ModelProto.metadata_props")
                var key = "", value = ""
                while let (f, q) = try e.next() {
                    if f == 1 { key = try e.string(q, "StringStringEntryProto.key") }
                    if f == 2 { value = try e.string(q, "StringStringEntryProto.value") }
                }
                metadata.append((key, value))
            case 25: hasFunctions = true
            default: break
            }
        }
    }
}
