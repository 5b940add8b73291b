from __future__ import annotations

from pathlib import Path

import pytest
from platforms import NAME_TOO_LONG_IS_ANOTHER_ERROR, NO_PERMISSION_CHECKS

from resilience_cli.errors import EXIT_USAGE, UsageError
from resilience_cli.patterns import BreakerConfig
from resilience_cli.scenarios import (
    ErrorSettings,
    Problem,
    Scenario,
    ScenarioError,
    load_scenario,
    parse_scenario,
)
from resilience_cli.scenarios.metrics import check_pairing, known_metric
from resilience_cli.scenarios.thresholds import ThresholdError, parse_threshold

HEAD = "version: 1\ntitle: t\nsteps:\n"  # steps start on line 4


def problems(text: str, source: str = "t.yaml") -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, source)
    return str(caught.value).splitlines()


def threshold_message(text: str) -> str:
    with pytest.raises(ThresholdError) as caught:
        parse_threshold(text)
    return str(caught.value)


# -- valid files -----------------------------------------------------------------------------


def test_the_full_example_loads(tour_file: Path) -> None:
    """Every key of the format's example arrives where the runner will look for it."""
    scenario = load_scenario(tour_file)
    assert (scenario.version, scenario.title, scenario.seed, scenario.target) == (
        1,
        "Circuit breaker in five minutes",
        42,
        "embedded",
    )
    assert scenario.description == "Watch the breaker open after three failures, then recover.\n"
    assert [(step.name, step.kind) for _, step in scenario.sections()] == [
        ("trip the breaker", "error"),
        ("2-invoke", "invoke"),
        ("3-delay", "delay"),
        ("4-pause", "pause"),
        ("5-state", "state"),
        ("6-force-open", "force-open"),
        ("7-reset", "reset"),
        ("finally-1-reset", "reset"),
    ]
    first = scenario.steps[0]
    assert first.settings == ErrorSettings(count=20, status=500, concurrency=1)
    assert [(e.metric, e.source) for e in first.expectations] == [
        ("breaker.state", "open"),
        ("fallback.breaker_open", "count >= 10"),
        ("latency", "p(95) < 300ms"),
        ("latency", "max < 2s"),
        ("latency", "p(99) < 1s"),
    ]
    assert scenario.resolved_policies(first).breaker == BreakerConfig(failure_threshold=3)


def test_the_full_example_round_trips(tour_text: str) -> None:
    """Dumped with the keys it was given and validated again, a scenario is the same value."""
    scenario = parse_scenario(tour_text, "tour.yaml")
    dumped = scenario.model_dump(mode="json", by_alias=True, exclude_unset=True)
    again = Scenario.model_validate(dumped)
    assert again == scenario
    assert [again.resolved_policies(step) for step in again.steps] == [
        scenario.resolved_policies(step) for step in scenario.steps
    ]


def test_a_minimal_file_takes_every_default() -> None:
    """Only version, title and one step are needed."""
    scenario = parse_scenario(HEAD + "  - state:\n", "t.yaml")
    assert (scenario.seed, scenario.target, scenario.description, scenario.finally_) == (
        0,
        "embedded",
        None,
        (),
    )


def test_a_url_target_is_accepted() -> None:
    """Any http(s) URL may stand in for the embedded upstream."""
    scenario = parse_scenario(
        "version: 1\ntitle: t\ntarget: https://httpbin.org\nsteps: [reset: {}]\n", "t.yaml"
    )
    assert scenario.target == "https://httpbin.org"


def test_anchors_and_merge_keys_are_not_duplicates() -> None:
    """YAML's own reuse (`&anchor`, `<<: *anchor`) works and a merged key may be overridden."""
    text = HEAD + (
        "  - error: &calls {count: 5, concurrency: 2}\n"
        "  - invoke:\n"
        "      <<: *calls\n"
        "      count: 7\n"
    )
    scenario = parse_scenario(text, "t.yaml")
    assert scenario.steps[1].settings.model_dump(exclude_defaults=True) == {
        "concurrency": 2,
        "count": 7,
    }


