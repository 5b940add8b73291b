import pytest

from resilience_cli.redact import is_secret_key, redact, redact_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:pw@host", "http://user:***@host"),
        ("https://user:pw@host:8443/base?x=1", "https://user:***@host:8443/base?x=1"),
        ("http://user:p@ss@host/get", "http://user:***@host/get"),
        ("http://user:p w@h", "http://user:***@h"),
        ("http://user@host", "http://user@host"),
        ("http://:pw@host", "http://:***@host"),
        ("user:pw@host", "user:***@host"),
        ("http://host/?token=abc&x=1", "http://host/?token=***&x=1"),
        ("http://host/?TOKEN=abc", "http://host/?TOKEN=***"),
        (
            "http://h/?api_key=1&apikey=2&access_token=3&sig=4",
            "http://h/?api_key=***&apikey=***&access_token=***&sig=***",
        ),
        (
            "http://h/?client_secret=s&X-Api-Key=k&password=p&pass=q&auth=a",
            "http://h/?client_secret=***&X-Api-Key=***&password=***&pass=***&auth=***",
        ),
        ("http://h/?signature=s#frag", "http://h/?signature=***#frag"),
        ("http://h/?monkey=banana&keyword=k", "http://h/?monkey=banana&keyword=k"),
        ("http://h/?token=", "http://h/?token="),
        ("http://h/path@x", "http://h/path@x"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("embedded", "embedded"),
    ],
)
def test_redact_url_hides_the_password_and_secret_query_values(url, shown):
    """The password and token-like query values become `***`; everything else stays."""
    assert redact_url(url) == shown


def test_redact_finds_urls_inside_any_text():
    """An error message quoting a URL is redacted in place, the rest untouched."""
    text = "--base-url 'ftp://me:s3cret@x/?key=k' must be http; see http://ok.example/a"
    assert (
        redact(text) == "--base-url 'ftp://me:***@x/?key=***' must be http; see http://ok.example/a"
    )


def test_redact_leaves_text_without_urls_alone():
    """A sentence with `@` and `:` but no URL is not a URL."""
    text = "user:pw@host is not a URL here; mail me@example.org"
    assert redact(text) == text


@pytest.mark.parametrize(
    ("key", "secret"),
    [("token", True), ("Auth", True), ("refresh-token", True), ("sort", False), ("passage", False)],
)
def test_secret_keys_are_told_by_their_words(key, secret):
    """A key is secret when one of its words names a credential."""
    assert is_secret_key(key) is secret
