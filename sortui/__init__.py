"""sortui: a keyboard-first terminal tool for SOR, the Danish health-care organisation register."""

__version__ = "0.1.0"