def test_a_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    """Files saved by editors that write a UTF-8 BOM load as if it were not there."""
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + (HEAD + "  - reset: {}\n").encode())
    assert load_scenario(path).title == "t"


# -- problems: structure -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            HEAD + "  - invoke: {count: 0}\n",
            "t.yaml:4:21 steps[0].invoke.count: must be >= 1",
            id="count-below-one",
        ),
        pytest.param(
            HEAD + "  - invoke: {count: 2.5}\n",
            "t.yaml:4:21 steps[0].invoke.count: must be a whole number",
            id="count-not-whole",
        ),
        pytest.param(
            HEAD + "  - invoke: {count: '5'}\n",
            "t.yaml:4:21 steps[0].invoke.count: must be a whole number",
            id="count-quoted",
        ),
        pytest.param(
            HEAD + "  - error:\n      status: 600\n",
            "t.yaml:5:15 steps[0].error.status: must be <= 599",
            id="status-out-of-range",
        ),
        pytest.param(
            HEAD + "  - delay: {seconds: soon}\n",
            "t.yaml:4:22 steps[0].delay.seconds: must be a number of seconds like 2 or 300ms",
            id="delay-seconds",
        ),
        pytest.param(
            HEAD + "  - invoke:\n      concurency: 3\n",
            (
                "t.yaml:5:7 steps[0].invoke.concurency: unknown key 'concurency';"
                " did you mean 'concurrency'?"
            ),
            id="did-you-mean",
        ),
        pytest.param(
            "version: 1\ntitle: t\ntags: [smoke]\nsteps: [reset: {}]\n",
            (
                "t.yaml:3:1 tags: unknown key 'tags'; expected one of version, title, description,"
                " seed, target, state, defaults, requests, steps, finally"
            ),
            id="unknown-top-level-key",
        ),
        pytest.param(
            HEAD + "  - pause: 3x\n",
            "t.yaml:4:12 steps[0].pause: must be a number of seconds like 2 or 300ms",
            id="pause-bad",
        ),
        pytest.param(
            HEAD + "  - pause: -2\n",
            "t.yaml:4:12 steps[0].pause: must be >= 0",
            id="pause-negative",
        ),
        pytest.param(
            HEAD + "  - pause:\n",
            "t.yaml:4:11 steps[0].pause: must be a number of seconds like 2 or 300ms",
            id="pause-empty",
        ),
        pytest.param(
            HEAD + "  - pause: {}\n",
            "t.yaml:4:12 steps[0].pause.seconds: is required",
            id="pause-mapping-without-seconds",
        ),
        pytest.param(
            HEAD + "  - name: nothing\n",
            (
                "t.yaml:4:5 steps[0]: step needs exactly one of invoke, delay, error, pause, state,"
                " force-open, reset, faults, compare, stress"
            ),
            id="no-kind",
        ),
        pytest.param(
            HEAD + "  - invoke: {}\n    delay: {}\n",
            (
                "t.yaml:5:5 steps[0].delay: step needs exactly one of invoke, delay, error, pause,"
                " state, force-open, reset, faults, compare, stress; it has invoke and delay"
            ),
            id="two-kinds",
        ),
        pytest.param(
            HEAD + "  - invok: {count: 3}\n",
            "t.yaml:4:5 steps[0].invok: unknown key 'invok'; did you mean 'invoke'?",
            id="misspelt-kind",
        ),
        pytest.param(
            HEAD + "  - reset\n",
            "t.yaml:4:5 steps[0]: a step is a mapping: write 'reset: {}', not 'reset'",
            id="bare-kind",
        ),
        pytest.param(
            HEAD + "  - 42\n",
            "t.yaml:4:5 steps[0]: must be a mapping",
            id="step-not-mapping",
        ),
        pytest.param(
            "version: 1\nsteps: [reset: {}]\n",
            "t.yaml:1:1 title: is required",
            id="missing-title",
        ),
        pytest.param(
            "version: 1\ntitle:\nsteps: [reset: {}]\n",
            "t.yaml:2:7 title: must be a string, not null",
            id="empty-title",
        ),
        pytest.param(
            "version: 1\ntitle: t\nsteps: []\n",
            "t.yaml:3:8 steps: must not be empty",
            id="no-steps",
        ),
        pytest.param(
            "version: 1\ntitle: t\nsteps: {reset: {}}\n",
            "t.yaml:3:8 steps: must be a list",
            id="steps-not-list",
        ),
        pytest.param(
            "version: true\ntitle: t\nsteps: [reset: {}]\n",
            "t.yaml:1:10 version: must be 1",
            id="version-yes",
        ),
        pytest.param(
            "version: '1'\ntitle: t\nsteps: [reset: {}]\n",
            "t.yaml:1:10 version: must be 1",
            id="version-text",
        ),
        pytest.param(
            "title: t\nsteps: [reset: {}]\n",
            "t.yaml:1:1 version: is required",
            id="version-missing",
        ),
        pytest.param(
            "version: 1\ntitle: t\nseed: random\nsteps: [reset: {}]\n",
            "t.yaml:3:7 seed: must be a whole number",
            id="seed",
        ),
        pytest.param(
            "version: 1\ntitle: t\ntarget: localhost:8080\nsteps: [reset: {}]\n",
            (
                "t.yaml:3:9 target: must be 'embedded' or an http(s) URL such as"
                " http://127.0.0.1:8080"
            ),
            id="target",
        ),
        pytest.param(
            "version: 1\ntitle: t\ndefaults:\nsteps: [reset: {}]\n",
            "t.yaml:3:10 defaults: must be a mapping, not null",
            id="defaults-null",
        ),
        pytest.param(
            "version: 1\ntitle: t\ndefaults: {concurrency: 0}\nsteps: [reset: {}]\n",
            "t.yaml:3:25 defaults.concurrency: must be >= 1",
            id="defaults-concurrency",
        ),
        pytest.param(
            HEAD + "  - invoke: {mix: '/get:0.5,status:1'}\n",
            "t.yaml:4:19 steps[0].invoke.mix: 'status:1' must be /path:weight with a weight > 0",
            id="mix",
        ),
        pytest.param(
            HEAD + "  - invoke: {mix: ' , '}\n",
            "t.yaml:4:19 steps[0].invoke.mix: must list at least one /path:weight",
            id="mix-empty",
        ),
        pytest.param(
            HEAD + "  - invoke: {mix: '/get:lots'}\n",
            "t.yaml:4:19 steps[0].invoke.mix: weight 'lots' of '/get' is not a number",
            id="mix-weight",
        ),
        pytest.param(
            HEAD + "  - invoke:\n    policies: {rate_limiter: {rate: fast}}\n",
            "t.yaml:5:37 steps[0].policies.rate_limiter.rate: must be a number",
            id="policy-type",
        ),
        pytest.param(
            HEAD + "  - invoke:\n    policies: {retry: {attempts: null}}\n",
            "t.yaml:5:34 steps[0].policies.retry.attempts: must be a whole number, not null",
            id="policy-null-key",
        ),
        pytest.param(
            HEAD + "  - invoke:\n    policies: {retry: {honor_retry_after: 'yes'}}\n",
            "t.yaml:5:43 steps[0].policies.retry.honor_retry_after: must be true or false",
            id="policy-flag",
        ),
        pytest.param(
            HEAD + "  - invoke:\n    policies: {fallback: {static: ok}}\n",
            (
                "t.yaml:5:16 steps[0].policies.fallback: unknown key 'fallback'; expected one of"
                " bulkhead, timeout, retry, rate_limiter, breaker"
            ),
            id="policy-unknown-pattern",
        ),
        pytest.param(
            HEAD + "  - invoke:\n    policies: {breaker: {open: 3}}\n",
            (
                "t.yaml:5:26 steps[0].policies.breaker.open: unknown key 'open'; did you mean"
                " 'open_for'?"
            ),
            id="policy-unknown-key",
        ),
        pytest.param(
            HEAD + "  - invoke:\n    expect: {latency: []}\n",
            "t.yaml:5:23 steps[0].expect.latency: must not be empty",
            id="expect-empty-list",
        ),
        pytest.param(
            HEAD + "  - invoke:\n    expect: {latency: [[p(95) < 1s]]}\n",
            (
                "t.yaml:5:24 steps[0].expect.latency[0]: must be a threshold like 'p(95) < 300ms',"
                " or a mapping with threshold, strict and abort_on_fail"
            ),
            id="expect-nested-list",
        ),
        pytest.param(
            HEAD + "  - invoke:\n    expect: {latency: {threshold: max < 1s, strct: false}}\n",
            (
                "t.yaml:5:45 steps[0].expect.latency.strct: unknown key 'strct'; did you mean"
                " 'strict'?"
            ),
            id="expect-object-unknown-key",
        ),
    ],
)
def test_structural_problems_point_at_the_value(text: str, expected: str) -> None:
    """Each bad value is reported as file:line:col, its key path, and a plain message."""
    assert problems(text) == [expected]


