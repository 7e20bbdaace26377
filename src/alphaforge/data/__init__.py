"""alphaforge.data."""
