"""U-Gen: one product image in, a finished UGC-style video ad out."""

__version__ = "0.1.0"
