"""Account bootstrap: service-managed StackSets that prepare every account of the targeted OUs."""

from features.bootstrap.account_bootstrap import (
    AccountBootstrap,
    AccountBootstrapArgs,
    OperationPreferences,
    StackSetTemplate,
)

__all__ = ["AccountBootstrap", "AccountBootstrapArgs", "OperationPreferences", "StackSetTemplate"]