def test_a_newer_version_is_the_only_problem_reported() -> None:
    """Nothing else in a file of another version can be judged, so nothing else is said."""
    assert problems("version: 2\ntitle: 3\nsteps: 4\n") == [
        "t.yaml:1:10 version: unsupported version 2; this resilience-cli reads version 1"
    ]


# -- problems: meaning ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            HEAD + "  - error:\n    policies: {breaker: {open_for: -1}}\n",
            "t.yaml:5:36 steps[0].policies.breaker.open_for: must be >= 0 seconds, got -1.0",
            id="step-policy",
        ),
        pytest.param(
            "version: 1\ntitle: t\ndefaults:\n  policies:\n    timeout: {attempt: 0}\n"
            "steps: [invoke: {}, delay: {}]\n",
            (
                "t.yaml:5:24 defaults.policies.timeout.attempt: must be > 0 seconds"
                " (or null: off), got 0.0"
            ),
            id="default-policy-reported-once",
        ),
        pytest.param(
            HEAD + "  - error:\n    policies: {breaker: {window_size: 5}}\n",
            (
                "t.yaml:5:25 steps[0].policies.breaker: minimum_calls must be between 1 and"
                " window_size 5, got 10 (its default)"
            ),
            id="contradicts-a-default",
        ),
        pytest.param(
            "version: 1\ntitle: t\ndefaults:\n  policies:\n    retry: {max_delay: 1}\n"
            "steps:\n  - delay:\n    policies: {retry: {base_delay: 5s}}\n",
            (
                "t.yaml:5:24 defaults.policies.retry.max_delay: must be >= base_delay 5.0, got 1.0"
                " (merged with steps[0].policies.retry)"
            ),
            id="contradicts-a-step",
        ),
        pytest.param(
            HEAD + "  - state:\n    policies: {retry: null}\n",
            (
                "t.yaml:5:5 steps[0].policies: policies apply to call and stress steps only"
                " (invoke, delay, error, stress), not state"
            ),
            id="policies-on-state",
        ),
        pytest.param(
            HEAD + "  - name: same\n    reset: {}\n  - name: same\n    state: {}\n",
            (
                "t.yaml:6:11 steps[1].name: name 'same' is already used by steps[0];"
                " reports need unique names"
            ),
            id="duplicate-names",
        ),
    ],
)
def test_problems_of_meaning_point_where_the_value_was_set(text: str, expected: str) -> None:
    """Pattern ranges come from the config classes, located in the layer that set them."""
    assert problems(text) == [expected]


