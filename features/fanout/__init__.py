"""The fanout feature of this repository's program (its config, checks and declarations)."""
