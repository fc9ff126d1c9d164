"""Sub-commands of ``python -m org`` that read or change the org data (validate, vend, list, diagram)."""
