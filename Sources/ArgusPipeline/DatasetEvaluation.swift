import ArgusDetection
import ArgusEval
import ArgusImage
import ArgusJSON
import ArgusMask
import ArgusModels
import Foundation

/// One image listed in the ground truth's `images`: its id and `file_name` (when given).
public struct GroundTruthImage: Sendable, Equatable {
    public var id: Int
    public var fileName: String?
    public init(id: Int, fileName: String?) { self.id = id; self.fileName = fileName }
}

/// How image files pair up with the ground truth's images.
public struct DatasetMatch: Sendable, Equatable {
    /// Files that matched, with their image id, in the order the files were given.
    public var matched: [(file: String, imageId: Int)]
    /// Files that match no ground-truth image.
    public var unmatchedFiles: [String]
    /// Files that match an image another file already matched.
    public var duplicateFiles: [String]
    /// Ground-truth images no file matched.
    public var missingImages: [GroundTruthImage]

    public static func == (a: DatasetMatch, b: DatasetMatch) -> Bool {
        a.matched.map(\.file) == b.matched.map(\.file) && a.matched.map(\.imageId) == b.matched.map(\.imageId)
            && a.unmatchedFiles == b.unmatchedFiles && a.duplicateFiles == b.duplicateFiles && a.missingImages == b.missingImages
    }

    /// The sorted ids of the matched images: what the evaluation runs over.
    public var imageIds: [Int] { Array(Set(matched.map(\.imageId))).sorted() }

    /// Non-fatal problems, one issue per kind (long lists are shortened).
    public var warnings: [EvalIssue] {
        var out: [EvalIssue] = []
        if !missingImages.isEmpty {
            let names = missingImages.map { $0.fileName ?? "id \($0.id)" }
            out.append(EvalIssue(code: "image_not_found",
                                 message: "\(missingImages.count) ground-truth image(s) have no file and are left out of the evaluation: \(DatasetEvaluation.shortList(names))"))
        }
        if !unmatchedFiles.isEmpty {
            out.append(EvalIssue(code: "image_not_in_ground_truth",
                                 message: "\(unmatchedFiles.count) file(s) match no ground-truth image (by file_name or numeric id) and were skipped: \(DatasetEvaluation.shortList(unmatchedFiles))"))
        }
        if !duplicateFiles.isEmpty {
            out.append(EvalIssue(code: "duplicate_image",
                                 message: "\(duplicateFiles.count) file(s) match an image another file already matched and were skipped: \(DatasetEvaluation.shortList(duplicateFiles))"))
        }
        return out
    }
}

/// Running a detector over a dataset's images and turning its detections into COCO results,
/// so `argus eval --images` and `POST /evaluate` with images score exactly the same way.
public enum DatasetEvaluation {
    /// The options a model is evaluated at: its family's reference evaluator thresholds (`ModelFamilies.evaluation`),
    /// with the caller's values winning; checked, and described for the report.
    public static func options(for model: any Detector, confidence: Float? = nil, iou: Double? = nil, maxDetections: Int? = nil,
                               imageSize: Int? = nil) throws -> (options: DetectOptions, settings: EvaluationThresholds) {
        let family = ModelFamilies.evaluation(of: model.info.family)
        let options = DetectOptions(confidence: confidence ?? family.confidence, iou: iou ?? family.iou,
                                    maxDetections: maxDetections ?? family.maxDetections, imageSize: imageSize)
        let resolved: ResolvedDetectOptions
        do { resolved = try options.resolved(model.info.defaults) } catch let error as ModelError {
            throw PipelineError.invalidParameter(error.description)
        }
        var given: [String] = []
        if confidence != nil { given.append("conf") }
        if iou != nil { given.append("iou") }
        if maxDetections != nil { given.append("max_det") }
        if imageSize != nil { given.append("imgsz") }
        return (options, EvaluationThresholds(resolved: resolved, source: family.source, given: given))
    }

    /// File extensions treated as images when listing a directory.
    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png"]

    /// The ids and file names of the ground truth's `images`.
    public static func groundTruthImages(_ gt: COCODataset) -> [GroundTruthImage] {
        gt.images.map { GroundTruthImage(id: $0.id, fileName: $0.fileName) }
    }

    /// The same, from the ground truth's JSON (read by ArgusEval's COCO reader).
    public static func groundTruthImages(json bytes: [UInt8]) throws -> [GroundTruthImage] {
        groundTruthImages(try COCODataset(json: Data(bytes)))
    }

