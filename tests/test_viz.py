import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest

from labs import viz


def test_image_grid_lays_out_grey_and_colour_images():
    figure = viz.image_grid(np.random.rand(10, 8, 8), titles=list(range(10)), ncols=4)
    assert len(figure.axes) == 12
    figure = viz.image_grid(np.random.rand(3, 8, 8, 3), ncols=8)
    assert len(figure.axes) == 3


def test_image_grid_rejects_a_single_image():
    with pytest.raises(ValueError, match=r"N×H×W or N×H×W×C, got shape \(8,\)"):
        viz.image_grid(np.zeros(8))


def test_plot_histories_draws_train_and_validation():
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8]}
    figure = viz.plot_histories({"model": history})
    assert len(figure.axes[0].lines) == 2 and len(figure.axes[1].lines) == 1


def test_save_writes_a_png_under_the_work_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("LABS_WORK_DIR", str(tmp_path / "work"))
    axis = viz.bar_chart(["a", "b"], [1, 2], title="t")
    path = viz.save(axis.figure, "bars")
    assert path == (tmp_path / "work" / "figures" / "bars.png").resolve() and path.stat().st_size > 0
