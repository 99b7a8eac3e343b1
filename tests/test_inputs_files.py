"""Inputs from the wild: bombs, 16-bit and float files, odd folder entries, odd file names.

Every fixture is a tiny file written here; a "bomb" is a PNG of a few dozen bytes whose
header claims 30000x30000 pixels.
"""

import inspect
import os
import re
import shlex
import stat
import struct
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile

from pgan import data, enhance

RUNNING_AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def write_png(path, width, height, bit_depth=8, color_type=0, raw=b"\x00" * 10):
    """A PNG written chunk by chunk, so its header can claim any size."""

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)))
        f.write(chunk(b"IEND", b""))
    return path


def write_gray(path, mode, values):
    """A one-row TIFF (or PNG) of ``values`` in Pillow mode ``mode``."""
    dtype = {"I;16": "<u2", "I;16L": "<u2", "I;16B": ">u2", "I": "<i4", "F": "<f4"}[mode]
    values = np.asarray(values)
    Image.frombytes(mode, (values.size, 1), values.astype(dtype).tobytes()).save(path)
    return path


def small_photo(path, size=(12, 8)):
    Image.new("RGB", size, (200, 40, 40)).save(path)
    return path


@pytest.fixture(autouse=True)
def no_stray_warnings():
    """Pillow's own bomb warnings must never reach the user: make every warning an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ---------------------------------------------------------------- pixel limit


def test_bomb_is_refused_from_its_header(tmp_path):
    bomb = write_png(tmp_path / "bomb.png", 30000, 30000)
    assert bomb.stat().st_size < 200
    message = (
        r"bomb\.png is 30000x30000 = 900,000,000 pixels, more than pgan's limit of 100,000,000 pixels: "
        r"it may be a decompression bomb.*allow it with max_pixels=900000000 in Python or "
        r"--max-pixels 900000000 on the command line\."
    )
    with pytest.raises(ValueError, match=message):
        data.load_image(bomb)
    with pytest.raises(ValueError, match=message):
        enhance.read_photo(bomb)
    with pytest.raises(ValueError, match=message + r" \(Or pass skip_bad=True"):
        data.load_image_folder(tmp_path)
    assert Image.MAX_IMAGE_PIXELS == int(1024 * 1024 * 1024 // 4 // 3)  # Pillow's setting is untouched


def test_max_pixels_is_passed_on_and_checked(tmp_path):
    photo = small_photo(tmp_path / "photo.png", (50, 40))
    with pytest.raises(ValueError, match=r"photo\.png is 50x40 = 2,000 pixels, more than pgan's limit of 1,000"):
        data.load_image(photo, max_pixels=1000)
    with pytest.raises(ValueError, match=r"photo\.png is 50x40 = 2,000 pixels.*--max-pixels 2000 "):
        enhance.read_photo(photo, max_pixels=1999)
    assert enhance.read_photo(photo, max_pixels=2000).shape == (40, 50, 3)
    assert data.load_image(photo, max_pixels=None).shape == (28, 28, 1)
    with pytest.raises(ValueError, match=r"photo\.png is 50x40.*limit of 1,999 pixels.*skip_bad=True"):
        data.load_image_folder(tmp_path, max_pixels=1999)
    assert data.load_image_folder(tmp_path, max_pixels=2000)[1] == ["photo.png"]
    for bad in (0, -5, 1.5, True, "100"):
        with pytest.raises(ValueError, match=r"max_pixels must be a positive int \(or None for no limit\)"):
            data.load_image(photo, max_pixels=bad)


def test_read_photo_default_limit_is_the_data_default():
    default = inspect.signature(enhance.read_photo).parameters["max_pixels"].default
    assert default == data.DEFAULT_MAX_PIXELS == 100_000_000


def test_a_36_megapixel_photo_is_within_the_limit(tmp_path):
    rows = (b"\x00" + b"\x00" * 750) * 6000  # 6000x6000, 1 bit per pixel, all black
    photo = write_png(tmp_path / "camera.png", 6000, 6000, bit_depth=1, raw=rows)
    assert enhance.read_photo(photo).shape == (6000, 6000, 1)


def test_pillow_limit_is_never_stricter_than_pgan_and_is_restored(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # Pillow would refuse 60x60
    photo = small_photo(tmp_path / "photo.png", (60, 60))
    assert data.load_image(photo, image_size=None).shape == (60, 60, 1)
    assert Image.MAX_IMAGE_PIXELS == 1000


@pytest.mark.parametrize("claimed", [(11000, 10000), (30000, 30000)], ids=["warning", "error"])
def test_pillow_bomb_check_while_decoding_becomes_the_same_error(tmp_path, monkeypatch, claimed):
    """A frame or tile larger than pgan's limit, found by Pillow while decoding."""
    photo = small_photo(tmp_path / "photo.png")

    def load_a_huge_tile(self):
        Image._decompression_bomb_check(claimed)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load_a_huge_tile)
    with pytest.raises(
        ValueError,
        match=r"photo\.png is 12x8 but holds a frame or tile larger than pgan's limit of 100,000,000 "
        r"pixels \(Pillow: Image size .*decompression bomb.*--max-pixels N on the command line",
    ):
        data.load_image(photo)