def test_a_threshold_syntax_error_points_inside_the_text() -> None:
    """The column is the threshold's own plus where the grammar stumbled, quotes counted."""
    text = HEAD + (
        "  - invoke:\n"
        "    expect:\n"
        "      latency: p(95) < 3xs\n"
        '      latency./get: ["max < 1s", "p(99) <= 2sec"]\n'
    )
    assert problems(text) == [
        f"t.yaml:6:25 steps[0].expect.latency: {threshold_message('p(95) < 3xs')}",
        f"t.yaml:7:45 steps[0].expect.latency./get[1]: {threshold_message('p(99) <= 2sec')}",
    ]


def test_an_unknown_metric_points_at_its_name() -> None:
    """The metric's key is what is wrong, so the problem points at the key."""
    text = HEAD + "  - invoke:\n    expect:\n      requests: 20\n"
    assert problems(text) == [
        f"t.yaml:6:7 steps[0].expect.requests: {known_metric('requests', call_step=True)}"
    ]


def test_steps_without_calls_measure_only_the_breaker_and_time() -> None:
    """`latency` on a pause has nothing to measure; `breaker.state` and `elapsed` do."""
    text = HEAD + (
        "  - pause: 1\n"
        "    expect: {breaker.state: closed, elapsed: 'value < 2s', latency: 'max < 1s'}\n"
    )
    assert problems(text) == [
        f"t.yaml:5:60 steps[0].expect.latency: {known_metric('latency', call_step=False)}"
    ]


