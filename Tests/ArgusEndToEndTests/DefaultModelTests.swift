import ArgusDetection
import ArgusModels
import ArgusTestSupport
import Foundation
import XCTest
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The built-in default model: the binary carries models/yolox_nano.onnx, and `argus detect` / `argus serve` use it
/// when no model is given.
final class DefaultModelTests: XCTestCase {
    func testBuiltInModelIsTheCommittedFile() throws {
        let committed = [UInt8](try Data(contentsOf: Repository.url("models/yolox_nano.onnx")))
        XCTAssertEqual(DefaultModel.bytes.count, committed.count)
        XCTAssertTrue(DefaultModel.bytes == committed, "the embedded bytes differ from models/yolox_nano.onnx: touch Sources/CDefaultModel/default_model.c and rebuild")
        let model = try XCTUnwrap(DefaultModel.load().detector)
        XCTAssertEqual(model.info.name, "yolox_nano")
        XCTAssertEqual(model.info.family, .yolox)
        XCTAssertTrue(COCOCategories.isCOCO80(model.info.classNames), "\(model.info.classNames.prefix(5))")
        XCTAssertEqual(model.info.defaults.imageSize, 416)
    }

    /// `argus detect IMG` and `--format coco` with no model flag, against the same model loaded in process.
    func testDetectWithoutModelFlags() throws {
        let image = try SharedData.path("datasets/coco-val96/images/val2017/000000006723.jpg")
        let (status, out, err) = try EvalCommandModelTests.run(["detect", image])
        XCTAssertEqual(status, 0, err)
        let list = try XCTUnwrap(JSONSerialization.jsonObject(with: out) as? [[String: Any]])
        let detections = try XCTUnwrap(list.first?["detections"] as? [[String: Any]])
        XCTAssertFalse(detections.isEmpty)
        let labels = Set(detections.compactMap { $0["label"] as? String })
        XCTAssertTrue(labels.isSubset(of: Set(try XCTUnwrap(DefaultModel.load().detector).info.classNames)), "\(labels)")

        let (cocoStatus, cocoOut, cocoErr) = try EvalCommandModelTests.run(["detect", "--format", "coco", image])
        XCTAssertEqual(cocoStatus, 0, cocoErr)
        let results = try XCTUnwrap(JSONSerialization.jsonObject(with: cocoOut) as? [[String: Any]])
        XCTAssertEqual(results.count, detections.count)
        XCTAssertTrue(results.allSatisfy { $0["image_id"] as? Int == 6723 && ($0["bbox"] as? [Double])?.count == 4 })
    }

    /// `argus serve` with no model flag answers POST /detect with the default model, lists it as the default, and
    /// /segment says how to load a model with masks.
    func testServeWithoutModelFlags() throws {
        let image = try SharedData.bytes("datasets/coco-val96/images/val2017/000000006723.jpg")
        let server = try ServedArgus(arguments: ["serve", "--port", "0", "--workers", "1"])
        defer { server.stop() }

        let models = try server.request("GET", "/models")
        XCTAssertEqual(models.status, 200)
        let list = try XCTUnwrap((JSONSerialization.jsonObject(with: models.body) as? [String: Any])?["models"] as? [[String: Any]])
        XCTAssertEqual(list.map { $0["name"] as? String }, ["yolox_nano"])
        XCTAssertEqual(list.first?["default"] as? Bool, true)

        let detect = try server.request("POST", "/detect", contentType: "image/jpeg", body: Data(image))
        XCTAssertEqual(detect.status, 200, String(decoding: detect.body, as: UTF8.self))
        let body = try XCTUnwrap(JSONSerialization.jsonObject(with: detect.body) as? [String: Any])
        XCTAssertEqual(body["model"] as? String, "yolox_nano")
        let detections = try XCTUnwrap((body["images"] as? [[String: Any]])?.first?["detections"] as? [[String: Any]])
        XCTAssertFalse(detections.isEmpty)

        let segment = try server.request("POST", "/segment", contentType: "image/jpeg", body: Data(image))
        XCTAssertEqual(segment.status, 400)
        XCTAssertTrue(String(decoding: segment.body, as: UTF8.self).contains("--weights"), String(decoding: segment.body, as: UTF8.self))
    }

    func testNoDefaultModelRefusesToStart() throws {
        let (status, _, err) = try EvalCommandModelTests.run(["serve", "--no-default-model", "--port", "0"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(err.contains("--no-default-model"), err)
    }
}

/// An `argus serve` child process on a free port, found from its "listening on" log line.
final class ServedArgus {
    let process = Process()
    let port: Int
    private let errURL: URL

    init(arguments: [String]) throws {
        process.executableURL = try EvalCommandModelTests.argusExecutable()
        process.arguments = arguments
        errURL = FileManager.default.temporaryDirectory.appendingPathComponent("argus-serve-\(UUID().uuidString).err")
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var found: Int?
        let deadline = Date().addingTimeInterval(60)
        while found == nil && Date() < deadline && process.isRunning {
            let log = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
            if log.contains("argus: ready"), let range = log.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                found = Int(log[range].split(separator: ":").last!)
            } else {
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        guard let found else {
            process.terminate()
            throw XCTSkip("argus serve did not become ready: \((try? String(contentsOf: errURL, encoding: .utf8)) ?? "")")
        }
        port = found
    }

    func request(_ method: String, _ path: String, contentType: String? = nil, body: Data? = nil) throws -> (status: Int, body: Data) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.httpBody = body
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        let done = DispatchSemaphore(value: 0)
        var result: (Int, Data)?
        var failure: Error?
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let error { failure = error } else { result = ((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data()) }
            done.signal()
        }.resume()
        done.wait()
        if let failure { throw failure }
        return try XCTUnwrap(result)
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: errURL)
    }
}
