extension Unpickler {
    /// Turns the unpickler's arena of boxes into a `PickleValue` tree.
    ///
    /// Each box converts once (shared references share the converted value, so the work is
    /// linear even for a hostile DAG); a box reached again while it is being converted is a
    /// reference cycle, and nesting past `maxDepth` is refused, both as thrown errors.
    struct Freezer {
        let boxes: [Box]
        private var done: [Int: PickleValue] = [:]
        private var active: Set<Int> = []

        init(boxes: [Box]) { self.boxes = boxes }

        mutating func freeze(_ item: Item, depth: Int) throws -> PickleValue {
            switch item {
            case .leaf(let v): return v
            case .box(let i): return try freezeBox(i, depth: depth)
            }
        }

        private mutating func freezeBox(_ i: Int, depth: Int) throws -> PickleValue {
            if let v = done[i] { return v }
            guard depth < Unpickler.maxDepth else {
                throw WeightsError.corrupt("pickle nests deeper than \(Unpickler.maxDepth) levels")
            }
            guard active.insert(i).inserted else {
                throw WeightsError.corrupt("pickle contains a recursive structure")
            }
            defer { active.remove(i) }
            let box = boxes[i]
            let value: PickleValue
            switch box.kind {
            case .list: value = .list(try all(box.items, depth))
            case .tuple: value = .tuple(try all(box.items, depth))
            case .set: value = .set(try all(box.items, depth))
            case .dict: value = .dict(try dict(box.keys, box.values, depth))
            case .object:
                var object = PickleObject(className: box.className, args: try all(box.args, depth),
                                          state: try box.state.map { try freeze($0, depth: depth + 1) } ?? .none)
                object.listItems = try all(box.items, depth)
                object.dictItems = try dict(box.keys, box.values, depth)
                value = .object(object)
            }
            done[i] = value
            return value
        }

        private mutating func all(_ items: [Item], _ depth: Int) throws -> [PickleValue] {
            var out: [PickleValue] = []
            out.reserveCapacity(items.count)
            for item in items { out.append(try freeze(item, depth: depth + 1)) }
            return out
        }

        private mutating func dict(_ keys: [Item], _ values: [Item], _ depth: Int) throws -> PickleDict {
            var d = PickleDict()
            for (k, v) in zip(keys, values) {
                d.set(try freeze(v, depth: depth + 1), for: try freeze(k, depth: depth + 1))
            }
            return d
        }
    }
}
