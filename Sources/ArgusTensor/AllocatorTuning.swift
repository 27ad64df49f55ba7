import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Makes glibc malloc keep freed activation buffers instead of handing them back to the kernel.
///
/// A forward pass allocates and frees megabytes of activations per layer. By default glibc trims the
/// heap top (and unmaps large blocks) on free, so the next pass page-faults and zero-fills the same
/// memory again: about 9% of YOLOv5n's time at 448x640 went to page faults. Blocks up to 32 MB now
/// come from the heap and the heap is trimmed only beyond 256 MB of free space at its top, so the
/// process keeps its peak working set (as inference servers want). Threads share at most one arena per core:
/// glibc's default is 8 per core, and with a thread per HTTP connection each arena came to keep its own peak (a
/// soak's RSS crept from 167 to 222 MB in 50 minutes, 14 arenas of 10-24 MB each). Process-wide, so the binary calls
/// it once at start-up (the library does not change malloc's behaviour for a host process that embeds it).
public func keepFreedMemoryInProcess() {
    #if canImport(Glibc)
    // mallopt is declared in <malloc.h>, which Swift's Glibc module does not export: look it up.
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
    let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
    let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3, arenaMax: Int32 = -8  // M_TRIM_THRESHOLD, ...
    _ = mallopt(mmapThreshold, 32 << 20)
    _ = mallopt(trimThreshold, 256 << 20)
    _ = mallopt(arenaMax, Int32(max(2, min(64, ProcessInfo.processInfo.activeProcessorCount))))
    #endif
}

/// Hands the freed memory at the top of the heap and in whole free pages back to the system (glibc's malloc_trim),
/// which `keepFreedMemoryInProcess` otherwise keeps: for after a model is unloaded, not after each inference.
public func returnFreedMemory() {
    #if canImport(Glibc)
    typealias MallocTrim = @convention(c) (Int) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
    _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
    #endif
}
