"""A real colour photo to try convolution and pooling on, with no download.

Introduced in notebook 05 (MLPs on images); notebooks 06-07 convolve and pool it. ``course_utils.data``
names it too, where the notebooks import it from.
"""

from __future__ import annotations

import numpy as np

__all__ = ["sample_photo"]


def sample_photo(size: int = 32) -> np.ndarray:
    """A real colour photo at CIFAR-10's size: matplotlib's bundled portrait of Grace Hopper (no download).

    The top square of the 512×600 picture (her face), resized to size×size with bilinear filtering.
    Returns uint8 (size, size, 3) in channel-last (HWC) order, as image files store it.
    Used by notebooks 05 (flattening) and 06-07 (convolution and pooling on a real image).
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive int, got {size!r}")
    from matplotlib import cbook
    from PIL import Image

    with Image.open(cbook.get_sample_data("grace_hopper.jpg")) as photo:
        side = min(photo.size)
        square = photo.convert("RGB").crop((0, 0, side, side))
        return np.asarray(square.resize((size, size), Image.BILINEAR))
