"""The package version, kept in one place (read by setuptools and ``alphaforge --version``)."""

__version__ = "0.1.0"
