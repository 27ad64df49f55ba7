"""What the torchvision peers of `argus bench --arch` share: the weights step (load a state dict, or fill the
fixture weight rule; optionally save what was used, so Argus loads the same) and the timing loop (warm-up runs,
then timed runs of `once()`, which returns what it found, printed as the one JSON line argus reads)."""
import json
import statistics
import time

import torch

from gen_torchvision_fixtures import fill_weights


def load_or_fill(model, weights, gain, save, skip_prefix=None):
    """`weights` (a state dict file; keys starting with `skip_prefix` left out) or the rule with `gain`."""
    if weights:
        sd = torch.load(weights, map_location="cpu", weights_only=True)
        model.load_state_dict({k: v for k, v in sd.items() if not (skip_prefix and k.startswith(skip_prefix))})
    else:
        fill_weights(model, gain)
    if save:
        torch.save(model.state_dict(), save)


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
