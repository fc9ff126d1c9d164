"""Groundwork component resources: one module or package per AWS concern."""
