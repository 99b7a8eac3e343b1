"""Every setting of a GAN training run, declared once.

:class:`ObjectiveConfig` holds what D and G minimise (the loss family, penalties,
augmentation, class loss); :class:`TrainConfig` adds the run's settings (model,
epochs, optimizer, precision, time limit...). Each field is declared with
:func:`pgan.settings.setting`, and from those declarations come the ``pgan train``
flags, the check that a resumed run keeps its settings, the class docstrings and
the table in ``docs/settings.md``. Validation happens here, once, when a config is
made. Free of Keras imports, so ``pgan --help`` stays fast.

Taught in notebooks/05_training_on_gpu.ipynb (and 09, 10 for the options).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from pgan.recipes import RECIPES
from pgan.settings import attributes_doc, non_negative_float, positive_int, resume_keys, setting

GAN_PRESETS = ("dcgan", "workshop", "first")  # pgan.models.PRESETS (a test keeps the two equal)
FLOW_PRESETS = ("flow", "flow_small")  # pgan.diffusion.runs.PRESETS: flow-matching U-Nets, not GANs
PRESETS = (*GAN_PRESETS, *FLOW_PRESETS)
LOSSES = ("gan", "hinge", "wasserstein", "least_squares", "relativistic")  # pgan.losses.LOSS_FAMILIES
CONDITIONAL_HEADS = ("projection", "acgan", "projection_ac")  # pgan.models.CONDITIONAL_HEADS
UPDATES = ("alternating", "simultaneous")
IMAGE_SIZES = (28, 32, 64)  # pgan.models.IMAGE_SIZES
STRATEGIES = ("mirrored", "multi_worker")  # pgan.distributed.STRATEGIES (a test keeps the two equal)
DISTRIBUTIONS = ("data_parallel",)  # pgan.distributed.DISTRIBUTIONS
PROCESS_ENV_VARS = ("KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES",
                    "KERAS_DISTRIBUTION_PROCESS_ID")
"""Where a process of a multi-process JAX run finds the coordinator, the process count and its id."""


def _check_positive_int(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}.")


def _check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"Unknown {name} {value!r}: {name} must be one of {list(choices)}.")


@dataclasses.dataclass
class ObjectiveConfig:
    """What the discriminator and the generator minimise."""

    loss: str = setting("gan", "loss family: gan is the article's cross-entropy", choices=LOSSES, resume=True)
    g_loss: str = setting("non_saturating", "generator side of loss gan (or, in Python, a function of "
                          "the fake logits)", choices=("non_saturating", "minimax"))
    label_smoothing: float = setting(0.0, "one-sided smoothing of D's real targets, e.g. 0.1 (loss gan)")
    n_critic: int = setting(1, "D steps per G step (on the same real batch)", type=positive_int)
    gp_weight: float = setting(0.0, "WGAN-GP gradient-penalty weight, e.g. 10 (0: off)")
    r1_weight: float = setting(0.0, "R1 penalty gamma on real images (0: off)")
    augment: str | None = setting(None, "DiffAugment policy on real and fake images, e.g. "
                                  "translation,cutout (None: off)", resume=True)
    augment_p: float = setting(1.0, "probability of each DiffAugment transformation per image",
                               resume=True)
    aux_weight: float = setting(1.0, "weight of the class loss of an acgan or projection_ac head")

    def __post_init__(self):
        from pgan import augment

        _check_choice("loss", self.loss, LOSSES)
        if not callable(self.g_loss):
            _check_choice("g_loss", self.g_loss, ("non_saturating", "minimax"))
        if self.loss != "gan" and (self.g_loss != "non_saturating" or self.label_smoothing):
            raise ValueError(
                f"g_loss and label_smoothing choose variants of the cross-entropy loss 'gan'; "
                f"loss={self.loss!r} has its own generator loss. Drop them or use loss='gan'."
            )
        if not 0.0 <= self.label_smoothing < 0.5:
            raise ValueError(f"label_smoothing must be in [0, 0.5), got {self.label_smoothing!r}.")
        _check_positive_int("n_critic", self.n_critic)
        for name in ("gp_weight", "r1_weight", "aux_weight"):
            if not float(getattr(self, name)) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}.")
        self.augment = augment.normalize_policy(self.augment)  # "none" -> None, " a, b" -> "a,b"
        self.augment_p = augment.check_probability(self.augment_p)

    def check_update(self, update: str) -> None:
        """Refuse an update rule these settings cannot train with."""
        _check_choice("update", update, UPDATES)
        if update == "simultaneous" and (self.n_critic > 1 or self.gp_weight or self.r1_weight):
            raise ValueError(
                "update='simultaneous' takes one forward pass for both networks; n_critic > 1 and "
                "gradient penalties need update='alternating'."
            )


@dataclasses.dataclass
class TrainConfig(ObjectiveConfig):
    """Settings of a GAN training run: the objective's (:class:`ObjectiveConfig`) and the run's."""

    preset: str = setting("dcgan", "model: dcgan (the article's), workshop (half its width), first "
                          "(a quarter: a first GAN on a CPU); not GANs: flow, a flow-matching U-Net "
                          "(pgan.diffusion), or flow_small, half its width, for a CPU", flag="--model", choices=PRESETS, resume=True)
    epochs: int = setting(50, "passes over the training images", type=positive_int)
    batch_size: int = setting(256, "images per step (the global batch under a strategy)", type=positive_int,
                              resume=True)
    learning_rate: float = setting(2e-4, "Adam learning rate of both networks (2e-4 as in DCGAN)")
    d_learning_rate: float | None = setting(None, "D's own rate (two time scales; None: learning_rate)",
                                            type=float)
    g_learning_rate: float | None = setting(None, "G's own rate (two time scales; None: learning_rate)",
                                            type=float)
    beta_1: float = setting(0.5, "Adam's first-moment decay (0.5 as in DCGAN)")
    beta_2: float = setting(0.999, "Adam's second-moment decay")
    clip_norm: float | None = setting(None, "clip each network's gradient to this global norm (None: off)",
                                      type=float)
    seed: int = setting(0, "seeds the weights, the noise and the shuffling", resume=True)
    images: str | None = setting(None, "train on your own product photos: a folder of images (an "
                                 "unconditional GAN) or of class sub-folders (a conditional GAN with those "
                                 "names); None: Fashion-MNIST", type=Path, resume=True)
    image_size: int = setting(28, "side of the square training images (Fashion-MNIST: 28); photos are "
                              "fitted into it", choices=IMAGE_SIZES, type=int, resume=True)
    channels: int = setting(1, "1 (grayscale, as Fashion-MNIST) or 3 (RGB)", choices=(1, 3), type=int,
                            resume=True)
    skip_bad: bool = setting(False, "skip unreadable photos of --images with a warning naming each, "
                             "instead of stopping at the first")
    subset: int | None = setting(None, "train on the first N images only (quick mode, small-data studies)",
                                 type=positive_int, resume=True)
    update: str = setting("alternating", "alternating (D, then G through the updated D) or simultaneous "
                          "(one forward pass, as the TF tutorial)", choices=UPDATES, resume=True)
    conditional: str | None = setting(None, "train a class-conditional model: a GAN with this discriminator "
                                      "head, a flow model with classes", choices=(*CONDITIONAL_HEADS, "classes"),
                                      resume=True)
    spectral_norm: bool = setting(False, "spectral normalisation on every layer of D", resume=True)
    dropout: float = setting(0.3, "D's dropout rate (0: none)")
    ema_decay: float | None = setting(None, "keep an EMA generator with this decay, e.g. 0.999 (it is "
                                      "sampled and exported)", type=float, resume=True)
    init_from: str | None = setting(None, "fine-tune: start from the networks of this run folder's last "
                                    "checkpoint (layers matched by name; new layers and the optimizers "
                                    "start fresh)", type=Path, resume=True)
    mixed_precision: str | None = setting(None, "mixed precision on a GPU (JAX: mixed_bfloat16 only)",
                                          choices=("mixed_float16", "mixed_bfloat16"),
                                          const="mixed_float16", resume=True)
    strategy: str | None = setting(None, "TensorFlow's tf.distribute: mirrored (the GPUs of one machine) or "
                                   "multi_worker (several machines, from TF_CONFIG)", choices=STRATEGIES)
    distribution: str | None = setting(None, "JAX's keras.distribution: data_parallel splits each batch over "
                                       "every device of every process", choices=DISTRIBUTIONS)
    jit_compile: bool | None = setting(None, "compile the step with XLA (None: off on TensorFlow, where it "
                                       "is slower on a CPU; on with JAX)", type=bool)
    steps_per_execution: int = setting(1, "training steps per compiled call (e.g. 8 on a GPU: less "
                                       "per-step overhead, longer compile)", type=positive_int)
    time_limit_minutes: float | None = setting(None, "stop after this much training time, over all "
                                               "resumes", flag="--minutes", type=float)
    checkpoint_seconds: float = setting(10.0, "write a checkpoint at most this often (0: every epoch); the "
                                        "first and last epochs and a time-limit stop are always saved",
                                        type=non_negative_float)
    sample_every: int = setting(1, "write a sample grid every this many epochs", type=positive_int)
    tensorboard: bool = setting(False, "write TensorBoard logs to RUN_DIR/logs (on JAX every step then "
                                "waits for the one before)")
    sample_steps: int = setting(32, "flow model: Euler steps of its sample grids and of its default "
                                "sampling", type=positive_int)
    guidance: float = setting(2.0, "conditional flow model: classifier-free guidance scale of its sample "
                              "grids and default sampling (1: none)", type=non_negative_float)
    label_dropout: float = setting(0.1, "conditional flow model: share of training labels replaced by "
                                   "'no class', which guidance needs", resume=True)
    recipe: str | None = setting(None, "the recipe these settings came from (a record only)", cli=False)

    def __post_init__(self):
        super().__post_init__()
        _check_choice("preset", self.preset, PRESETS)
        for name in ("epochs", "batch_size", "sample_every", "steps_per_execution", "sample_steps"):
            _check_positive_int(name, getattr(self, name))
        if self.subset is not None:
            _check_positive_int("subset", self.subset)
        seconds = self.checkpoint_seconds
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds >= 0:
            raise ValueError(f"checkpoint_seconds must be a number >= 0 (0: after every epoch), got {seconds!r}.")
        if self.mixed_precision is not None:
            _check_choice("mixed_precision", self.mixed_precision, ("mixed_float16", "mixed_bfloat16"))
        if self.strategy is not None:
            _check_choice("strategy", self.strategy, STRATEGIES)
        if self.distribution is not None:
            _check_choice("distribution", self.distribution, DISTRIBUTIONS)
        if self.strategy is not None and self.distribution is not None:
            raise ValueError("strategy (TensorFlow's tf.distribute) and distribution (JAX's keras.distribution) "
                             "are two engines for the same thing: give one.")
        if self.strategy == "multi_worker" and self.time_limit_minutes is not None:
            raise ValueError("time_limit_minutes cannot stop the workers of strategy='multi_worker' at the same "
                             "step: give epochs instead, or use distribution='data_parallel' on JAX, which "
                             "stops every process together.")
        if self.conditional is not None:
            heads = ("classes",) if self.preset in FLOW_PRESETS else CONDITIONAL_HEADS
            if self.conditional not in heads:
                raise ValueError(
                    f"conditional={self.conditional!r} does not fit model {self.preset!r}: a flow model takes "
                    f"conditional='classes', a GAN one of its discriminator heads {list(CONDITIONAL_HEADS)}.")
        if not float(self.guidance) >= 0:
            raise ValueError(f"guidance must be >= 0 (1: no guidance), got {self.guidance!r}.")
        if not 0.0 <= float(self.label_dropout) < 1.0:
            raise ValueError(f"label_dropout must be in [0, 1), e.g. 0.1; got {self.label_dropout!r}.")
        if self.time_limit_minutes is not None and not self.time_limit_minutes > 0:
            raise ValueError(f"time_limit_minutes must be positive, got {self.time_limit_minutes!r}.")
        if self.init_from is not None:
            self.init_from = str(self.init_from)
        _check_choice("image_size", self.image_size, IMAGE_SIZES)
        _check_choice("channels", self.channels, (1, 3))
        if self.images is not None:
            self.images = str(self.images)
        if self.preset in FLOW_PRESETS and (self.images is not None or self.image_size != 28 or self.channels != 1):
            raise ValueError(f"model {self.preset!r}, the flow-matching U-Net, is built for Fashion-MNIST's 28x28 "
                             "grayscale images: train a GAN (--model dcgan, workshop or first) on your own photos.")
        self.check_update(self.update)

    def objective_settings(self) -> dict:
        """The :class:`ObjectiveConfig` part of these settings, as keyword arguments."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(ObjectiveConfig)}

    @classmethod
    def from_recipe(cls, name: str, **overrides) -> TrainConfig:
        """The settings of a named recipe (see :data:`pgan.recipes.RECIPES`), with ``overrides`` on top.

        Taught in notebooks/09_stabilizing_training.ipynb.
        """
        if name not in RECIPES:
            raise ValueError(f"Unknown recipe {name!r}; choose one of {sorted(RECIPES)}.")
        return cls(**{**RECIPES[name], "recipe": name, **overrides})

    @classmethod
    def from_run(cls, run_dir) -> TrainConfig:
        """The settings a run folder was trained with (its ``config.json``).

        Settings that the pgan of the run did not have yet take today's defaults.
        """
        path = Path(run_dir) / "config.json"
        if not path.exists():
            raise FileNotFoundError(f"{run_dir} has no config.json: pass a folder written by `pgan train --out`.")
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in json.loads(path.read_text()).items() if k in names})

    @classmethod
    def quick(cls, **overrides) -> TrainConfig:
        """A configuration that trains in well under a minute on a CPU (for tests and CI)."""
        return cls(**{"preset": "workshop", "epochs": 2, "batch_size": 64, "subset": 512, **overrides})


RESUME_KEYS = resume_keys(TrainConfig)
"""The settings a resumed run must keep (the others, e.g. ``epochs``, may change)."""

ObjectiveConfig.__doc__ += "\n\n" + attributes_doc(ObjectiveConfig)
TrainConfig.__doc__ += "\n\n" + attributes_doc(TrainConfig)


if __name__ == "__main__":  # python -m pgan.config > docs/settings.md
    from pgan.settings import markdown_table

    print("# Training settings\n")
    print("Every setting of `pgan train` and `pgan.config.TrainConfig`, generated from their one declaration")
    print("in `pgan/config.py` (`python -m pgan.config > docs/settings.md`). A run resumed on the same `--out`")
    print("folder must keep the settings marked *kept on resume*; the others (for example `epochs`) may change.\n")
    print(markdown_table(TrainConfig), end="")
