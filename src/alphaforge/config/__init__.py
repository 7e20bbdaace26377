"""alphaforge.config."""
