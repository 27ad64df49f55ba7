@testable import ArgusProposals
import XCTest

/// BGR -> HSV and BGR -> Lab (8-bit) against cv2.cvtColor on every one of the 2^24 colours.
final class ColorConversionTests: XCTestCase {
    /// The generator's cube: 4096 x 4096 BGR pixels, pixel i = (B, G, R) = (i & 255, (i >> 8) & 255, i >> 16).
    static let cube: ChannelImage = {
        var pixels = [UInt8](repeating: 0, count: 3 << 24)
        for i in 0 ..< 1 << 24 {
            pixels[3 * i] = UInt8(i & 255); pixels[3 * i + 1] = UInt8((i >> 8) & 255); pixels[3 * i + 2] = UInt8(i >> 16)
        }
        return ChannelImage(width: 4096, height: 4096, channels: 3, pixels: pixels)
    }()

    func testHSVMatchesOpenCVOnEveryColour() throws {
        let expected = try Fixtures.load().color.hsv_sha256
        XCTAssertEqual(sha256(OpenCVColorConversion.bgrToHSV(Self.cube).pixels), expected)
    }

    func testLabMatchesOpenCVOnEveryColour() throws {
        let expected = try Fixtures.load().color.lab_sha256
        XCTAssertEqual(sha256(OpenCVColorConversion.bgrToLab(Self.cube).pixels), expected)
    }

    /// OpenCV's cube root is a rational approximation truncated to float, not the correctly rounded cube root; the
    /// Lab table needs the former (with the latter, 17,645 of the 2^24 colours come out one off in L, a or b).
    func testOpenCVCubeRootIsNotCorrectlyRounded() {
        var differing = 0
        for i in 1 ... 3072 {
            let x = Float(i) / 2040
            if OpenCVColorConversion.LabTables.openCVCubeRoot(x) != Float(Foundation.cbrt(Double(x))) { differing += 1 }
        }
        XCTAssertGreaterThan(differing, 100)
        XCTAssertEqual(OpenCVColorConversion.LabTables.openCVCubeRoot(0.125), 0.5)
        XCTAssertEqual(OpenCVColorConversion.LabTables.openCVCubeRoot(0), 0)
    }

    func testKnownColours() {
        let image = ChannelImage(width: 4, height: 1, channels: 3, pixels: [0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255])
        // Red, green, blue, white (BGR): hue 0, 60, 120 (degrees / 2), white has no saturation.
        XCTAssertEqual(OpenCVColorConversion.bgrToHSV(image).pixels, [0, 255, 255, 60, 255, 255, 120, 255, 255, 0, 0, 255])
        XCTAssertEqual(Array(OpenCVColorConversion.bgrToLab(image).pixels.suffix(3)), [255, 128, 128])
    }
}

import Foundation
