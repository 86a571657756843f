"""Awin advertiser API: transactions by transaction date (client.py), its spec (spec.py) and its
sandbox stand-in (standin/)."""
