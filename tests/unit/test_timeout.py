import pytest

from resilience_cli.errors import ConfigError
from resilience_cli.patterns.timeout import TimeoutConfig, attempt_budget


@pytest.mark.parametrize(
    ("attempt", "now", "deadline", "expected"),
    [
        (10.0, 0.0, None, (10.0, False)),
        (None, 0.0, None, (None, False)),
        (10.0, 0.0, 30.0, (10.0, False)),
        (10.0, 25.0, 30.0, (5.0, True)),
        (None, 25.0, 30.0, (5.0, True)),
        (10.0, 31.0, 30.0, (-1.0, True)),
    ],
)
def test_attempt_budget_is_the_sooner_of_timeout_and_deadline(attempt, now, deadline, expected):
    """Each attempt's timer is min(attempt timeout, deadline left), and says which bound."""
    assert attempt_budget(attempt, now, deadline) == expected


@pytest.mark.parametrize(
    ("kwargs", "field"), [({"attempt": 0}, "timeout.attempt"), ({"total": -1}, "timeout.total")]
)
def test_timeout_config_rejects_nonsense(kwargs, field):
    """A timeout must be positive or off."""
    with pytest.raises(ConfigError) as caught:
        TimeoutConfig(**kwargs)
    assert caught.value.field == field
