#!/usr/bin/env python3
"""The explorer page in a real browser: headless Chromium (Debian's chromium + chromium-driver) driven by Selenium.

    python3 tools/explorer_browser_check.py ARGUS_BINARY SHARED_DIR [--screenshots DIR]

Starts `argus serve` (the built-in YOLOX-Nano, plus the shared int8 YOLOv8n-seg ONNX export when present), opens
`/`, uploads a real photo and checks that
- the listed detections equal /detect's JSON for that image (label, score to 3 decimals, box to 0.1 px),
- the canvas has drawn them: pixels on a reported box's border differ from the photo's,
- with the mask model through /segment, the same against /segment's JSON, and pixels inside the masks are tinted,
- a classifier (mobilenet_v3_small with random weights, written as safetensors) through /classify: the listed
  classes equal /classify's JSON,
- a corrupt file shows the server's own error message,
- evaluation: a COCO ground-truth file and some of its images give the stats /evaluate gives, with the mean
  precision-recall curves drawn,
- with API keys, the page asks for one and works once given it.
Screenshots of each go to --screenshots (default .build/explorer-screenshots). Exit status 1 on any failure.
"""
import argparse, json, pathlib, secrets, socket, subprocess, sys, tempfile, time
import urllib.error, urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import random_classifier  # noqa: E402

failures = []


def check(ok, what):
    print(("PASS " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(argus, extra):
    port = free_port()
    server = subprocess.Popen([argus, "serve", "--port", str(port), "--quiet", *extra], stderr=subprocess.PIPE, text=True)
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                pass
            request = urllib.request.Request(f"http://127.0.0.1:{port}/readyz")
            try:
                with urllib.request.urlopen(request, timeout=2) as r:
                    if r.status == 200:
                        return server, port
            except urllib.error.HTTPError:
                pass
        except OSError:
            pass
        if server.poll() is not None:
            sys.exit("argus serve exited: " + server.stderr.read())
        time.sleep(0.1)
    sys.exit("argus serve did not become ready")


def post(port, route, image, fields, headers=None, files=None):
    """POSTs a multipart form: `fields`, then `files` [(field, filename, bytes)] (default: one image)."""
    boundary = "b" + secrets.token_hex(8)
    body = b""
    for k, v in fields:
        body += f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode()
    for field, filename, data in files if files is not None else [("image", "a", image)]:
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
                 f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/{route}", data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def run_page(driver, port, image_path, model=None, route=None, fields=()):
    """Loads /, sets the form, uploads `image_path`, runs, and returns the result card once drawn or failed."""
    driver.get(f"http://127.0.0.1:{port}/")
    wait = WebDriverWait(driver, 60)
    wait.until(lambda d: len(Select(d.find_element(By.ID, "model")).options) > 0)
    if model:
        Select(driver.find_element(By.ID, "model")).select_by_value(model)
    if route:
        Select(driver.find_element(By.ID, "route")).select_by_value(route)
    for element_id, value in fields:
        element = driver.find_element(By.ID, element_id)
        element.clear()
        element.send_keys(value)
    driver.find_element(By.ID, "files").send_keys(str(image_path))
    driver.find_element(By.ID, "run").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "article[data-drawn='true'], article .error"))
    return driver.find_element(By.CSS_SELECTOR, "article")


def listed(card):
    rows = []
    for tr in card.find_elements(By.CSS_SELECTOR, "table.detections tbody tr"):
        rows.append((tr.find_element(By.CSS_SELECTOR, ".label").text, tr.find_element(By.CSS_SELECTOR, ".score").text,
                     tr.find_element(By.CSS_SELECTOR, ".box").text))
    return rows


def expected_rows(detections):
    return [(d["label"], f"{d['score']:.3f}", ", ".join(f"{v:.1f}" for v in d["box"])) for d in detections]


