/// The deterministic weights of tools/gen_torchvision_fixtures.py, regenerated bit for bit (see the rule at the top
/// of that script), so full-size models need no committed state dict.
public enum RuleValues {
    public static func fnv1a64(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    public static func splitmix64(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public static func values(key: String, shape: [Int], gain: (backbone: Double, rest: Double)) -> [Float] {
        let n = shape.reduce(1, *)
        let base = fnv1a64(key)
        var out = [Float](repeating: 0, count: n)
        let scale: Float
        if shape.count >= 2 {
            let fanIn = shape.dropFirst().reduce(1, *)
            let g = key.hasPrefix("backbone.body.") ? gain.backbone : gain.rest
            scale = Float((g / Double(fanIn)).squareRoot())
        } else {
            scale = 0
        }
        for i in 0..<n {
            let k = Int64(splitmix64(base &+ UInt64(i)) >> 40)
            let s = Float(2 * k - (1 << 24)) / Float(1 << 24)
            if shape.count >= 2 { out[i] = s * scale }
            else if key.hasSuffix("running_var") { out[i] = 1 + 0.5 * s }
            else if key.hasSuffix("weight") { out[i] = 1 + 0.25 * s }
            else { out[i] = 0.1 * s }
        }
        return out
    }
}
