"""The write bench's message counts, read from a Prometheus exposition."""

from collections import Counter

from loadtests.message_counts import MessageMeter, counts_in

EXPOSITION = """\
# HELP hubbub_service_request_seconds Time to serve one NATS request
# TYPE hubbub_service_request_seconds histogram
hubbub_service_request_seconds_bucket{endpoint="graph.followers.page",le="+Inf"} 7.0
hubbub_service_request_seconds_count{endpoint="graph.followers.page"} 7.0
hubbub_service_request_seconds_sum{endpoint="graph.followers.page"} 0.01
# HELP hubbub_events_processed_total Events handled and acknowledged
# TYPE hubbub_events_processed_total counter
hubbub_events_processed_total{consumer="notify",type="status.created"} 3.0
hubbub_events_processed_total{consumer="notify",type="favourite.created"} 2.0
# HELP hubbub_http_requests_total HTTP requests served by the gateway
# TYPE hubbub_http_requests_total counter
hubbub_http_requests_total{method="POST",status="200"} 9.0
"""


def test_requests_by_verb_and_events_by_consumer() -> None:
    assert counts_in(EXPOSITION) == Counter({"request graph.followers.page": 7,
                                             "event notify": 5})


def test_per_write_keeps_what_grew() -> None:
    before = Counter({"event notify": 5, "valkey commands": 100, "request a": 1})
    after = Counter({"event notify": 25, "valkey commands": 400, "request a": 1,
                     "request b": 10})
    assert MessageMeter.per_write(before, after, 10) == {
        "event notify": 2.0, "request b": 1.0, "valkey commands": 30.0}
