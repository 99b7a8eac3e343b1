"""Super-resolution side by side: low-res input, bicubic, a shipped model and the original, with PSNR/SSIM.

:func:`photo_ground_truth` and :func:`compare_super_resolution` make the
picture and the scores; :class:`SuperResolutionComparer` puts controls around them.
(The models themselves live in ``pgan.superres``.)

Taught in notebooks/11_interactive_explorer.ipynb.
"""

from __future__ import annotations

from pathlib import Path

import ipywidgets as ipw
import numpy as np

from pgan import data
from pgan.widgets._common import _App, to_png

_SR_MODELS: dict = {}  # (name, scale) -> loaded model, once per process


def _sr_model(model, scale: int):
    from pgan import superres

    if not isinstance(model, str):
        superres.check_sr_model(model, scale)
        return model
    if (model, scale) not in _SR_MODELS:
        _SR_MODELS[model, scale] = superres.load_sr_model(model, scale)
    return _SR_MODELS[model, scale]


def photo_ground_truth(path, image_size: int = 28) -> np.ndarray:
    """Your photo fitted into an ``image_size`` square like Fashion-MNIST (light product on black), uint8."""
    if (
        isinstance(image_size, bool)
        or not isinstance(image_size, int)
        or image_size < 8
        or image_size % 4
    ):
        raise ValueError(
            f"image_size must be a multiple of 4 of at least 8 (both scales divide it), got {image_size!r}."
        )
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{path} is not a file: give the path of a PNG or JPEG photo.")
    return data.load_image(path, image_size=image_size)


def compare_super_resolution(original, scale: int = 2, model="srresnet") -> dict:
    """Shrink ``original`` by ``scale``, enlarge it back with bicubic and a model, and score both.

    The original is the ground truth, so PSNR and SSIM say how much of it each
    method recovers. For a Fashion-MNIST test image that is the protocol of
    notebook 07; for your own photo (:func:`photo_ground_truth`) the photo
    itself, degraded first, plays the original.

    Args:
        original: uint8 (H, W) or (H, W, 1), H and W divisible by ``scale``.
        scale: 2 or 4.
        model: "espcn", "srresnet" or "srgan" (the shipped models), or a Keras model.

    Returns:
        ``{"original", "low_res", "bicubic", "model"}`` as float32 (H, W, 1) in [0, 1]
        (low_res is H/scale x W/scale), ``"scores": {"bicubic": {"psnr", "ssim"},
        "model": {...}}`` and ``"name"``, the model's name.

    Taught in notebooks/11_interactive_explorer.ipynb.
    """
    from pgan import fidelity, superres

    image = np.asarray(original)
    if (
        image.dtype != np.uint8
        or image.ndim not in (2, 3)
        or (image.ndim == 3 and image.shape[-1] != 1)
    ):
        raise ValueError(
            f"original must be one uint8 grayscale image (H, W) or (H, W, 1), got {image.dtype} "
            f"{image.shape}; use photo_ground_truth(path) for a photo."
        )
    image = image.reshape(image.shape[0], image.shape[1], 1)
    low, high = superres.protocol_pairs(image[None], scale)
    network = _sr_model(model, scale)
    outputs = {
        "bicubic": superres.classical_upscale(low, scale, "bicubic"),
        "model": superres.upscale_batch(network, low),
    }
    return {
        "original": high[0],
        "low_res": low[0],
        **{k: v[0] for k, v in outputs.items()},
        "scores": {k: fidelity.score(v, high) for k, v in outputs.items()},
        "name": model if isinstance(model, str) else model.name,
    }


class SuperResolutionComparer(_App):
    """Low-res input, bicubic, a shipped SR model and the original, side by side with PSNR/SSIM.

    Args:
        images: uint8 (N, H, W, 1) images to pick from; Fashion-MNIST's test split by default.
        index: the first image shown.
        scale: 2 or 4.
        model: "espcn", "srresnet" or "srgan".

    Attributes:
        source_buttons ("test image" or "my photo"), index_box, path_box, scale_buttons,
        model_dropdown, image, scores, status: the controls.
        state: the last :func:`compare_super_resolution` result.
    """

    def __init__(self, images=None, index: int = 0, scale: int = 2, model: str = "srresnet"):
        from pgan import superres

        if images is None:
            from pgan import judge

            images = judge.fashion_mnist().x_test
        self.images = np.asarray(images)
        self.source_buttons = ipw.ToggleButtons(
            options=["test image", "my photo"], value="test image", description="image"
        )
        self.index_box = ipw.BoundedIntText(
            value=index, min=0, max=len(self.images) - 1, description="index"
        )
        self.path_box = ipw.Text(
            description="photo", placeholder="path of a PNG or JPEG", continuous_update=False
        )
        self.scale_buttons = ipw.ToggleButtons(
            options=list(superres.SCALES), value=scale, description="scale"
        )
        self.model_dropdown = ipw.Dropdown(
            options=list(superres.MODELS), value=model, description="model"
        )
        self.image = ipw.Image(format="png")
        self.scores = ipw.HTML()
        self.status = ipw.HTML()
        for control in (
            self.source_buttons,
            self.index_box,
            self.path_box,
            self.scale_buttons,
            self.model_dropdown,
        ):
            control.observe(lambda _: self.update(), names="value")
        self.widget = ipw.VBox(
            [
                ipw.HBox([self.source_buttons, self.index_box]),
                self.path_box,
                ipw.HBox([self.scale_buttons, self.model_dropdown]),
                self.image,
                self.scores,
                self.status,
            ]
        )
        self.state: dict = {}
        self.update()

    def update(self):
        """Redraw from the controls' values; a bad photo path is reported in ``status``."""
        scale = self.scale_buttons.value
        if self.source_buttons.value == "my photo":
            if not self.path_box.value.strip():
                self.status.value = "Type the path of a photo."
                return
            try:
                original = photo_ground_truth(self.path_box.value.strip())
            except (OSError, ValueError) as err:
                self.status.value = f"Cannot use that photo: {err}"
                return
            note = (
                f"Your photo, fitted into {original.shape[0]}x{original.shape[1]}, is the ground truth: it was "
                f"shrunk by {scale} first, so the scores say how much of it each method recovers."
            )
        else:
            original = self.images[self.index_box.value]
            note = f"Test image {self.index_box.value}, shrunk by {scale} (the protocol of notebook 07)."
        self.state = compare_super_resolution(original, scale, self.model_dropdown.value)
        low = np.repeat(
            np.repeat(self.state["low_res"], scale, axis=0), scale, axis=1
        )  # pixels as blocks
        panels = np.stack([low, self.state["bicubic"], self.state["model"], self.state["original"]])
        self.image.value = to_png(panels, ncols=4, scale=4)
        cells = "".join(
            f"<td>{name}: PSNR {s['psnr']:.2f} dB, SSIM {s['ssim']:.3f}</td>"
            for name, s in (
                ("bicubic", self.state["scores"]["bicubic"]),
                (self.state["name"], self.state["scores"]["model"]),
            )
        )
        self.scores.value = f"<table><tr><td>input | bicubic | {self.state['name']} | original</td>{cells}</tr></table>"
        self.status.value = note
