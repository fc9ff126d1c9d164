"""The EventBridge engines: event patterns, input templates and sample events.

They import no pulumi_aws (tests/packaging/test_pure_engines.py), so the policy pack uses them
without loading the provider SDK.
"""
