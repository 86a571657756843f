"""The Google Ads API stand-in (server.py: gRPC with TLS on loopback): GAQL parsing (gaql.py),
query plans over the sandbox world (query.py), the customer hierarchy (accounts.py), the
authentication and fault gate (gate.py) and GoogleAdsFailure errors (errors.py), beside the
OAuth token endpoint that issues its access tokens (oauth.py). Its data: the generated
campaigns and days (generation.py) and the rows served of them (data.py); sandbox.py is its
part of the sandbox (presets, faults, credentials, ground-truth rows). The sandbox runner starts
it from Google Ads' spec (`StandIn(server=True)`); env.py gives the variables the pipeline needs
to call it."""
