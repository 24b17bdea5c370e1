"""The report in a real browser: headless Chromium, network blocked, nothing fetched, nothing executed."""

import shutil
from pathlib import Path

import pytest

CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")  # Debian's package
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-quic",
    "--disable-component-update",
    "--disable-sync",
]

if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is missing (apt-get install chromium); the browser check needs it",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="the playwright package is not installed (pip install 'shape-harness[test]')",
)
pytest.importorskip("nbclient")

from test_report import hostile_copy  # noqa: E402

from harness.analysis.report import build_report  # noqa: E402


def open_in_browser(report: Path, screenshot: Path) -> dict:
    """Load the report offline; what it requested off the file, its broken images, errors and dialogs."""
    seen = {"blocked": [], "console_errors": [], "dialogs": [], "page_errors": [], "broken_images": []}
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
            page = context.new_page()

            def route(request_route):
                url = request_route.request.url
                if url.startswith("file:"):
                    request_route.continue_()
                else:
                    seen["blocked"].append(url)
                    request_route.abort()

            page.route("**/*", route)
            page.on(
                "console",
                lambda message: message.type == "error" and seen["console_errors"].append(message.text),
            )
            page.on("pageerror", lambda error: seen["page_errors"].append(str(error)))

            def dialog(event):
                seen["dialogs"].append(event.message)
                event.dismiss()

            page.on("dialog", dialog)
            page.goto(report.resolve().as_uri(), wait_until="load")
            page.wait_for_timeout(300)
            seen["broken_images"] = page.eval_on_selector_all(
                "img",
                "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 60))",
            )
            seen["images"] = page.eval_on_selector_all("img", "images => images.length")
            seen["title"] = page.title()
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return seen


def test_report_renders_offline_and_runs_nothing_from_the_data(tmp_path):
    run = hostile_copy(tmp_path)
    report = build_report(run)
    seen = open_in_browser(report, run / "report.png")
    assert seen["blocked"] == []
    assert seen["images"] >= 5 and seen["broken_images"] == []
    assert seen["console_errors"] == [] and seen["page_errors"] == []
    assert seen["dialogs"] == []
    assert seen["title"].startswith("shape-harness report")
    assert (run / "report.png").stat().st_size > 10_000


def test_the_check_notices_a_request_and_a_dialog(tmp_path):
    """The check itself: a page that fetches and alerts is caught (so a clean result means something)."""
    bad = tmp_path / "bad.html"
    bad.write_text('<html><body><img src="https://example.invalid/x.png"><script>alert(1)</script></body></html>')
    seen = open_in_browser(bad, tmp_path / "bad.png")
    assert any("example.invalid" in url for url in seen["blocked"])
    assert seen["dialogs"] == ["1"]
    assert seen["broken_images"]
    shutil.rmtree(tmp_path, ignore_errors=True)
