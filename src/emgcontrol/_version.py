"""The package version (one home; ``emgcontrol.__version__`` re-exports it)."""

__version__ = "0.1.0.dev0"
