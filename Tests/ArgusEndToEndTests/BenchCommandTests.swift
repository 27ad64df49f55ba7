import ArgusImage
import ArgusTestSupport
import Foundation
import XCTest

/// `argus bench` with a stand-in peer (a shell script in place of the peer Python, so no torch is needed): one
/// process per engine with `--engine`, each peer's row with its own peak RSS and its ratio to Argus, Argus's own
/// peak RSS, the machine's ISA above the table, and an engine that cannot run named under it with its reason.
final class BenchCommandTests: XCTestCase {
    static let semantic = Repository.url("Tests/ArgusModelsTests/Fixtures/torchvision_seg/semantic_mnv3_tiny.pt").path
    static let boxes = Repository.url("Tests/ArgusModelsTests/Fixtures/torchvision/fasterrcnn_mnv3_tiny.pt").path

    /// A folder with a 64x48 PNG and `python`: a script that logs its arguments and prints, per --engine, a
    /// timing line (torch, onnxruntime) or the line of an engine that is not installed (openvino).
    func stage() throws -> (folder: String, image: String, python: String, log: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("argus-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var pixels = [UInt8](repeating: 0, count: 64 * 48 * 3)
        for i in pixels.indices { pixels[i] = UInt8((i * 37) % 251) }
        let image = (folder as NSString).appendingPathComponent("1.png")
        _ = FileManager.default.createFile(atPath: image, contents: Data(try encodePNG(RGBImage(width: 64, height: 48, pixels: pixels))))
        let log = (folder as NSString).appendingPathComponent("calls.txt")
        let python = (folder as NSString).appendingPathComponent("python")
        let script = """
            #!/bin/sh
            echo "$@" >> '\(log)'
            for a in "$@"; do engine="$a"; done  # --engine NAME comes last
            case "$engine" in
              torch) echo '{"engine": "torch stand-in", "threads": 1, "median_ms": 1000.0, "min_ms": 900.0, "detections": 3, "peak_rss_mb": 321.4}' ;;
              onnxruntime) echo '{"engine": "onnxruntime stand-in", "threads": 1, "median_ms": 0.001, "min_ms": 0.001, "detections": 3, "peak_rss_mb": 99.0}' ;;
              openvino) echo '{"engine": "openvino", "skipped": "ModuleNotFoundError: No module named openvino"}' ;;
            esac

            """
        _ = FileManager.default.createFile(atPath: python, contents: Data(script.utf8), attributes: [.posixPermissions: 0o755])
        return (folder, image, python, log)
    }

    func check(arguments: [String], model: String) throws {
        let s = try stage()
        defer { try? FileManager.default.removeItem(atPath: s.folder) }
        let (status, out, err) = try EvalCommandModelTests.run(
            ["bench"] + arguments + ["--image", s.image, "--threads", "1", "--runs", "2", "--peer-python", s.python])
        XCTAssertEqual(status, 0, err)
        let text = String(decoding: out, as: UTF8.self)
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssert(lines.first?.hasPrefix("Machine: ") == true && lines.first?.contains("ISA: ") == true, text)
        XCTAssert(text.contains("| peak RSS MB | peer median / argus median |"), text)

        func cells(_ engine: String) throws -> [String] {
            let row = try XCTUnwrap(lines.first { $0.hasPrefix("| \(model) | \(engine) | 1 |") }, text)
            return row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let argusRSS = try XCTUnwrap(Double(try cells("argus")[6]), text)
        XCTAssert(argusRSS > 1 && argusRSS < 100_000, text)
        XCTAssertEqual(try cells("torch stand-in")[6], "321")
        XCTAssert(try cells("torch stand-in")[7].hasSuffix("x"), text)  // 1000 ms over Argus's median
        XCTAssertEqual(try cells("onnxruntime stand-in")[6], "99")
        XCTAssertEqual(try cells("onnxruntime stand-in")[7], "0.00x")
        XCTAssert(lines.contains("openvino not timed: ModuleNotFoundError: No module named openvino"), text)
        XCTAssertFalse(lines.contains { $0.hasPrefix("| \(model) | openvino") }, text)

        let calls = try String(contentsOfFile: s.log, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(calls.map { $0.split(separator: " ").suffix(2).joined(separator: " ") },
                       ["--engine torch", "--engine onnxruntime", "--engine openvino"])
        for call in calls { XCTAssert(call.contains("--threads 1 --runs 2"), String(call)) }
    }

    func testSemanticModelAgainstEveryPeerEngine() throws {
        try check(arguments: ["--weights", Self.semantic, "--arch", "lraspp_mobilenet_v3_large"], model: "lraspp_mobilenet_v3_large")
    }

    func testDetectorAgainstEveryPeerEngine() throws {
        try check(arguments: ["--weights", Self.boxes, "--arch", "fasterrcnn_mobilenet_v3_large_fpn"], model: "fasterrcnn_mobilenet_v3_large_fpn")
    }
}