    /// Pairs file names with ground-truth images: by the basename of `file_name` first, else by a numeric
    /// stem equal to the image id (`139.jpg`, `000000000139.png` -> 139).
    public static func match(files: [String], images: [GroundTruthImage]) -> DatasetMatch {
        var byName: [String: Int] = [:], ids = Set<Int>()
        for image in images {
            ids.insert(image.id)
            if let name = image.fileName.map(basename), byName[name] == nil { byName[name] = image.id }
        }
        var match = DatasetMatch(matched: [], unmatchedFiles: [], duplicateFiles: [], missingImages: [])
        var taken = Set<Int>()
        for file in files {
            let base = basename(file)
            let id = byName[base] ?? COCOResultJSON.imageId(fileName: base).flatMap { ids.contains($0) ? $0 : nil }
            guard let id else { match.unmatchedFiles.append(file); continue }
            if !taken.insert(id).inserted { match.duplicateFiles.append(file); continue }
            match.matched.append((file, id))
        }
        match.missingImages = images.filter { !taken.contains($0.id) }
        return match
    }

    /// The dataset category id of each model class: by name, else (for a COCO-80 model) by the standard
    /// COCO id when the ground truth has it and no class took it by name. `dropped` names the classes with none.
    public static func categoryIds(classNames: [String], categories: [COCOCategory]) -> (ids: [Int?], dropped: [String]) {
        var byName: [String: Int] = [:]
        for c in categories where byName[c.name] == nil { byName[c.name] = c.id }
        var ids: [Int?] = classNames.map { byName[$0] }
        if COCOCategories.isCOCO80(classNames) {
            let present = Set(categories.map(\.id)), used = Set(ids.compactMap { $0 })
            for i in ids.indices where ids[i] == nil {
                let id = COCOCategories.ids80[i]
                if present.contains(id) && !used.contains(id) { ids[i] = id }
            }
        }
        let dropped = classNames.indices.filter { ids[$0] == nil }.map { classNames[$0] }
        return (ids, dropped)
    }

    /// The warning for classes that have no category in the ground truth (their detections are dropped).
    public static func droppedClassesWarning(_ dropped: [String]) -> EvalIssue? {
        if dropped.isEmpty { return nil }
        return EvalIssue(code: "class_not_in_ground_truth",
                         message: "\(dropped.count) model class(es) have no category in the ground truth; their detections are dropped: \(shortList(dropped))")
    }

    /// One image's detections as COCO results (`bbox` as x, y, w, h, and `segmentation` when the detection has a
    /// mask), skipping unmapped classes.
    public static func results(_ detections: [Detection], imageId: Int, categoryIds: [Int?]) -> [COCOResult] {
        detections.compactMap { d in
            guard categoryIds.indices.contains(d.classId), let category = categoryIds[d.classId] else { return nil }
            return COCOResultJSON.result(d, imageId: imageId, categoryId: category)
        }
    }

    /// Decodes each matched image, runs the model and collects COCO results, calling `progress(done, total)`
    /// after each image. `load` gives a file's bytes; `shouldStop` is checked before each image (deadlines).
    public static func detect(_ matched: [(file: String, imageId: Int)], load: (String) throws -> [UInt8],
                              model: any Detector, options: DetectOptions, categoryIds: [Int?],
                              maxPixels: Int = defaultMaxPixels, shouldStop: () throws -> Void = {},
                              progress: (Int, Int) -> Void = { _, _ in }) throws -> [COCOResult] {
        var out: [COCOResult] = []
        var timings = PipelineTimings()
        for (index, item) in matched.enumerated() {
            try shouldStop()
            // One file at a time through the shared per-image path, so a dataset never sits in memory at once.
            let bytes: [UInt8]
            do { bytes = try load(item.file) } catch { throw DatasetImageError(file: item.file, underlying: error) }
            let detections: [Detection]
            do {
                detections = try ImageRun.each([bytes], limits: RunLimits(maxPixels: maxPixels), timings: &timings) { _, decoded in
                    let output = try model.detect(decoded.image, options: options)
                    return (output.detections, output.timings)
                }[0]
            } catch let failure as ImageFailure {
                throw DatasetImageError(file: item.file, underlying: failure.underlying)
            }
            out += results(detections, imageId: item.imageId, categoryIds: categoryIds)
            progress(index + 1, matched.count)
        }
        return out
    }

