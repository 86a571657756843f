"""The orders stand-in: a shop whose order stream is consistent with the sandbox's ad platforms
(stream.py), served from a real MariaDB database (mariadb.py) and as a CSV export (export.py),
with its ground truth (truth.py)."""
