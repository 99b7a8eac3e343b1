import numpy as np
import pytest

from pgan import plotting


def test_image_grid_accepts_the_three_ranges_alike():
    unit = np.linspace(0, 1, 4 * 28 * 28, dtype=np.float32).reshape(4, 28, 28, 1)
    as_uint8 = np.rint(unit * 255).astype(np.uint8)
    model = unit * 2 - 1
    grids = [plotting.image_grid(x, ncols=2) for x in (unit, as_uint8, model)]
    assert grids[0].shape == (2 * 28 + 3 * 2, 2 * 28 + 3 * 2, 1)
    np.testing.assert_array_equal(grids[0], grids[1])
    np.testing.assert_allclose(grids[2].astype(int), grids[1].astype(int), atol=1)


def test_float_images_out_of_range_are_refused():
    with pytest.raises(ValueError, match=r"span \[0, 255\]"):
        plotting.image_grid(np.array([[[0.0, 255.0]]], dtype=np.float32))


def test_save_grid_and_gif(tmp_path):
    images = np.zeros((3, 28, 28, 1), np.uint8)
    first = plotting.save_grid(images, tmp_path / "a.png")
    second = plotting.save_grid(images + 100, tmp_path / "b.png")
    gif = plotting.save_gif([first, second], tmp_path / "p.gif")
    from PIL import Image

    assert Image.open(gif).n_frames == 2
    assert not list(tmp_path.glob("*.tmp"))
