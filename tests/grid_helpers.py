"""Shared by the tests of lab 06's grid: a tiny recipe, tiny data and a record made without training."""
import numpy as np

from labs import experiments
from labs.recipe import recipe

TINY = recipe("quick", width=1 / 16, train_images=64, validation_images=32, test_images=32, batch_size=32)


def tiny_data(seed=0):
    """64/32/32 random CIFAR-shaped images; labels learnable from the mean colour of the image."""
    rng = np.random.default_rng(seed)
    parts = {}
    for split, count in (("train", 64), ("val", 32), ("test", 32)):
        x = rng.integers(0, 256, (count, 32, 32, 3), dtype=np.uint8)
        parts[f"x_{split}"] = x
        parts[f"y_{split}"] = (x.mean(axis=(1, 2, 3)) / 2.56).astype("int64") % 100
    return parts


def fake_record(run, settings, accuracy=0.5):
    return {"run_id": run.run_id, "config": experiments.run_config(run, settings), "test_accuracy": accuracy,
            "best_val_accuracy": accuracy, "epochs": 1, "wall_seconds": 0.01, "images_per_second": 1.0,
            "parameters": 10, "history": {"loss": [1.0], "val_accuracy": [accuracy]}, "versions": {}}
