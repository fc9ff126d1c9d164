"""Sub-commands of ``python -m org`` that are not part of the organization data itself."""
