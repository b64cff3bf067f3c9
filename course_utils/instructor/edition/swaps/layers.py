"""What the student edition's course_utils/layers.py lacks: conv2d_forward_naive, the convolution written as
the loops exercise 6.2 asks for (the instructor's tests and benchmarks use it; the notebooks do not).
"""

__all__: list[str] = []

DROP = ("conv2d_forward_naive",)
