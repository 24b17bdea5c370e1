"""The report in a real browser: headless Chromium, network blocked, nothing fetched, nothing executed."""

import shutil
import signal
from pathlib import Path

import pytest

CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")  # Debian's package

if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is missing (apt-get install chromium); the browser check needs it",
        allow_module_level=True,
    )
pytest.importorskip("nbclient")

from cdp_pipe import Chromium, ChromiumError  # noqa: E402
from test_report import hostile_copy  # noqa: E402

from harness.analysis.report import build_report  # noqa: E402

IMAGES_AND_TITLE = """(() => {
  const images = [...document.images];
  return {
    images: images.length,
    broken_images: images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 60)),
    title: document.title,
  };
})()"""


def remote_text(value: dict) -> str:
    """A protocol RemoteObject as the console would print it."""
    return str(value.get("value", value.get("description", "")))


def open_in_browser(report: Path, screenshot: Path, profile: Path) -> dict:
    """Load the report offline; what it requested off the file, its broken images, errors and dialogs."""
    seen: dict = {"blocked": [], "console_errors": [], "dialogs": [], "page_errors": []}
    with Chromium(CHROMIUM, profile) as browser:

        def request(event: dict) -> None:
            url = event["request"]["url"]
            if url.startswith("file:"):
                browser.post("Fetch.continueRequest", requestId=event["requestId"])
            else:
                seen["blocked"].append(url)
                browser.post("Fetch.failRequest", requestId=event["requestId"], errorReason="BlockedByClient")

        def console(event: dict) -> None:
            if event["type"] == "error":
                seen["console_errors"].append(" ".join(remote_text(arg) for arg in event["args"]))

        def log_entry(event: dict) -> None:
            if event["entry"]["level"] == "error":
                seen["console_errors"].append(event["entry"]["text"])

        def exception(event: dict) -> None:
            details = event["exceptionDetails"]
            seen["page_errors"].append(details.get("exception", {}).get("description", details["text"]))

        def dialog(event: dict) -> None:
            seen["dialogs"].append(event["message"])
            browser.post("Page.handleJavaScriptDialog", accept=False)

        browser.on("Fetch.requestPaused", request)
        browser.on("Network.webSocketCreated", lambda event: seen["blocked"].append(event["url"]))
        browser.on("Runtime.consoleAPICalled", console)
        browser.on("Log.entryAdded", log_entry)
        browser.on("Runtime.exceptionThrown", exception)
        browser.on("Page.javascriptDialogOpening", dialog)
        browser.open_page(width=1280, height=900)
        browser.call("Fetch.enable", patterns=[{"urlPattern": "*"}])
        browser.call("Network.enable")
        browser.call(
            "Network.emulateNetworkConditions", offline=True, latency=0, downloadThroughput=-1, uploadThroughput=-1
        )
        for domain in ("Runtime", "Log", "Page"):
            browser.call(f"{domain}.enable")
        browser.navigate(report.resolve().as_uri())
        browser.settle(0.3)
        seen.update(browser.evaluate(IMAGES_AND_TITLE))
        screenshot.write_bytes(browser.screenshot())
    return seen


@pytest.mark.integration
def test_report_renders_offline_and_runs_nothing_from_the_data(tmp_path):
    run = hostile_copy(tmp_path)
    report = build_report(run)
    seen = open_in_browser(report, run / "report.png", tmp_path / "profile")
    assert seen["blocked"] == []
    assert seen["images"] >= 5 and seen["broken_images"] == []
    assert seen["console_errors"] == [] and seen["page_errors"] == []
    assert seen["dialogs"] == []
    assert seen["title"].startswith("shape-harness report")
    assert (run / "report.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert (run / "report.png").stat().st_size > 10_000


def test_the_check_notices_requests_dialogs_and_errors(tmp_path):
    """The check itself: a page that fetches, opens a socket, alerts, logs an error and throws is caught
    on every count (so a clean result means something)."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<html><body><img src="https://example.invalid/x.png"><script>'
        'alert(1); new WebSocket("wss://example.invalid/socket"); console.error("logged", 2);'
        'throw new Error("thrown")</script></body></html>'
    )
    seen = open_in_browser(bad, tmp_path / "bad.png", tmp_path / "profile")
    assert "https://example.invalid/x.png" in seen["blocked"]
    assert "wss://example.invalid/socket" in seen["blocked"]
    assert seen["dialogs"] == ["1"]
    assert seen["broken_images"] == ["https://example.invalid/x.png"]
    assert "logged 2" in seen["console_errors"]
    assert any("Error: thrown" in error for error in seen["page_errors"])
    assert (tmp_path / "bad.png").read_bytes().startswith(b"\x89PNG")
    shutil.rmtree(tmp_path, ignore_errors=True)


def stand_in(tmp_path: Path, script: str) -> Path:
    """An executable shell script standing in for Chromium."""
    path = tmp_path / "stand-in-chromium"
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)
    return path


def test_a_browser_that_never_answers_fails_in_time_and_is_killed(tmp_path):
    silent = stand_in(tmp_path, "exec sleep 600")
    expected = pytest.raises(ChromiumError, match=r"sent no answer to Target\.createTarget within 1 s")
    with Chromium(silent, tmp_path / "profile", timeout=1) as browser, expected:
        browser.open_page(width=800, height=600)
    assert browser.process.returncode == -signal.SIGKILL


def test_a_browser_that_dies_says_how_and_what_it_printed(tmp_path):
    dying = stand_in(tmp_path, "echo cannot open display >&2; exit 3")
    expected = pytest.raises(ChromiumError, match=r"closed its pipe \(exit status 3\)[^\n]*\ncannot open display")
    with Chromium(dying, tmp_path / "profile", timeout=30) as browser, expected:
        browser.open_page(width=800, height=600)
