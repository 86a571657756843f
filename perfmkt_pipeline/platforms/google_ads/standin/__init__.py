"""The Google Ads API stand-in (server.py: gRPC with TLS on loopback): GAQL parsing (gaql.py),
query plans over the sandbox world (query.py), the customer hierarchy (accounts.py), the
authentication and fault gate (gate.py) and GoogleAdsFailure errors (errors.py). The sandbox
runner starts it from Google Ads' spec (`StandIn(server=True)`); env.py gives the variables the
pipeline needs to call it."""
