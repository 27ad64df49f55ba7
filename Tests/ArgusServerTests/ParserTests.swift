import ArgusServer
import XCTest
import ArgusJSON
import ArgusPipeline

/// The request parsers on their own: multipart framing, JSON, base64, media types, parameters.
final class ParserTests: XCTestCase {
    func testMultipartParsesFieldsFilesAndPreamble() throws {
        let body = Array(("preamble text\r\n--b1\r\nContent-Disposition: form-data; name=\"conf\"\r\n\r\n0.5\r\n" +
                          "--b1\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a;b.png\"\r\nContent-Type: image/png\r\n\r\n").utf8)
            + [0x00, 0x0D, 0x0A, 0x2D, 0x2D, 0xFF] + Array("\r\n--b1--\r\nepilogue".utf8)
        let parts = try MultipartParser.parse(body, boundary: "b1")
        XCTAssertEqual(parts.count, 2)
        XCTAssertEqual(parts[0].name, "conf")
        XCTAssertEqual(parts[0].text, "0.5")
        XCTAssertNil(parts[0].filename)
        XCTAssertEqual(parts[1].name, "image")
        XCTAssertEqual(parts[1].filename, "a;b.png")
        XCTAssertEqual(parts[1].contentType, "image/png")
        // CRLF and "--" inside the data do not end the part unless followed by the boundary.
        XCTAssertEqual(parts[1].data, [0x00, 0x0D, 0x0A, 0x2D, 0x2D, 0xFF])
    }

    func testMultipartRejectsBrokenFraming() {
        let cases: [(String, String)] = [
            ("", "b"),
            ("--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nabc", "b"),        // no closing delimiter
            ("--b\r\nContent-Disposition: form-data; name=\"x\"", "b"),                    // headers never end
            ("--bX\r\n\r\n", "b"),                                                        // delimiter line garbage
            ("--b\r\nContent-Disposition: attachment; name=\"x\"\r\n\r\na\r\n--b--", "b"), // not form-data
            ("--b\r\nno colon here\r\n\r\na\r\n--b--", "b"),                               // malformed header
            ("--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\na\r\n--b--", ""),    // empty boundary
        ]
        for (text, boundary) in cases {
            XCTAssertThrowsError(try MultipartParser.parse(Array(text.utf8), boundary: boundary), text)
        }
    }

    func testMultipartPartLimit() {
        var text = ""
        for _ in 0...MultipartParser.maxParts { text += "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n" }
        text += "--b--"
        XCTAssertThrowsError(try MultipartParser.parse(Array(text.utf8), boundary: "b"))
    }

    func testJSONParserAcceptsRFC8259AndRejectsTheRest() throws {
        let value = try JSONParser.parse(Array(#" {"a": [1, -2.5e3, true, false, null], "s": "x\"\u00e9\ud83d\ude00\n", "o": {}} "#.utf8))
        XCTAssertEqual(value["a"], .array([.number(1), .number(-2500), .bool(true), .bool(false), .null]))
        XCTAssertEqual(value["s"], .string("x\"é😀\n"))
        XCTAssertEqual(value["o"], .object([]))
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"\\x\"", "\"\u{01}\"", "tru", "[1] 2", "{\"a\":1,}",
                    "\"\\ud800\"", "1e999", String(repeating: "[", count: 100) + String(repeating: "]", count: 100)] {
            XCTAssertThrowsError(try JSONParser.parse(Array(bad.utf8)), bad)
        }
        XCTAssertThrowsError(try JSONParser.parse([0x22, 0xFF, 0x22]))  // invalid UTF-8
    }

    func testJSONSerializationRoundTrips() throws {
        let value: JSONValue = .object([("k", .array([.float(0.1), .number(3), .number(0.5), .string("a\u{1}\"b")])), ("n", .null)])
        XCTAssertEqual(value.serialized(), #"{"k":[0.1,3,0.5,"a\u0001\"b"],"n":null}"#)
        XCTAssertEqual(try JSONParser.parse(Array(value.serialized().utf8))["n"], .null)
        XCTAssertEqual(JSONValue.float(.nan).serialized(), "null")
    }

    func testBase64() {
        XCTAssertEqual(Base64.decode("aGVsbG8="), Array("hello".utf8))
        XCTAssertEqual(Base64.decode("aGVsbG8"), Array("hello".utf8))          // padding optional
        XCTAssertEqual(Base64.decode("aGVs\r\nbG8="), Array("hello".utf8))     // line breaks ignored
        XCTAssertEqual(Base64.decode("-_8="), [0xFB, 0xFF])                    // URL-safe alphabet
        XCTAssertEqual(Base64.decode("+/8="), [0xFB, 0xFF])
        XCTAssertEqual(Base64.decode(""), [])
        XCTAssertNil(Base64.decode("a"))            // 6 bits cannot make a byte
        XCTAssertNil(Base64.decode("aGVs*G8="))     // outside the alphabet
        XCTAssertNil(Base64.decode("aG=Vs"))        // data after padding
        XCTAssertNil(Base64.decode("aGVsbG8===="))
    }

    func testMediaType() {
        let m = MediaType("Multipart/Form-Data ; boundary=\"a;b\\\"c\"; charset=UTF-8")
        XCTAssertEqual(m?.essence, "multipart/form-data")
        XCTAssertEqual(m?.parameters["boundary"], "a;b\"c")
        XCTAssertEqual(m?.parameters["charset"], "UTF-8")
        XCTAssertNil(MediaType("image"))
        XCTAssertNil(MediaType("/png"))
        XCTAssertNil(MediaType(""))
    }

    func testParametersParsing() throws {
        let p = Parameters([("conf", " 0.5 "), ("max_det", "3"), ("agnostic_nms", "TRUE"), ("box_format", "XYWH")])
        XCTAssertEqual(try p.double("conf", in: 0...1), 0.5)
        XCTAssertEqual(try p.int("max_det", in: 1...10), 3)
        XCTAssertEqual(try p.bool("agnostic_nms"), true)
        XCTAssertEqual(try p.choice("box_format", BoxFormat.self), .xywh)
        XCTAssertNil(try p.double("iou"))
        XCTAssertThrowsError(try Parameters([("conf", "inf")]).double("conf"))
        XCTAssertThrowsError(try Parameters([("max_det", "11")]).int("max_det", in: 1...10))
        XCTAssertEqual(try DetectParameters.resolveClasses("Person, 2 ,car", classNames: ["person", "bicycle", "car"]), [0, 2])
        XCTAssertThrowsError(try DetectParameters.resolveClasses("-1", classNames: ["person"]))
    }
}
