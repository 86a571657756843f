"""LoopAds: an ad platform defined outside perfmkt_pipeline (the acceptance test of issue #16).

Its JSON API (standin.py serves it on loopback): `GET /v1/accounts/<id>` describes an account;
`GET /v1/accounts/<id>/report?since=YYYY-MM-DD&until=YYYY-MM-DD` gives its daily campaign rows.
Bearer token from $LOOPADS_TOKEN.
"""
