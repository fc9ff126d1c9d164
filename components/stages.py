"""The stack-context vocabulary: the stages and usages a stack may have.

One definition for the library's context validation and the policy pack's defaults (the pack
imports it from the installed library without the components, so it imports nothing).
"""

STAGES = ("dev", "test", "staging", "prod", "sandbox")
USAGES = ("EPHEMERAL", "POC", "PRODUCTION")
NON_PRODUCTION_STAGES = ("dev", "sandbox")  # the only stages whose stacks may be EPHEMERAL or POC
