import ArgusImage
import ArgusTensor

/// Image preprocessing and postprocessing on the engine's threads: `RangeSplitter`s (for ArgusImage and
/// ArgusDetection) over `parallelSlices`.
enum EngineSplit {
    /// Output rows of a resize: slices of at least 32 rows.
    static let rows: RangeSplitter = { count, body in parallelSlices(count, minimumPerWorker: 32, body) }
    /// Pixels of a layout pass: slices of at least 64K pixels.
    static let pixels: RangeSplitter = { count, body in parallelSlices(count, minimumPerWorker: 65_536, body) }
    /// Independent items of postprocessing (classes, NMS groups): any slices.
    static let items: RangeSplitter = { count, body in parallelSlices(count, minimumPerWorker: 1, body) }
}
