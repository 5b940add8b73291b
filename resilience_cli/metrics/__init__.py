"""Prometheus metrics of a run, named as Resilience4j's Micrometer binder names them.

- `_meter.py`: `RunMeter` counts calls, attempts, fallbacks and drops as they happen, and
  reads the patterns' gauges (breaker state and rates, bulkhead, limiter) when scraped;
- `_serve.py`: `/metrics` served on 127.0.0.1 during a run, and the final values written
  in node_exporter's textfile format.

`prometheus_client` is imported only when a run asks for metrics (`--metrics-port`,
`--metrics-file`), so the other commands start no slower.
"""

from resilience_cli.metrics._meter import BUCKETS, INSTANCE, RunMeter
from resilience_cli.metrics._serve import MetricsServer, serve_metrics, write_metrics

__all__ = ["BUCKETS", "INSTANCE", "MetricsServer", "RunMeter", "serve_metrics", "write_metrics"]
