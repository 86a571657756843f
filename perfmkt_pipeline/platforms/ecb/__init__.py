"""ECB euro reference rates: the historical file's download and parsing (client.py), its raw
table (tables.py), its landing (sync.py), its spec (spec.py) and its sandbox stand-in
(standin/)."""
