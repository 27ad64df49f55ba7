import Foundation

/// One conformance case of `shared/eval` (`iouType`, `gt`, `dt`, `params`; `expected*` are ignored).
public struct EvalCase: Sendable {
    public var name: String
    public var iouType: IoUType
    public var gt: COCODataset
    public var dt: [COCOResult]
    public var params: EvalParams

    /// Parses a case document.
    public init(json data: Data) throws {
        var name = "", iouType = IoUType.bbox
        var gt: COCODataset?, dt: [COCOResult]?, params = EvalParams()
        try withScanner(data) { s in
            try s.forEachMember { s, key in
                switch key {
                case "name": name = try s.readString()
                case "iouType":
                    let t = try s.readString()
                    guard let v = IoUType(rawValue: t) else { throw EvalError.invalid([EvalIssue(code: "bad_params", message: "iouType must be \"bbox\" or \"segm\", got \"\(t)\"")]) }
                    iouType = v
                case "gt": gt = try COCODataset(scanner: &s)
                case "dt": dt = try COCOResult.parseList(scanner: &s)
                case "params": params = try EvalParams(scanner: &s)
                default: try s.skipValue()
                }
            }
            try s.expectEnd()
        }
        guard let gt, let dt else { throw EvalError.json("a case needs \"gt\" and \"dt\"") }
        self.name = name; self.iouType = iouType; self.gt = gt; self.dt = dt; self.params = params
    }

    /// Evaluates with pycocotools' acceptance rules and returns the check.py output document.
    public func run(threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> EvalReport {
        try Evaluation.run(gt: gt, dt: dt, iouType: iouType, params: params, policy: .pycocotools, threads: threads)
    }

    /// `argus eval --case -`: case JSON in, `{"stats", "per_category_ap", "ap50_per_category", "voc"}` out.
    public static func run(json data: Data) throws -> Data {
        let report = try EvalCase(json: data).run()
        return Data(report.json(includeWarnings: false).utf8)
    }
}
