"""The package version, written once (read by setuptools and by metalair.__version__)."""

__version__ = "0.3.0.dev0"