def test_a_threshold_that_cannot_fit_its_metric_is_refused() -> None:
    """A count on a breaker state, a rate on latency: judged before anything runs."""
    text = HEAD + (
        "  - invoke:\n"
        "    expect:\n"
        "      breaker.state: count >= 3\n"
        "      latency: {threshold: rate < 0.5}\n"
    )
    state = check_pairing("breaker.state", parse_threshold("count >= 3"))
    latency = check_pairing("latency", parse_threshold("rate < 0.5"))
    assert problems(text) == [
        f"t.yaml:6:22 steps[0].expect.breaker.state: {state}",
        f"t.yaml:7:28 steps[0].expect.latency.threshold: {latency}",
    ]


def test_a_yes_no_value_is_not_an_expectation() -> None:
    """`breaker.state: yes` is YAML's true, which no metric holds; the message says so."""
    text = HEAD + "  - state:\n    expect: {breaker.state: yes}\n"
    [line] = problems(text)
    assert line.startswith("t.yaml:5:29 steps[0].expect.breaker.state: 'true' is a yes/no value")


# -- problems: YAML -------------------------------------------------------------------------------


def test_a_yaml_syntax_error_is_one_problem_at_the_parsers_mark() -> None:
    """The parser stops at the first syntax error; its line, column and words are kept."""
    assert problems("version: 1\ntitle: t: x\n") == [
        "t.yaml:2:9 invalid YAML: mapping values are not allowed here"
    ]


def test_an_unclosed_flow_mapping_names_where_it_began() -> None:
    """The parser's context (where the broken construct started) stays on the one line."""
    assert problems("version: 1\nsteps: [reset: {}\ntitle: t\n") == [
        (
            "t.yaml:3:1 invalid YAML: expected ',' or ']', but got '<scalar>'"
            " (while parsing a flow sequence on line 2)"
        )
    ]


def test_several_documents_are_refused() -> None:
    """One file holds one scenario."""
    [line] = problems("version: 1\n---\nversion: 1\n")
    assert line == (
        "t.yaml:2:1 invalid YAML: but found another document"
        " (expected a single document in the stream on line 1)"
    )


def test_control_characters_are_refused_with_their_position() -> None:
    """PyYAML's reader error has no mark; the position is turned into line and column."""
    assert problems("version: 1\ntitle: a\x07b\n") == [
        "t.yaml:2:9 invalid YAML: character U+0007 is not allowed"
    ]


