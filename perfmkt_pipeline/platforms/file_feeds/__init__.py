"""CSV file feeds of any other affiliate network: the reader (feed.py) and the spec (spec.py)
that gives one source per configured feed."""
