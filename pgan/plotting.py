"""Pictures: image grids, per-class galleries and training curves.

Plotting that is not the lesson lives here so the notebooks read as the lesson.
Functions that write files use matplotlib's object API (no global pyplot
state), so callbacks can call them during training.

Taught in notebooks/01_product_images.ipynb and notebooks/05_training_on_gpu.ipynb.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from pgan import rundir


def _to_uint8_images(images) -> np.ndarray:
    """Accept uint8 [0, 255], float [0, 1] or float [-1, 1]; return uint8 (N, H, W, C)."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise ValueError(f"Expected images shaped (N, H, W) or (N, H, W, C), got {images.shape}.")
    if images.dtype == np.uint8:
        return images
    images = images.astype(np.float32)
    if images.size and (images.max() > 1.0 + 1e-3 or images.min() < -1.0 - 1e-3):
        raise ValueError(
            f"Float images must be in [0, 1] or [-1, 1]; these span [{images.min():.3g}, "
            f"{images.max():.3g}]. For 0-255 values use np.rint(x).astype('uint8'); for model "
            "outputs use pgan.data.to_unit_range."
        )
    if images.size and images.min() < 0.0:  # model range [-1, 1]
        from pgan.data import to_uint8

        return to_uint8(images)
    return np.clip(np.rint(images * 255.0), 0, 255).astype(np.uint8)


def image_grid(images, ncols: int | None = None, padding: int = 2, pad_value: int = 255) -> np.ndarray:
    """Tile images into one uint8 array (rows*H + pads, cols*W + pads, C).

    Accepts uint8 [0, 255], float [0, 1] or model-range float [-1, 1] images.
    """
    images = _to_uint8_images(images)
    n, h, w, c = images.shape
    if n == 0:
        raise ValueError("image_grid needs at least one image.")
    ncols = ncols or math.ceil(math.sqrt(n))
    nrows = math.ceil(n / ncols)
    grid = np.full(
        (nrows * h + (nrows + 1) * padding, ncols * w + (ncols + 1) * padding, c),
        pad_value,
        dtype=np.uint8,
    )
    for i, img in enumerate(images):
        r, col = divmod(i, ncols)
        y, x = padding + r * (h + padding), padding + col * (w + padding)
        grid[y : y + h, x : x + w] = img
    return grid


def save_grid(images, path: str | os.PathLike, ncols: int | None = None, scale: int = 2) -> Path:
    """Write an image grid as PNG (nearest-neighbour enlarged ``scale`` times), atomically."""
    from PIL import Image

    grid = image_grid(images, ncols=ncols)
    if grid.shape[-1] == 1:
        grid = grid[..., 0]
    img = Image.fromarray(grid)
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return rundir.atomic_write(path, lambda tmp: img.save(tmp, format="PNG"))


def save_gif(png_paths, path: str | os.PathLike, duration_ms: int = 300) -> Path:
    """Join PNG frames (e.g. one sample grid per epoch) into an animated GIF."""
    from PIL import Image

    frames = [Image.open(p) for p in png_paths]
    mode = "L" if all(frame.mode in ("L", "1") for frame in frames) else "RGB"  # colour grids stay in colour
    frames = [frame.convert(mode) for frame in frames]
    if not frames:
        raise ValueError("save_gif needs at least one PNG frame.")
    return rundir.atomic_write(path, lambda tmp: frames[0].save(
        tmp, format="GIF", save_all=True, append_images=frames[1:], duration=duration_ms, loop=0))


def show_images(images, titles=None, ncols: int = 10, size: float = 1.2, title: str | None = None):
    """Show images in a matplotlib grid with optional per-image titles; returns the figure."""
    import matplotlib.pyplot as plt

    images = _to_uint8_images(images)
    n = len(images)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.15), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            img = images[i]
            ax.imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray", vmin=0, vmax=255)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_class_gallery(images, labels, class_names, per_class: int = 8, size: float = 1.0):
    """One row per class with ``per_class`` examples; returns the figure."""
    import matplotlib.pyplot as plt

    images = _to_uint8_images(images)
    labels = np.asarray(labels)
    fig, axes = plt.subplots(
        len(class_names), per_class, figsize=(per_class * size, len(class_names) * size), squeeze=False
    )
    for c, name in enumerate(class_names):
        idx = np.flatnonzero(labels == c)[:per_class]
        for j, ax in enumerate(axes[c]):
            ax.set_xticks([])
            ax.set_yticks([])
            if j < len(idx):
                img = images[idx[j]]
                ax.imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray", vmin=0, vmax=255)
            if j == 0:
                ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
    fig.tight_layout()
    return fig


