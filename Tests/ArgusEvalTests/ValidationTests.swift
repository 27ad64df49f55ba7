import ArgusEval
import ArgusMask
import Foundation
import XCTest

/// User-facing checks: each likely mistake gives an error (or warning) with a code and a message saying what to fix.
final class ValidationTests: XCTestCase {
    /// Three images, COCO-style category ids 1, 2, 3 and one box per image and category 1.
    private func dataset() -> COCODataset {
        COCODataset(
            images: (1...3).map { COCOImage(id: $0 * 10, width: 100, height: 80) },
            categories: [COCOCategory(id: 1, name: "person"), COCOCategory(id: 2, name: "car"), COCOCategory(id: 3, name: "dog")],
            annotations: (1...3).map {
                COCOAnnotation(id: $0, imageId: $0 * 10, categoryId: 1, bbox: BoxXYWH(x: 10, y: 10, width: 20, height: 30), area: 600)
            })
    }

    private func det(_ img: Int, _ cat: Int, score: Double = 0.9, box: BoxXYWH = BoxXYWH(x: 10, y: 10, width: 20, height: 30)) -> COCOResult {
        COCOResult(imageId: img, categoryId: cat, score: score, bbox: box)
    }

    private func codes(_ issues: [EvalIssue]) -> [String] { issues.map(\.code) }

    func testCleanInputHasNoIssues() {
        let r = EvalValidator.validate(gt: dataset(), dt: [det(10, 1), det(20, 1)], iouType: .bbox)
        XCTAssertTrue(r.isValid)
        XCTAssertEqual(r.warnings, [])
    }

    func testUnknownImageIdIsAnErrorInEveryPolicy() {
        for policy in [ValidationPolicy.strict, .pycocotools] {
            let r = EvalValidator.validate(gt: dataset(), dt: [det(10, 1), det(7, 1)], iouType: .bbox, policy: policy)
            XCTAssertEqual(codes(r.errors), ["unknown_image_id"])
            XCTAssertTrue(r.errors[0].message.contains("7"), r.errors[0].message)
        }
    }

    func testZeroBasedCategoryIdsGetAHint() {
        let r = EvalValidator.validate(gt: dataset(), dt: [det(10, 0), det(20, 2), det(30, 1)], iouType: .bbox)
        XCTAssertEqual(codes(r.errors), ["unknown_category_id"])
        XCTAssertTrue(r.errors[0].message.contains("0-based"), r.errors[0].message)
        let lenient = EvalValidator.validate(gt: dataset(), dt: [det(10, 0), det(20, 1)], iouType: .bbox, policy: .pycocotools)
        XCTAssertTrue(lenient.isValid)
        XCTAssertEqual(codes(lenient.warnings), ["unknown_category_id"])
        let other = EvalValidator.validate(gt: dataset(), dt: [det(10, 1), det(20, 77)], iouType: .bbox)
        XCTAssertFalse(other.errors[0].message.contains("0-based"), other.errors[0].message)
    }

    func testEmptyResults() {
        XCTAssertEqual(codes(EvalValidator.validate(gt: dataset(), dt: [], iouType: .bbox).errors), ["empty_results"])
        let lenient = EvalValidator.validate(gt: dataset(), dt: [], iouType: .bbox, policy: .pycocotools)
        XCTAssertTrue(lenient.isValid)
        XCTAssertEqual(codes(lenient.warnings), ["empty_results"])
    }

    func testMixedBoxAndMaskResults() {
        let mask = RLE(height: 80, width: 100, counts: [8000])
        let dt = [det(10, 1), COCOResult(imageId: 20, categoryId: 1, score: 0.5, segmentation: .rle(mask))]
        let r = EvalValidator.validate(gt: dataset(), dt: dt, iouType: .bbox)
        XCTAssertEqual(Set(codes(r.errors)), ["mixed_results"])
    }

    func testMalformedBoxesScoresAndMaskSizes() {
        var dt = [det(10, 1, box: BoxXYWH(x: 50, y: 50, width: 10, height: -5)), det(20, 1, score: .nan)]
        var r = EvalValidator.validate(gt: dataset(), dt: dt, iouType: .bbox)
        XCTAssertEqual(codes(r.errors), ["malformed_result"])
        XCTAssertTrue(r.errors[0].message.contains("x1, y1, x2, y2"), r.errors[0].message)
        XCTAssertTrue(r.errors[0].message.contains("nan"), r.errors[0].message)
        dt = [COCOResult(imageId: 10, categoryId: 1, score: 0.5, segmentation: .rle(RLE(height: 8, width: 10, counts: [80])))]
        var gt = dataset()
        gt.annotations = gt.annotations.map { var a = $0; a.segmentation = .polygons([[10, 10, 30, 10, 30, 40]]); return a }
        r = EvalValidator.validate(gt: gt, dt: dt, iouType: .segm)
        XCTAssertEqual(codes(r.errors), ["malformed_result"])
        XCTAssertTrue(r.errors[0].message.contains("differs from image 10"), r.errors[0].message)
    }

