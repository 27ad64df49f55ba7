/// `std::sort` as GNU libstdc++ implements it (introsort: median-of-three quicksort with Hoare partitioning, a
/// heapsort fallback past 2 * floor(log2 n) levels, and a final insertion sort over runs of 16), so that elements
/// that compare equal end up in the same order as in a C++ program built with GCC.
///
/// `std::sort` is not stable and the C++ standard leaves the order of equal elements unspecified; libstdc++'s
/// algorithm is deterministic, though, and OpenCV's Linux wheels are built with it. The graph segmentation sorts
/// its edges by weight alone, and which of several equally heavy edges comes first can change its small-segment
/// merge pass, so the order is reproduced here rather than replaced by Swift's (stable) sort.
///
/// Written from the algorithm's description (GCC's bits/stl_algo.h and bits/stl_heap.h). The order is a type
/// (`IntroSortOrder`), not a closure, so every call is specialized and inlined; `less` must be a strict weak order.
enum IntroSort {
    /// Below this many elements a partition is left for the final insertion sort (libstdc++'s `_S_threshold`).
    static let threshold = 16

    /// Sorts `count` elements at `base`. `depthLimit` (default 2 * floor(log2 count), libstdc++'s) is for tests.
    static func sort<O: IntroSortOrder>(_ base: UnsafeMutablePointer<O.Element>, count: Int, depthLimit: Int? = nil,
                                        by order: O.Type) {
        guard count > 1 else { return }
        loop(base, 0, count, depthLimit: depthLimit ?? 2 * floorLog2(count), order)
        finalInsertionSort(base, 0, count, order)
    }

    static func sort<O: IntroSortOrder>(_ array: inout [O.Element], by order: O.Type) {
        let n = array.count
        array.withUnsafeMutableBufferPointer { sort($0.baseAddress!, count: n, by: order) }
    }

    @inline(__always)
    static func floorLog2(_ n: Int) -> Int { Int.bitWidth - 1 - n.leadingZeroBitCount }

    private static func loop<O: IntroSortOrder>(_ p: UnsafeMutablePointer<O.Element>, _ first: Int, _ last: Int, depthLimit: Int,
                                _ order: O.Type) {
        var last = last, depth = depthLimit
        while last - first > threshold {
            if depth == 0 {
                heapSort(p, first, last, order)
                return
            }
            depth -= 1
            let cut = partitionAroundPivot(p, first, last, order)
            loop(p, cut, last, depthLimit: depth, order)
            last = cut
        }
    }

    /// Moves the median of p[first+1], p[mid], p[last-1] to p[first], then partitions [first+1, last) around it.
    @inline(__always)
    private static func partitionAroundPivot<O: IntroSortOrder>(_ p: UnsafeMutablePointer<O.Element>, _ first: Int, _ last: Int,
                                                _ order: O.Type) -> Int {
        let mid = first + (last - first) / 2
        moveMedianToFirst(p, first, first + 1, mid, last - 1, order)
        return partition(p, first + 1, last, pivot: first, order)
    }

    @inline(__always)
    private static func moveMedianToFirst<O: IntroSortOrder>(_ p: UnsafeMutablePointer<O.Element>, _ result: Int, _ a: Int, _ b: Int, _ c: Int,
                                             _ order: O.Type) {
        let chosen: Int
        if O.less(p[a], p[b]) {
            if O.less(p[b], p[c]) { chosen = b } else if O.less(p[a], p[c]) { chosen = c } else { chosen = a }
        } else if O.less(p[a], p[c]) {
            chosen = a
        } else if O.less(p[b], p[c]) {
            chosen = c
        } else {
            chosen = b
        }
        swapAt(p, result, chosen)
    }

