"""The buses feature of this repository's program (its config, checks and declarations)."""