    /// The image files in a directory (by extension, sorted by name), as paths.
    public static func imageFiles(inDirectory directory: String) throws -> [String] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw DatasetImageError(file: directory, underlying: CocoFileError("cannot list the directory"))
        }
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        return names.filter { name in
            guard let dot = name.lastIndex(of: "."), !name.hasPrefix(".") else { return false }
            return imageExtensions.contains(name[name.index(after: dot)...].lowercased())
        }.sorted().map { base + $0 }
    }

    /// Everything `argus eval --images` does before scoring: list and match the files, map the classes,
    /// run the model. Returns the results, the image ids to evaluate over and the warnings.
    public static func run(gt: COCODataset, gtImages: [GroundTruthImage], imagesDirectory: String, model: any Detector,
                           options: DetectOptions? = nil, settings: EvaluationThresholds? = nil, onlyImageIds: Set<Int>? = nil,
                           progress: (Int, Int) -> Void = { _, _ in }) throws -> DatasetRun {
        // Without options: the family's reference evaluator thresholds, reported with the results.
        let (options, settings) = try options.map { ($0, settings) } ?? Self.options(for: model)
        let files = try imageFiles(inDirectory: imagesDirectory)
        let listed = onlyImageIds.map { only in gtImages.filter { only.contains($0.id) } } ?? gtImages
        var match = match(files: files, images: listed)
        if onlyImageIds != nil {
            // Files of images outside --img-ids are expected, not a mistake.
            let all = Self.match(files: match.unmatchedFiles, images: gtImages)
            match.unmatchedFiles = all.unmatchedFiles
        }
        if match.matched.isEmpty {
            throw EvalError.invalid([EvalIssue(code: "no_images",
                message: "no image in \(imagesDirectory) matches the ground truth (\(files.count) image file(s) found; files are matched by file_name, else by a numeric name equal to the image id)")])
        }
        let mapping = categoryIds(classNames: model.info.classNames, categories: gt.categories)
        let results = try detect(match.matched, load: { path in
            guard let data = FileManager.default.contents(atPath: path) else { throw CocoFileError("cannot read the file") }
            return [UInt8](data)
        }, model: model, options: options, categoryIds: mapping.ids, progress: progress)
        return DatasetRun(results: results, imageIds: match.imageIds,
                          warnings: match.warnings + [droppedClassesWarning(mapping.dropped)].compactMap { $0 }, settings: settings)
    }

    /// COCO results as the JSON list pycocotools' `loadRes` reads.
    public static func resultsJSON(_ results: [COCOResult]) -> String {
        JSONValue.lines(results.map { COCOResultJSON.entry($0) })
    }

    /// `a, b, c` or `a, b, c and 7 more`.
    static func shortList(_ items: [String], limit: Int = 5) -> String {
        let head = items.prefix(limit).joined(separator: ", ")
        return items.count > limit ? "\(head) and \(items.count - limit) more" : head
    }

    public static func basename(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
    }
}

/// What a model run over a dataset produced, ready for `Evaluation.run`.
public struct DatasetRun: Sendable {
    /// COCO results of every matched image.
    public var results: [COCOResult]
    /// The sorted ids of the images that were run: set them as `EvalParams.imageIds`.
    public var imageIds: [Int]
    /// Dataset problems that did not stop the run (missing files, unknown files, unmapped classes).
    public var warnings: [EvalIssue]
    /// The thresholds the model ran at and where they came from.
    public var settings: EvaluationThresholds?
    public init(results: [COCOResult], imageIds: [Int], warnings: [EvalIssue], settings: EvaluationThresholds? = nil) {
        self.results = results; self.imageIds = imageIds; self.warnings = warnings; self.settings = settings
    }

    /// The `"inference"` member of the report: model, image count, detection count, the thresholds used and these
    /// warnings.
    public func inferenceJSON(model: String) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("model", .string(model)),
            ("images", .number(Double(imageIds.count))),
            ("detections", .number(Double(results.count))),
        ]
        if let settings { members.append(("settings", settings.json)) }
        members.append(("warnings", .array(warnings.map { .object([("code", .string($0.code)), ("message", .string($0.message))]) })))
        return .object(members)
    }

    /// The evaluation report JSON with the `"inference"` member added at the end.
    public func reportJSON(_ report: EvalReport, model: String, curves: Bool) -> String {
        let text = report.json(includeWarnings: true, curves: curves)
        // EvalReport.json always writes one object; append a member before its closing brace.
        return String(text.dropLast()) + ", \"inference\": " + inferenceJSON(model: model).serialized() + "}"
    }
}

/// A dataset image that could not be read or decoded.
public struct DatasetImageError: Error, CustomStringConvertible {
    public var file: String
    public var underlying: Error
    public var description: String { "\(file): \(underlying)" }
}

/// A file-system problem while reading a dataset.
struct CocoFileError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// The thresholds a dataset run used: the model family's reference evaluator settings, except those the caller gave.
public struct EvaluationThresholds: Sendable {
    public var resolved: ResolvedDetectOptions
    /// The family's evaluator, e.g. "YOLOX COCOEvaluator (test_conf 0.01, nmsthre 0.65, no cap)".
    public var source: String
    /// The parameters the caller set (`conf`, `iou`, `max_det`, `imgsz`), which override the source's.
    public var given: [String]

    public var json: JSONValue {
        .object([
            ("conf", .float(resolved.confidence)), ("iou", .number(resolved.iou)),
            ("max_det", .number(Double(resolved.maxDetections))), ("imgsz", .number(Double(resolved.imageSize))),
            ("defaults_from", .string(source)), ("given", .array(given.map { .string($0) })),
        ])
    }
}
