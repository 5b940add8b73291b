"""`run --export`: one 16:9 slide per step, legible at 1920x1080, its font inside."""

import io
import json
import re
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from rich import box
from rich.text import Text
from typer.testing import CliRunner

from resilience_cli.cli import app
from resilience_cli.export import ExportMode
from resilience_cli.export.deck import Deck
from resilience_cli.export.files import export_files, slide_path
from resilience_cli.export.font import ADVANCE, font_data
from resilience_cli.export.svg import FONT_SIZE, ROWS, SLIDE_HEIGHT, SLIDE_WIDTH
from resilience_cli.glyphs import UNICODE
from resilience_cli.scenarios import load_scenario

ROOT = Path(__file__).resolve().parents[2]
TOUR = load_scenario(ROOT / "resilience_cli" / "scenarios" / "shipped" / "tour.yaml")
TOUR_STEPS = len(TOUR.steps)
TOUR_SLIDES = 1 + TOUR_STEPS + len(TOUR.finally_) + 1  # title, steps, finally, verdict
SVG = "{http://www.w3.org/2000/svg}"
runner = CliRunner()


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Every command runs in a fresh folder, with no CI environment leaking in."""
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_STEP_SUMMARY", "RESILIENCE_STATE_FILE", "RESILIENCE_VIEW", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def svg_lines(path: Path) -> list[str]:
    """The text of each `<text>` line of an SVG, its runs put back at their columns."""
    root = ET.parse(path).getroot()  # noqa: S314 - our own output
    cell = float(root.get("font-size")) * ADVANCE
    lines = []
    for text in root.iter(f"{SVG}text"):
        line = ""
        spans = list(text.iter(f"{SVG}tspan"))
        left = min(float(span.get("x")) for span in spans)
        for span in spans:
            column = round((float(span.get("x")) - left) / cell)
            line += " " * (column - len(line)) + span.text
        lines.append(line)
    return lines


def font_size(path: Path) -> float:
    return float(ET.parse(path).getroot().get("font-size"))  # noqa: S314


def test_the_tour_exports_one_slide_per_step(in_tmp):
    """tour.svg: a title slide, one per step and finally step, the verdict: tour-01, tour-02..."""
    result = runner.invoke(app, ["run", "tour", "--virtual-time", "--export", "tour.svg"])
    assert result.exit_code == 0, result.output
    slides = sorted(in_tmp.glob("tour-*.svg"))
    assert [path.name for path in slides] == [
        f"tour-{n:02d}.svg" for n in range(1, TOUR_SLIDES + 1)
    ]
    assert not (in_tmp / "tour.svg").exists()
    expected = f"wrote {TOUR_SLIDES} slides: tour-01.svg to tour-{TOUR_SLIDES:02d}.svg"
    assert expected in result.stderr
    texts = ["\n".join(svg_lines(path)) for path in slides]
    assert texts[0].startswith("The tour — breaker, timeout and retry")
    for number in range(1, TOUR_STEPS + 1):
        assert f"Step {number}/{TOUR_STEPS} · " in texts[number]
    assert "Finally 1/1 · " in texts[TOUR_STEPS + 1]
    assert "PASSED  20 of 20 expectations held" in texts[TOUR_STEPS + 2]
    # The compact view: each step's headline, its verdicts, and nothing of the full tables.
    assert "fell back  19 breaker_open · 1 http_5xx" in texts[2]
    assert "✓ breaker.state value == open" in texts[2]
    assert "Concurrency and pacing" not in "".join(texts)


def test_each_slide_is_16_9_at_1920x1080_with_30px_text(in_tmp):
    """Every tour slide is a 1920x1080 canvas whose text is 30 px: none had to shrink to fit."""
    runner.invoke(app, ["run", "tour", "--virtual-time", "--export", "tour.svg"])
    for path in sorted(in_tmp.glob("tour-*.svg")):
        root = ET.parse(path).getroot()  # noqa: S314
        assert (root.get("width"), root.get("height")) == ("1920", "1080")
        assert root.get("viewBox") == "0 0 1920 1080"
        assert font_size(path) == FONT_SIZE
        assert len(svg_lines(path)) <= ROWS
        # 100 columns, centred: the text spans the slide's width with a margin both sides.
        xs = [float(span.get("x")) for span in root.iter(f"{SVG}tspan")]
        assert 20 < min(xs) < 100
        assert max(xs) < SLIDE_WIDTH - 100


def test_the_font_is_inside_and_nothing_is_fetched(in_tmp):
    """Each slide carries both weights as WOFF2 data; no URL points anywhere (offline)."""
    runner.invoke(app, ["run", "fallback", "--virtual-time", "--export", "deck.svg"])
    for path in in_tmp.glob("deck-*.svg"):
        text = path.read_text()
        faces = re.findall(r"@font-face\{[^}]*\}", text)
        assert len(faces) == 2
        assert all('font-family:"DejaVu Sans Mono"' in face for face in faces)
        assert {re.search(r"font-weight:(\d+)", face).group(1) for face in faces} == {"400", "700"}
        assert all("src:url(data:font/woff2;base64," in face for face in faces)
        assert re.findall(r"https?://[^\s\"')]+", text) == ["http://www.w3.org/2000/svg"]
        assert "cdnjs" not in text


def test_a_longer_slide_is_drawn_smaller_to_fit():
    """A step of 40 lines (the full view, say) still fits 1080 px, in smaller text."""
    deck = Deck()
    deck.add("\n".join(f"line {n}" for n in range(40)))
    (path, document), *_ = export_files(
        deck.slides, Path("long.svg"), ExportMode.SLIDES, title="t", columns=100
    )
    root = ET.fromstring(document)  # noqa: S314
    size = float(root.get("font-size"))
    assert size < FONT_SIZE
    last = max(float(text.get("y")) for text in root.iter(f"{SVG}text"))
    assert last + size * 0.25 < SLIDE_HEIGHT
    assert path == Path("long-01.svg")


def test_export_mode_single_draws_one_long_page(in_tmp):
    """--export-mode single: the old single image, every step on one page, the full view."""
    result = runner.invoke(
        app,
        ["run", "tour", "--virtual-time", "--export", "tour.svg", "--export-mode", "single"],
    )
    assert result.exit_code == 0
    root = ET.parse(in_tmp / "tour.svg").getroot()  # noqa: S314
    assert root.get("width") == "1920"
    assert int(root.get("height")) > 5 * SLIDE_HEIGHT
    text = "\n".join(svg_lines(in_tmp / "tour.svg"))
    assert "Concurrency and pacing" in text
    assert text.count("Step ") == TOUR_STEPS


def test_html_export_is_one_page_of_slides_with_one_font(in_tmp):
    """tour.html: one <section> per slide, each a 16:9 drawing; the font is declared once."""
    runner.invoke(app, ["run", "tour", "--virtual-time", "--export", "tour.html"])
    text = (in_tmp / "tour.html").read_text()
    assert text.count("<section ") == TOUR_SLIDES
    assert text.count('viewBox="0 0 1920 1080"') == TOUR_SLIDES
    assert text.count("@font-face") == 2
    assert "scroll-snap-type:y mandatory" in text
    # Sizes are per drawing: a page-wide `text{}` rule would let one slide size them all.
    assert "text{" not in text
    assert text.count('font-size="30"') == TOUR_SLIDES


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--export", "tour.txt", "--export-mode", "slides"], "a text export is one file"),
        (["--export-mode", "slides"], "--export-mode: give --export PATH too"),
        (["--export", "tour.pdf"], "must end in .svg, .html or .txt"),
        (["--export-mode", "pages", "--export", "t.svg"], "Invalid value for '--export-mode'"),
    ],
)
def test_impossible_exports_are_usage_errors(in_tmp, args, message):
    """A text export in slides, a mode with no export, a bad name or mode: exit 2, one line."""
    result = runner.invoke(app, ["run", "tour", "--virtual-time", *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert list(in_tmp.iterdir()) == []  # refused before anything ran


def test_slides_follow_view_full_when_asked(in_tmp):
    """--view full sets the slides' view too; a longer step is then drawn smaller."""
    runner.invoke(app, ["run", "fallback", "--virtual-time", "--export", "f.svg", "--view", "full"])
    sizes = [font_size(path) for path in sorted(in_tmp.glob("f-*.svg"))]
    assert min(sizes) < FONT_SIZE
    assert "Concurrency and pacing" in "".join(p.read_text() for p in in_tmp.glob("f-*.svg"))