# ------------------------------------------------------- high bit depth


GRAY_16 = [0, 1000, 30000, 65535, 256, 512, 40000, 65000]


@pytest.mark.parametrize(
    "name, mode",
    [("g.tif", "I;16"), ("g.png", "I;16"), ("big_endian.tif", "I;16B"), ("g.tif", "I;16L"), ("int32.tif", "I")],
)
def test_16_bit_grayscale_keeps_its_tonal_range(tmp_path, name, mode):
    path = write_gray(tmp_path / name, mode, GRAY_16)
    with Image.open(path) as img:
        assert img.mode == {"I;16L": "I;16"}.get(mode, mode)  # the file really holds that mode
    expected = np.round(np.array(GRAY_16) / 257).astype(np.uint8)
    assert expected[:4].tolist() == [0, 4, 117, 255]
    photo = enhance.read_photo(path)
    assert photo.shape == (1, 8, 1)  # one channel
    np.testing.assert_array_equal(photo[0, :, 0], expected)
    np.testing.assert_array_equal(data.load_image(path, image_size=None, invert=False)[0, :, 0], expected)
    rgb = data.load_image(path, image_size=None, grayscale=False, invert=False)
    np.testing.assert_array_equal(rgb[0], np.repeat(expected[:, None], 3, axis=1))


def test_16_bit_grayscale_png_written_by_hand(tmp_path):
    rows = np.array([GRAY_16], ">u2")
    path = write_png(tmp_path / "g16.png", 8, 1, bit_depth=16, raw=b"\x00" + rows.tobytes())
    np.testing.assert_array_equal(enhance.read_photo(path)[0, :, 0], np.round(rows[0] / 257))


def test_32_bit_integers_beyond_16_bits_are_refused(tmp_path):
    path = write_gray(tmp_path / "depth.tif", "I", [-5, 0, 70000])
    with pytest.raises(
        ValueError,
        match=r"depth\.tif holds 32-bit integer pixels from -5 to 70000; pgan reads integer images of up "
        r"to 16 bits \(0 to 65535\)\. Save it as an 8- or 16-bit PNG or TIFF\.",
    ):
        enhance.read_photo(path)


def test_float_images_in_0_1_are_scaled_others_refused(tmp_path):
    values = np.array([0.0, 0.25, 0.5, 1.0], np.float32)
    path = write_gray(tmp_path / "unit.tif", "F", values)
    photo = enhance.read_photo(path)
    assert photo.shape == (1, 4, 1)
    np.testing.assert_array_equal(photo[0, :, 0], np.rint(values * 255))
    hdr = write_gray(tmp_path / "hdr.tif", "F", [0.0, 2.5, 1.0])
    with pytest.raises(
        ValueError,
        match=r"hdr\.tif holds floating-point pixels from 0 to 2\.5; pgan reads float images only in "
        r"\[0, 1\]\. Scale it to \[0, 1\], or save it as an 8- or 16-bit PNG or TIFF\.",
    ):
        data.load_image(hdr)
    nan = write_gray(tmp_path / "nan.tif", "F", [0.0, np.nan, 1.0])
    with pytest.raises(ValueError, match=r"nan\.tif holds floating-point pixels that are not numbers \(NaN or infinity\)"):
        enhance.read_photo(nan)


def test_16_bit_rgb_png_and_tiff_keep_working(tmp_path):
    rgb = np.zeros((2, 4, 3), np.uint16)
    rgb[0] = np.array([0, 1000, 30000, 65535])[:, None]
    rgb[1] = [256, 512, 40000]
    rows = b"".join(b"\x00" + row.astype(">u2").tobytes() for row in rgb)
    png = write_png(tmp_path / "rgb16.png", 4, 2, bit_depth=16, color_type=2, raw=rows)
    photo = enhance.read_photo(png)
    assert photo.shape == (2, 4, 3)
    np.testing.assert_array_equal(photo, rgb >> 8)  # Pillow keeps the high byte
    tiff = tmp_path / "rgb16.tif"
    Image.frombytes("RGB", (4, 2), (rgb >> 8).astype(np.uint8).tobytes()).save(tiff)
    assert enhance.read_photo(tiff).shape == (2, 4, 3)


