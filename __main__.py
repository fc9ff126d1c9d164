"""Groundwork Pulumi program: everything a stack declares comes from its config."""

from components.program import build

build()
