import ArgusDetection
import ArgusMask
import ArgusModels

extension ModelRegistry {
    /// Picks the models and options: `model` alone (instance or semantic by what it is), or `model` + `semantic_model`
    /// (panoptic). Without `model`, the first model that segments (or, with `semantic_model`, the first instance model).
    public func segmentPlan(_ parameters: SegmentParameters) throws -> SegmentPlan {
        guard !models.isEmpty else { throw PipelineError.noModel }
        let semanticPartner: (any SemanticSegmenter)? = try parameters.semanticModel.map { name in
            guard let named = model(named: name) else { throw PipelineError.modelNotFound(name, available: names) }
            guard let segmenter = named.semantic else {
                throw PipelineError.unsupported(code: "model_not_semantic",
                               "semantic_model '\(name)' is not a semantic segmentation model (it is \(named.info.family), task "
                               + "\(named.info.task.rawValue)); semantic models loaded: \(listed(names(for: .semantic)))")
            }
            return segmenter
        }
        let chosen: LoadedModel
        if let name = parameters.detect.model {
            guard let named = model(named: name) else { throw PipelineError.modelNotFound(name, available: names) }
            chosen = named
        } else if semanticPartner != nil {
            guard let first = models.first(where: { $0.info.task == .segment }) else {
                throw PipelineError.unsupported(code: "model_cannot_segment",
                               "panoptic output needs an instance segmentation model next to semantic_model; none is loaded "
                               + "(loaded: \(names.joined(separator: ", ")))")
            }
            chosen = first
        } else if let first = models.first(where: { $0.info.task == .segment || $0.info.task == .semantic }) {
            chosen = first
        } else {
            guard let first = defaultModel else { throw PipelineError.unsupported(code: "model_cannot_segment", "no model is loaded") }
            throw cannotSegment(first.info.name)
        }

        switch chosen {
        case .classifier(let classifier):
            throw cannotSegment(classifier.info.name)
        case .semantic(let segmenter):
            if parameters.semanticModel != nil {
                throw PipelineError.invalidParameter("model '\(segmenter.info.name)' is a semantic model; for panoptic output give it as "
                    + "semantic_model and an instance segmentation model as model (\(listed(names(for: .segment))))")
            }
            try parameters.checkSemantic(modelName: segmenter.info.name)
            let options = SegmentOptions(imageSize: parameters.detect.options.imageSize ?? Self.referenceSize(segmenter),
                                         includeScores: parameters.scores)
            return .semantic(segmenter, options)
        case .detector(let detector):
            if detector.info.task != .segment { throw cannotSegment(detector.info.name) }
            if parameters.scores && semanticPartner == nil {
                throw PipelineError.invalidParameter("scores gives per-class probability maps of a semantic model; '\(detector.info.name)' is an instance model")
            }
            let options = try parameters.detect.options(for: detector)
            guard let segmenter = semanticPartner else {
                try parameters.checkNotPanoptic()
                return .instance(detector, options)
            }
            try parameters.checkPanoptic()
            if parameters.detect.proposals != nil {
                throw PipelineError.invalidParameter("proposals apply to instance output, not to panoptic output")
            }
            return .panoptic(detector, options, segmenter, SegmentOptions(imageSize: Self.referenceSize(segmenter)), parameters.panoptic)
        }
    }

    /// A semantic model's reference input size (torchvision's preset resizes the short side to 520), which bounds the
    /// network's cost for large photos; nil (the image's own size) when the model declares none.
    static func referenceSize(_ segmenter: any SemanticSegmenter) -> Int? {
        let size = segmenter.info.defaults.imageSize
        return size > 0 ? size : nil
    }

    /// The 400 for a model without masks on /segment, naming the models that have them.
    public func cannotSegment(_ name: String) -> PipelineError {
        let able = models.filter { $0.info.task == .segment || $0.info.task == .semantic }.map(\.info.name)
        let list = able.isEmpty ? "none of the loaded models can (loaded: \(names.joined(separator: ", "))); load one with "
            + "--weights (a Mask R-CNN or torchvision semantic state dict, a YOLOv8-seg .pt or ONNX export) or --model NAME "
            + "(see `argus models list`)"
                                : "models that can: \(able.joined(separator: ", "))"
        return PipelineError.unsupported(code: "model_cannot_segment", "model '\(name)' does not produce masks; \(list)")
    }

    private func listed(_ names: [String]) -> String { names.isEmpty ? "none loaded" : names.joined(separator: ", ") }
}