# ----------------------------------------------------- folder entries


def odd_folder(tmp_path):
    """A folder with one photo and every kind of entry that is not one."""
    folder = tmp_path / "photos"
    folder.mkdir()
    small_photo(folder / "good.png")
    (folder / "sub").mkdir()
    small_photo(folder / "sub" / "inner.png")
    (folder / "broken.png").symlink_to(folder / "gone.png")
    os.mkfifo(folder / "pipe.png")
    small_photo(folder / ".hidden.png")
    small_photo(folder / "._good.png")  # macOS metadata
    small_photo(folder / ".tmp_good.png")  # pgan's own leftover temporary
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (folder / ".ipynb_checkpoints").mkdir()
    return folder


REPORTED = [
    r"broken\.png: a broken symbolic link \(its target .*gone\.png does not exist\)",
    r"pipe\.png: not a regular file \(a named pipe, socket or device\)",
    r"sub: a folder \(pgan does not read sub-folders: pass it on its own\)",
    r"\.hidden\.png: a hidden file \(its name starts with '\.'\): rename it to have it read",
]
QUIET = ["._good.png", ".tmp_good.png", ".DS_Store", ".ipynb_checkpoints", "notes.txt"]


def test_enhance_lists_photos_and_reports_every_skipped_entry(tmp_path):
    folder = odd_folder(tmp_path)
    (folder / "notes.txt").write_text("price list")  # not an image suffix: ignored quietly
    with pytest.warns(data.SkippedEntriesWarning, match=r"photos: skipped 4 entries that pgan does not read") as got:
        files = enhance.list_images(folder)
    assert [p.name for p in files] == ["good.png"]
    message = str(got[0].message)
    for line in REPORTED:
        assert any(re.fullmatch(r"  " + line, row) for row in message.splitlines()), line
    for name in QUIET:
        assert name not in message


def test_list_image_files_returns_the_skipped_entries(tmp_path):
    folder = odd_folder(tmp_path)
    files, skipped = data.list_image_files(folder, enhance.IMAGE_SUFFIXES, warn=False)
    assert files == [folder / "good.png"]
    assert sorted(p.name for p, _ in skipped) == [".hidden.png", "broken.png", "pipe.png", "sub"]


def test_load_image_folder_reports_skipped_entries_and_loads_the_rest(tmp_path):
    folder = odd_folder(tmp_path)
    with pytest.warns(data.SkippedEntriesWarning, match=r"skipped 4 entries(.|\n)*broken\.png: a broken"):
        images, names = data.load_image_folder(folder)
    assert names == ["good.png"] and images.shape == (1, 28, 28, 1)


def test_folder_of_nothing_readable_says_what_was_skipped(tmp_path):
    (tmp_path / "sub").mkdir()
    with pytest.warns(data.SkippedEntriesWarning, match=r"sub: a folder"):
        with pytest.raises(FileNotFoundError, match=r"holds no image files \(.*\) \(1 skipped, see the warning\)"):
            enhance.list_images(tmp_path)
    with pytest.warns(data.SkippedEntriesWarning, match=r"sub: a folder"):
        with pytest.raises(ValueError, match=r"holds no files \(1 skipped, see the warning\)"):
            data.load_image_folder(tmp_path)


def test_broken_link_folder_and_pipe_given_directly(tmp_path):
    link = tmp_path / "link.png"
    link.symlink_to(tmp_path / "gone.png")
    with pytest.raises(FileNotFoundError, match=r"link\.png is a broken symbolic link \(its target .*gone\.png"):
        enhance.list_images(link)
    with pytest.raises(ValueError, match=r"link\.png is a broken symbolic link .*: fix the link or remove it\."):
        data.load_image(link)
    with pytest.raises(ValueError, match=r"is a folder, not an image file: pass one photo, or the folder to"):
        data.load_image(tmp_path)
    os.mkfifo(tmp_path / "pipe.png")
    with pytest.raises(ValueError, match=r"pipe\.png is not a regular file \(a named pipe, socket or device\)"):
        enhance.read_photo(tmp_path / "pipe.png")  # refused, not opened (opening a pipe would hang)
    with pytest.raises(ValueError, match=r"pipe\.png is not a regular file or a folder"):
        enhance.list_images(tmp_path / "pipe.png")


