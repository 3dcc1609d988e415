"""The browser counter's latency: a click on "Panggil berikutnya" at /petugas until the page
shows the new number, against the Qt counter's same figure measured in the same run.

    .venv/bin/python benchmarks/bench_web_counter.py [--calls 40]

Browser: Debian's chromium (Playwright) → a real `antrean web` process → its own hub connection
for the enrolled browser → a real hub process, all on 127.0.0.1; the sample is taken in the
page (performance.now() from the click until #ticket-label shows a different number). Between
two samples the officer presses "Selesai" (not timed); the first call is not counted.
Qt: bench_counter's "hub" figure (a real CounterWindow, offscreen, on a HubLink to a hub).
Aim: the browser's p99 within 2x the Qt counter's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_counter import MORNING, OFFICER, PIN, default_config, pick_counter, seed, summary

from shared.clock import ManualClock

MEASURE = """() => new Promise((resolve) => {
  const root = document.getElementById('live');
  const before = document.getElementById('ticket-label').textContent;
  const t0 = performance.now();
  const seen = new MutationObserver(() => {
    const label = document.getElementById('ticket-label');
    if (label && label.textContent !== before && /\\d/.test(label.textContent)) {
      seen.disconnect(); resolve(performance.now() - t0);
    }
  });
  seen.observe(root, {childList: true, subtree: true, characterData: true});
  document.querySelector('button[data-action=call_next]').click();
})"""


def through_browser(calls: int, work: Path) -> list[float]:
    from playwright.sync_api import expect, sync_playwright

    from tests.helpers.hub_process import HubProcess
    from tests.helpers.web_station import WebProcess

    cfg = default_config()
    counter = pick_counter(cfg)
    start = MORNING.replace(hour=9)
    hub = HubProcess(work, Path(str(cfg.source)), clock=start.isoformat())
    seed(hub.ledger, cfg, ManualClock(start), counter, calls + 12)
    web_token = hub.enroll("web-bench", "web")
    hub.add_officer(OFFICER, PIN)
    hub.start()
    web = WebProcess(work, hub.url, web_token, hub.clock)
    web.start()
    out = subprocess.run(
        [sys.executable, "-m", "antrean", "hub", "--ledger", str(hub.ledger), "stations",
         "code", "bench-web", "--counter", str(counter)],
        capture_output=True, text=True, check=True).stdout
    found = re.search(r": ([A-Z0-9]{4}-[A-Z0-9]{4})\n", out)
    assert found, out
    samples: list[float] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium")
                                        or "/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.goto(web.url + "/petugas")
            page.fill("#code", found.group(1))
            page.click("#enrol")
            page.fill("#officer", OFFICER)
            page.fill("#pin", PIN)
            page.click("button[data-action=sign_in]")
            call = page.locator("button[data-action=call_next]")
            finish = page.locator("button[data-action=finish]")
            for i in range(calls + 1):
                expect(call).to_be_enabled(timeout=10_000)
                elapsed = float(page.evaluate(MEASURE))
                if i:  # the first call warms the page's script and the stream up: not counted
                    samples.append(elapsed)
                expect(finish).to_be_enabled(timeout=10_000)
                finish.click()
                expect(page.locator("#ticket-label")).to_have_text("—", timeout=10_000)
            browser.close()
    finally:
        web.stop()
        hub.stop()
    return samples


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--calls", type=int, default=40)
    args = p.parse_args(argv)

    from bench_counter import through_window
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["bench-web-counter"])
    cfg = default_config()
    with tempfile.TemporaryDirectory(prefix="bench-web-counter-") as tmp:
        work = Path(tmp)
        (work / "qt").mkdir()
        (work / "web").mkdir()
        qt = summary(through_window("hub", cfg, pick_counter(cfg), args.calls, work / "qt"))
        browser = summary(through_browser(args.calls, work / "web"))
    browser["p50/qt"] = round(browser["p50"] / qt["p50"], 2) if qt["p50"] else 0
    browser["p99/qt"] = round(browser["p99"] / qt["p99"], 2) if qt["p99"] else 0
    print(f"hall: {cfg.mpp.name}, {args.calls} calls each; click on Panggil berikutnya → the "
          f"new number shown")
    print(f"{'':28s} {'p50 ms':>8s} {'p99 ms':>8s} {'max ms':>8s}")
    for name, s in (("Qt counter (HubLink)", qt), ("browser counter (/petugas)", browser)):
        print(f"{name:28s} {s['p50']:8.2f} {s['p99']:8.2f} {s['max']:8.2f}")
    print(f"browser/Qt: p50 {browser['p50/qt']}x, p99 {browser['p99/qt']}x "
          f"(aim: p99 ≤ 2x): {'yes' if browser['p99/qt'] <= 2 else 'NO'}")
    print(json.dumps({"qt": qt, "browser": browser}))
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
