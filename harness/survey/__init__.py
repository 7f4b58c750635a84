"""``harness survey``: many projects' own test suites, each measured across the same change."""
