"""The Google Ads account hierarchy as the stand-in's API shows it, and who may access what.

Built from the World: its managers (MCCs) are the customers the sandbox's OAuth user can access
directly (what `ListAccessibleCustomers` returns), together with any account that has no
manager. Every other account, sub-managers and cancelled accounts included, hangs below a manager
and is reached by naming that manager (or one above it) in the `login-customer-id` header.
"""

from __future__ import annotations

from dataclasses import dataclass

from perfmkt_pipeline.platforms.google_ads.standin import data
from perfmkt_pipeline.platforms.google_ads.standin.errors import AdsRpcError, authorization_error
from perfmkt_pipeline.sandbox.world import World

GOOGLE_ADS = "google_ads"
CANCELED = "CANCELED"


@dataclass(frozen=True)
class AdsCustomer:
    customer_id: str
    name: str
    currency: str
    timezone: str
    manager: bool
    status: str  # CustomerStatusEnum name: ENABLED | CANCELED | ...
    parent_id: str | None  # the manager directly above it; None for top-level customers


class CustomerDirectory:
    """Customers and their hierarchy, from one World (cheap: build one per request)."""

    def __init__(self, world: World):
        self._customers: dict[str, AdsCustomer] = {}
        for m in data.managers(world):
            self._customers[m.customer_id] = AdsCustomer(
                m.customer_id, m.name, m.currency, m.timezone, True, "ENABLED", None
            )
        for a in world.all_accounts(GOOGLE_ADS):
            self._customers[a.account_id] = AdsCustomer(
                a.account_id,
                a.name,
                a.currency,
                a.timezone,
                a.is_manager,
                a.status,
                a.manager_id,
            )
        self._children: dict[str, list[AdsCustomer]] = {}
        for c in self._customers.values():
            if c.parent_id is not None:
                self._children.setdefault(c.parent_id, []).append(c)

    def get(self, customer_id: str) -> AdsCustomer | None:
        return self._customers.get(customer_id)

    def accessible(self) -> list[AdsCustomer]:
        """Customers the OAuth user can access without a login-customer-id."""
        return [c for c in self._customers.values() if c.parent_id is None]

    def hierarchy(self, customer_id: str) -> list[tuple[AdsCustomer, int]]:
        """The customer (level 0) and everything below it with its depth, parents first."""
        out: list[tuple[AdsCustomer, int]] = []
        stack = [(self._customers[customer_id], 0)]
        while stack:
            customer, level = stack.pop(0)
            out.append((customer, level))
            stack.extend(
                (child, level + 1) for child in self._children.get(customer.customer_id, [])
            )
        return out

    def is_within(self, customer_id: str, ancestor_id: str) -> bool:
        """True if `customer_id` is `ancestor_id` or somewhere below it."""
        current = self._customers.get(customer_id)
        while current is not None:
            if current.customer_id == ancestor_id:
                return True
            current = self._customers.get(current.parent_id) if current.parent_id else None
        return False

    def authorize(self, customer_id: str, login_customer_id: str | None) -> AdsCustomer:
        """The customer a call may act on, or raise the error the API gives.

        The login customer must be one the user reaches directly and must contain the customer;
        without one, the customer itself must be directly accessible. A cancelled account is
        refused after the permission check, as the API does.
        """
        denied = _permission_denied(customer_id, login_customer_id)
        customer = self._customers.get(customer_id)
        if customer is None:
            raise denied
        if login_customer_id is None:
            if customer.parent_id is not None:
                raise denied
        else:
            login = self._customers.get(login_customer_id)
            if login is None or login.parent_id is not None:
                raise denied
            if not self.is_within(customer_id, login_customer_id):
                raise denied
        if customer.status == CANCELED:
            raise AdsRpcError(
                authorization_error(
                    "CUSTOMER_NOT_ENABLED",
                    "The customer account can't be accessed because it is not yet enabled or "
                    "has been deactivated.",
                )
            )
        return customer


def _permission_denied(customer_id: str, login_customer_id: str | None) -> AdsRpcError:
    hint = (
        " If you're accessing a client customer, the manager's customer id must be set in the "
        "'login-customer-id' header."
        if login_customer_id is None
        else ""
    )
    return AdsRpcError(
        authorization_error(
            "USER_PERMISSION_DENIED",
            f"User doesn't have permission to access customer {customer_id}.{hint}",
        )
    )
