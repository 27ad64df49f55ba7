import Glibc

/// Monotonic time for latencies and deadlines (never jumps with the wall clock).
public enum MonotonicClock {
    /// Nanoseconds since an arbitrary fixed point.
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Milliseconds elapsed since `start` (a value from `now()`).
    public static func milliseconds(since start: UInt64) -> Double {
        Double(now() &- start) / 1_000_000
    }
}
