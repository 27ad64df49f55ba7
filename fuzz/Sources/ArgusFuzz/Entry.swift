import Foundation

/// One harness: gets every input libFuzzer generates; returns normally for accepted and rejected input alike.
/// A crash, trap, sanitizer report, timeout or blown memory limit is the finding.
typealias Harness = ([UInt8]) -> Void

let harnesses: [String: Harness] = [
    // HTTP layer (ArgusServer)
    "multipart": fuzzMultipart,
    "parameters": fuzzParameters,
    "base64": fuzzBase64,
    "http_request": fuzzHTTPRequest,
    // JSON
    "json": fuzzJSON,
    "coco_json": fuzzCOCOJSON,
    "coco_eval": fuzzCOCOEval,
    "weights_json": fuzzWeightsJSON,
    // weights (ArgusWeights)
    "checkpoint": fuzzCheckpoint,
    "pickle": fuzzPickle,
    "zip": fuzzZip,
    "safetensors": fuzzSafetensors,
    // models
    "onnx": fuzzONNX,
    "python_literal": fuzzPythonLiteral,
    "manifest": fuzzManifest,
    // masks and images
    "rle": fuzzRLE,
    "image": fuzzImage,
]

/// Picked once, before the first input: ARGUS_FUZZ_HARNESS names the harness.
private var selected: Harness?

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    let name = ProcessInfo.processInfo.environment["ARGUS_FUZZ_HARNESS"] ?? ""
    guard let harness = harnesses[name] else {
        let known = harnesses.keys.sorted().joined(separator: " ")
        FileHandle.standardError.write(Data("argus-fuzz: set ARGUS_FUZZ_HARNESS to one of: \(known)\n".utf8))
        exit(2)
    }
    selected = harness
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    selected!(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

/// A property the parser promises; breaking it is a finding like a crash (libFuzzer saves the input).
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        FileHandle.standardError.write(Data("argus-fuzz: property violated: \(message())\n".utf8))
        abort()
    }
}

/// The input split at its first newline: a short "control" line (boundary, content type, mask size) and the rest.
func splitFirstLine(_ bytes: [UInt8]) -> (line: String, rest: [UInt8]) {
    guard let newline = bytes.firstIndex(of: 0x0A) else { return (String(decoding: bytes, as: UTF8.self), []) }
    return (String(decoding: bytes[..<newline], as: UTF8.self), Array(bytes[(newline + 1)...]))
}
