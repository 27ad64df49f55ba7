import ArgumentParser
import ArgusFetch
import ArgusModels
import Foundation

/// `argus models list|pull`: the model manifests (models/*.json) and their official weights.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the model manifests and download their official weights.",
        discussion: """
        Manifests (NAME.json) are searched in: --models-dir, $ARGUS_MODELS_DIR, ./models, /models \
        (the first manifest of a name wins). Weights are looked for next to their manifest, then in \
        the cache, <cache>/weights/FILE, where `pull` puts them; <cache> is $ARGUS_CACHE_DIR, else \
        $XDG_CACHE_HOME/argus, else ~/.cache/argus.
        """,
        subcommands: [List.self, Pull.self],
        defaultSubcommand: List.self)
}

/// Where manifests come from (shared by the subcommands).
struct ModelsLocation: ParsableArguments {
    @Option(name: .customLong("models-dir"), help: "Directory searched first for manifests (NAME.json).")
    var modelsDir: String?

    func catalog() throws -> ModelCatalog {
        try failing { try ModelCatalog(modelsDirectory: modelsDir) }
    }
}

extension ModelsCommand {
    /// `argus models list`
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print each manifest's name, architecture, task and whether its weights are present.")

        @OptionGroup var location: ModelsLocation

        func run() throws {
            let catalog = try location.catalog()
            let (entries, problems) = catalog.entries()
            for problem in problems { warn("warning: \(problem)") }
            if entries.isEmpty {
                let dirs = catalog.directories.isEmpty ? "no models directory exists" : catalog.directories.joined(separator: ", ")
                warn("no model manifests found (\(dirs))")
                return
            }
            var rows = [["NAME", "ARCHITECTURE", "TASK", "WEIGHTS"]]
            for entry in entries {
                let weights = catalog.installedWeights(for: entry).map { "present \($0)" } ?? "missing (argus models pull \(entry.manifest.name))"
                rows.append([entry.manifest.name, entry.manifest.architecture, entry.manifest.task.rawValue, weights])
            }
            let widths = (0..<3).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                print((0..<3).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                      + "  " + row[3])
            }
        }
    }

    /// `argus models pull NAME`
    struct Pull: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a model's official weights into the cache and check their sha256.",
            discussion: """
            Downloads the manifest's weights.url into a temporary file beside the destination, checks \
            the size and sha256 (the full digest; the publisher's file-name prefix when that is all the \
            manifest has), then renames it into place; a file that fails is deleted. Nothing is \
            downloaded when a verified copy is already there (next to the manifest or at the \
            destination), unless --force. Prints the file's path on stdout.
            """)

        @Argument(help: "Model name (a manifest's file stem, see `argus models list`).")
        var name: String

        @Flag(help: "Download again even if a verified file is present.")
        var force = false

        @Option(help: "Directory to put the weights in instead of the cache.")
        var to: String?

        @OptionGroup var location: ModelsLocation

        func run() throws {
            let catalog = try location.catalog()
            let entry = try failing { try catalog.entry(named: name) }
            let request = FetchRequest(entry: entry, catalog: catalog, directory: to)
            let fetcher = WeightsFetcher()
            // A verified copy next to the manifest (e.g. baked into /models) makes a cache copy pointless.
            if !force, to == nil, let existing = catalog.installedWeights(for: entry), existing != request.destination,
               let digest = try failing(name, { try WeightsFetcher.verifiedDigest(atPath: existing, expected: request.expected, size: request.size) }) {
                warn("\(name): verified weights already present (sha256 \(digest))")
                print(existing)
                return
            }
            var bar: ProgressBar?
            let outcome = try failing(name) {
                try fetcher.fetch(request, force: force, progress: { received, total in
                    guard let total, total > 0 else { return }
                    if bar == nil { bar = ProgressBar(unit: "KiB") }
                    bar?.update(Int(received / 1024), of: Int(total / 1024))
                }, note: { warn("\(name): \($0)") })
            }
            let check: String
            switch request.expected {
            case .full: check = "sha256 verified"
            case .prefix(let p): check = "sha256 prefix \(p) verified (the manifest has no full sha256)"
            }
            switch outcome {
            case .alreadyPresent(let path, let digest):
                warn("\(name): already present, \(check) (\(digest))")
                print(path)
            case .downloaded(let path, let bytes, let digest):
                warn("\(name): downloaded \(bytes) bytes, \(check) (\(digest))")
                print(path)
            }
        }
    }
}

private func warn(_ line: String) {
    FileHandle.standardError.write(Data(("argus: " + line + "\n").utf8))
}
