@testable import ArgusProposals
import XCTest

/// IntroSort sorts (every path: insertion only, partitioning, the heap fallback) and is a permutation; its tie
/// order is checked end to end against OpenCV by the synthetic graph segmentations.
final class IntroSortTests: XCTestCase {
    struct Item: Equatable { var key: Int; var id: Int }

    enum ByKey: IntroSortOrder {
        static func less(_ a: Item, _ b: Item) -> Bool { a.key < b.key }
    }

    func items(_ count: Int, keys: Int, seed: Int) -> [Item] {
        let bytes = lcgBytes(seed: seed, count: count * 2)
        return (0 ..< count).map { Item(key: (Int(bytes[2 * $0]) << 8 | Int(bytes[2 * $0 + 1])) % keys, id: $0) }
    }

    func check(_ input: [Item], file: StaticString = #filePath, line: UInt = #line) {
        var sorted = input
        IntroSort.sort(&sorted, by: ByKey.self)
        XCTAssertEqual(sorted.map(\.key), input.map(\.key).sorted(), file: file, line: line)
        XCTAssertEqual(sorted.map(\.id).sorted(), input.map(\.id).sorted(), "not a permutation", file: file, line: line)
    }

    func testSortsSmallAndLargeInputs() {
        for count in [0, 1, 2, 3, 15, 16, 17, 33, 100, 1000, 65537] {
            for keys in [1, 2, 7, 1 << 16] { check(items(count, keys: keys, seed: count * 31 + keys)) }
        }
        check((0 ..< 5000).map { Item(key: $0, id: $0) })
        check((0 ..< 5000).map { Item(key: 5000 - $0, id: $0) })
    }

    /// The heap fallback, forced with a zero depth limit.
    func testHeapFallbackSorts() {
        for count in [17, 18, 100, 4097] {
            var values = items(count, keys: 50, seed: count)
            values.withUnsafeMutableBufferPointer { buffer in
                IntroSort.sort(buffer.baseAddress!, count: count, depthLimit: 0, by: ByKey.self)
            }
            XCTAssertEqual(values.map(\.key), items(count, keys: 50, seed: count).map(\.key).sorted())
        }
    }

    /// Not stable: equal keys come out of a partitioned range in a different order than they went in.
    func testIsNotStable() {
        var values = items(1000, keys: 3, seed: 5)
        IntroSort.sort(&values, by: ByKey.self)
        let stable = items(1000, keys: 3, seed: 5).enumerated().sorted { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }
        XCTAssertNotEqual(values.map(\.id), stable.map(\.element.id))
    }
}
