"""The slides in a real browser: headless Chromium draws each one, offline, at 1920x1080.

No pixel diffs: each slide's size, its text in the DOM, the embedded font's status, and
enough ink on the screenshot where the text should be. CI installs Debian's chromium
(.ci/run); there a missing browser fails the test, and only elsewhere is it skipped.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from typing import TYPE_CHECKING

import pytest
from PIL import Image
from typer.testing import CliRunner

from resilience_cli.cli import app
from resilience_cli.export.font import ADVANCE

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.linux_service("chromium")
runner = CliRunner()
# As the machine's notes say headless Chromium needs it here: no sandbox as root, no GPU,
# and nothing that reaches for the network.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
REPORT = re.compile(r'<pre id="report">(.*?)</pre>', re.DOTALL)


@pytest.fixture(scope="module")
def chromium() -> str:
    """The browser: $CHROMIUM, or the first of the usual names on PATH."""
    found = os.environ.get("CHROMIUM") or next(filter(None, map(shutil.which, NAMES)), None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("no chromium on PATH: .ci/run installs it (apt-get install -y chromium)")
        pytest.skip("no chromium on PATH (CI installs it; here: apt-get install chromium)")
    return found


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Every command runs in a fresh folder, with no CI environment leaking in."""
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_STEP_SUMMARY", "RESILIENCE_STATE_FILE", "RESILIENCE_VIEW", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def browse(chromium: str, page: Path, *args: str) -> str:
    """Run Chromium on a local page with `args`; its standard output."""
    profile = page.parent / f"profile-{len(list(page.parent.glob('profile-*')))}"
    result = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def report(chromium: str, page: Path) -> object:
    """What the page's script wrote into `<pre id="report">` once it had loaded."""
    dom = browse(chromium, page, "--virtual-time-budget=10000", "--dump-dom")
    match = REPORT.search(dom)
    assert match, dom[-2000:]
    return json.loads(html.unescape(match.group(1)))


def probe(script: str) -> str:
    """A script that writes its JSON result into the page once fonts and images are in."""
    return (
        '<script>window.addEventListener("load", async () => {'
        " await document.fonts.ready;"
        ' const out = document.createElement("pre"); out.id = "report";'
        f" out.textContent = JSON.stringify({script});"
        " document.body.append(out); });</script>"
    )


def test_every_svg_slide_renders_at_1920x1080_with_its_text(chromium, in_tmp):
    """Each tour-NN.svg loads as a 1920x1080 image and draws its text, left to right."""
    result = runner.invoke(app, ["run", "tour", "--virtual-time", "--export", "tour.svg"])
    assert result.exit_code == 0, result.output
    slides = sorted(in_tmp.glob("tour-*.svg"))
    assert len(slides) == 15  # the title, 12 steps, 1 finally step, the verdict
    images = "".join(f'<img src="{path.name}">' for path in slides)
    page = in_tmp / "slides.html"
    page.write_text(
        "<!DOCTYPE html><html><head><style>body{margin:0}img{display:block}</style></head>"
        f"<body>{images}"
        + probe("[...document.images].map(i => [i.naturalWidth, i.naturalHeight, i.complete])")
        + "</body></html>"
    )
    assert report(chromium, page) == [[1920, 1080, True]] * len(slides)

    shot = in_tmp / "slides.png"
    browse(chromium, page, f"--window-size=1920,{1080 * len(slides)}", f"--screenshot={shot}")
    with Image.open(shot) as picture:
        assert picture.size == (1920, 1080 * len(slides))
        ink = picture.convert("L").point(lambda value: 255 if value < 128 else 0)
        for number in range(len(slides)):
            slide = ink.crop((0, 1080 * number, 1920, 1080 * (number + 1)))
            box = slide.getbbox()
            assert box is not None, f"slide {number + 1} is blank"
            left, top, right, bottom = box
            # Text from the left margin, on the first row, inside the slide.
            assert (left < 100, top < 80, right < 1900, bottom < 1070) == (True,) * 4, box
            inked = slide.histogram()[255]
            assert inked > 2_000, f"slide {number + 1}: {inked} dark pixels"


def test_the_html_slides_use_the_embedded_font_offline(chromium, in_tmp):
    """tour.html: both embedded weights load in Chromium, and every slide's text is in the DOM."""
    result = runner.invoke(app, ["run", "tour", "--virtual-time", "--export", "tour.html"])
    assert result.exit_code == 0, result.output
    page = in_tmp / "tour.html"
    page.write_text(
        page.read_text().replace(
            "</body>",
            probe(
                "{faces: [...document.fonts].map(f => [f.family, f.weight, f.status]),"
                ' slides: [...document.querySelectorAll("section")].map(s =>'
                ' [...s.querySelectorAll("text")].map(t => t.textContent).join("\\n")),'
                ' sizes: [...document.querySelectorAll("section text")].map(t =>'
                " getComputedStyle(t).fontSize),"
                ' lines: [...document.querySelectorAll("section text")].map(t => [t.textContent,'
                " t.getStartPositionOfChar(0).x,"
                " t.getStartPositionOfChar(t.getNumberOfChars() - 1).x])}"
            )
            + "</body>",
        )
    )
    seen = report(chromium, page)
    assert sorted(seen["faces"]) == [
        ["DejaVu Sans Mono", "400", "loaded"],
        ["DejaVu Sans Mono", "700", "loaded"],
    ]
    slides = seen["slides"]
    assert len(slides) == 15  # the title, 12 steps, 1 finally step, the verdict
    assert slides[0].startswith("The tour — breaker, timeout and retry")
    for number in range(1, 13):
        assert f"Step {number}/12 · " in slides[number]
    assert "PASSED  20 of 20 expectations held" in slides[14]
    assert set(seen["sizes"]) == {"30px"}
    # Every character sits in its column: blanks that align a table were not folded.
    cell = 30 * ADVANCE
    for text, first, last in seen["lines"]:
        assert abs(last - (first + (len(text) - 1) * cell)) < cell / 2, text
