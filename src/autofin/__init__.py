"""autofin: the car-loan system and back office of an auto-finance institution."""

__version__ = "0.1.0"
