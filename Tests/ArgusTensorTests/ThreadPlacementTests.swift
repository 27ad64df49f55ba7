import CKernels
import Foundation
import XCTest

/// The worker pool's CPU placement helpers (CKernels threads.c), on whatever CPUs this process may use.
final class ThreadPlacementTests: XCTestCase {
    /// This thread's allowed CPUs as the kernel reports them ("0-3,6").
    private func allowedList() throws -> String {
        let status = try String(contentsOfFile: "/proc/thread-self/status", encoding: .utf8)
        let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") })
        return line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)
    }

    func testHelpersGetDistinctCPUsOfTheMaskAndTheCallerMovesOffThemWithItsMaskKept() throws {
        #if !os(Linux)
        throw XCTSkip("CPU placement is Linux only")
        #endif
        // The mask's size from the kernel's list ("0-3,6" is five).
        let count = try allowedList().split(separator: ",").reduce(0) { total, part in
            let ends = part.split(separator: "-").compactMap { Int($0) }
            return total + (ends.count == 2 ? ends[1] - ends[0] + 1 : 1)
        }
        XCTAssertEqual(argus_helper_cpu(0), -1, "index 0 is the caller")
        guard count >= 2 else { throw XCTSkip("one CPU: no helper is pinned") }
        let cpus = (1..<count).map { argus_helper_cpu(Int($0)) }
        XCTAssertEqual(Set(cpus).count, cpus.count, "helpers share a CPU: \(cpus)")
        XCTAssertTrue(cpus.allSatisfy { $0 >= 0 }, "\(cpus)")
        XCTAssertEqual(argus_helper_cpu(Int(count)), -1, "more helpers than CPUs beside the caller's")

        let before = try allowedList()
        let here = argus_current_cpu()
        var taken = [here]
        XCTAssertEqual(argus_move_off_cpus(&taken, 1), 1)
        XCTAssertNotEqual(argus_current_cpu(), here)
        XCTAssertEqual(try allowedList(), before)
        var elsewhere = [Int32(-1)]
        XCTAssertEqual(argus_move_off_cpus(&elsewhere, 1), 0, "not on any of them: no move")
    }
}