def test_outside_text_on_a_slide_stays_text(in_tmp):
    """Markup, an escape, `<script>`, the font's placeholder in a title: all shown as text."""
    (in_tmp / "evil.yaml").write_text(
        'version: 1\ntitle: "[red]x[/red] \\e[2J <script>alert(1)</script>'
        ' & <!--embedded font-->"\n'
        "steps:\n  - state: {}\n"
    )
    result = runner.invoke(app, ["run", "evil.yaml", "--export", "evil.svg"])
    assert result.exit_code == 0, result.output
    for path in in_tmp.glob("evil-*.svg"):
        ET.parse(path)  # noqa: S314 - valid XML: nothing raw got through
        assert "<script>" not in path.read_text()
        assert path.read_text().count("@font-face") == 2
    title = svg_lines(in_tmp / "evil-01.svg")[0]
    assert title == "[red]x[/red] \\x1b[2J <script>alert(1)</script> & <!--embedded font-->"


def test_slide_names_sort_in_order():
    """Two digits up to 99 slides, three from 100: a file list is in slide order."""
    assert slide_path(Path("out/tour.svg"), 3, 13) == Path("out/tour-03.svg")
    assert slide_path(Path("tour.svg"), 7, 120) == Path("tour-007.svg")


def test_the_embedded_font_covers_what_reports_print():
    """Both weights: DejaVu Sans Mono with ASCII, Latin-1, our symbols and Rich's box lines."""
    needed = {chr(c) for c in range(0x20, 0x7F)} | {chr(c) for c in range(0xA0, 0x100)}
    needed |= {getattr(UNICODE, name) for name in UNICODE.__dataclass_fields__}
    for used in (box.ROUNDED, box.SQUARE, box.HEAVY_HEAD, box.SIMPLE_HEAD):
        needed |= set(str(used).replace("\n", "").replace(" ", ""))
    needed |= set("≥≤≠…━█")
    for weight, name in ((400, "Book"), (700, "Bold")):
        font = TTFont(io.BytesIO(font_data(weight)))
        assert font.flavor == "woff2"
        assert font["name"].getDebugName(1) == "DejaVu Sans Mono"
        assert font["name"].getDebugName(2) == name
        assert font["hmtx"]["a"][0] / font["head"].unitsPerEm == ADVANCE
        missing = {ch for ch in needed if ord(ch) not in font.getBestCmap()}
        assert not missing, (weight, sorted(missing))
        assert len(font_data(weight)) < 20_000  # the reason to subset: ~15 KB, not 340 KB


