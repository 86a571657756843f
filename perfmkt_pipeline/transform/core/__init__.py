"""Raw -> core: reconciled rows with one meaning per column across platforms (WAREHOUSE.md)."""

from perfmkt_pipeline.transform.core.build import (
    AffiliateRaw,
    CoreInputs,
    CoreRules,
    CoreTables,
    PlatformCore,
    PlatformRaw,
    build_core,
)
from perfmkt_pipeline.transform.core.common import CoreDataError

__all__ = [
    "AffiliateRaw",
    "CoreDataError",
    "CoreRules",
    "CoreTables",
    "PlatformCore",
    "PlatformRaw",
    "CoreInputs",
    "build_core",
]
