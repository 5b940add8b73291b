"""`resilience stress`: sustained, open-loop load for a duration, watched as it happens.

- `profile.py`: when arrivals come (a constant rate, or k6-style ramping stages);
- `run.py`: the run itself: arrivals on the clock, calls through the patterns, a series
  of intervals, drops and lateness, the breaker restored and saved.

What the run measures lives in `measure` (`measure.series`), what people see of it in
`reporting` (the series table, the dashboard), the command in `cli.stress`.
"""
