import json

import pytest

from resilience_cli import redact
from resilience_cli.mix import parse_mix
from resilience_cli.request import Request, UndefinedVariableError, variables


@pytest.fixture(autouse=True)
def no_secrets():
    """Each test starts with no remembered secret, and leaves none behind."""
    redact.forget_secrets()
    yield
    redact.forget_secrets()


def test_a_variable_expands_in_headers_query_and_body():
    """`${VAR}` is filled in from the environment in header values, query values and body."""
    request = Request(
        "/anything",
        "POST",
        headers=(("Authorization", "Bearer ${TOKEN}"),),
        query=(("user", "${USER_ID}"),),
        body="id=${USER_ID}",
    )
    made = request.expanded({"TOKEN": "s3cr3t-token", "USER_ID": "4711"})
    assert made.headers == (("Authorization", "Bearer s3cr3t-token"),)
    assert made.query == (("user", "4711"),)
    assert made.body == "id=4711"
    assert request.headers == (("Authorization", "Bearer ${TOKEN}"),)  # a value: unchanged


def test_an_undefined_variable_names_itself_and_not_a_value():
    """A variable the environment lacks is an error that names it, where it was used."""
    request = Request("/get", headers=(("X-Api-Key", "${API_KEY}"),))
    with pytest.raises(UndefinedVariableError, match=r"header X-Api-Key: \$\{API_KEY\} is not set"):
        request.expanded({})


@pytest.mark.parametrize("text", ["${}", "${1X}", "${OPEN", "${A B}"])
def test_a_malformed_variable_is_refused(text):
    """`${` must be followed by a name and `}`; `$$` is the way to send a literal `$`."""
    with pytest.raises(ValueError, match="is not a variable"):
        Request("/get", body=text).expanded({"A": "x"})


def test_dollar_dollar_is_a_literal_dollar_and_a_lone_dollar_stays():
    """`$$` sends `$`, and a `$` that starts no variable is sent as is."""
    made = Request("/get", body="cost: $$5, $5").expanded({})
    assert made.body == "cost: $5, $5"


def test_a_json_body_takes_values_inside_its_strings_without_breaking():
    """A value with quotes cannot break the JSON it lands in: it is a string's content."""
    request = Request("/anything", "POST", json=json.dumps({"note": "${NOTE}", "n": 1}))
    made = request.expanded({"NOTE": 'say "hi"\n'})
    assert json.loads(made.json or "") == {"note": 'say "hi"\n', "n": 1}
    assert made.send_headers() == [("Content-Type", "application/json")]


def test_expanded_values_are_secrets_every_output_masks():
    """A value from the environment is masked by `redact`, raw and JSON-escaped alike."""
    Request("/get", headers=(("Cookie", "${C}"),)).expanded({"C": 'sess"ion-42'})
    assert redact.redact('the cookie was sess"ion-42') == "the cookie was ***"
    assert redact.redact(json.dumps({"c": 'sess"ion-42'})) == '{"c": "***"}'


def test_a_short_value_is_not_hunted_in_free_text():
    """A value under 4 characters is not searched for: masking every `42` would garble text."""
    Request("/get", query=(("n", "${N}"),)).expanded({"N": "42"})
    assert redact.redact("42 calls") == "42 calls"


@pytest.mark.parametrize(
    ("header", "secret"),
    [
        ("Authorization", True),
        ("cookie", True),
        ("X-Api-Key", True),
        ("X-Auth-Token", True),
        ("X-Client-Secret", True),
        ("Accept", False),
        ("X-Monkey", False),
    ],
)
def test_secret_headers_are_known_by_name(header, secret):
    """Authorization, Cookie, X-Api-Key and names with a secret word hold credentials."""
    assert redact.is_secret_header(header) is secret


def test_a_described_request_masks_secret_headers():
    """What the log says of a request shows `***` for a secret header's value."""
    request = Request(
        "/anything",
        "POST",
        name="create",
        headers=(("Authorization", "Bearer abc"), ("Accept", "text/plain")),
        ok_status=frozenset({201, 200}),
    )
    assert request.described() == {
        "name": "create",
        "method": "POST",
        "path": "/anything",
        "headers": {"Authorization": "***", "Accept": "text/plain"},
        "ok_status": [200, 201],
    }


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("Bad Name", "x", "is not a header name"),
        ("X-Line", "a\r\nInjected: yes", "line break"),
        ("X-Wide", "snow ☃", "not Latin-1"),
    ],
)
def test_a_header_http_cannot_carry_is_refused_without_quoting_its_value(name, value, problem):
    """A header name must be a token and a value one line of Latin-1; the value is not quoted."""
    with pytest.raises(ValueError, match=problem) as caught:
        Request("/get", headers=((name, "${V}"),)).expanded({"V": value})
    assert value not in str(caught.value)


def test_the_label_is_the_name_else_the_path_else_method_and_path():
    """Reports name a request by its name, its path for GET, or `METHOD path`."""
    assert Request("/get").label == "/get"
    assert Request("/anything", "POST").label == "POST /anything"
    assert Request("/anything", "POST", name="create").label == "create"


def test_the_mix_makes_weighted_get_requests():
    """`--mix` gives GET requests weighted as written."""
    assert parse_mix("/get:3,/status/500") == (
        Request("/get", weight=3.0),
        Request("/status/500", weight=1.0),
    )


def test_variables_lists_the_names_in_order():
    """`variables` finds each `${NAME}`, and not `$$` or a lone `$`."""
    assert variables("${A}-$${B}-$5-${C}") == ["A", "C"]
