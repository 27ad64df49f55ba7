/// Reads a strided view out of raw storage bytes and converts its elements.
enum TensorDecoding {
    /// The elements as Float32 (what `Tensor` holds), in row-major order of the view.
    static func floats(_ t: StoredTensor, bytes: ArraySlice<UInt8>, name: String, bigEndian: Bool) throws -> [Float] {
        let dtype = try dtypeOf(t)
        if dtype == .float32, !bigEndian, t.isContiguous {
            let n = try t.validate(available: bytes.count / 4, name: name)
            return bytes.withUnsafeBytes { raw in
                [Float](unsafeUninitializedCapacity: n) { buf, done in
                    if n > 0 {
                        UnsafeMutableRawPointer(buf.baseAddress!).copyMemory(
                            from: raw.baseAddress! + t.storageOffset * 4, byteCount: n * 4)
                    }
                    done = n
                }
            }
        }
        return try gather(t, bytes: bytes, name: name) { raw, i in readFloat(dtype, raw, i, bigEndian) }
    }

    /// The elements as Float64 (exact for every dtype except 64-bit integers beyond 2^53).
    static func doubles(_ t: StoredTensor, bytes: ArraySlice<UInt8>, name: String, bigEndian: Bool) throws -> [Double] {
        let dtype = try dtypeOf(t)
        return try gather(t, bytes: bytes, name: name) { raw, i in readDouble(dtype, raw, i, bigEndian) }
    }

    /// The elements of an integer or bool tensor as Int64 (uint64 keeps its bit pattern).
    static func int64s(_ t: StoredTensor, bytes: ArraySlice<UInt8>, name: String, bigEndian: Bool) throws -> [Int64] {
        let dtype = try dtypeOf(t)
        guard !dtype.isFloatingPoint else {
            throw WeightsError.dtypeMismatch(name: name, expected: "an integer type", found: dtype.rawValue)
        }
        return try gather(t, bytes: bytes, name: name) { raw, i in readInt(dtype, raw, i, bigEndian) }
    }

    private static func dtypeOf(_ t: StoredTensor) throws -> TensorDType {
        guard let dtype = t.dtype else { throw WeightsError.unsupportedDType(t.storage.typeName) }
        return dtype
    }

    /// Visits the view's elements in row-major order; `read` gets the storage element index.
    private static func gather<T>(_ t: StoredTensor, bytes: ArraySlice<UInt8>, name: String,
                                  read: (UnsafeRawBufferPointer, Int) -> T) throws -> [T] {
        let size = t.dtype!.size
        let n = try t.validate(available: bytes.count / size, name: name)
        return bytes.withUnsafeBytes { raw in
            [T](unsafeUninitializedCapacity: n) { buf, done in
                defer { done = n }
                if n == 0 { return }
                if t.isContiguous {
                    for k in 0..<n { buf[k] = read(raw, t.storageOffset + k) }
                    return
                }
                let rank = t.shape.count
                var index = [Int](repeating: 0, count: rank)
                var position = t.storageOffset
                for k in 0..<n {
                    buf[k] = read(raw, position)
                    var d = rank - 1
                    // Wrapping arithmetic: a size-1 dimension may carry any stride (validate() cannot
                    // bound it), and stepping past the last element must not trap.
                    while d >= 0 {
                        index[d] += 1
                        position &+= t.stride[d]
                        if index[d] < t.shape[d] { break }
                        position &-= t.stride[d] &* t.shape[d]
                        index[d] = 0
                        d -= 1
                    }
                }
            }
        }
    }

    @inline(__always)
    private static func bits<U: FixedWidthInteger>(_ raw: UnsafeRawBufferPointer, _ i: Int, _ big: Bool, _: U.Type) -> U {
        let v = raw.loadUnaligned(fromByteOffset: i * MemoryLayout<U>.size, as: U.self)
        return big ? U(bigEndian: v) : U(littleEndian: v)
    }

    @inline(__always)
    private static func readFloat(_ dtype: TensorDType, _ raw: UnsafeRawBufferPointer, _ i: Int, _ big: Bool) -> Float {
        switch dtype {
        case .float32: return Float(bitPattern: bits(raw, i, big, UInt32.self))
        case .float16: return halfToFloat(bits(raw, i, big, UInt16.self))
        case .bfloat16: return Float(bitPattern: UInt32(bits(raw, i, big, UInt16.self)) << 16)
        case .float64: return Float(Double(bitPattern: bits(raw, i, big, UInt64.self)))
        // 64-bit integers round once, straight to Float, like torch's static_cast<float>.
        case .int64: return Float(Int64(bitPattern: bits(raw, i, big, UInt64.self)))
        case .uint64: return Float(bits(raw, i, big, UInt64.self))
        default: return Float(readInt(dtype, raw, i, big))
        }
    }

    @inline(__always)
    private static func readDouble(_ dtype: TensorDType, _ raw: UnsafeRawBufferPointer, _ i: Int, _ big: Bool) -> Double {
        switch dtype {
        case .float64: return Double(bitPattern: bits(raw, i, big, UInt64.self))
        case .float32, .float16, .bfloat16: return Double(readFloat(dtype, raw, i, big))
        case .uint64: return Double(bits(raw, i, big, UInt64.self))
        default: return Double(readInt(dtype, raw, i, big))
        }
    }

    @inline(__always)
    private static func readInt(_ dtype: TensorDType, _ raw: UnsafeRawBufferPointer, _ i: Int, _ big: Bool) -> Int64 {
        switch dtype {
        case .int64, .uint64: return Int64(bitPattern: bits(raw, i, big, UInt64.self))
        case .int32: return Int64(Int32(bitPattern: bits(raw, i, big, UInt32.self)))
        case .uint32: return Int64(bits(raw, i, big, UInt32.self))
        case .int16: return Int64(Int16(bitPattern: bits(raw, i, big, UInt16.self)))
        case .uint16: return Int64(bits(raw, i, big, UInt16.self))
        case .int8: return Int64(Int8(bitPattern: raw[i]))
        case .uint8: return Int64(raw[i])
        case .bool: return raw[i] == 0 ? 0 : 1
        case .float32, .float16, .bfloat16, .float64:   // not reached by int64s(); kept total and trap-free
            let d = readDouble(dtype, raw, i, big)
            return d.isFinite && abs(d) < 9.2e18 ? Int64(d) : 0
        }
    }

    /// IEEE half to single, exact for every value including subnormals, infinities and NaN payloads.
    @inline(__always)
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            let magnitude = Float(mantissa) * (1.0 / 16_777_216.0)   // mantissa * 2^-24, exact
            return sign == 0 ? magnitude : -magnitude
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
}