def test_python_tags_are_refused_not_run() -> None:
    """The safe loader builds plain data only: a python tag is an error, never a call."""
    [line] = problems("version: 1\ntitle: !!python/object/apply:os.getcwd []\n")
    assert line.startswith("t.yaml:2:8 invalid YAML: could not determine a constructor")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            HEAD + "  - invoke:\n      count: 5\n      count: 6\n",
            (
                "t.yaml:6:7 steps[0].invoke.count: duplicate key 'count': already set on line 5,"
                " and YAML would keep only the last"
            ),
            id="in-a-step",
        ),
        pytest.param(
            "version: 1\ntitle: t\ntitle: u\nsteps: [reset: {}]\n",
            (
                "t.yaml:3:1 title: duplicate key 'title': already set on line 2, and YAML would"
                " keep only the last"
            ),
            id="top-level",
        ),
        pytest.param(
            HEAD + "  - invoke: {}\n    expect: {latency: 'max < 1s', 'latency': 'min > 0'}\n",
            (
                "t.yaml:5:35 steps[0].expect.latency: duplicate key 'latency': already set on"
                " line 5, and YAML would keep only the last"
            ),
            id="quoted-the-second-time",
        ),
    ],
)
def test_duplicate_keys_are_errors(text: str, expected: str) -> None:
    """PyYAML keeps the last of two equal keys silently; the loader refuses both."""
    assert problems(text) == [expected]


def test_an_empty_file_says_what_a_scenario_needs() -> None:
    """Nothing (or only comments) is not a scenario."""
    assert problems("# nothing yet\n") == [
        "t.yaml:1:1 the file is empty; a scenario needs version, title, steps"
    ]


def test_a_file_that_is_not_a_mapping_is_refused() -> None:
    """A list of steps alone lacks version and title."""
    assert problems("- reset: {}\n") == [
        "t.yaml:1:1 must be a mapping with version, title and steps"
    ]


# -- problems: files ------------------------------------------------------------------------------


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    """The path as given, and what is wrong with it."""
    path = tmp_path / "nope.yaml"
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value) == f"{path}: no such file"
    assert caught.value.problems == (Problem(str(path), 0, 0, "", "no such file"),)


def test_a_directory_is_not_a_scenario(tmp_path: Path) -> None:
    """Naming a folder gets a plain message, not a traceback."""
    with pytest.raises(ScenarioError, match=r"is a directory, not a scenario file$"):
        load_scenario(tmp_path)


def test_a_directory_is_not_a_scenario_where_opening_it_is_permission_denied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows refuses to open a folder (EACCES): the message still says it is a folder."""
    real_open = Path.open

    def windows_open(self: Path, *args: object, **kwargs: object) -> object:
        if self.is_dir():
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", windows_open)
    with pytest.raises(ScenarioError, match=r"is a directory, not a scenario file$"):
        load_scenario(tmp_path)


@NO_PERMISSION_CHECKS
def test_an_unreadable_file_is_one_line(tmp_path: Path) -> None:
    """A file we may not read says so."""
    path = tmp_path / "secret.yaml"
    path.write_text(HEAD)
    path.chmod(0)
    with pytest.raises(ScenarioError, match=r"cannot be read: permission denied$"):
        load_scenario(path)


@NAME_TOO_LONG_IS_ANOTHER_ERROR
def test_any_other_os_error_is_one_line(tmp_path: Path) -> None:
    """Whatever the OS says (here: the name is too long) is passed on in one line."""
    path = tmp_path / ("x" * 300)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value) == f"{path}: cannot be read: File name too long"


def test_a_file_that_is_not_utf8_points_at_the_byte(tmp_path: Path) -> None:
    """Latin-1 text is refused at the first byte that is not UTF-8."""
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"version: 1\ntitle: caf\xe9\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value) == f"{path}:2:11 is not UTF-8 text (byte 0xe9)"


# -- the error ---------------------------------------------------------------------------------


def test_every_problem_is_reported_in_file_order() -> None:
    """One pass reports all problems, structural and of meaning, sorted by position."""
    text = (
        "version: 1\n"
        "title: t\n"
        "defaults:\n"
        "  concurency: 10\n"
        "  policies: {retry: {attempts: 0}}\n"
        "steps:\n"
        "  - error: {count: 0}\n"
        "    expect: {breaker.stat: open}\n"
        "  - pause: 30x\n"
        "  - invoke: {}\n"
        "    expect: {latency: 'p(95) <'}\n"
        "finally:\n"
        "  - reset: {}\n"
        "    reset: {}\n"
    )
    lines = problems(text)
    assert [line.split(" ", 2)[:2] for line in lines] == [
        ["t.yaml:4:3", "defaults.concurency:"],
        ["t.yaml:5:32", "defaults.policies.retry.attempts:"],
        ["t.yaml:7:20", "steps[0].error.count:"],
        ["t.yaml:8:14", "steps[0].expect.breaker.stat:"],
        ["t.yaml:9:12", "steps[1].pause:"],
        ["t.yaml:11:31", "steps[2].expect.latency:"],
        ["t.yaml:14:5", "finally[0].reset:"],
    ]


def test_sound_parts_are_checked_when_others_are_broken() -> None:
    """A step's policies are judged with the defaults even when another step is broken."""
    text = HEAD + (
        "  - delay:\n"
        "    policies: {retry: {attempts: 0}}\n"
        "    expect: {latency: 'max < 1s', outcome.ok: {threshold: 'rate > 90%', strct: 1}}\n"
        "  - invoke: {count: -1}\n"
    )
    assert [line.split(" ", 2)[:2] for line in problems(text)] == [
        ["t.yaml:5:34", "steps[0].policies.retry.attempts:"],
        ["t.yaml:6:73", "steps[0].expect.outcome.ok.strct:"],
        ["t.yaml:7:21", "steps[1].invoke.count:"],
    ]


