"""alphaforge.domain."""
