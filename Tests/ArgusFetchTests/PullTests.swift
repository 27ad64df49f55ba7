import ArgusFetch
import ArgusModels
import ArgusTestSupport
import Foundation
import XCTest

/// `argus models pull`'s download path against a loopback HTTP server serving a generated file: the
/// checksum reference is Python's hashlib; each failure must leave no file behind.
final class PullTests: XCTestCase {
    var work = ""
    var served = ""
    var server: LoopbackServer!
    var payload = Data()
    var digest = ""

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("argus-pull-\(UUID().uuidString)").path
        served = work + "/www"
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        // 300 kB of deterministic pseudo-random bytes (xorshift), larger than one curl write buffer.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        payload = Data((0..<300_000).map { _ -> UInt8 in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state >> 32)
        })
        try payload.write(to: URL(fileURLWithPath: served + "/weights-test.pth"))
        server = try LoopbackServer(root: served)
        digest = try LoopbackServer.referenceSHA256(served + "/weights-test.pth")
        XCTAssertEqual(digest.count, 64)
    }

    override func tearDownWithError() throws {
        server = nil
        try? FileManager.default.removeItem(atPath: work)
    }

    func request(_ path: String = "weights-test.pth", expected: ExpectedDigest? = nil, size: Int64? = nil,
                 into dir: String? = nil) -> FetchRequest {
        FetchRequest(url: server.url(path), destination: (dir ?? work + "/cache") + "/weights-test.pth",
                     expected: expected ?? .full(digest), size: size)
    }

    /// Files in `dir` (hidden temporaries included).
    func listing(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }

    func testDownloadVerifiesAndPlacesTheFile() throws {
        var reports: [(Int64, Int64?)] = []
        let outcome = try WeightsFetcher().fetch(request(size: Int64(payload.count)), progress: { reports.append(($0, $1)) })
        let path = work + "/cache/weights-test.pth"
        XCTAssertEqual(outcome, .downloaded(path: path, bytes: Int64(payload.count), sha256: digest))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), payload)
        XCTAssertEqual(listing(work + "/cache"), ["weights-test.pth"])
        XCTAssertEqual(reports.last?.0, Int64(payload.count))
        XCTAssertEqual(server.requests, ["/weights-test.pth"])
    }

    func testAlreadyPresentFileIsNotDownloadedAgain() throws {
        let fetcher = WeightsFetcher()
        _ = try fetcher.fetch(request())
        XCTAssertEqual(server.requests.count, 1)
        let again = try fetcher.fetch(request())
        XCTAssertEqual(again, .alreadyPresent(path: work + "/cache/weights-test.pth", sha256: digest))
        XCTAssertEqual(server.requests.count, 1, "a verified file must not be downloaded again")
        _ = try fetcher.fetch(request(), force: true)
        XCTAssertEqual(server.requests.count, 2, "--force downloads again")
    }

    func testCorruptExistingFileIsReplaced() throws {
        try FileManager.default.createDirectory(atPath: work + "/cache", withIntermediateDirectories: true)
        try Data("truncated".utf8).write(to: URL(fileURLWithPath: work + "/cache/weights-test.pth"))
        var notes: [String] = []
        let outcome = try WeightsFetcher().fetch(request(), note: { notes.append($0) })
        guard case .downloaded = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(notes.count, 1)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: work + "/cache/weights-test.pth")), payload)
    }

    func testChecksumMismatchFailsAndLeavesNoFile() throws {
        let wrong = String(repeating: "0", count: 64)
        XCTAssertThrowsError(try WeightsFetcher().fetch(request(expected: .full(wrong)))) { error in
            XCTAssertEqual(error as? FetchError, .checksumMismatch(expected: wrong, actual: digest, url: server.url("weights-test.pth")))
        }
        XCTAssertEqual(listing(work + "/cache"), [], "nothing may be left behind, not even the temporary file")
        // A mismatching download must not replace a file already there.
        try Data("old".utf8).write(to: URL(fileURLWithPath: work + "/cache/weights-test.pth"))
        XCTAssertThrowsError(try WeightsFetcher().fetch(request(expected: .full(wrong))))
        XCTAssertEqual(listing(work + "/cache"), ["weights-test.pth"])
        XCTAssertEqual(try String(contentsOfFile: work + "/cache/weights-test.pth", encoding: .utf8), "old")
    }

    func testPrefixOnlyManifestChecksThePrefix() throws {
        let prefix = String(digest.prefix(8))
        guard case .downloaded = try WeightsFetcher().fetch(request(expected: .prefix(prefix))) else { return XCTFail() }
        try FileManager.default.removeItem(atPath: work + "/cache/weights-test.pth")
        let other = prefix.first == "0" ? "1" + prefix.dropFirst() : "0" + prefix.dropFirst()
        XCTAssertThrowsError(try WeightsFetcher().fetch(request(expected: .prefix(String(other))))) { error in
            guard case .checksumMismatch(let expected, let actual, _)? = error as? FetchError else { return XCTFail("\(error)") }
            XCTAssertEqual(expected, String(other) + "...")
            XCTAssertEqual(actual, digest)
        }
        XCTAssertEqual(listing(work + "/cache"), [])
    }

    func testHTTPErrorIsReported() throws {
        XCTAssertThrowsError(try WeightsFetcher().fetch(request("missing.pth"))) { error in
            XCTAssertEqual(error as? FetchError, .httpStatus(404, url: server.url("missing.pth")))
            XCTAssertEqual("\(error)", "HTTP 404 from \(server.url("missing.pth"))")
        }
        XCTAssertEqual(listing(work + "/cache"), [])
    }

    func testOversizedDownloadsStop() throws {
        let small = WeightsFetcher(limits: DownloadLimits(maxBytes: 100_000))
        // Announced by Content-Length.
        XCTAssertThrowsError(try small.fetch(request())) { error in
            XCTAssertEqual(error as? FetchError, .tooLarge(limit: 100_000, url: server.url("weights-test.pth")))
        }
        // No Content-Length: stopped by counting.
        XCTAssertThrowsError(try small.fetch(request("nolength/weights-test.pth"))) { error in
            XCTAssertEqual(error as? FetchError, .tooLarge(limit: 100_000, url: server.url("nolength/weights-test.pth")))
        }
        // The manifest's size is the limit too; a shorter file is a size mismatch.
        XCTAssertThrowsError(try WeightsFetcher().fetch(request("nolength/weights-test.pth", size: 1000))) { error in
            XCTAssertEqual(error as? FetchError, .tooLarge(limit: 1000, url: server.url("nolength/weights-test.pth")))
        }
        XCTAssertThrowsError(try WeightsFetcher().fetch(request(size: Int64(payload.count) + 1))) { error in
            XCTAssertEqual(error as? FetchError,
                           .sizeMismatch(expected: Int64(payload.count) + 1, actual: Int64(payload.count), url: server.url("weights-test.pth")))
        }
        XCTAssertEqual(listing(work + "/cache"), [])
        // Without a Content-Length but within the limit, the download succeeds.
        guard case .downloaded = try WeightsFetcher().fetch(request("nolength/weights-test.pth")) else { return XCTFail() }
    }

    func testRedirectsAreFollowedWithinBounds() throws {
        guard case .downloaded = try WeightsFetcher().fetch(request("redirect/weights-test.pth")) else { return XCTFail() }
        XCTAssertEqual(server.requests, ["/redirect/weights-test.pth", "/weights-test.pth"])
        try FileManager.default.removeItem(atPath: work + "/cache/weights-test.pth")
        let noRedirects = WeightsFetcher(limits: DownloadLimits(maxRedirects: 0))
        XCTAssertThrowsError(try noRedirects.fetch(request("redirect/weights-test.pth"))) { error in
            guard case .transfer? = error as? FetchError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(listing(work + "/cache"), [])
    }

    func testOnlyHTTPURLsAreFetched() throws {
        let ftp = FetchRequest(url: "file:///etc/passwd", destination: work + "/cache/x", expected: .full(digest))
        XCTAssertThrowsError(try WeightsFetcher().fetch(ftp)) { error in
            XCTAssertEqual(error as? FetchError, .unsupportedURL("file:///etc/passwd"))
        }
        // Connection refused: a transfer error naming the URL, not a crash.
        let closed = FetchRequest(url: "http://127.0.0.1:1/x", destination: work + "/cache/x", expected: .full(digest))
        XCTAssertThrowsError(try WeightsFetcher().fetch(closed)) { error in
            guard case .transfer(_, let url)? = error as? FetchError else { return XCTFail("\(error)") }
            XCTAssertEqual(url, "http://127.0.0.1:1/x")
        }
    }

    func testKnownDigestVector() throws {
        // FIPS 180-2 example: sha256("abc").
        let path = work + "/abc"
        try Data("abc".utf8).write(to: URL(fileURLWithPath: path))
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        XCTAssertEqual(try WeightsFetcher.verifiedDigest(atPath: path, expected: .full(abc), size: 3), abc)
        XCTAssertNil(try WeightsFetcher.verifiedDigest(atPath: path, expected: .full(abc), size: 4))
        XCTAssertNil(try WeightsFetcher.verifiedDigest(atPath: path, expected: .prefix("ba7816bf0"), size: nil))
    }

    /// The whole `argus models pull` path: a manifest in a temporary models directory whose URL points at
    /// the loopback server, resolved by the catalog into its cache.
    func testPullThroughTheCatalog() throws {
        let repoModels = Repository.url("models").path
        let data = try Data(contentsOf: URL(fileURLWithPath: repoModels + "/fasterrcnn_mobilenet_v3_large_fpn.json"))
        var manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        manifest["name"] = "loopback"
        manifest["weights"] = ["url": server.url("weights-test.pth"), "file": "weights-test.pth",
                               "sha256": digest, "size": payload.count]
        let models = work + "/models"
        try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: models + "/loopback.json"))

        let catalog = try ModelCatalog(modelsDirectory: models, environment: ["ARGUS_CACHE_DIR": work + "/argus-cache"],
                                       workingDirectory: work)
        let entry = try catalog.entry(named: "loopback")
        XCTAssertNil(catalog.installedWeights(for: entry))
        let outcome = try WeightsFetcher().fetch(FetchRequest(entry: entry, catalog: catalog))
        let path = work + "/argus-cache/weights/weights-test.pth"
        XCTAssertEqual(outcome, .downloaded(path: path, bytes: Int64(payload.count), sha256: digest))
        XCTAssertEqual(catalog.installedWeights(for: entry), path)
        // --to DIR
        let elsewhere = try WeightsFetcher().fetch(FetchRequest(entry: entry, catalog: catalog, directory: work + "/to"))
        XCTAssertEqual(elsewhere, .downloaded(path: work + "/to/weights-test.pth", bytes: Int64(payload.count), sha256: digest))
    }
}
