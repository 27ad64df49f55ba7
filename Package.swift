// swift-tools-version:6.0
import PackageDescription

// Release builds of the numeric targets skip bounds checks in hot loops. On x86-64 they also use
// AVX2 + FMA (any x86 server CPU since 2013): SwiftPM's default is SSE2, which makes the vectorized
// activations 2-3x slower.
#if arch(x86_64)
let cpuFlags = ["-target-cpu", "haswell"]
#else
let cpuFlags: [String] = []
#endif
let fast: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"] + cpuFlags, .when(configuration: .release))]

let package = Package(
    name: "Argus",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "argus", targets: ["argus"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries from Debian (module maps + pkg-config).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd",
                       providers: [.apt(["libmicrohttpd-dev"])]),
        // `argus models pull`: downloads with libcurl, SHA-256 from OpenSSL's libcrypto (which libcurl links anyway).
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // The only C we write: libjpeg's error manager (setjmp/longjmp) and thin libpng helpers.
        .target(name: "CCodecs",
                cSettings: [.unsafeFlags(["-I/usr/include/libpng16"])],
                linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png16"), .linkedLibrary("z")]),

        // One JSON value type, parser and string escaping for requests, responses, manifests and safetensors headers.
        .target(name: "ArgusJSON", swiftSettings: fast),
        // The built-in default model (models/yolox_nano.onnx, Apache-2.0) assembled into the binary.
        .target(name: "CDefaultModel",
                cSettings: [.define("ARGUS_DEFAULT_MODEL_PATH", to: Context.packageDirectory + "/models/yolox_nano.onnx")]),
        // AVX-512 twins of hot Swift kernels, picked at run time (same arithmetic per lane).
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "ArgusTensor", dependencies: ["CBLAS", "CKernels"], swiftSettings: fast),
        .target(name: "ArgusWeights", dependencies: ["ArgusTensor", "ArgusJSON", "CZlib"], swiftSettings: fast),
        .target(name: "ArgusImage", dependencies: ["CCodecs"], swiftSettings: fast),
        .target(name: "ArgusMask", swiftSettings: fast),
        .target(name: "ArgusDetection", dependencies: ["ArgusMask"], swiftSettings: fast),
        // ONNX files read natively (protobuf wire format) and run as a graph on ArgusTensor's kernels.
        .target(name: "ArgusONNX", dependencies: ["ArgusTensor"], swiftSettings: fast),
        .target(name: "ArgusModels",
                dependencies: ["ArgusTensor", "ArgusWeights", "ArgusImage", "ArgusDetection", "ArgusONNX", "ArgusJSON",
                               "ArgusProposals", "CDefaultModel"],
                swiftSettings: fast),
        .target(name: "ArgusEval", dependencies: ["ArgusMask", "ArgusJSON"], swiftSettings: fast),
        // Region proposals: OpenCV contrib's graph segmentation (Felzenszwalb) and selective search's image
        // preparation, reproducing OpenCV's label maps exactly.
        .target(name: "ArgusProposals", dependencies: ["ArgusImage"], swiftSettings: fast),
        // Evaluation drawn: precision-recall and confidence curves, the confusion matrix (`argus eval --plots`).
        .target(name: "ArgusPlots", dependencies: ["ArgusEval", "ArgusImage", "ArgusJSON"]),
        // What the CLI and the server share: typed request options, the per-image run, dataset evaluation with
        // a model, and the result encoders. Knows nothing of HTTP.
        .target(name: "ArgusPipeline",
                dependencies: ["ArgusModels", "ArgusTensor", "ArgusImage", "ArgusDetection", "ArgusMask", "ArgusEval", "ArgusJSON",
                               "ArgusProposals"],
                swiftSettings: fast),
        // openapi.json in the target folder is a symlink to the repository root's openapi.json (the one source),
        // compiled into the binary as PackageResources.openapi_json (no resource bundle to ship).
        .target(name: "ArgusServer",
                dependencies: ["CMicroHTTPD", "ArgusPipeline", "ArgusModels", "ArgusImage", "ArgusDetection", "ArgusEval",
                               "ArgusJSON", "ArgusTensor"],
                resources: [.embedInCode("openapi.json"), .embedInCode("explorer.html")],
                swiftSettings: fast),
        .target(name: "ArgusFetch", dependencies: ["CCurl", "CCrypto", "ArgusModels"]),
        .executableTarget(name: "argus", dependencies: [
            "ArgusServer", "ArgusPipeline", "ArgusJSON", "ArgusTensor", "ArgusWeights", "ArgusImage", "ArgusModels",
            "ArgusDetection", "ArgusEval", "ArgusPlots", "ArgusFetch", "ArgusProposals",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: fast),

        // For the test targets only: the repository root and the shared data folder ($ARGUS_SHARED, default
        // ../shared next to the repository), with XCTSkip when a shared file is absent. Foundation and XCTest only.
        .target(name: "ArgusTestSupport", path: "Tests/ArgusTestSupport"),

        .testTarget(name: "ArgusTensorTests", dependencies: ["ArgusTensor", "CKernels"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ArgusWeightsTests", dependencies: ["ArgusWeights", "ArgusTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ArgusImageTests", dependencies: ["ArgusImage", "ArgusTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ArgusMaskTests", dependencies: ["ArgusMask", "ArgusTestSupport"]),
        .testTarget(name: "ArgusDetectionTests", dependencies: ["ArgusDetection"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ArgusONNXTests", dependencies: ["ArgusONNX", "ArgusTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ArgusModelsTests", dependencies: ["ArgusModels", "ArgusTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ArgusEvalTests", dependencies: ["ArgusEval", "ArgusTestSupport"]),
        .testTarget(name: "ArgusProposalsTests", dependencies: ["ArgusProposals", "ArgusImage", "ArgusTestSupport", "CCrypto"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ArgusPlotsTests", dependencies: ["ArgusPlots", "ArgusEval", "ArgusImage", "ArgusTestSupport"]),
        .testTarget(name: "ArgusServerTests", dependencies: ["ArgusServer", "ArgusPipeline", "ArgusJSON", "ArgusProposals", "ArgusTestSupport"]),
        .testTarget(name: "ArgusFetchTests", dependencies: ["ArgusFetch", "ArgusModels", "ArgusTestSupport"]),
        .testTarget(name: "ArgusEndToEndTests",
                    dependencies: ["ArgusModels", "ArgusPipeline", "ArgusJSON", "ArgusEval", "ArgusImage", "ArgusDetection",
                                   "ArgusMask", "ArgusTensor", "ArgusTestSupport"],
                    resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v5]
)
