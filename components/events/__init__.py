"""Event platforms: EventBridge event patterns, Pipes, buses and fan-out components."""
