/// A region of the hierarchy: an initial segment or the union of two (OpenCV's `Region`).
struct GroupedRegion: Sendable, Equatable {
    /// The smallest initial-segment id inside it: where its histograms, size and fill box are kept.
    var id: Int32
    /// 1 for an initial segment, 1 + the larger level of the two merged otherwise.
    var level: Int32
    var box: ProposalRect
}

/// OpenCV's `hierarchicalGrouping`: greedily merges the most similar neighbouring pair until none is left.
///
/// The neighbour list is kept as OpenCV keeps it, so equal similarities resolve the same way: a vector sorted
/// with `std::sort` (libstdc++'s introsort, `IntroSort`) by similarity alone before every merge, the last element
/// taken; the pairs touching either merged region erased in place (order kept), their other ends collected in
/// order of first appearance, and one new pair per such region appended (from the new region, whose index is
/// the number of regions so far).
enum HierarchicalGrouping {
    struct Neighbour {
        var from: Int32
        var to: Int32
        var similarity: Float
    }

    enum BySimilarity: IntroSortOrder {
        static func less(_ a: Neighbour, _ b: Neighbour) -> Bool { a.similarity < b.similarity }
    }

    /// All regions of the hierarchy: the initial segments (in label order), then one per merge.
    static func group(_ adjacency: RegionAdjacency, state: inout StrategyState) -> [GroupedRegion] {
        var regions = (0 ..< adjacency.count).map {
            GroupedRegion(id: Int32($0), level: 1, box: adjacency.boxes[$0])
        }
        regions.reserveCapacity(2 * adjacency.count)
        var neighbours = adjacency.pairs.map { pair in
            Neighbour(from: pair.0, to: pair.1, similarity: state.similarity(Int(pair.0), Int(pair.1)))
        }
        var touched: [Int32] = []
        while !neighbours.isEmpty {
            IntroSort.sort(&neighbours, by: BySimilarity.self)
            let best = neighbours.removeLast()
            let a = regions[Int(best.from)], b = regions[Int(best.to)]
            regions.append(GroupedRegion(id: min(a.id, b.id), level: max(a.level, b.level) + 1, box: a.box.union(b.box)))
            let ia = Int(a.id), ib = Int(b.id)
            state.merge(ia, ib)
            state.sizes[ia] += state.sizes[ib]
            state.sizes[ib] = state.sizes[ia]

            touched.removeAll(keepingCapacity: true)
            var kept = 0
            for i in 0 ..< neighbours.count {
                let n = neighbours[i]
                let fromMerged = n.from == best.from || n.from == best.to
                if fromMerged || n.to == best.from || n.to == best.to {
                    let other = fromMerged ? n.to : n.from
                    if !touched.contains(other) { touched.append(other) }
                } else {
                    neighbours[kept] = n
                    kept += 1
                }
            }
            neighbours.removeLast(neighbours.count - kept)
            let newIndex = Int32(regions.count - 1), newID = Int(regions[regions.count - 1].id)
            for other in touched {
                neighbours.append(Neighbour(from: newIndex, to: other,
                                            similarity: state.similarity(newID, Int(regions[Int(other)].id))))
            }
        }
        return regions
    }
}
