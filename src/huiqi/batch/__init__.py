"""Proactive matching (免申即享) over a whole registry: rules compiled to Polars or Spark column expressions."""
