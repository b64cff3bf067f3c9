"""The student edition (``course release --edition``): see build.py, generate.py, bake.py, safety.py."""

__all__: list[str] = []