def test_the_font_travels_with_its_licence():
    """The package data takes the fonts and their licence; the licence is Bitstream Vera's."""
    fonts = ROOT / "resilience_cli" / "export" / "fonts"
    licence = (fonts / "LICENSE").read_text()
    assert "Bitstream Vera Fonts Copyright" in licence
    assert "DejaVu changes are in public domain" in licence
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["resilience_cli.export"]
    packaged = {path.name for pattern in patterns for path in fonts.parent.glob(pattern)}
    assert packaged >= {"regular.woff2", "bold.woff2", "LICENSE"}


def test_reverse_video_draws_its_background():
    """A reversed word keeps its box: a rect behind it in the text's colour, the text in white."""
    deck = Deck()
    deck.add(Text.assemble("ab ", ("OPEN", "reverse bold color(196)")))
    (_, document), *_ = export_files(
        deck.slides, Path("r.svg"), ExportMode.SLIDES, title="t", columns=100
    )
    root = ET.fromstring(document)  # noqa: S314
    rects = [rect for rect in root.iter(f"{SVG}rect") if rect.get("fill") == "#ff0000"]
    assert len(rects) == 1
    cell = FONT_SIZE * ADVANCE
    assert float(rects[0].get("width")) == pytest.approx(4 * cell, abs=0.01)
    span = next(s for s in root.iter(f"{SVG}tspan") if s.text == "OPEN")
    assert span.get("fill") == "#ffffff"
    assert float(span.get("x")) == pytest.approx(float(rects[0].get("x")))


def test_json_with_export_prints_only_json(in_tmp):
    """--json --export: stdout is the JSON document alone; the slides are written all the same."""
    result = runner.invoke(
        app, ["run", "fallback", "--virtual-time", "--json", "--export", "f.svg"]
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["schema"] == "resilience-cli/scenario-run"
    assert len(list(in_tmp.glob("f-*.svg"))) > 2


def test_an_unwritable_export_is_one_error_line(in_tmp):
    """A file in the way of the export's folder: `error: cannot write ...`, exit 2."""
    (in_tmp / "taken").write_text("")
    result = runner.invoke(app, ["run", "fallback", "--virtual-time", "--export", "taken/f.svg"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot write taken/f-01.svg: a file is in the way")
    assert len(result.stderr.splitlines()) == 1


def test_the_presenters_prompt_stays_off_the_slides(in_tmp):
    """--interactive --export: `press Enter` is for the presenter, not on any slide."""
    result = runner.invoke(
        app,
        ["run", "fallback", "--virtual-time", "--interactive", "--export", "f.svg"],
        input="\n" * 10,
    )
    assert result.exit_code == 0
    assert "press Enter" in result.stdout
    slides = "".join(path.read_text() for path in in_tmp.glob("f-*.svg"))
    assert "Step 1/" in slides
    assert "press Enter" not in slides


def test_slides_left_from_a_longer_export_are_named_not_deleted(in_tmp):
    """An earlier export's tour-16.svg stays, and the run says it is not from this run."""
    (in_tmp / "tour-16.svg").write_text("an older slide")
    result = runner.invoke(app, ["run", "tour", "--virtual-time", "--export", "tour.svg"])
    assert result.exit_code == 0
    assert (in_tmp / "tour-16.svg").read_text() == "an older slide"
    assert "1 older slide(s) beside them are not from this run" in result.stderr
    assert "tour-16.svg" in result.stderr
