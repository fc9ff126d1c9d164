"""``python -m org adopt``: read a live AWS Organization and write it as Groundwork's data files."""