# ---------------------------------------------- permission and vanished files


PERMISSION = r"permission denied, pgan cannot read this file\. Make it readable \(as its owner: chmod u\+r "


def test_permission_denied_is_not_called_corrupt(tmp_path, monkeypatch):
    photo = small_photo(tmp_path / "locked.png")
    real_open = Image.open

    def refuse(fp, *args, **kwargs):
        if str(fp) == str(photo):
            raise PermissionError(13, "Permission denied", str(fp))
        return real_open(fp, *args, **kwargs)

    monkeypatch.setattr(Image, "open", refuse)
    with pytest.raises(ValueError, match=r"locked\.png: " + PERMISSION) as got:
        enhance.read_photo(photo)
    assert "re-export" not in str(got.value)


@pytest.mark.skipif(RUNNING_AS_ROOT, reason="root reads files whatever their permissions")
def test_unreadable_file_and_folder_for_real(tmp_path):
    photo = small_photo(tmp_path / "locked.png")
    photo.chmod(0)
    try:
        with pytest.raises(ValueError, match=r"locked\.png: " + PERMISSION):
            data.load_image(photo)
    finally:
        photo.chmod(stat.S_IRUSR | stat.S_IWUSR)
    folder = tmp_path / "closed"
    folder.mkdir()
    folder.chmod(0)
    try:
        with pytest.raises(PermissionError, match=r"closed: permission denied, pgan cannot list this folder"):
            enhance.list_images(folder)
    finally:
        folder.chmod(stat.S_IRWXU)


def test_file_that_vanished_after_listing_is_a_clear_value_error(tmp_path, monkeypatch):
    folder = tmp_path / "photos"
    folder.mkdir()
    small_photo(folder / "a.png")
    small_photo(folder / "b.png")
    real_list = data.list_image_files

    def list_then_delete(*args, **kwargs):
        listed = real_list(*args, **kwargs)
        (folder / "a.png").unlink()  # moved away by someone else, meanwhile
        return listed

    monkeypatch.setattr(data, "list_image_files", list_then_delete)
    with pytest.warns(UserWarning, match=r"Skipped a\.png: .*a\.png does not exist \(moved or deleted while"):
        _, names = data.load_image_folder(folder, skip_bad=True)
    assert names == ["b.png"]
    with pytest.raises(ValueError, match=r"gone\.png does not exist \(moved or deleted while pgan was running\?\)"):
        enhance.read_photo(folder / "gone.png")


# ---------------------------------------------------------------- file names


def test_name_that_is_not_utf8_is_listed_loaded_and_printable(tmp_path):
    raw_name = os.path.join(os.fsencode(tmp_path), b"caf\xe9.png")
    small = tmp_path / "small.png"
    small_photo(small)
    try:
        fd = os.open(raw_name, os.O_WRONLY | os.O_CREAT, 0o644)
    except OSError as err:  # a file system that only takes UTF-8 names
        pytest.skip(f"cannot create a non-UTF-8 name here: {err}")
    with os.fdopen(fd, "wb") as f:
        f.write(small.read_bytes())
    small.unlink()
    files = enhance.list_images(tmp_path)
    assert [p.name for p in files] == ["caf\udce9.png"]
    assert enhance.read_photo(files[0]).shape == (8, 12, 3)
    assert data.load_image_folder(tmp_path)[1] == ["caf\udce9.png"]
    broken = os.path.join(os.fsencode(tmp_path), b"\xff broken.png")
    with open(broken, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(ValueError, match=r"\udcff broken\.png is not a readable image") as got:
        enhance.read_photo(os.fsdecode(broken))
    assert b"\\udcff broken.png" in str(got.value).encode("utf-8", "backslashreplace")


def test_name_with_spaces_quotes_and_japanese(tmp_path):
    name = "my 'best' \"shoe\" 靴 写真.png"
    photo = small_photo(tmp_path / name)
    assert [p.name for p in enhance.list_images(tmp_path)] == [name]
    assert enhance.read_photo(photo).shape == (8, 12, 3)
    assert data.load_image_folder(tmp_path)[1] == [name]
    bomb = write_png(tmp_path / f"big {name}", 30000, 30000)
    with pytest.raises(ValueError, match=r"big my 'best' \"shoe\" 靴 写真\.png is 30000x30000"):
        data.load_image(bomb)
    message = data._permission_denied(photo)  # the chmod hint can be pasted into a shell
    assert f"chmod u+r {shlex.quote(str(photo))})" in message
