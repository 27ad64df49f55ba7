import ArgusModels
import ArgusTensor
import ArgusTestSupport
import Foundation

/// The deterministic weights of tools/gen_torchvision_fixtures.py as state dicts (the rule: `RuleValues`).
enum RuleWeights {
    static func values(key: String, shape: [Int], gain: (backbone: Double, rest: Double)) -> [Float] {
        RuleValues.values(key: key, shape: shape, gain: gain)
    }

    /// Every float tensor of a fixture's `state_dict` listing; `offsets` (a fixture's `bias_offset`, e.g. RetinaNet's
    /// prior-probability bias) are added to every element of their keys in Float32, after the rule.
    static func stateDict(_ listing: [String: Any], gain: (Double, Double), offsets: [String: Double] = [:]) -> TensorDictionary {
        var tensors: [String: Tensor] = [:]
        for (key, entry) in listing {
            guard let e = entry as? [String: Any], let shape = e["shape"] as? [Int], e["dtype"] as? String == "float32" else { continue }
            var v = values(key: key, shape: shape, gain: gain)
            if let offset = offsets[key] { v = v.map { $0 + Float(offset) } }
            tensors[key] = Tensor(shape: shape, storage: v)
        }
        return TensorDictionary(tensors)
    }
}
