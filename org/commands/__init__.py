"""Sub-commands of ``python -m org``: the org data (validate, vend, list, diagram) and event patterns."""
