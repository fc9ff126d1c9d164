"""The organization as data, its validator and the ``python -m org`` command line."""
