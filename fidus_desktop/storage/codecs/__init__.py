"""Document <-> domain conversion for each aggregate, shared by every backend."""

from .activity import ActivityCodec
from .clients import ClientCodec
from .investments import InvestmentCodec
from .mt5_accounts import Mt5AccountCodec
from .products import ProductCodec
from .prospects import ProspectCodec

__all__ = ["ActivityCodec", "ClientCodec", "InvestmentCodec", "Mt5AccountCodec", "ProductCodec", "ProspectCodec"]