# Runs a measurement on the result canvas against the uploaded photo drawn alone: the body sees `arg` (the
# Python argument), `drawn` and `plain` (their RGBA pixels), `width` and `height`, and returns the result.
COMPARE_JS = """
const [arg, done] = [arguments[0], arguments[arguments.length - 1]];
const canvas = document.querySelector("article canvas");
const file = document.getElementById("files").files[0];
createImageBitmap(file, {imageOrientation: "from-image"}).then((bitmap) => {
  const width = canvas.width, height = canvas.height, photo = document.createElement("canvas");
  photo.width = width; photo.height = height;
  const p = photo.getContext("2d"); p.drawImage(bitmap, 0, 0, width, height);
  const drawn = canvas.getContext("2d").getImageData(0, 0, width, height).data;
  const plain = p.getImageData(0, 0, width, height).data;
  const distance = (o) => Math.abs(drawn[o] - plain[o]) + Math.abs(drawn[o + 1] - plain[o + 1]) + Math.abs(drawn[o + 2] - plain[o + 2]);
  done((() => { %s })());
});
"""

# How many pixels sampled on the given boxes' top, bottom and left edges differ from the photo's.
PIXELS_JS = COMPARE_JS % """
  let n = 0, changed = 0;
  for (const [x1, y1, x2, y2] of arg) {
    for (let t = 0.1; t < 0.9; t += 0.05) {
      for (const [x, y] of [[x1 + (x2 - x1) * t, y1], [x1 + (x2 - x1) * t, y2], [x1, y1 + (y2 - y1) * t]]) {
        if (x < 0 || y < 0 || x >= width || y >= height) continue;
        n++; if (distance((Math.floor(y) * width + Math.floor(x)) * 4) > 30) changed++;
      }
    }
  }
  return [changed, n];
"""

