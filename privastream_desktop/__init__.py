"""PrivaStream Desktop: on-device privacy filter for live streams and recordings."""

__version__ = "0.1.0"
