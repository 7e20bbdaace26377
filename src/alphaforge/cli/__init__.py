"""alphaforge.cli: the Typer command-line interface (top layer)."""
