"""IAM Identity Center: groups, permission sets and account assignments from ``org/sso.yaml``."""

from features.sso.identity_center import IdentityCenter, IdentityCenterArgs

__all__ = ["IdentityCenter", "IdentityCenterArgs"]
