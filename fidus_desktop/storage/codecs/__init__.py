"""Document <-> domain conversion for each aggregate, shared by every backend."""

from .activity import ActivityCodec
from .clients import ClientCodec
from .investments import InvestmentCodec
from .leads import LeadCodec
from .money_managers import MoneyManagerCodec
from .mt5_accounts import Mt5AccountCodec
from .mt5_config import Mt5AccountConfigCodec
from .products import ProductCodec
from .prospects import ProspectCodec
from .readiness import ReadinessCodec
from .redemptions import RedemptionCodec
from .referral_clients import ReferralClientCodec
from .referrals import CommissionCodec, SalespersonCodec

__all__ = ["ActivityCodec", "ClientCodec", "CommissionCodec", "InvestmentCodec", "LeadCodec", "MoneyManagerCodec",
           "Mt5AccountCodec", "Mt5AccountConfigCodec", "ProductCodec", "ProspectCodec", "ReadinessCodec",
           "RedemptionCodec", "ReferralClientCodec", "SalespersonCodec"]
