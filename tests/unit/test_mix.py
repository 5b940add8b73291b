import pytest

from resilience_cli.mix import parse_mix, parse_status
from resilience_cli.request import Request


def paths(text: str) -> list[tuple[str, float]]:
    return [(request.path, request.weight) for request in parse_mix(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "/get:0.6,/delay/3:0.2,/status/500:0.2",
            [("/get", 0.6), ("/delay/3", 0.2), ("/status/500", 0.2)],
        ),
        ("/get, /delay/1", [("/get", 1.0), ("/delay/1", 1.0)]),
        ("/status/200,500:1", [("/status/200,500", 1.0)]),
        ("/status/200,500", [("/status/200,500", 1.0)]),
        ("/get:3,/status/200,500:1", [("/get", 3.0), ("/status/200,500", 1.0)]),
        ("/status/200:0.7,500:0.3:2", [("/status/200:0.7,500:0.3", 2.0)]),
        ("/get:1000000", [("/get", 1_000_000.0)]),
    ],
)
def test_a_comma_before_a_slash_starts_an_item_any_other_stays_in_the_path(text, expected):
    """Httpbin's status lists fit in a path; the weight follows an item's last colon."""
    assert paths(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/get:1e308,/get:1e308", "weight '1e308' of '/get' is too large; at most 1,000,000"),
        ("/get:0.5,status:1", "'status:1' must be /path:weight with a weight > 0"),
        ("/get:0", "'/get:0' must be /path:weight with a weight > 0"),
        ("/get:inf", "'/get:inf' must be /path:weight with a weight > 0"),
        ("/get:\u0663", "weight '\u0663' of '/get' is not a number"),
        (" , ", "must list at least one /path:weight"),
    ],
)
def test_bad_mixes_name_the_item(text, message):
    """A weight too large for a finite total, a path without '/', a non-ASCII digit."""
    with pytest.raises(ValueError, match=message):
        parse_mix(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (500, "500"),
        ("503", "503"),
        ("200,500", "200,500"),
        (" 200:0.7 , 500:0.3 ", "200:0.7,500:0.3"),
    ],
)
def test_a_status_is_a_code_or_a_choice_of_codes(value, expected):
    """As httpbin reads `/status/{codes}`: one code, a list, or a weighted list."""
    assert parse_status(value) == expected


def test_a_status_choice_is_one_endpoint():
    """The whole choice is one path, so it is one row of the report."""
    assert parse_mix(f"/status/{parse_status('200,500')}") == (Request("/status/200,500"),)
