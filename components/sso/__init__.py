"""IAM Identity Center: groups, permission sets and account assignments from ``org/sso.yaml``."""

from components.sso.identity_center import IdentityCenter, IdentityCenterArgs

__all__ = ["IdentityCenter", "IdentityCenterArgs"]
