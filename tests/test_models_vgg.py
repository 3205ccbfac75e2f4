"""labs.models.vgg: VGG16/VGG19 from keras.applications, weights lookup, ImageNet class names."""
import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import labs.models
from labs.models import imagenet as imagenet_module
from labs.models.imagenet import (
    MissingWeightsError,
    cached_weights_path,
    decode_predictions,
    imagenet_labels,
    weights_cached,
    weights_file,
)

CLASS_INDEX = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "imagenet_class_index.json"
needs_class_index = pytest.mark.skipif(not CLASS_INDEX.is_file(), reason=f"no local class index at {CLASS_INDEX}")


@pytest.fixture
def empty_caches(tmp_path, monkeypatch):
    """Keras's cache and the data directory point at empty folders; downloads forbidden."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("LABS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LABS_OFFLINE", "1")
    return tmp_path


# --- building the networks -------------------------------------------------------------

@pytest.mark.parametrize("depth, parameters, conv_parameters", [(16, 138_357_544, 14_714_688),
                                                                (19, 143_667_240, 20_024_384)])
def test_random_weights_have_the_published_parameter_counts(depth, parameters, conv_parameters):
    model = labs.models.vgg(depth, weights=None)
    assert model.count_params() == parameters
    assert model.input_shape == (None, 224, 224, 3) and model.output_shape == (None, 1000)
    assert sum(layer.count_params() for layer in model.layers if "conv" in layer.name) == conv_parameters
    assert model.get_layer("fc1").count_params() == 7 * 7 * 512 * 4096 + 4096


def test_without_the_top_it_is_a_feature_extractor_of_any_size():
    model = labs.models.vgg(16, weights=None, include_top=False)
    assert model.count_params() == 14_714_688
    features = model.predict(np.zeros((1, 64, 96, 3), "float32"), verbose=0)
    assert features.shape == (1, 2, 3, 512)


def test_the_function_stays_reachable_after_its_module_is_imported():
    import labs.models.imagenet  # noqa: F401  (binds the submodule on the package)

    script = "import labs.models as m, labs.models.imagenet; print(m.vgg.__name__, callable(m.vgg))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "vgg True", result.stderr


@pytest.mark.parametrize("depth", [11, 13, 0, "16", 16.5, True, None])
def test_depth_other_than_16_or_19_is_a_value_error(depth):
    with pytest.raises(ValueError, match=r"depth must be 16 or 19.*got"):
        labs.models.vgg(depth, weights=None)


def test_bad_weights_and_include_top():
    with pytest.raises(ValueError, match="weights must be 'imagenet', None or the path"):
        labs.models.vgg(16, weights=3)
    with pytest.raises(FileNotFoundError, match="is not a file"):
        labs.models.vgg(16, weights="no/such/file.h5")
    with pytest.raises(TypeError, match="include_top must be True or False"):
        labs.models.vgg(16, weights=None, include_top="yes")


# --- the ImageNet weights: lookup without download, clear error offline ---------------------

def test_weights_files_are_keras_own():
    spec = weights_file(16)
    assert spec.name == "vgg16_weights_tf_dim_ordering_tf_kernels.h5"
    assert spec.md5 == "64373286793e3c8b2b4e3219cbf3544b" and spec.size_bytes == 553_467_096
    assert spec.url.startswith("https://storage.googleapis.com/tensorflow/keras-applications/vgg16/")
    assert weights_file(19).md5 == "cbe5617147190e668d6c5d5026f83318"
    assert weights_file(19, include_top=False).name == "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
    # The same names and sums as the Keras source that does the download.
    import inspect

    import keras.src.applications.vgg16 as keras_vgg16
    import keras.src.applications.vgg19 as keras_vgg19

    for depth, source in ((16, keras_vgg16), (19, keras_vgg19)):
        text = inspect.getsource(source)
        for include_top in (True, False):
            spec = weights_file(depth, include_top)
            assert spec.name in text and spec.md5 in text and spec.url.split("/")[-1] in text


def test_offline_without_weights_raises_a_message_that_says_what_and_where(empty_caches):
    assert not weights_cached(16) and cached_weights_path(19) is None
    with pytest.raises(MissingWeightsError) as error:
        labs.models.vgg(16)
    message = str(error.value)
    assert isinstance(error.value, FileNotFoundError)
    for part in ("vgg16_weights_tf_dim_ordering_tf_kernels.h5", "553,467,096 bytes",
                 "64373286793e3c8b2b4e3219cbf3544b", str(empty_caches / "keras" / "models"),
                 str(empty_caches / "data" / "models"), "KERAS_HOME", "LABS_OFFLINE=1", "weights=None",
                 "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"):
        assert part in message, part
    with pytest.raises(MissingWeightsError, match=r"vgg19_weights_tf_dim_ordering_tf_kernels_notop\.h5 \(about 80 MB"):
        labs.models.vgg(19, include_top=False)
    assert not list((empty_caches / "keras").rglob("*.h5")), "nothing may be downloaded or created"


def test_a_file_in_the_cache_is_found_without_download(empty_caches):
    folder = empty_caches / "keras" / "models"
    folder.mkdir(parents=True)
    (folder / weights_file(19).name).write_bytes(b"")
    assert weights_cached(19) and cached_weights_path(19) == folder / weights_file(19).name
    assert not weights_cached(16) and not weights_cached(19, include_top=False)


def test_weights_in_the_data_directory_are_md5_checked_by_keras_and_loaded(empty_caches, monkeypatch):
    """A hand-placed file in <data dir>/models goes through keras.utils.get_file's hash check."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    source = labs.models.vgg(16, weights=None, include_top=False)
    folder = empty_caches / "data" / "models"
    folder.mkdir(parents=True)
    spec = weights_file(16, include_top=False)
    with h5py.File(folder / spec.name, "w") as handle:
        legacy_h5_format.save_weights_to_hdf5_group(handle, source)
    digest = hashlib.md5((folder / spec.name).read_bytes()).hexdigest()
    # The real file's md5 cannot match these random weights: check with this file's own md5.
    monkeypatch.setitem(imagenet_module._WEIGHTS, (16, False), spec._replace(md5=digest))
    loaded = labs.models.vgg(16, include_top=False)
    for expected, got in zip(source.weights, loaded.weights):
        np.testing.assert_array_equal(np.asarray(expected), np.asarray(got))


