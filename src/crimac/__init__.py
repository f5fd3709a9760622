"""crimac: an open, self-hostable Crime Multi-Agency Centre."""

__version__ = "0.1.0"
