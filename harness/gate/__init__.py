"""The gate's parts: its judgement, its remedies, and what it says."""
