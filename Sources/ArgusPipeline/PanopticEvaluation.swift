import ArgusEval
import ArgusImage
import Foundation

/// Panoptic quality over COCO panoptic folders: the ground truth's and the prediction's JSON and PNG directories,
/// read and scored as panopticapi's `pq_compute` does (`argus eval --panoptic`).
public enum PanopticEvaluation {
    /// Which side a PNG belongs to.
    public enum Side: Sendable { case groundTruth, prediction }

    /// Scores every ground-truth image against the prediction of the same `image_id`, in the ground truth's order;
    /// `png` gives a side's PNG bytes by file name.
    public static func run(gt: PanopticDataset, prediction: PanopticDataset, maxPixels: Int = defaultMaxPixels,
                           png: (Side, String) throws -> [UInt8]) throws -> PanopticQuality {
        var predictions: [Int: PanopticDataset.Annotation] = [:]
        for a in prediction.annotations { predictions[a.imageId] = a }
        var quality = PanopticQuality(categories: gt.categories)
        for a in gt.annotations {
            guard let p = predictions[a.imageId] else { throw PanopticError("no prediction for the image with id \(a.imageId)") }
            func ids(_ side: Side, _ file: String) throws -> (width: Int, height: Int, ids: [UInt32]) {
                let bytes = try png(side, file)
                do { return try segmentIds(png: bytes, maxPixels: maxPixels) } catch let error as PanopticError { throw error } catch {
                    throw PanopticError("\(file): \(error)")
                }
            }
            let truth = try ids(.groundTruth, a.fileName), predicted = try ids(.prediction, p.fileName)
            guard truth.width == predicted.width, truth.height == predicted.height else {
                throw PanopticError("image \(a.imageId): the prediction PNG is \(predicted.width)x\(predicted.height), the ground truth's \(truth.width)x\(truth.height)")
            }
            try quality.add(gt: a, gtIds: truth.ids, prediction: p, predictionIds: predicted.ids)
        }
        return quality
    }

    /// As `run(gt:prediction:maxPixels:png:)`, the PNGs read from the two folders.
    public static func run(gt: PanopticDataset, gtDirectory: String, prediction: PanopticDataset, predictionDirectory: String,
                           maxPixels: Int = defaultMaxPixels) throws -> PanopticQuality {
        try run(gt: gt, prediction: prediction, maxPixels: maxPixels) { side, file in
            let path = ((side == .groundTruth ? gtDirectory : predictionDirectory) as NSString).appendingPathComponent(file)
            guard let data = FileManager.default.contents(atPath: path) else { throw PanopticError("cannot read \(path)") }
            return Array(data)
        }
    }

    /// A COCO panoptic PNG's segment id per pixel: `R + 256 G + 256^2 B` (panopticapi's `rgb2id`).
    public static func segmentIds(png bytes: [UInt8], maxPixels: Int = defaultMaxPixels) throws -> (width: Int, height: Int, ids: [UInt32]) {
        let image = try decodeImage(bytes, maxPixels: maxPixels, applyExifOrientation: false).image
        var ids = [UInt32](repeating: 0, count: image.width * image.height)
        image.pixels.withUnsafeBufferPointer { p in
            for i in ids.indices { ids[i] = UInt32(p[3 * i]) | UInt32(p[3 * i + 1]) << 8 | UInt32(p[3 * i + 2]) << 16 }
        }
        return (image.width, image.height, ids)
    }
}