    /// Hoare partition without bounds checks: the pivot (left at `pivot`, before the range) and the median-of-three
    /// selection guarantee both scans stop inside the range.
    @inline(__always)
    private static func partition<O: IntroSortOrder>(_ p: UnsafeMutablePointer<O.Element>, _ first: Int, _ last: Int, pivot: Int,
                                     _ order: O.Type) -> Int {
        var first = first, last = last
        let pivotValue = p[pivot]  // the pivot sits before the range: no swap moves it
        while true {
            while O.less(p[first], pivotValue) { first += 1 }
            last -= 1
            while O.less(pivotValue, p[last]) { last -= 1 }
            if !(first < last) { return first }
            swapAt(p, first, last)
            first += 1
        }
    }

    @inline(__always)
    private static func swapAt<T>(_ p: UnsafeMutablePointer<T>, _ i: Int, _ j: Int) {
        let t = p[i]; p[i] = p[j]; p[j] = t
    }

    // MARK: heap fallback (std::partial_sort(first, last, last) = make_heap + sort_heap)

    private static func heapSort<O: IntroSortOrder>(_ p: UnsafeMutablePointer<O.Element>, _ first: Int, _ last: Int, _ order: O.Type) {
        let heap = p + first
        let length = last - first
        if length >= 2 {  // make_heap
            var parent = (length - 2) / 2
            while true {
                adjustHeap(heap, hole: parent, length: length, value: heap[parent], order)
                if parent == 0 { break }
                parent -= 1
            }
        }
        var end = length  // sort_heap: repeatedly pop the maximum to the end
        while end > 1 {
            end -= 1
            let value = heap[end]
            heap[end] = heap[0]
            adjustHeap(heap, hole: 0, length: end, value: value, order)
        }
    }

    /// Sifts the hole at `hole` down to a leaf (always taking the larger child, the right one on ties), then pushes
    /// `value` back up from there.
    private static func adjustHeap<O: IntroSortOrder>(_ heap: UnsafeMutablePointer<O.Element>, hole: Int, length: Int, value: O.Element,
                                      _ order: O.Type) {
        let top = hole
        var hole = hole, child = hole
        while child < (length - 1) / 2 {
            child = 2 * (child + 1)
            if O.less(heap[child], heap[child - 1]) { child -= 1 }
            heap[hole] = heap[child]
            hole = child
        }
        if length & 1 == 0 && child == (length - 2) / 2 {
            child = 2 * (child + 1)
            heap[hole] = heap[child - 1]
            hole = child - 1
        }
        var parent = (hole - 1) / 2
        while hole > top && O.less(heap[parent], value) {
            heap[hole] = heap[parent]
            hole = parent
            parent = (hole - 1) / 2
        }
        heap[hole] = value
    }

    // MARK: final insertion sort

    private static func finalInsertionSort<O: IntroSortOrder>(_ p: UnsafeMutablePointer<O.Element>, _ first: Int, _ last: Int,
                                              _ order: O.Type) {
        if last - first > threshold {
            insertionSort(p, first, first + threshold, order)
            for i in first + threshold ..< last { linearInsert(p, i, order) }
        } else {
            insertionSort(p, first, last, order)
        }
    }

    private static func insertionSort<O: IntroSortOrder>(_ p: UnsafeMutablePointer<O.Element>, _ first: Int, _ last: Int,
                                         _ order: O.Type) {
        guard first != last else { return }
        var i = first + 1
        while i < last {
            if O.less(p[i], p[first]) {
                let value = p[i]
                var j = i
                while j > first { p[j] = p[j - 1]; j -= 1 }
                p[first] = value
            } else {
                linearInsert(p, i, order)
            }
            i += 1
        }
    }

    /// Moves p[last] left past every element greater than it (no bounds check: something not greater is known
    /// to be on its left).
    @inline(__always)
    private static func linearInsert<O: IntroSortOrder>(_ p: UnsafeMutablePointer<O.Element>, _ last: Int, _ order: O.Type) {
        let value = p[last]
        var hole = last, next = last - 1
        while O.less(value, p[next]) {
            p[hole] = p[next]
            hole = next
            next -= 1
        }
        p[hole] = value
    }
}

/// A strict weak order for `IntroSort`.
protocol IntroSortOrder {
    associatedtype Element
    static func less(_ a: Element, _ b: Element) -> Bool
}
