"""End to end: the CLI writes the report, and a real browser renders it without errors.

The browser is Debian's ``chromium`` package, run headless:
once with ``--dump-dom`` to read the rendered DOM, once with ``--screenshot`` to keep a
picture of the page under ``tests/artifacts/`` (git-ignored). No browser is downloaded, and
no playwright or selenium is needed. Every console line the page produces is a failure: the
report has no scripts, so a console line can only be an error or a blocked request (its
Content-Security-Policy reports any attempt to load something).

The test suite never installs it: without Chromium the test is skipped, with a message naming
``make browser`` (which installs Debian's package, as root, with apt-get). ``.ci/run`` does
that explicitly before ``make test``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO, CliResult

Cli = Callable[..., CliResult]

# DATALIFE_TEST_CHROMIUM: another browser binary (the skip test points it at nothing)
CHROMIUM = Path(os.environ.get("DATALIFE_TEST_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = REPO / "tests" / "artifacts"

pytestmark = pytest.mark.e2e

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is missing: run `make browser` (as root: installs Debian's "
    "chromium package with apt-get) to render the report in a real browser",
)


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *args,
    ]
    env = {**os.environ, "HOME": str(profile)}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False, env=env)


def page_errors(stderr: str, url: str) -> list[str]:
    """Console lines (errors, uncaught exceptions, CSP violations) that came from the page."""
    lines = stderr.splitlines()
    return [
        ln
        for ln in lines
        if (":CONSOLE" in ln and (url in ln or "source:" in ln)) or "Uncaught" in ln
    ]


@needs_chromium
def test_report_renders_in_chromium(cli: Cli, workspace: Path, tmp_path: Path) -> None:
    # something in the lineage: a recorded validation, an invalid batch, a split
    assert cli("validate", "sample_data/2007.csv", "sample_data/2008.csv").code == 0
    res = cli(
        "split",
        "sample_data/2007.csv",
        "sample_data/2008.csv",
        "sample_data/2009.csv",
        "--out",
        "splits",
        "--stratify",
        "species",
    )
    assert res.code == 0, res
    assert (
        cli("validate", "sample_data/2007.csv", "sample_data/2008.csv", "sample_data/2009.csv").code
        == 0
    )
    out = cli("report", "--out", "report.html")
    assert out.code == 0, out
    assert "wrote the report to report.html" in out.stdout
    report = workspace / "report.html"
    url = report.resolve().as_uri()

    dom = chromium(tmp_path / "profile-dom", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    for section_id in (
        "overview",
        "ds-penguins",
        "ds-penguins-validation",
        "ds-penguins-statistics",
        "ds-penguins-drift",
        "splits",
        "lineage",
    ):
        assert re.search(rf'id="{section_id}"', html), section_id
    for heading in ("Versions and validation", "Statistics", "Drift", "Split balance", "Lineage"):
        assert f">{heading}" in html, heading
    assert "no splits recorded yet" not in html
    assert html.count("<svg") >= 8 + 3 + 2 + 1  # histograms, overlays, split charts, lineage
    assert "<script" not in html
    assert page_errors(dom.stderr, url) == []

    ARTIFACTS.mkdir(exist_ok=True)
    png = ARTIFACTS / "report.png"
    png.unlink(missing_ok=True)
    shot = chromium(
        tmp_path / "profile-shot", f"--screenshot={png}", "--window-size=1280,2000", url
    )
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert page_errors(shot.stderr, url) == []
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000  # a real, non-blank page
    shutil.copy(report, ARTIFACTS / "report.html")


def test_missing_browser_skips_naming_make_browser(tmp_path: Path) -> None:
    """Without chromium the render test is skipped (never installed), and says how to get it."""
    env = {**os.environ, "DATALIFE_TEST_CHROMIUM": str(tmp_path / "no-chromium")}
    test = f"{Path(__file__).relative_to(REPO).as_posix()}::test_report_renders_in_chromium"
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-rs", "-p", "no:cacheprovider", test],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-2000:]
    assert "1 skipped" in out.stdout
    assert "make browser" in out.stdout


def test_page_errors_reads_chromium_console_lines() -> None:
    """The console filter catches what chromium prints for page errors and blocked loads."""
    url = "file:///tmp/r.html"
    stderr = "\n".join(
        [
            "[1:1:1127/173808.7:ERROR:dbus/object_proxy.cc:572] Failed to call method",
            '[1:1:1127/173808.7:INFO:CONSOLE:1] "Uncaught ReferenceError: f is not defined", '
            f"source: {url} (1)",
            "[1:1:1127/173813.5:INFO:CONSOLE:1] \"Loading the image 'https://x/a.png' violates "
            f'the following Content Security Policy directive", source: {url} (1)',
        ]
    )
    errors = page_errors(stderr, url)
    assert len(errors) == 2 and "Uncaught" in errors[0] and "Content Security" in errors[1]
    assert page_errors(stderr.splitlines()[0], url) == []  # browser noise is not the page's
