import ArgusJSON

/// Safetensors headers: parsed by the shared strict JSON parser, then given the `PickleValue` shape the
/// other checkpoint formats produce (objects keep key order; integral numbers become ints).
enum JSONReader {
    static func parse(_ bytes: ArraySlice<UInt8>) throws -> PickleValue {
        let document: JSONValue
        do { document = try JSONParser.parse(Array(bytes)) } catch let error as JSONParseError {
            throw WeightsError.corrupt("safetensors header JSON: \(error.description)")
        }
        return convert(document)
    }

    private static func convert(_ value: JSONValue) -> PickleValue {
        switch value {
        case .null: return .none
        case .bool(let b): return .bool(b)
        case .number(let d):
            if d == d.rounded(), abs(d) < 9.007_199_254_740_992e15 { return .int(Int(d)) }
            return .float(d)
        case .float(let f): return .float(Double(f))
        case .string(let s): return .string(s)
        case .array(let items): return .list(items.map(convert))
        case .object(let members):
            var dict = PickleDict()
            for (key, member) in members { dict.set(convert(member), for: .string(key)) }
            return .dict(dict)
        }
    }
}
