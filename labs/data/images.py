"""Real photographs shipped inside scikit-image's wheel (no download), as uint8 RGB arrays."""
from __future__ import annotations

import numpy as np

# Our name -> scikit-image loader; every one is a file in skimage/data, read without pooch.
SAMPLE_IMAGES = {
    "cat": "chelsea",
    "coffee": "coffee",
    "camera": "camera",
    "astronaut": "astronaut",
    "rocket": "rocket",
    "coins": "coins",
    "moon": "moon",
    "hubble": "hubble_deep_field",
    "ihc": "immunohistochemistry",
    "retina": "retina",
}


def sample_image_names() -> list[str]:
    """The names ``sample_image`` accepts."""
    return list(SAMPLE_IMAGES)


def sample_image(name: str) -> np.ndarray:
    """A real photo as uint8 RGB (H, W, 3); greyscale ones ("camera", "coins", "moon") are repeated ×3."""
    if name not in SAMPLE_IMAGES:
        raise ValueError(f"name={name!r} is not a sample image; use one of {', '.join(SAMPLE_IMAGES)}")
    import skimage.data

    image = np.asarray(getattr(skimage.data, SAMPLE_IMAGES[name])())
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return np.ascontiguousarray(image[..., :3], dtype=np.uint8)
