"""Raw -> core: reconciled rows with one meaning per column across platforms (WAREHOUSE.md)."""

from perfmkt_pipeline.transform.core.build import (
    AffiliateRaw,
    CoreRules,
    CoreTables,
    PlatformCore,
    PlatformRaw,
    RawInputs,
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
    "RawInputs",
    "build_core",
]
