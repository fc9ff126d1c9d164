"""Groundwork's CrossGuard policies, one module per area; ``policies/__main__.py`` assembles them."""