def plot_history(history: dict, keys=None, title: str | None = None):
    """Plot per-epoch training curves from a ``History.history``-like dict; returns the figure."""
    import matplotlib.pyplot as plt

    loss_keys = [k for k in (keys or history) if "loss" in k]
    acc_keys = [k for k in (keys or history) if "acc" in k]
    panels = [ks for ks in (loss_keys, acc_keys) if ks]
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.2), squeeze=False)
    for ax, ks in zip(axes[0], panels, strict=True):
        for k in ks:
            values = history[k]
            ax.plot(range(1, len(values) + 1), values, marker="o", ms=3, label=k)
        ax.set_xlabel("epoch")
        ax.legend()
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def comparison_figure(rows: dict, title: str | None = None, size: float = 1.0, upscale_small: bool = True):
    """One labelled row of images per method: the before/after pictures of notebooks 07 and 08.

    Args:
        rows: {label: images (N, H, W, C)}, every entry the same N; smaller images
            (a low-resolution input) are enlarged by pixel repetition to the
            largest size so each column shows one product at one size.
        title: the figure's title.
        size: inches per image.
        upscale_small: enlarge smaller rows by repetition (True) or leave them small.

    Returns:
        The matplotlib ``Figure`` (object API; save it with ``fig.savefig``).

    Taught in notebooks/07_super_resolution.ipynb and notebooks/08_restoration.ipynb.
    """
    from matplotlib.figure import Figure

    converted = {label: _to_uint8_images(images) for label, images in rows.items()}
    counts = {len(images) for images in converted.values()}
    if len(counts) != 1:
        raise ValueError(f"every row needs the same number of images, got {sorted(counts)}.")
    height = max(images.shape[1] for images in converted.values())
    ncols = counts.pop()
    fig_height = size * len(converted) + (0.5 if title else 0)
    fig = Figure(figsize=(size * ncols + 1.2, fig_height))
    axes = fig.subplots(len(converted), ncols, squeeze=False)
    for r, (label, images) in enumerate(converted.items()):
        factor = height // images.shape[1]
        if upscale_small and factor > 1:
            images = images.repeat(factor, axis=1).repeat(factor, axis=2)
        for c in range(ncols):
            ax = axes[r, c]
            image = images[c]
            ax.imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray", vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    if title:
        fig.suptitle(title)
    fig.subplots_adjust(left=0.12, wspace=0.05, hspace=0.05, top=1 - (0.5 if title else 0.1) / fig_height)
    return fig


def plot_perception_distortion(results_by_scale: dict, title: str | None = None, ax=None):
    """PSNR (distortion) against FCD (perception) for every method and scale: one point each.

    Args:
        results_by_scale: {scale: {method: {"psnr": ..., "fcd": ...}}}, e.g.
            ``{s: pgan.superres.evaluate_sr(s, models) for s in (2, 4)}``.
        title: the axes' title.
        ax: matplotlib axes to draw on (a new figure by default).

    Returns:
        The matplotlib ``Figure``. FCD is drawn on a log scale: the methods span
        two orders of magnitude.

    Taught in notebooks/07_super_resolution.ipynb.
    """
    from matplotlib.figure import Figure

    if ax is None:
        fig = Figure(figsize=(7, 4.5))
        ax = fig.subplots()
    fig = ax.figure
    names = list(dict.fromkeys(name for results in results_by_scale.values() for name in results))
    colours = {name: f"C{i}" for i, name in enumerate(names)}
    markers = dict(zip(sorted(results_by_scale), "os^D", strict=False))
    for scale, results in sorted(results_by_scale.items()):
        for name, row in results.items():
            if row.get("fcd") is None:
                continue
            ax.scatter(row["psnr"], row["fcd"], marker=markers[scale], s=50, color=colours[name])
            ax.annotate(f"{name} x{scale}", (row["psnr"], row["fcd"]), xytext=(4, 4),
                        textcoords="offset points", fontsize=8)
        ax.scatter([], [], marker=markers[scale], color="0.4", label=f"x{scale}")
    ax.set_xlabel("PSNR (dB), higher: less distortion")
    ax.set_ylabel("FCD to the originals, lower: more realistic")
    ax.set_yscale("log")
    ax.set_title(title or "Perception vs distortion")
    ax.legend(title="scale")
    ax.grid(alpha=0.3)
    return fig
