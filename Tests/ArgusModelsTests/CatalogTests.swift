import ArgusDetection
@testable import ArgusModels
import ArgusTestSupport
import Foundation
import XCTest

/// The manifests in models/ against torchvision: every hyper-parameter as read off the modules torchvision
/// 0.28 builds (Fixtures/torchvision/defaults.json, made by tools/gen_torchvision_defaults.py), the weights
/// enums' URLs and categories; and the catalog's search, errors and validation.
final class CatalogTests: XCTestCase {
    static let repoModels = Repository.url("models").path

    /// defaults.json's per-architecture object.
    func reference(_ arch: FasterRCNNArchitecture) throws -> [String: Any] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/torchvision/defaults", withExtension: "json"))
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        XCTAssertEqual(root["torchvision"] as? String, "0.28.0+cu130")
        let models = try XCTUnwrap(root["models"] as? [String: Any])
        return try XCTUnwrap(models[arch.rawValue] as? [String: Any], "\(arch.rawValue) missing from defaults.json")
    }

    /// The JSON keys of a FasterRCNNConfig (from the encoder, so a new property cannot be forgotten; a Mask
    /// R-CNN's, since the encoder leaves out a nil mask_head_layers).
    func configKeys() throws -> Set<String> {
        let data = try JSONEncoder().encode(FasterRCNNConfig.defaults(for: .maskRCNNResNet50FPN))
        return Set(try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any]).keys)
    }

    /// torchvision's values as a FasterRCNNConfig, after checking defaults.json names every key.
    func torchvisionConfig(_ arch: FasterRCNNArchitecture) throws -> FasterRCNNConfig {
        var values = try XCTUnwrap(try reference(arch)["config"] as? [String: Any])
        values["architecture"] = arch.rawValue
        XCTAssertEqual(Set(values.keys), try configKeys(), "defaults.json must hold every FasterRCNNConfig key")
        return try JSONDecoder().decode(FasterRCNNConfig.self, from: JSONSerialization.data(withJSONObject: values))
    }

    func testSwiftDefaultsEqualTorchvisionModules() throws {
        for arch in FasterRCNNArchitecture.allCases {
            XCTAssertEqual(FasterRCNNConfig.defaults(for: arch), try torchvisionConfig(arch), arch.rawValue)
        }
    }

    func testEveryManifestMatchesTorchvision() throws {
        for arch in FasterRCNNArchitecture.allCases {
            let path = Self.repoModels + "/\(arch.rawValue).json"
            let manifest = try ModelManifest.load(contentsOf: path)
            let ref = try reference(arch)
            XCTAssertEqual(manifest.name, arch.rawValue)
            XCTAssertEqual(manifest.architecture, arch.rawValue)
            XCTAssertEqual(manifest.task, arch.isMaskRCNN ? .segment : .detect)
            XCTAssertEqual(manifest.family, arch.isMaskRCNN ? .maskRCNN : .fasterRCNN)
            // Hyper-parameters: equal to the built torchvision module and to the Swift defaults.
            // The published COCO_V1 ResNet-50 FPN weights run with batch-norm eps 0 (torchvision calls
            // overwrite_eps(model, 0.0) after loading them); everything else is the builder's.
            var expected = try torchvisionConfig(arch), swiftDefaults = FasterRCNNConfig.defaults(for: arch)
            if ref["coco_v1_overwrite_eps"] is String { expected.batchNormEps = 0; swiftDefaults.batchNormEps = 0 }
            let config = try XCTUnwrap(manifest.config.fasterRCNN)
            XCTAssertEqual(config, expected, arch.rawValue)
            XCTAssertEqual(config, swiftDefaults, arch.rawValue)
            // Written out in full, not left to the decoder's defaults.
            let raw = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
            let rawConfig = try XCTUnwrap(raw["config"] as? [String: Any])
            XCTAssertEqual(Set(rawConfig.keys), try configKeys(), "\(arch.rawValue): config must list every key")
            // Classes: torchvision's 91 COCO categories, in order.
            let categories = try XCTUnwrap(ref["categories"] as? [String])
            XCTAssertEqual(categories.count, 91)
            XCTAssertEqual(manifest.classNames, categories)
            XCTAssertEqual(manifest.classNames.first, "__background__")
            XCTAssertEqual(manifest.classNames.filter { $0 == "N/A" }.count, 10)
            // Weights: the enum's URL; the sha256 starts with the prefix torchvision's file name carries.
            XCTAssertEqual(manifest.weights.url, ref["url"] as? String)
            XCTAssertEqual(manifest.weights.file, ref["file"] as? String)
            XCTAssertEqual(manifest.weights.url.hasSuffix("/" + manifest.weights.file), true)
            let prefix = try XCTUnwrap(ref["sha256_prefix"] as? String)
            XCTAssertEqual(manifest.weights.sha256Prefix, prefix)
            if let sha = manifest.weights.sha256 {
                XCTAssertTrue(sha.hasPrefix(prefix))
                XCTAssertEqual(manifest.weights.expectedDigest, .full(sha))
            } else {
                // No independent record of the full digest (the Mask R-CNN files): the prefix is what is checked.
                XCTAssert(arch.isMaskRCNN, "\(arch.rawValue): only the Mask R-CNN manifests may lack a full sha256")
                XCTAssertEqual(manifest.weights.expectedDigest, .prefix(prefix))
            }
            // Every config value says where in torchvision it was read.
            let source = try XCTUnwrap(manifest.source)
            for key in try configKeys() where key != "architecture" {
                XCTAssertNotNil(source[key], "\(arch.rawValue): no source for \(key)")
            }
        }
    }

    /// The SSD and RetinaNet manifests: the Swift defaults (which tools/gen_torchvision_defaults.py read off the built
    /// torchvision modules, and SingleStageReferenceTests checks against the modules the fixtures ran), every key
    /// written out, the COCO names, the enum's URL and a full sha256 that starts with the file name's prefix.
    func testSingleStageManifests() throws {
        let names = SSDArchitecture.allCases.map(\.rawValue) + RetinaNetArchitecture.allCases.map(\.rawValue)
        for name in names {
            let path = Self.repoModels + "/\(name).json"
            let manifest = try ModelManifest.load(contentsOf: path)
            XCTAssertEqual(manifest.task, .detect)
            let raw = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
            let rawConfig = try XCTUnwrap(raw["config"] as? [String: Any])
            switch manifest.config {
            case .ssd(let c):
                XCTAssertEqual(manifest.family, .ssd)
                XCTAssertEqual(c, .defaults(for: c.architecture), name)
                XCTAssertEqual(Set(rawConfig.keys), Set(SSDConfig.CodingKeys.allCases.map(\.stringValue)), name)
            case .retinanet(let c):
                XCTAssertEqual(manifest.family, .retinanet)
                var expected = RetinaNetConfig.defaults(for: c.architecture)
                // torchvision loads the COCO_V1 v1 weights, then overwrite_eps(model, 0.0).
                if c.architecture == .resnet50FPN { expected.batchNormEps = 0 }
                XCTAssertEqual(c, expected, name)
                XCTAssertEqual(Set(rawConfig.keys), Set(RetinaNetConfig.CodingKeys.allCases.map(\.stringValue)), name)
            default:
                XCTFail("\(name): not a single-stage config")
            }
            XCTAssertEqual(manifest.classNames, COCOCategories.torchvision91, name)
            XCTAssertEqual(manifest.weights.url, "https://download.pytorch.org/models/\(manifest.weights.file)")
            let prefix = String(manifest.weights.file.split(separator: "-").last!.prefix(8))
            let sha = try XCTUnwrap(manifest.weights.sha256, name)
            XCTAssertTrue(sha.hasPrefix(prefix), name)
            XCTAssertEqual(manifest.weights.expectedDigest, .full(sha))
        }
    }

    /// The semantic manifests: torchvision's builder values (the Swift defaults), VOC class names, the weights
    /// enum's URL and the hash prefix its file name carries.
    func testSemanticManifests() throws {
        let urls = [
            "fcn_resnet50": "https://download.pytorch.org/models/fcn_resnet50_coco-1167a1af.pth",
            "deeplabv3_resnet50": "https://download.pytorch.org/models/deeplabv3_resnet50_coco-cd0a2569.pth",
            "deeplabv3_mobilenet_v3_large": "https://download.pytorch.org/models/deeplabv3_mobilenet_v3_large-fc3c493d.pth",
            "lraspp_mobilenet_v3_large": "https://download.pytorch.org/models/lraspp_mobilenet_v3_large-d234d4ea.pth",
        ]
        for arch in SemanticArchitecture.allCases {
            let manifest = try ModelManifest.load(contentsOf: Self.repoModels + "/\(arch.rawValue).json")
            XCTAssertEqual(manifest.task, .semantic)
            XCTAssertEqual(manifest.family, .semantic)
            let config = try XCTUnwrap(manifest.config.semantic)
            let defaults = SemanticConfig(architecture: arch)
            XCTAssertEqual(config.effectiveBackboneEps, defaults.effectiveBackboneEps, arch.rawValue)
            var same = config
            same.backboneBatchNormEps = nil
            XCTAssertEqual(same, defaults, arch.rawValue)
            XCTAssertEqual(manifest.classNames, VOCCategories.torchvision21)
            XCTAssertEqual(manifest.weights.url, urls[arch.rawValue])
            let prefix = String(try XCTUnwrap(urls[arch.rawValue]).split(separator: "-").last!.prefix(8))
            XCTAssertEqual(manifest.weights.expectedDigest, .prefix(prefix))
        }
    }

    /// The classification manifests: one per published ImageNet-1k weights of each builder (DEFAULT under the builder's
    /// name), with the weights' own preset, URL and hash prefix as tools/gen_classification_fixtures.py read them off
    /// torchvision's weights enums, and the ImageNet-1k names the classifier uses by default.
    func testClassificationManifests() throws {
        var names: [String] = []
        for arch in ClassificationArchitecture.allCases {
            let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/classification/\(arch.rawValue)", withExtension: "json"))
            let fixture = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            for case let weights as [String: Any] in try XCTUnwrap(fixture["weights_presets"] as? [Any]) where weights["num_categories"] as? Int == 1000 {
                let isDefault = try XCTUnwrap(weights["default"] as? Bool)
                let name = isDefault ? arch.rawValue : "\(arch.rawValue)_\((weights["name"] as! String).lowercased())"
                names.append(name)
                let manifest = try ModelManifest.load(contentsOf: Self.repoModels + "/\(name).json")
                XCTAssertEqual(manifest.task, .classify)
                XCTAssertEqual(manifest.family, .classification)
                let config = try XCTUnwrap(manifest.config.classification, name)
                XCTAssertEqual(config.architecture, arch)
                XCTAssertEqual(config.numClasses, 1000)
                XCTAssertEqual(config.preset.resizeSize, weights["resize_size"] as? Int, name)
                XCTAssertEqual(config.preset.cropSize, weights["crop_size"] as? Int, name)
                XCTAssertEqual(config.preset.mean.map(Double.init), (weights["mean"] as? [Double])?.map { Double(Float($0)) }, name)
                XCTAssertEqual(config.preset.std.map(Double.init), (weights["std"] as? [Double])?.map { Double(Float($0)) }, name)
                XCTAssertEqual(manifest.weights.url, weights["url"] as? String, name)
                let prefix = String(manifest.weights.file.split(separator: "-").last!.prefix(8))
                XCTAssertEqual(manifest.weights.expectedDigest, .prefix(prefix), name)
                XCTAssertEqual(manifest.classNames.count, 1000)
                XCTAssertEqual(manifest.classNames, ClassificationArchitecture.imageNetCategories, name)
            }
        }
        XCTAssertEqual(names.count, 8, "six DEFAULT weights, plus the V1 weights of ResNet-50 and MobileNetV3-Large")
    }

    /// The R-CNN manifests wrap a classifier manifest: the same weights file, names and preset, the paper's settings;
    /// the shared weights file alone still loads as the classifier.
    func testRCNNManifests() throws {
        for arch in ["alexnet", "mobilenet_v3_small"] {
            let rcnn = try ModelManifest.load(contentsOf: Self.repoModels + "/rcnn_\(arch).json")
            let classifier = try ModelManifest.load(contentsOf: Self.repoModels + "/\(arch).json")
            XCTAssertEqual(rcnn.family, .rcnn)
            XCTAssertEqual(rcnn.task, .detect)
            XCTAssertEqual(rcnn.weights, classifier.weights)
            XCTAssertEqual(rcnn.classNames, classifier.classNames)
            guard case .rcnn(let config) = rcnn.config else { return XCTFail("rcnn_\(arch): not an rcnn config") }
            XCTAssertEqual(config.classifier, classifier.config.classification)
            XCTAssertEqual(config, SlowRCNNConfig(classifier: try XCTUnwrap(classifier.config.classification)),
                           "rcnn_\(arch): the paper's settings are SlowRCNNConfig's defaults")
            // Re-encoding gives the same manifest.
            let again = try JSONDecoder().decode(ModelManifest.self, from: try JSONEncoder().encode(rcnn))
            XCTAssertEqual(again, rcnn)
        }
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.repoModels + "/rcnn_alexnet.json"))) as! [String: Any]
        var config = object["config"] as! [String: Any]
        config["proposals"] = "edge_boxes"
        object["config"] = config
        let dir = try modelsDir(["rcnn_alexnet": object])
        XCTAssertThrowsError(try ModelManifest.load(contentsOf: dir + "/rcnn_alexnet.json")) { error in
            XCTAssertTrue("\(error)".contains("selective_search:fast or selective_search:quality"), "\(error)")
        }
    }

    func testCatalogListsTheRepositoryManifests() throws {
        let catalog = ModelCatalog(directories: [Self.repoModels], cacheDirectory: "/nonexistent-cache")
        let (entries, problems) = catalog.entries()
        XCTAssertEqual(problems, [])
        XCTAssertEqual(entries.map(\.manifest.name),
                       (FasterRCNNArchitecture.allCases.map(\.rawValue) + SemanticArchitecture.allCases.map(\.rawValue)
                        + ClassificationArchitecture.allCases.map(\.rawValue)
                        + SSDArchitecture.allCases.map(\.rawValue) + RetinaNetArchitecture.allCases.map(\.rawValue)
                        + ["resnet50_imagenet1k_v1", "mobilenet_v3_large_imagenet1k_v1", "rcnn_alexnet", "rcnn_mobilenet_v3_small"]).sorted())
        let entry = try catalog.entry(named: "fasterrcnn_resnet50_fpn")
        XCTAssertEqual(catalog.cachedWeightsPath(for: entry),
                       "/nonexistent-cache/weights/fasterrcnn_resnet50_fpn_coco-258fb6c6.pth")
        XCTAssertNil(catalog.installedWeights(for: entry))
    }

    // MARK: errors and search order

    /// A temporary models directory holding `manifests` (name -> JSON object).
    func modelsDir(_ manifests: [String: [String: Any]]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("argus-catalog-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        for (name, object) in manifests {
            try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: dir + "/\(name).json"))
        }
        return dir
    }

    /// The repository's mobilenet 320 manifest as a mutable JSON object.
    func baseManifest() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.repoModels + "/fasterrcnn_mobilenet_v3_large_320_fpn.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func assertMalformed(_ edit: (inout [String: Any]) -> Void, mentions needle: String,
                         file: StaticString = #filePath, line: UInt = #line) throws {
        var object = try baseManifest()
        edit(&object)
        let name = object["name"] as? String ?? "x"
        let dir = try modelsDir([name: object])
        XCTAssertThrowsError(try ModelManifest.load(contentsOf: dir + "/\(name).json"), file: file, line: line) { error in
            guard case CatalogError.malformedManifest(_, let reason)? = error as? CatalogError else {
                return XCTFail("expected malformedManifest, got \(error)", file: file, line: line)
            }
            XCTAssertTrue(reason.contains(needle), "'\(reason)' should mention '\(needle)'", file: file, line: line)
        }
    }

    func testMalformedManifestsAreRejectedWithTheReason() throws {
        try assertMalformed({ $0["colour"] = "red" }, mentions: "unknown key 'colour'")
        try assertMalformed({ o in
            var c = o["config"] as! [String: Any]; c["min_sise"] = 100; o["config"] = c
        }, mentions: "min_sise")
        try assertMalformed({ o in o["class_names"] = Array((o["class_names"] as! [String]).dropLast()) },
                            mentions: "90 class_names for num_classes 91")
        try assertMalformed({ o in
            var names = o["class_names"] as! [String]; names[0] = "person"; o["class_names"] = names
        }, mentions: "__background__")
        try assertMalformed({ o in
            var c = o["config"] as! [String: Any]; c["rpn_nms_thresh"] = 1.5; o["config"] = c
        }, mentions: "thresholds")
        try assertMalformed({ $0["architecture"] = "fasterrcnn_resnet50_fpn" }, mentions: "differs from config.architecture")
        try assertMalformed({ $0["family"] = "yolo" }, mentions: "family")
        try assertMalformed({ o in
            var w = o["weights"] as! [String: Any]; w["url"] = "ftp://example.com/w.pth"; o["weights"] = w
        }, mentions: "http(s)")
        try assertMalformed({ o in
            var w = o["weights"] as! [String: Any]; w["file"] = "../escape.pth"; o["weights"] = w
        }, mentions: "plain file name")
        try assertMalformed({ o in
            var w = o["weights"] as! [String: Any]; w["sha256"] = nil; w["sha256_prefix"] = nil; o["weights"] = w
        }, mentions: "give sha256")
        try assertMalformed({ o in
            var w = o["weights"] as! [String: Any]; w["sha256_prefix"] = "00000000"; o["weights"] = w
        }, mentions: "does not start with")
        try assertMalformed({ o in
            var w = o["weights"] as! [String: Any]; w["sha256"] = "ABC"; o["weights"] = w
        }, mentions: "64 lowercase hex")
        try assertMalformed({ o in o.removeValue(forKey: "weights") }, mentions: "weights: required key is missing")
        // The file name is the catalog name.
        var renamed = try baseManifest()
        renamed["name"] = "other"
        let dir = try modelsDir(["mine": renamed])
        XCTAssertThrowsError(try ModelManifest.load(contentsOf: dir + "/mine.json")) { error in
            XCTAssertTrue("\(error)".contains("must equal the file name 'mine.json'"), "\(error)")
        }
        let broken = try modelsDir([:]) + "/broken.json"
        try Data("{\"name\": ".utf8).write(to: URL(fileURLWithPath: broken))
        XCTAssertThrowsError(try ModelManifest.load(contentsOf: broken)) { error in
            guard case CatalogError.malformedManifest? = error as? CatalogError else { return XCTFail("\(error)") }
        }
    }

    func testPartialConfigDecodesOverTheArchitectureDefaults() throws {
        var object = try baseManifest()
        object["name"] = "small"
        object["config"] = ["architecture": "fasterrcnn_mobilenet_v3_large_320_fpn", "box_score_thresh": 0.5]
        let dir = try modelsDir(["small": object])
        let manifest = try ModelManifest.load(contentsOf: dir + "/small.json")
        var expected = FasterRCNNConfig.defaults(for: .mobilenetV3Large320FPN)
        expected.boxScoreThresh = 0.5
        XCTAssertEqual(manifest.config, .fasterRCNN(expected))
        // Round trip through the encoder.
        let again = try JSONDecoder().decode(ModelManifest.self, from: JSONEncoder().encode(manifest))
        XCTAssertEqual(again, manifest)
    }

    func testUnknownNamesSuggestCloseOnes() throws {
        let catalog = ModelCatalog(directories: [Self.repoModels], cacheDirectory: "/tmp")
        XCTAssertThrowsError(try catalog.entry(named: "fasterrcnn_resnet50_fnp")) { error in
            guard case CatalogError.unknownModel(let name, let suggestions, let searched)? = error as? CatalogError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(name, "fasterrcnn_resnet50_fnp")
            XCTAssertEqual(suggestions.first, "fasterrcnn_resnet50_fpn")
            XCTAssertEqual(searched, [Self.repoModels])
        }
        XCTAssertThrowsError(try catalog.entry(named: "mobilenet_v3_large_320")) { error in
            guard case CatalogError.unknownModel(_, let suggestions, _)? = error as? CatalogError else { return XCTFail("\(error)") }
            XCTAssertEqual(suggestions, ["fasterrcnn_mobilenet_v3_large_320_fpn", "mobilenet_v3_large"])
        }
        // A path is never a name.
        XCTAssertThrowsError(try catalog.entry(named: "../models/fasterrcnn_resnet50_fpn")) { error in
            guard case CatalogError.unknownModel? = error as? CatalogError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try catalog.entry(named: "zzzz")) { error in
            guard case CatalogError.unknownModel(_, let suggestions, _)? = error as? CatalogError else { return XCTFail("\(error)") }
            XCTAssertEqual(suggestions, [])
        }
    }

    func testSearchOrderAndCacheLocation() throws {
        var first = try baseManifest()
        first["name"] = "m"
        var second = first
        second["config"] = ["architecture": "fasterrcnn_mobilenet_v3_large_320_fpn", "box_detections_per_img": 7]
        let explicit = try modelsDir(["m": first])
        let cwd = try modelsDir([:])
        try FileManager.default.createDirectory(atPath: cwd + "/models", withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: second).write(to: URL(fileURLWithPath: cwd + "/models/m.json"))
        try JSONSerialization.data(withJSONObject: ["name": "junk"]).write(to: URL(fileURLWithPath: cwd + "/models/junk.json"))

        let env = ["HOME": "/home/u", "ARGUS_MODELS_DIR": explicit]
        let catalog = try ModelCatalog(modelsDirectory: nil, environment: env, workingDirectory: cwd)
        XCTAssertEqual(Array(catalog.directories.prefix(2)), [explicit, cwd + "/models"])
        XCTAssertEqual(try catalog.entry(named: "m").path, explicit + "/m.json")
        let (entries, problems) = catalog.entries()
        XCTAssertEqual(entries.filter { $0.manifest.name == "m" }.map(\.path), [explicit + "/m.json"])
        XCTAssertEqual(problems.count, 1)  // junk.json, reported rather than fatal
        let fromCwd = try ModelCatalog(modelsDirectory: nil, environment: ["HOME": "/home/u"], workingDirectory: cwd)
        XCTAssertEqual(try fromCwd.entry(named: "m").manifest.config.fasterRCNN?.boxDetectionsPerImg, 7)

        XCTAssertThrowsError(try ModelCatalog(modelsDirectory: "does-not-exist", environment: [:], workingDirectory: cwd)) { error in
            XCTAssertEqual(error as? CatalogError, .missingDirectory(cwd + "/does-not-exist"))
        }
        XCTAssertEqual(ModelCatalog.cacheDirectory(environment: ["ARGUS_CACHE_DIR": "/c/", "XDG_CACHE_HOME": "/x", "HOME": "/h"]), "/c")
        XCTAssertEqual(ModelCatalog.cacheDirectory(environment: ["XDG_CACHE_HOME": "/x", "HOME": "/h"]), "/x/argus")
        XCTAssertEqual(ModelCatalog.cacheDirectory(environment: ["XDG_CACHE_HOME": "relative", "HOME": "/h"]), "/h/.cache/argus")
        XCTAssertEqual(ModelCatalog.cacheDirectory(environment: ["HOME": "/h"]), "/h/.cache/argus")
        XCTAssertEqual(catalog.cacheDirectory, "/home/u/.cache/argus")
    }
}
