"""Dagster resources. Nothing here connects or reads a secret until a run uses the resource."""

from __future__ import annotations

from dagster import ConfigurableResource, InitResourceContext
from pydantic import PrivateAttr

from perfmkt_pipeline.warehouse.engine import Warehouse


class WarehouseResource(ConfigurableResource):
    """The warehouse (any SQLAlchemy URL); its schema is created or upgraded on first use."""

    url: str

    _warehouse: Warehouse | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._warehouse = Warehouse(self.url)
        self._warehouse.ensure_schema()

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._warehouse is not None:
            self._warehouse.dispose()

    def get(self) -> Warehouse:
        if self._warehouse is None:  # used outside a run (tests, scripts)
            self.setup_for_execution(None)  # type: ignore[arg-type]
        assert self._warehouse is not None
        return self._warehouse
