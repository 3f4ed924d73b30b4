"""Claim clusters: mentions that make the same claim, grouped as they are scored."""