def test_policies_wait_for_sound_defaults() -> None:
    """With broken defaults there is nothing to merge a step's policies with, so no guess."""
    text = (
        "version: 1\ntitle: t\n"
        "defaults: {policies: {retry: {attempts: many}}}\n"
        "steps:\n"
        "  - delay:\n"
        "    policies: {retry: {base_delay: 1}}\n"
        "    expect: {breaker.stat: open}\n"
    )
    assert [line.split(" ", 2)[:2] for line in problems(text)] == [
        ["t.yaml:3:41", "defaults.policies.retry.attempts:"],
        ["t.yaml:7:14", "steps[0].expect.breaker.stat:"],
    ]


def test_the_error_is_a_usage_error_with_exit_code_2() -> None:
    """An invalid scenario file is the user's input problem, exit code 2, one line each."""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(HEAD + "  - invoke: {count: 0}\n  - pause: x\n", "ci.yaml")
    error = caught.value
    assert isinstance(error, UsageError)
    assert error.exit_code == EXIT_USAGE
    assert str(error) == "\n".join(str(problem) for problem in error.problems)
    assert error.problems[0] == Problem("ci.yaml", 4, 21, "steps[0].invoke.count", "must be >= 1")


@pytest.mark.parametrize(
    ("problem", "text"),
    [
        (
            Problem("tour.yaml", 14, 5, "steps[2].invoke.count", "must be >= 1"),
            "tour.yaml:14:5 steps[2].invoke.count: must be >= 1",
        ),
        (Problem("tour.yaml", 3, 7, "", "invalid YAML: x"), "tour.yaml:3:7 invalid YAML: x"),
        (Problem("tour.yaml", 0, 0, "", "no such file"), "tour.yaml: no such file"),
    ],
)
def test_a_problem_reads_like_a_compiler_message(problem: Problem, text: str) -> None:
    """`file:line:col key.path: message`, which editors and CI annotations understand."""
    assert str(problem) == text


def test_messages_never_carry_pydantic_jargon() -> None:
    """No URLs and no "Input should be" in anything the loader says."""
    text = HEAD + (
        "  - invoke: {count: x, concurrency: [], mix: 3}\n"
        "    expect: {latency: {threshold: [], strict: 2}}\n"
        "  - error: {status: 1.5}\n"
    )
    joined = "\n".join(problems(text))
    assert "http" not in joined
    assert "Input should" not in joined
    assert "pydantic" not in joined
