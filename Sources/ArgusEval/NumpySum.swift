/// numpy's pairwise summation of float64 (`np.sum`/`np.mean` on a contiguous array), so means
/// agree with pycocotools to the last bit rather than only to rounding noise.
func numpySum(_ a: UnsafeBufferPointer<Double>) -> Double {
    0.0 + pairwiseSum(a, 0, a.count)
}

/// `np.mean` of a float64 array; NaN for an empty one (callers check first).
func numpyMean(_ a: [Double]) -> Double {
    a.withUnsafeBufferPointer { numpySum($0) } / Double(a.count)
}

private func pairwiseSum(_ a: UnsafeBufferPointer<Double>, _ start: Int, _ n: Int) -> Double {
    if n < 8 {
        var res = 0.0
        for i in 0..<n { res += a[start + i] }
        return res
    } else if n <= 128 {
        var r0 = a[start], r1 = a[start + 1], r2 = a[start + 2], r3 = a[start + 3]
        var r4 = a[start + 4], r5 = a[start + 5], r6 = a[start + 6], r7 = a[start + 7]
        var i = 8
        while i < n - (n % 8) {
            r0 += a[start + i]; r1 += a[start + i + 1]; r2 += a[start + i + 2]; r3 += a[start + i + 3]
            r4 += a[start + i + 4]; r5 += a[start + i + 5]; r6 += a[start + i + 6]; r7 += a[start + i + 7]
            i += 8
        }
        var res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n { res += a[start + i]; i += 1 }
        return res
    } else {
        var n2 = n / 2
        n2 -= n2 % 8
        return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2)
    }
}
