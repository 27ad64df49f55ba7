import ArgusEval
import ArgusTensor
import ArgusTestSupport
import Foundation
import XCTest

/// The `argus` executable itself: `argus eval --gt --images --weights` over coco-val96 prints the
/// reference stats (`../shared/reference/yolov5n/expected_map.json`, pycocotools on YOLOv5's val.py output)
/// within 0.002, and `--save-results` writes results that score the same through `--dt`.
final class EvalCommandModelTests: XCTestCase {
    /// The built `argus`, next to the test bundle in the products directory.
    static func argusExecutable() throws -> URL {
        #if os(Linux)
        let products = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        #else
        let products = Bundle(for: EvalCommandModelTests.self).bundleURL.deletingLastPathComponent()
        #endif
        let url = products.appendingPathComponent("argus")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw XCTSkip("no argus executable in \(products.path); build it first (swift build --product argus)")
        }
        return url
    }

    /// Runs argus with `arguments`; returns (exit status, stdout, stderr).
    static func run(_ arguments: [String]) throws -> (Int32, Data, String) {
        let process = Process()
        process.executableURL = try argusExecutable()
        process.arguments = arguments
        // The same OpenBLAS kernels as this process, so the executable's numbers can be compared with the
        // in-process models' bit for bit (argus would otherwise pick its own when OpenBLAS fell back, BLASCoreType).
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_CORETYPE"] = BLASCoreType.current
        process.environment = environment
        // stderr goes to a file, so one pipe suffices and neither can fill up and block the child.
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("argus-evalmodel-\(UUID().uuidString).err")
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errURL) }
        let out = Pipe(), err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try err.close()
        let errData = try Data(contentsOf: errURL)
        return (process.terminationStatus, outData, String(decoding: errData, as: UTF8.self))
    }

    func testEvalWithImagesMatchesReferenceMAP() throws {
        #if DEBUG
        throw XCTSkip("96 images through an unoptimized argus take minutes; run with swift test -c release")
        #else
        let expected = try SharedData.json("reference/yolov5n/expected_map.json")
        let stats = try XCTUnwrap((expected["coco-val96_val"] as? [String: Any])?["stats"] as? [Double])
        let gt = try SharedData.path("datasets/coco-val96/annotations/instances_val96_bbox.json")
        let images = try SharedData.path("datasets/coco-val96/images/val2017")
        let weights = try SharedData.path("weights/ultralytics/yolov5n.pt")
        let saved = FileManager.default.temporaryDirectory.appendingPathComponent("argus-evalmodel-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: saved) }

        // --model is accepted as a synonym of --weights.
        let (status, stdout, stderr) = try Self.run(["eval", "--gt", gt, "--images", images, "--model", weights,
                                                     "--save-results", saved.path])
        XCTAssertEqual(status, 0, stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: stdout) as? [String: Any])
        let got = try XCTUnwrap(report["stats"] as? [Double])
        for (i, (g, w)) in zip(got, stats).enumerated() { XCTAssertEqual(g, w, accuracy: 0.002, "stat \(i)") }
        let inference = try XCTUnwrap(report["inference"] as? [String: Any])
        XCTAssertEqual(inference["images"] as? Int, 96)
        XCTAssertEqual((inference["warnings"] as? [Any])?.count, 0)
        // Not a terminal: progress comes as lines, the last one at 100%.
        XCTAssertTrue(stderr.contains("96/96 images (100%)"), stderr)
        XCTAssertFalse(stderr.contains("\r"))

        // The saved results through the --dt path give the same numbers.
        let (status2, stdout2, stderr2) = try Self.run(["eval", "--gt", gt, "--dt", saved.path, "--quiet"])
        XCTAssertEqual(status2, 0, stderr2)
        let again = try XCTUnwrap((JSONSerialization.jsonObject(with: stdout2) as? [String: Any])?["stats"] as? [Double])
        XCTAssertEqual(again, got)
        #endif
    }

    func testEvalWithImagesErrors() throws {
        let gt = try SharedData.path("datasets/coco-val96/annotations/instances_val96_bbox.json")
        let weights = try SharedData.path("weights/ultralytics/yolov5n.pt")
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("argus-evalmodel-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        try Data("x".utf8).write(to: empty.appendingPathComponent("notes.txt"))

        let (s1, _, e1) = try Self.run(["eval", "--gt", gt, "--images", empty.path, "--weights", weights])
        XCTAssertNotEqual(s1, 0)
        XCTAssertTrue(e1.contains("no image in"), e1)

        let (s2, _, e2) = try Self.run(["eval", "--gt", gt, "--images", empty.path])
        XCTAssertNotEqual(s2, 0)
        XCTAssertTrue(e2.contains("--images needs a model"), e2)

        let (s3, _, e3) = try Self.run(["eval", "--gt", gt, "--images", empty.path, "--weights", empty.appendingPathComponent("none.pt").path])
        XCTAssertNotEqual(s3, 0)
        XCTAssertTrue(e3.contains("cannot load the model"), e3)
    }
}
