"""alphaforge.core."""
