"""Layout detection, pairing, broken files and deterministic splits on tiny fixture folders."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scsonet.data import DatasetError, detect_layout, index_dataset, load_dataset, to_input


def _img(path: Path, size=(8, 6), color=(200, 100, 50)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)


def _mask(path: Path, size=(8, 6)):
    path.parent.mkdir(parents=True, exist_ok=True)
    a = np.zeros((size[1], size[0]), np.uint8)
    a[1:4, 2:6] = 255
    Image.fromarray(a).save(path)


def test_isic2017_layout(tmp_path):
    _img(tmp_path / "ISIC-2017_Training_Data" / "ISIC_0000001.jpg")
    _img(tmp_path / "ISIC-2017_Training_Data" / "ISIC_0000001_superpixels.png")
    _mask(tmp_path / "ISIC-2017_Training_Part1_GroundTruth" / "ISIC_0000001_segmentation.png")
    index = index_dataset(tmp_path)
    assert index.layout == "isic2017"
    assert [p.id for p in index.pairs] == ["ISIC_0000001"]
    assert index.warnings == []


def test_isic2018_layout(tmp_path):
    _img(tmp_path / "ISIC2018_Task1-2_Training_Input" / "ISIC_0000002.jpg")
    _mask(tmp_path / "ISIC2018_Task1_Training_GroundTruth" / "ISIC_0000002_segmentation.png")
    assert index_dataset(tmp_path).layout == "isic2018"


def test_generic_layout_pairs_with_or_without_suffix(tmp_path):
    _img(tmp_path / "images" / "a.png")
    _img(tmp_path / "images" / "b.jpg")
    _mask(tmp_path / "masks" / "a.png")
    _mask(tmp_path / "masks" / "b_segmentation.png")
    index = index_dataset(tmp_path)
    assert index.layout == "generic"
    assert [p.id for p in index.pairs] == ["a", "b"]


def test_broken_files_are_listed_and_skipped(tmp_path):
    _img(tmp_path / "images" / "good.png")
    _mask(tmp_path / "masks" / "good.png")
    (tmp_path / "images" / "corrupt.jpg").write_bytes(b"not a jpeg at all")
    _mask(tmp_path / "masks" / "corrupt.png")
    _img(tmp_path / "images" / "missized.png", size=(10, 10))
    _mask(tmp_path / "masks" / "missized.png", size=(8, 6))
    _img(tmp_path / "images" / "lonely.png")
    _mask(tmp_path / "masks" / "orphan.png")
    ds = load_dataset(tmp_path, size=32, warn=False)
    assert ds.ids == ["good"]
    text = "\n".join(ds.warnings)
    assert "corrupt.jpg: unreadable image" in text
    assert "missized: image is 10x10 but mask is 8x6" in text
    assert "lonely.png: no mask" in text
    assert "orphan.png: no image" in text
    assert ds.images.shape == (1, 32, 32, 3) and ds.masks.shape == (1, 32, 32)


def test_entries_named_like_images_that_are_not_files_are_reported_and_skipped(tmp_path):
    _img(tmp_path / "images" / "good.png")
    _mask(tmp_path / "masks" / "good.png")
    _img(tmp_path / "images" / "photo.jpg" / "inside.jpg")
    _mask(tmp_path / "masks" / "photo.png")
    _img(tmp_path / "images" / "lost.jpg")
    _mask(tmp_path / "masks" / "lost.png" / "inside.png")
    (tmp_path / "images" / "gone.png").symlink_to(tmp_path / "nowhere.png")
    index = index_dataset(tmp_path)
    assert [p.id for p in index.pairs] == ["good"]
    assert "photo.jpg in images/: a folder, not an image file" in index.warnings
    assert "lost.png in masks/: a folder, not an image file" in index.warnings
    assert "gone.png in images/: not a regular file (a broken link, a pipe or a device)" in index.warnings
    assert "lost.jpg: no mask in masks/" in index.warnings


def test_folder_without_usable_pairs_is_a_clear_error(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    (tmp_path / "images" / "x.jpg").write_bytes(b"")
    _mask(tmp_path / "masks" / "x.png")
    with pytest.raises(DatasetError, match="no usable image/mask pair"):
        load_dataset(tmp_path, warn=False)


def test_unknown_layout_names_the_expected_ones(tmp_path):
    with pytest.raises(DatasetError, match="images/ \\+ masks/"):
        detect_layout(tmp_path)


def test_minmax_scaling_spans_zero_to_one_and_constant_images_become_zero():
    img = np.zeros((2, 4, 4, 3), np.uint8)
    img[0, 0, 0] = (10, 20, 30)
    img[0, 1, 1] = (250, 5, 7)
    img[1] = 77
    x = to_input(img)
    assert x.shape == (2, 3, 4, 4)
    assert x[0].min() == 0.0 and x[0].max() == 1.0
    assert not x[1].any()
