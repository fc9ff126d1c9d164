"""Offline plan: run the real program under Pulumi's mock runtime and record the resource graph."""
