"""CNN Labs: the helpers every notebook of the collection shares.

Importing ``labs`` is cheap; Keras and TensorFlow load only when a function needs them.
"""
from .config import data_dir, notice, pick, profile, seed, work_dir
from .environment import setup

__all__ = ["data_dir", "notice", "pick", "profile", "seed", "setup", "work_dir"]
__version__ = "0.1.0"
