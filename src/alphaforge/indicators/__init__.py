"""alphaforge.indicators."""
