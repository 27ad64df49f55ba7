"""The timing loop the torchvision peers of `argus bench --arch` share: warm-up runs, then timed runs of
`once()` (which returns what it found: detections or labels), printed as the one JSON line argus reads."""
import json
import statistics
import time


def time_and_print(once, threads, runs, warmup, versions):
    for _ in range(warmup):
        once()
    times = []
    n = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        n = once()
        times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"engine": f"torch {versions['torch']} + torchvision {versions['torchvision']}", "threads": threads,
                      "median_ms": statistics.median(times), "min_ms": min(times), "runs": len(times),
                      "times_ms": times, "detections": n, **versions}))
