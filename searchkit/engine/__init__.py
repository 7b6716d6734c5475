"""The parts of searchkit that speak to Whoosh directly, one job per module."""
