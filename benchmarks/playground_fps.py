"""Frames of updates per second of ``backprop playground`` in headless Chromium.

Starts the server in this process, opens the page in Debian's headless Chromium (Selenium),
presses play on a preset and counts the frames the page draws (each frame: a batch of training
updates in the engine, then every picture, weight and curve redrawn), over ``--seconds``.
Repeats ``--repeats`` times and prints each run and the median. ``--cores 0,1`` pins this
process, the server and the browser (its children) to those CPUs.

    python benchmarks/playground_fps.py --seconds 10 --repeats 3
    python benchmarks/playground_fps.py --preset circles --cores 0,1

Requires ``selenium`` and ``chromium`` + ``chromium-driver`` (scripts/install-system-test-deps.sh).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time

PRESETS = {
    "course": "",  # the page's opening preset: flower, 2-4-1 tanh/sigmoid, full batch, 10 epochs a frame
    "circles": "#data=circles",
    "big": "#data=spirals&h=32,32,32,32,32,32,32,32&act=relu&opt=adam&lr=0.003&init=auto&bs=32&speed=1",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--preset", choices=sorted(PRESETS), default="course")
    parser.add_argument("--cores", help="CPUs to pin to, e.g. 0,1")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    if args.cores:
        os.sched_setaffinity(0, {int(c) for c in args.cores.split(",")})

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    from backprop.playground import Session, make_server, serve_in_thread
    from backprop.playground.server import limit_blas_threads

    limit_blas_threads()  # as `backprop playground` does

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1500,1100", f"--user-data-dir={tempfile.mkdtemp(prefix='fps-chromium-')}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    runs = []
    try:
        for _ in range(args.repeats):
            server = make_server("127.0.0.1", 0, Session())
            serve_in_thread(server)
            driver.get("about:blank")
            driver.get(server.url + PRESETS[args.preset])
            time.sleep(1.5)
            driver.find_element(By.CSS_SELECTOR, '[data-testid="play"]').click()
            time.sleep(1.0)  # warm up
            e0 = server.session.epoch
            start_frames = driver.execute_script("return window.playground.drawn || 0")
            t0 = time.perf_counter()
            time.sleep(args.seconds)
            frames = driver.execute_script("return window.playground.drawn || 0") - start_frames
            elapsed = time.perf_counter() - t0
            epochs = server.session.epoch - e0
            driver.find_element(By.CSS_SELECTOR, '[data-testid="pause"]').click()
            server.shutdown()
            server.server_close()
            runs.append({"frames_per_s": frames / elapsed, "epochs_per_s": epochs / elapsed})
            print(f"{args.preset}: {frames / elapsed:.1f} frames/s, {epochs / elapsed:.0f} epochs/s")
    finally:
        driver.quit()
    fps = statistics.median(r["frames_per_s"] for r in runs)
    load = os.getloadavg()
    print(f"median {fps:.1f} frames/s over {len(runs)} runs of {args.seconds:g} s "
          f"({os.cpu_count()} CPUs, load average {load[0]:.1f}, pinned to {args.cores or 'all'})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"preset": args.preset, "runs": runs, "median_frames_per_s": fps, "load": load}, f, indent=1)


if __name__ == "__main__":
    main()
