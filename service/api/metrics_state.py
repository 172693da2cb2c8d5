"""Prometheus metrics of one app (its own registry, so several apps in one process never clash).

Per process: with several uvicorn workers each worker answers ``/metrics`` for itself.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, ProcessCollector

__all__ = ["Metrics"]


class Metrics:
    """The service's metrics; gauges about the model are set when ``/metrics`` is read."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        ProcessCollector(registry=r)  # the worker's CPU, memory and start time (process_*)
        #: Which worker process answered (several start within the same hundredth of a second).
        Info("matcher_worker", "The worker process that answered /metrics", registry=r).info({"pid": str(os.getpid())})
        self.requests = Counter(
            "matcher_http_requests",
            "HTTP requests by route template, method and status",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "matcher_http_request_seconds", "Request latency by route template", ["route", "method"], registry=r
        )
        self.model = Info("matcher_model", "The model version served", registry=r)
        self.ready = Gauge("matcher_ready", "1 when the posts and model are loaded", registry=r)
        self.open_posts = Gauge("matcher_open_posts", "Posts that can be suggested today", registry=r)
        self.index_size = Gauge("matcher_index_size", "Posts in the vector index", registry=r)
        self.change_seq = Gauge("matcher_change_seq", "Store change sequence the posts reflect", registry=r)
        self.answers = Gauge(
            "matcher_answers",
            "Suggestion answers since start, by source (live: computed; live_kept: a live list reused; run)",
            ["source"],
            registry=r,
        )
        self.rebuilds = Gauge("matcher_rebuilds", "Full rebuilds of the posts since start", registry=r)
        self.gathered_rounds = Gauge(
            "matcher_gathered_rounds",
            "Rounds of heavy work since start, by work (fresh lists, writes): each computes what waited together",
            ["work"],
            registry=r,
        )
        self.gathered_items = Gauge(
            "matcher_gathered_items",
            "Items those rounds computed (items / rounds: the batch size)",
            ["work"],
            registry=r,
        )
        self.refreshes = Counter("matcher_refreshes", "Background refreshes by result", ["result"], registry=r)
