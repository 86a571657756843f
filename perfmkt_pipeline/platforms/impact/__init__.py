"""impact.com advertiser API: the Actions of each program, read by event day (client.py), its
spec (spec.py) and its sandbox stand-in (standin/)."""
