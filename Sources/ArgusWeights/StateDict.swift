/// Finds the tensors of a checkpoint by their `state_dict()` names: either a (possibly nested)
/// dict of tensors, or a pickled `nn.Module` walked exactly as `Module.state_dict()` does.
struct StateDict {
    private(set) var names: [String] = []
    private(set) var tensors: [String: StoredTensor] = [:]
    /// The module object the names come from, when the checkpoint pickles a whole model.
    private(set) var model: PickleValue?

    /// A hostile pickle can share one module under many names, multiplying the walk; real
    /// models have a few thousand modules.
    private static let maxVisits = 1 << 20
    private var visits = 0

    /// Keys under which training scripts commonly nest a plain state dict, in preference order.
    private static let nestedKeys = ["state_dict", "model_state_dict", "model", "module", "net",
                                     "network", "params", "weights", "ema", "state"]

    init(root: PickleValue) throws {
        if Self.isModule(root) {
            model = root
        } else if let dict = root.dict {
            // Like YOLOv5/Ultralytics attempt_load: `(ckpt.get("ema") or ckpt["model"])`.
            if let ema = dict["ema"], Self.isModule(ema) {
                model = ema
            } else if let m = dict["model"], Self.isModule(m) {
                model = m
            }
        }
        if let model = model, let object = model.object {
            try walk(object, prefix: "")
        } else if let source = Self.tensorDict(in: root, depth: 0) {
            for (name, value) in source.stringEntries {
                if let t = value.tensor { add(name, t) }
            }
        }
    }

    private mutating func add(_ name: String, _ tensor: StoredTensor) {
        if tensors.updateValue(tensor, forKey: name) == nil { names.append(name) }
    }

    static func isModule(_ v: PickleValue) -> Bool {
        guard let o = v.object else { return false }
        let attrs = o.attributes
        return attrs["_modules"] != nil && attrs["_parameters"] != nil
    }

    /// `Module._save_to_state_dict` then the children, in registration order.
    private mutating func walk(_ module: PickleObject, prefix: String) throws {
        visits += 1
        guard visits <= Self.maxVisits else {
            throw WeightsError.corrupt("module tree has more than \(Self.maxVisits) submodules")
        }
        let attrs = module.attributes
        let nonPersistent = Set(attrs["_non_persistent_buffers_set"]?.strings ?? [])
        for (name, value) in attrs["_parameters"]?.dict?.stringEntries ?? [] {
            if let t = value.tensor { add(prefix + name, t) }
        }
        for (name, value) in attrs["_buffers"]?.dict?.stringEntries ?? [] where !nonPersistent.contains(name) {
            if let t = value.tensor { add(prefix + name, t) }
        }
        for (name, child) in attrs["_modules"]?.dict?.stringEntries ?? [] {
            if let c = child.object { try walk(c, prefix: prefix + name + ".") }
        }
    }

    /// The dict holding the tensors: the root itself when it is a flat dict of tensors, else
    /// the first nested dict under a conventional key (or any key) that is one.
    private static func tensorDict(in value: PickleValue, depth: Int) -> PickleDict? {
        guard let dict = value.dict ?? value.object?.dictItems, !dict.isEmpty else { return nil }
        if isFlatTensorDict(dict) { return dict }
        guard depth < 3 else { return nil }
        for key in nestedKeys {
            if let inner = dict[key], let found = tensorDict(in: inner, depth: depth + 1) { return found }
        }
        for value in dict.values where value.dict != nil {
            if let found = tensorDict(in: value, depth: depth + 1) { return found }
        }
        return nil
    }

    /// Tensors next to plain values (an `_extra_state`, an epoch) but no nested containers.
    private static func isFlatTensorDict(_ dict: PickleDict) -> Bool {
        var sawTensor = false
        for value in dict.values {
            switch value {
            case .tensor: sawTensor = true
            case .dict(let inner) where inner.values.contains(where: { $0.tensor != nil }): return false
            case .object where isModule(value): return false
            default: continue
            }
        }
        return sawTensor
    }
}
