"""What the gateway's routes and its express lane and streaming share: reading what a caller
may see (statuses, timelines, the home timeline, an account's settings). Routes import from
here and from the presenters, never from one another (tests/unit/test_gateway_layers.py)."""
