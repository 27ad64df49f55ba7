// swift-tools-version:6.0
import PackageDescription

// libFuzzer harnesses for Argus's parsers (see docs/development.md#fuzzing). A package of its own so the main
// Package.swift and its builds stay untouched: the main package exports only the `argus` executable, so the library
// targets are rebuilt here from the same sources (Sources/<Target> are symlinks to ../../Sources/<Target>) with the
// sanitizers `tools/fuzz.sh` passes (`--sanitize fuzzer --sanitize address`) and `-enable-testing` for
// `@testable import`. The release flags of the main package (-Ounchecked) are left out on purpose: the fuzz build
// keeps Swift's bounds and overflow checks, so a bad index traps where production would read out of bounds.
let root = Context.packageDirectory + "/.."

let package = Package(
    name: "ArgusFuzz",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "argus-fuzz", targets: ["ArgusFuzz"]),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas"),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib"),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd"),
        .target(name: "CCodecs",
                cSettings: [.unsafeFlags(["-I/usr/include/libpng16"])],
                linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png16"), .linkedLibrary("z")]),
        .target(name: "ArgusJSON"),
        .target(name: "CDefaultModel",
                cSettings: [.define("ARGUS_DEFAULT_MODEL_PATH", to: root + "/models/yolox_nano.onnx")]),
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "ArgusTensor", dependencies: ["CBLAS", "CKernels"]),
        .target(name: "ArgusWeights", dependencies: ["ArgusTensor", "ArgusJSON", "CZlib"]),
        .target(name: "ArgusImage", dependencies: ["CCodecs"]),
        .target(name: "ArgusMask"),
        .target(name: "ArgusDetection", dependencies: ["ArgusMask"]),
        .target(name: "ArgusONNX", dependencies: ["ArgusTensor"]),
        .target(name: "ArgusModels",
                dependencies: ["ArgusTensor", "ArgusWeights", "ArgusImage", "ArgusDetection", "ArgusONNX", "ArgusJSON",
                               "ArgusProposals", "CDefaultModel"]),
        .target(name: "ArgusEval", dependencies: ["ArgusMask", "ArgusJSON"]),
        .target(name: "ArgusProposals", dependencies: ["ArgusImage"]),
        .target(name: "ArgusPipeline",
                dependencies: ["ArgusModels", "ArgusTensor", "ArgusImage", "ArgusDetection", "ArgusMask", "ArgusEval",
                               "ArgusJSON", "ArgusProposals"]),
        .target(name: "ArgusServer",
                dependencies: ["CMicroHTTPD", "ArgusPipeline", "ArgusModels", "ArgusImage", "ArgusDetection", "ArgusEval",
                               "ArgusJSON", "ArgusTensor"],
                resources: [.embedInCode("openapi.json"), .embedInCode("explorer.html")]),
        // One binary holding every harness; ARGUS_FUZZ_HARNESS picks the one libFuzzer drives.
        .executableTarget(name: "ArgusFuzz",
                          dependencies: ["ArgusServer", "ArgusPipeline", "ArgusModels", "ArgusONNX", "ArgusWeights",
                                         "ArgusImage", "ArgusMask", "ArgusEval", "ArgusJSON", "ArgusDetection"]),
    ],
    swiftLanguageModes: [.v5]
)