# --- ImageNet class names and decoding -------------------------------------------------------

@needs_class_index
def test_labels_from_a_local_class_index():
    labels = imagenet_labels(CLASS_INDEX)
    assert len(labels) == 1000
    assert (labels[281], labels[282], labels[285]) == ("tabby", "tiger_cat", "Egyptian_cat")
    assert labels[0] == "tench" and labels[999] == "toilet_tissue"


@needs_class_index
def test_labels_found_in_the_data_directory(empty_caches):
    (empty_caches / "data").mkdir()
    (empty_caches / "data" / "imagenet_class_index.json").write_bytes(CLASS_INDEX.read_bytes())
    assert imagenet_labels()[281] == "tabby"


def test_labels_offline_without_a_file_is_a_clear_error(empty_caches):
    with pytest.raises(FileNotFoundError, match=r"imagenet_class_index\.json was not found.*md5 c2c37ea5.*LABS_OFFLINE=1"):
        imagenet_labels()
    with pytest.raises(FileNotFoundError, match="no such ImageNet class index file"):
        imagenet_labels(empty_caches / "missing.json")


def test_a_malformed_class_index_is_a_value_error(tmp_path):
    path = tmp_path / "index.json"
    path.write_text('{"0": ["n0", "a"]}')
    with pytest.raises(ValueError, match="must map the keys '0'..'999'"):
        imagenet_labels(path)
    path.write_text("not json")
    with pytest.raises(ValueError, match="not a readable JSON class index"):
        imagenet_labels(path)


@needs_class_index
def test_decode_orders_the_top_five_by_probability():
    probabilities = np.full((2, 1000), 1e-4)
    probabilities[0, [285, 281, 282, 7, 999, 3]] = [0.30, 0.25, 0.20, 0.10, 0.05, 0.01]
    probabilities[1, 0] = 0.9
    decoded = decode_predictions(probabilities, path=CLASS_INDEX)
    assert len(decoded) == 2 and len(decoded[0]) == 5
    assert [p.index for p in decoded[0]] == [285, 281, 282, 7, 999]
    assert [p.label for p in decoded[0]] == ["Egyptian_cat", "tabby", "tiger_cat", "cock", "toilet_tissue"]
    assert decoded[0][1].wnid == "n02123045"
    np.testing.assert_allclose([p.probability for p in decoded[0]], [0.30, 0.25, 0.20, 0.10, 0.05])
    assert decoded[1][0].index == 0 and decoded[1][0].label == "tench"
    assert [p.index for p in decode_predictions(probabilities, top=1, path=CLASS_INDEX)[0]] == [285]


@needs_class_index
@pytest.mark.parametrize("shape, hint", [((1000,), r"use preds\[None\]"), ((1, 10), ""), ((2, 1000, 1), ""),
                                         ((), "")])
def test_decode_rejects_bad_shapes(shape, hint):
    with pytest.raises(ValueError, match=r"preds must have shape \(N, 1000\), got .*" + hint):
        decode_predictions(np.zeros(shape), path=CLASS_INDEX)


@needs_class_index
@pytest.mark.parametrize("top", [0, 1001, 2.0, True])
def test_decode_rejects_bad_top(top):
    with pytest.raises(ValueError, match="top must be an int from 1 to 1000"):
        decode_predictions(np.zeros((1, 1000)), top=top, path=CLASS_INDEX)
