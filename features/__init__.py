"""The Groundwork app's features: each reads its stack config and declares its resources with the library."""
