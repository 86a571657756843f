"""The README's "Backfilling from the UI", done in a real browser: Chromium (Debian's, driven by
Playwright) against `perfmkt ui` started as the README says. The test opens the asset graph,
clicks "Materialize all", types a recent two-day range in the form the README documents,
launches the backfill, follows it to its run the way the README says, and sees the run succeed.
Then `perfmkt ui` is stopped with the page still open and must be gone within 10 s.

Chromium and Playwright come from `make test` (apt's `chromium`, the dev extra); with CI=true a
missing one is a failure, elsewhere a skip that says how to get it. Playwright never downloads a
browser here: it launches /usr/bin/chromium.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from perfmkt_pipeline_tests.ui_support import STOP_SECONDS, PerfmktUi, start_perfmkt_ui

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM = Path("/usr/bin/chromium")
# Headless on a closed network: without the background-networking switches Chromium keeps
# trying to reach Google's services, which the machine refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "### Backfilling from the UI"
# What the test clicks, by the names the README gives them.
CLICKED = [
    "Skip",
    "Lineage",
    "Materialize all",
    "Launch backfill",
    "Runs",
    "Show runs within backfills",
    "Success",
]
DAYS = 2
UI_TIMEOUT_MS = 60_000
RUN_TIMEOUT_SECONDS = 300
_DATE = r"\d{4}-\d{2}-\d{2}"


def _readme_section() -> str:
    text = README.read_text()
    start = text.index(SECTION)
    return text[start : text.index("\n## ", start)]


def documented_range(first: dt.date, last: dt.date) -> str:
    """The range as the README says to type it (its example, with these dates)."""
    example = re.search(rf"`(\[?{_DATE}\.\.\.{_DATE}\]?)`", _readme_section())
    assert example, f"no range example in the README's {SECTION!r}"
    dates = iter([first.isoformat(), last.isoformat()])
    return re.sub(_DATE, lambda _: next(dates), example.group(1))


def _missing(what: str, how: str) -> None:
    message = f"{what} is missing: {how}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: the browser test must run)", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator:
    if not CHROMIUM.exists():
        _missing(str(CHROMIUM), "`make test` installs Debian's chromium package")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright", "`make test` installs it with the dev extra")
    profile = tmp_path / "chromium-profile"  # a new, empty user-data-dir
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1600, "height": 1000},
        )
        context.set_default_timeout(UI_TIMEOUT_MS)
        try:
            yield context.new_page()
        finally:
            context.close()


def test_the_range_example_in_the_readme_is_the_form_the_dialog_takes() -> None:
    # The dialog rejects `2026-10-01...2026-10-07` (Syntax error at "..."); it takes brackets.
    assert documented_range(dt.date(2026, 10, 1), dt.date(2026, 10, 7)) == (
        "[2026-10-01...2026-10-07]"
    )


def _run_status(page, ui: PerfmktUi) -> str:
    """The status at the top of the run's page, once the run has ended (it updates live)."""
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        for status in ("Success", "Failure", "Canceled"):
            if page.get_by_text(status, exact=True).count():
                return status
        time.sleep(1)
    raise AssertionError(f"the run did not end\n{ui.log_tail()}")


def test_a_backfill_done_in_the_browser_as_the_readme_says_succeeds(
    tmp_path: Path, browser_page
) -> None:
    page = browser_page
    section = _readme_section()
    for label in CLICKED:
        assert f"**{label}**" in section, f"the README's steps no longer name **{label}**"
    today = dt.datetime.now(dt.UTC).date()  # `perfmkt ui` serves the sandbox as of today (UTC)
    first, last = today - dt.timedelta(days=DAYS), today - dt.timedelta(days=1)
    typed = documented_range(first, last)

    ui = start_perfmkt_ui(tmp_path)
    try:
        ui.wait_until_loaded()
        try:
            page.goto(ui.url)
            page.get_by_role("button", name="Skip").click()
            page.get_by_role("link").filter(has_text=re.compile(r"^Lineage$")).click()
            page.get_by_role("button", name="Materialize all").click()
            dialog = page.locator(".bp5-dialog").filter(has_text="Launch runs to materialize")
            partitions = dialog.get_by_role("textbox").first
            partitions.fill(typed)
            partitions.press("Enter")
            selected = dialog.get_by_text(f"{DAYS} partitions", exact=True)
            refused = page.get_by_role("dialog").filter(has=page.get_by_text("Error", exact=True))
            selected.or_(refused).first.wait_for()
            assert selected.count(), f"the dialog refused {typed!r}: {refused.inner_text()}"
            dialog.get_by_role("button", name="Launch backfill").click()

            page.get_by_text("Created backfill").wait_for()
            page.get_by_role("link").filter(has_text=re.compile(r"^Runs$")).click()
            page.get_by_text("Show runs within backfills").click()
            # The list refreshes itself; the daemon creates the backfill's run within ~30 s.
            run_link = (
                page.locator("a[href^='/runs/']:not([href^='/runs/b/'])")
                .filter(has_text=re.compile(r"^[0-9a-f]{8}$"))
                .first
            )
            run_link.wait_for(timeout=RUN_TIMEOUT_SECONDS * 1000)
            run_link.click()
            status = _run_status(page, ui)
            assert status == "Success", f"the run ended {status}\n{ui.log_tail()}"
        except BaseException:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            print(f"screenshot: {tmp_path / 'failure.png'}")
            raise

        # With the page still open (its live connections to the webserver), the UI stops in time.
        stopped = ui.stop()
        assert stopped.left == [], ui.log_tail()
        assert stopped.seconds < STOP_SECONDS
        assert stopped.still_open == set()
    finally:
        ui.kill_tree()
