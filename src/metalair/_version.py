"""The package version, written once (read by setuptools and by metalair.__version__)."""

__version__ = "0.2.0"
