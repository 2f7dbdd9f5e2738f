"""Pandera models (polars backend) for the canonical tables and, later, each output layout."""
