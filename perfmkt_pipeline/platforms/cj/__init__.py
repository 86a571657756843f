"""CJ Affiliate commission detail (GraphQL), read by event date (client.py), its spec (spec.py)
and its sandbox stand-in (standin/)."""
