"""Groundwork Pulumi program: everything a stack declares comes from its config."""

from groundwork.cycle_breaker import install

from features.program import build

install()  # the SDK's own dependency cycle check is quadratic and recursive (see the module)
build()