# How many sampled mask pixels are tinted (decoded with the page's own decodeRLE, a global of its script).
MASK_JS = COMPARE_JS % """
  let inside = 0, tinted = 0;
  for (const rle of arg) {
    const {mask, h, w} = decodeRLE(rle);
    for (let i = 0; i < mask.length; i += 7) {
      if (!mask[i]) continue;
      inside++;
      if (distance(((i % h) * w + Math.floor(i / h)) * 4) > 10) tinted++;
    }
  }
  return [tinted, inside];
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("argus")
    parser.add_argument("shared")
    parser.add_argument("--screenshots", default=str(ROOT / ".build/explorer-screenshots"))
    args = parser.parse_args()
    shared = pathlib.Path(args.shared).resolve()
    shots = pathlib.Path(args.screenshots)
    shots.mkdir(parents=True, exist_ok=True)
    photo = shared / "datasets/coco-val96/images/val2017/000000000139.jpg"
    if not photo.exists():
        print(f"explorer browser check skipped: no {photo}")
        return
    seg = shared / "weights/onnx/yolov8n-seg_int8_320.onnx"
    semantic = ROOT / "Tests/ArgusModelsTests/Fixtures/torchvision_seg/semantic_mnv3_tiny.pt"
    extra = (["--weights", str(seg)] if seg.exists() else []) + (["--weights", str(semantic)] if semantic.exists() else [])
    workdir = pathlib.Path(tempfile.mkdtemp())
    classifier = workdir / "mnv3_small_random.safetensors"
    random_classifier.write(classifier)
    extra += ["--weights", str(classifier)]
    # The built-in model's file first (the default), then the mask model.
    server, port = start_server(args.argus, ["--weights", str(ROOT / "models/yolox_nano.onnx")] + extra)
    driver = browser()
    try:
        # Boxes with the default model.
        card = run_page(driver, port, photo)
        status, reference = post(port, "detect", photo.read_bytes(), [("model", "yolox_nano")])
        check(status == 200, "/detect answers 200")
        rows, want = listed(card), expected_rows(reference["images"][0]["detections"])
        check(len(rows) > 0 and rows == want, f"the page lists /detect's {len(want)} detections ({len(rows)} listed)")
        changed, n = driver.execute_async_script(PIXELS_JS, [d["box"] for d in reference["images"][0]["detections"]])
        check(n > 0 and changed >= 0.8 * n, f"pixels on the reported boxes' borders are drawn ({changed}/{n} differ from the photo)")
        curl = card.find_element(By.CSS_SELECTOR, ".curl code").text
        check(curl.startswith("curl -F 'image=@000000000139.jpg'") and curl.endswith(f"'http://127.0.0.1:{port}/detect'"),
              "the curl line is what the page sent")
        driver.save_screenshot(str(shots / "explorer-detect.png"))

        # Hovering a listed detection highlights its box.
        row = card.find_element(By.CSS_SELECTOR, "table.detections tbody tr")
        webdriver.ActionChains(driver).move_to_element(row).perform()
        check("hot" in row.get_attribute("class"), "hovering a listed detection highlights it")

        # Masks through /segment.
        if extra:
            name = seg.stem
            card = run_page(driver, port, photo, model=name, route="segment")
            status, reference = post(port, "segment", photo.read_bytes(), [("model", name), ("mask_format", "rle")])
            check(status == 200, "/segment answers 200")
            detections = reference["images"][0]["detections"]
            rows, want = listed(card), expected_rows(detections)
            check(len(rows) > 0 and rows == want, f"the page lists /segment's {len(want)} instances ({len(rows)} listed)")
            tinted, inside = driver.execute_async_script(MASK_JS, [d["mask"] for d in detections])
            check(inside > 0 and tinted >= 0.9 * inside, f"pixels inside the masks are tinted ({tinted}/{inside})")
            driver.save_screenshot(str(shots / "explorer-segment.png"))

            # Panoptic: the instance model with the (tiny, committed) semantic model; the legend lists the segments.
            if semantic.exists():
                card = run_page(driver, port, photo, model=name, route="segment")
                Select(driver.find_element(By.ID, "semantic-model")).select_by_value(semantic.stem)
                driver.find_element(By.ID, "run").click()
                WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "article[data-drawn='true'], article .error"))
                card = driver.find_element(By.CSS_SELECTOR, "article")
                status, reference = post(port, "segment", photo.read_bytes(), [("model", name), ("semantic_model", semantic.stem)])
                segments = reference["images"][0].get("segments_info", [])
                legend = [e.text for e in card.find_elements(By.CSS_SELECTOR, ".legend > span")]
                want = [f"{s['label']}{'' if s['isthing'] else ' (stuff)'}: {s['area']} px" for s in segments]
                check(status == 200 and len(want) > 0 and legend == want, f"panoptic: the legend lists /segment's {len(want)} segments")

        # A semantic model: its label map's classes in the legend.
        if semantic.exists():
            card = run_page(driver, port, photo, model=semantic.stem)
            status, reference = post(port, "segment", photo.read_bytes(), [("model", semantic.stem)])
            legend = [e.text for e in card.find_elements(By.CSS_SELECTOR, ".legend > span")]
            want = [f"{c['label']}: {c['pixels']} px" for c in reference["images"][0]["classes"]]
            check(status == 200 and legend == want, f"semantic: the legend lists /segment's {len(want)} classes")

        # A classifier: the page switches to /classify and lists its classes.
        card = run_page(driver, port, photo, model=classifier.stem, fields=[("top", "4")])
        status, reference = post(port, "classify", photo.read_bytes(), [("model", classifier.stem), ("top", "4")])
        want = [(c["label"], f"{c['score']:.4f}") for c in reference["images"][0]["classes"]] if status == 200 else None
        rows = [(tr.find_element(By.CSS_SELECTOR, ".label").text, tr.find_element(By.CSS_SELECTOR, ".score").text)
                for tr in card.find_elements(By.CSS_SELECTOR, "table.classes tbody tr")]
        check(status == 200 and len(rows) == 4 and rows == want, f"classify: the page lists /classify's top 4 classes ({rows})")
        driver.save_screenshot(str(shots / "explorer-classify.png"))

        # A corrupt file: the server's message, as the server wrote it.
        with tempfile.NamedTemporaryFile(suffix=".jpg", delete=False) as f:
            data = photo.read_bytes()
            f.write(data[:600] + bytes([0xFF, 0xD9]) + data[600:])  # an EOI marker inside the entropy-coded data
            corrupt = pathlib.Path(f.name)
        card = run_page(driver, port, corrupt)
        status, reference = post(port, "detect", corrupt.read_bytes(), [("model", "yolox_nano")])
        shown = card.find_element(By.CSS_SELECTOR, ".error").text
        error = reference.get("error", {})
        check(status >= 400 and shown == f"{status} {error.get('code')}: {error.get('message')}",
              f"a corrupt file shows the server's message ({shown!r})")
        driver.save_screenshot(str(shots / "explorer-error.png"))
        corrupt.unlink()

        # Evaluation: the ground truth and three of its images.
        gt_path = shared / "datasets/coco-val96/annotations/instances_val96_bbox.json"
        images = sorted(photo.parent.glob("*.jpg"))[:3]
        driver.get(f"http://127.0.0.1:{port}/")
        wait = WebDriverWait(driver, 120)
        wait.until(lambda d: len(Select(d.find_element(By.ID, "model")).options) > 0)
        driver.find_element(By.ID, "gt-file").send_keys(str(gt_path))
        driver.find_element(By.ID, "eval-files").send_keys("\n".join(str(p) for p in images))
        driver.find_element(By.ID, "evaluate").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "article.evaluation[data-drawn='true'], article.evaluation .error"))
        card = driver.find_element(By.CSS_SELECTOR, "article.evaluation")
        shown = {tr.get_attribute("data-stat"): tr.find_element(By.CSS_SELECTOR, ".value").text
                 for tr in card.find_elements(By.CSS_SELECTOR, "table.stats tbody tr")}
        status, reference = post(port, "evaluate", b"", [("model", "yolox_nano"), ("curves", "true")],
                                 files=[("gt", "gt.json", gt_path.read_bytes())] + [("image", p.name, p.read_bytes()) for p in images])
        want = {k: f"{v:.4f}" for k, v in reference.get("stats_named", {}).items()}
        check(status == 200 and len(want) == 12 and shown == want, f"the page shows /evaluate's 12 stats (AP {shown.get('AP')})")
        blue = driver.execute_script("""
            const c = document.querySelector("article.evaluation canvas"), d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
            let n = 0; for (let o = 0; o < d.length; o += 4) if (Math.abs(d[o] - 11) + Math.abs(d[o + 1] - 99) + Math.abs(d[o + 2] - 197) < 40) n++;
            return n;""")
        check(blue > 300, f"the mean precision-recall curve is drawn ({blue} pixels of its colour)")
        driver.save_screenshot(str(shots / "explorer-evaluate.png"))
    finally:
        driver.quit()
        server.terminate()
        server.wait(timeout=30)
        classifier.unlink()
        workdir.rmdir()

    # With API keys: the page asks for one.
    key = "explorer-" + secrets.token_hex(8)
    server, port = start_server(args.argus, ["--api-key", key])
    driver = browser()
    try:
        driver.get(f"http://127.0.0.1:{port}/")
        wait = WebDriverWait(driver, 30)
        wait.until(lambda d: d.find_element(By.ID, "key-box").is_displayed())
        check(True, "the page asks for the API key")
        driver.find_element(By.ID, "api-key").send_keys(key)
        driver.find_element(By.ID, "key-apply").click()
        wait.until(lambda d: len(Select(d.find_element(By.ID, "model")).options) > 0)
        driver.find_element(By.ID, "files").send_keys(str(photo))
        driver.find_element(By.ID, "run").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "article[data-drawn='true'], article .error"))
        check(bool(driver.find_elements(By.CSS_SELECTOR, "article[data-drawn='true']")), "with the key, the page detects")
    finally:
        driver.quit()
        server.terminate()
        server.wait(timeout=30)
    print(f"screenshots in {shots}")
    print(f"explorer browser check: {len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