    func testWarningsForMaxDetsAndCategoriesWithoutGT() {
        var dt = (0..<130).map { det(10, 1, score: Double($0) / 200, box: BoxXYWH(x: Double($0 % 50), y: 5, width: 10, height: 10)) }
        dt.append(det(20, 3))
        let r = EvalValidator.validate(gt: dataset(), dt: dt, iouType: .bbox)
        XCTAssertTrue(r.isValid)
        XCTAssertEqual(Set(codes(r.warnings)), ["max_dets_exceeded", "category_without_gt"])
        let maxDets = r.warnings.first { $0.code == "max_dets_exceeded" }!.message
        XCTAssertTrue(maxDets.contains("130 in image 10") && maxDets.contains("--max-dets 1,10,130"), maxDets)
    }

    func testLimitsAndParams() {
        var limits = EvalLimits()
        limits.maxResults = 1
        XCTAssertEqual(codes(EvalValidator.validate(gt: dataset(), dt: [det(10, 1), det(20, 1)], iouType: .bbox, limits: limits).errors),
                       ["limit_exceeded"])
        var p = EvalParams()
        p.maxDetections = [1, 10]
        XCTAssertEqual(codes(EvalValidator.validate(gt: dataset(), dt: [det(10, 1)], iouType: .bbox, params: p).errors), ["bad_params"])
        XCTAssertThrowsError(try COCOEvaluator(gt: dataset(), dt: [det(10, 1)], iouType: .bbox, params: p))
        // 200,000 categories at the default thresholds would need 2.4 billion precision entries.
        var many = dataset()
        many.categories = (1...200_000).map { COCOCategory(id: $0, name: "c\($0)") }
        let r = EvalValidator.validate(gt: many, dt: [det(10, 1)], iouType: .bbox, limits: EvalLimits())
        XCTAssertEqual(codes(r.errors), ["limit_exceeded"])
        limits = EvalLimits()
        limits.maxCategories = 1_000_000
        let r2 = EvalValidator.validate(gt: many, dt: [det(10, 1)], iouType: .bbox, limits: limits)
        XCTAssertEqual(codes(r2.errors), ["bad_params"])
        XCTAssertTrue(r2.errors[0].message.contains("--cat-ids"), r2.errors[0].message)
    }

    func testDuplicateAnnotationIdsAndMissingRegions() {
        var gt = dataset()
        gt.annotations[1].id = 1
        gt.annotations[2].bbox = nil
        let r = EvalValidator.validate(gt: gt, dt: [det(10, 1)], iouType: .bbox)
        XCTAssertEqual(Set(codes(r.errors)), ["duplicate_annotation_id", "missing_gt_region"])
    }

    func testRunThrowsEveryErrorAndReportsWarnings() throws {
        XCTAssertThrowsError(try Evaluation.run(gt: dataset(), dt: [det(99, 0)], iouType: .bbox)) { e in
            XCTAssertEqual(Set((e as! EvalError).issues.map(\.code)), ["unknown_image_id"])
        }
        let report = try Evaluation.run(gt: dataset(), dt: [det(10, 1), det(20, 1), det(30, 1), det(30, 2)], iouType: .bbox)
        // tp/(tp+fp+eps): 1/(1+eps) = 0.9999999999999998, but 2+eps and 3+eps round to 2 and 3, and the envelope takes the max.
        XCTAssertEqual(report.coco.stats[1], 1.0)
        XCTAssertEqual(report.coco.perCategoryAP[2], -1)           // detections but no GT: left out
        XCTAssertEqual(report.voc?.map50AllPoint, 1)
        XCTAssertEqual(codes(report.warnings), ["category_without_gt"])
        let json = try JSONSerialization.jsonObject(with: Data(report.json(curves: true).utf8)) as! [String: Any]
        XCTAssertEqual((json["stats"] as! [Double]).count, 12)
        XCTAssertNotNil((json["curves"] as? [String: Any])?["precision"])
    }
}

/// Memory follows the input, not images × categories (pycocotools' None cells are never stored).
final class SparseCellTests: XCTestCase {
    func testManyImagesAndCategoriesWithFewAnnotations() throws {
        let gt = COCODataset(
            images: (1...200_000).map { COCOImage(id: $0, width: 64, height: 64) },
            categories: (1...1000).map { COCOCategory(id: $0, name: "c\($0)") },
            annotations: [COCOAnnotation(id: 1, imageId: 150_000, categoryId: 999, bbox: BoxXYWH(x: 1, y: 1, width: 9, height: 9), area: 81)])
        let dt = [COCOResult(imageId: 150_000, categoryId: 999, score: 0.5, bbox: BoxXYWH(x: 1, y: 1, width: 9, height: 9)),
                  COCOResult(imageId: 7, categoryId: 3, score: 0.9, bbox: BoxXYWH(x: 1, y: 1, width: 9, height: 9))]
        let report = try Evaluation.run(gt: gt, dt: dt, iouType: .bbox, voc: false)
        // One exact match: precision 1/(1+eps) = 0.9999999999999998 at every recall threshold (np.mean agrees).
        XCTAssertEqual(report.coco.perCategoryAP[999], 0.9999999999999998)
        XCTAssertEqual(report.coco.perCategoryAP[3], -1)
        XCTAssertEqual(report.coco.stats[8], 1.0)
    }
}
