import ArgusModels
import ArgusTensor
import ArgusWeights
import Foundation
import XCTest

/// Telling torchvision segmentation state dicts apart (from each other and from detectors) by their tensors.
final class SemanticCheckpointTests: XCTestCase {
    /// The key set of a fixture's state dict; tensors above 200k elements are shape-[1] stand-ins (only names
    /// and the classifier / MobileNet shapes are read).
    static func keys(_ fixture: String) throws -> TensorDictionary {
        let listing = try XCTUnwrap(try SemanticFixtures.fixture(fixture)["state_dict"] as? [String: Any])
        var tensors: [String: Tensor] = [:]
        for (key, entry) in listing {
            let shape = try XCTUnwrap((entry as? [String: Any])?["shape"] as? [Int])
            tensors[key] = Tensor(zeros: shape.reduce(1, *) > 200_000 ? [1] : shape)
        }
        return TensorDictionary(tensors)
    }

    func testEachFullSizeFixtureIsItsArchitecture() throws {
        for arch in SemanticArchitecture.allCases {
            let weights = try Self.keys(arch.rawValue)
            XCTAssertTrue(SemanticCheckpoint.recognizes(weights), arch.rawValue)
            XCTAssertEqual(try SemanticCheckpoint.architecture(weights), arch)
            let config = try SemanticCheckpoint.fitted(SemanticConfig(architecture: arch), to: weights)
            XCTAssertEqual(config.numClasses, 21, arch.rawValue)
            XCTAssertEqual(config.widthMult, 1.0, arch.rawValue)
        }
    }

    func testTinyCheckpointFileWidthAndArchitecture() throws {
        let weights = try SemanticFixtures.weights(try SemanticFixtures.fixture("lraspp_mnv3_tiny"))
        XCTAssertTrue(SemanticCheckpoint.recognizes(weights))
        // The committed file holds both tiny models' heads; LRASPP's keys decide.
        XCTAssertEqual(try SemanticCheckpoint.architecture(weights), .lrasppMobileNetV3Large)
        // Width 0.25: the stem (8 channels) alone would also fit 0.5; the last conv (240 = 6 x 40) does not.
        let config = try SemanticCheckpoint.fitted(SemanticConfig(architecture: .deeplabv3MobileNetV3Large), to: weights)
        XCTAssertEqual(config.widthMult, 0.25)
        XCTAssertEqual(config.numClasses, 21)
        let deeplab = try Self.keys("deeplabv3_mnv3_tiny")
        XCTAssertEqual(try SemanticCheckpoint.architecture(deeplab), .deeplabv3MobileNetV3Large)
    }

    func testDetectorsAndResNet101AreNotTakenForSegmenters() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/torchvision/fasterrcnn_mnv3_tiny.pt", withExtension: nil))
        let faster = try Checkpoint.load(contentsOf: url.path)
        XCTAssertFalse(SemanticCheckpoint.recognizes(faster))
        XCTAssertThrowsError(try SemanticCheckpoint.architecture(faster))
        var resnet101 = try Self.keys("deeplabv3_resnet50")
        resnet101.tensors["backbone.layer3.6.conv1.weight"] = Tensor(zeros: [256, 1024, 1, 1])
        XCTAssertThrowsError(try SemanticCheckpoint.architecture(resnet101)) { error in
            XCTAssert("\(error)".contains("ResNet-101"), "\(error)")
        }
        XCTAssertThrowsError(try TorchvisionSegmenter.load(TensorDictionary([:]), name: "empty"))
    }

    func testConfigJSONTakesTorchvisionNamesAndDefaults() throws {
        let json = #"{"architecture": "deeplabv3_resnet50", "atrous_rates": [6, 12, 18]}"#
        let config = try JSONDecoder().decode(SemanticConfig.self, from: Data(json.utf8))
        XCTAssertEqual(config.architecture, .deeplabv3ResNet50)
        XCTAssertEqual(config.atrousRates, [6, 12, 18])
        XCTAssertEqual(config.numClasses, 21)
        XCTAssertEqual(config.imageStd, [0.229, 0.224, 0.225])
        XCTAssertEqual(config.effectiveBackboneEps, 1e-5)
        XCTAssertEqual(SemanticConfig(architecture: .lrasppMobileNetV3Large).effectiveBackboneEps, 1e-3)
        let back = try JSONDecoder().decode(SemanticConfig.self, from: try JSONEncoder().encode(config))
        XCTAssertEqual(back, config)
        XCTAssertThrowsError(try SemanticConfig(architecture: .fcnResNet50, numClasses: 300).validated())
        // Rates that do not fit the checkpoint's ASPP are an error, not a silent mismatch.
        let tiny = try SemanticFixtures.weights(try SemanticFixtures.fixture("deeplabv3_mnv3_tiny"))
        XCTAssertThrowsError(try TorchvisionSegmenter.load(
            tiny, config: SemanticConfig(architecture: .deeplabv3MobileNetV3Large, atrousRates: [6, 12]), name: "x"))
    }
}
