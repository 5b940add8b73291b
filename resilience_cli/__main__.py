"""`python -m resilience_cli` runs the same command line as `resilience`."""

from resilience_cli.cli import main

main()
