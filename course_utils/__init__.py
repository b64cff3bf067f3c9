"""Helper package for the CNN course companion notebooks.

Import what you need from its modules, e.g. ``from course_utils.env import set_seed``.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
