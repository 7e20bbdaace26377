"""alphaforge.testing."""
