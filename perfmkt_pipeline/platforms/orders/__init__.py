"""First-party orders: the shop's own orders, read from its database (any SQLAlchemy URL) or from
CSV / Parquet exports, landed in raw.orders and reduced to core.orders.

Plain Python, no Dagster: `reader.read_orders` yields validated chunks for a run's window,
`land.land_orders` upserts them into raw in one transaction, `core.local_orders` turns raw
readings into core rows in local currency (transform/orders.py adds FX and builds the marts).
The stand-in (a shop database on MariaDB and its CSV export) is in `standin/`.
"""
