"""resilience-cli: show, measure and test resilience patterns from the command line.

The package root stays import-light on purpose: `resilience --help` must not pay for
httpx or the patterns it does not use.
"""

from resilience_cli._version import __version__

__all__ = ["__version__"]
