"""Draw the figures of notebooks/03_gan_theory.ipynb into docs/figures/03_gan_theory/.

    .venv/bin/python benchmarks/figures/03_gan_theory.py            # all figures, about 30 s on a 2-core CPU
    .venv/bin/python benchmarks/figures/03_gan_theory.py gan_game   # only the ones named

- ``gan_game.png``: the GAN game as a diagram (who makes what, which loss updates which network);
- ``optimal_discriminator.png``: the optimal discriminator D* against a discriminator trained alone;
- ``toy_gan.png``: the 1-D GAN at six moments of training, for a seed that covers both modes and
  for one that collapses onto one.

Deterministic: fixed seeds, and the same settings as the notebook's full mode.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "figures" / "03_gan_theory"
DPI = 90

# The colours of the two players, used in every figure of the notebook.
G_COLOUR, D_COLOUR, REAL_COLOUR = "tab:orange", "tab:blue", "tab:green"

# The notebook's full-mode settings.
SEED = 0
TOY_STEPS = 3_000
D_STEPS = 1_000
COVER_SEED, COLLAPSE_SEED = 1, 0


def _box(ax, x, y, w, h, text, edge, face, size=12, weight="normal"):
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.15",
                                linewidth=2, edgecolor=edge, facecolor=face))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=size, weight=weight)


def _arrow(ax, start, end, colour="black", style="-|>", dashed=False, rad=0.0, width=1.8):
    from matplotlib.patches import FancyArrowPatch

    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=16, color=colour,
                                 linewidth=width, linestyle="--" if dashed else "-",
                                 connectionstyle=f"arc3,rad={rad}", shrinkA=2, shrinkB=2))


def gan_game(path: Path) -> None:
    """Noise -> G -> fake; real and fake -> D -> logit -> the two losses, and what each updates."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.4, 4.6))
    ax.set_xlim(0, 16.8)
    ax.set_ylim(0, 9.2)
    ax.axis("off")

    _box(ax, 0.1, 5.6, 2.3, 1.4, "noise $z$\n$\\sim\\mathcal{N}(0, I)$", "grey", "whitesmoke")
    _box(ax, 3.2, 5.6, 2.6, 1.4, "generator\n$G$", G_COLOUR, "#ffe3c4", size=13, weight="bold")
    _box(ax, 6.6, 5.6, 2.3, 1.4, "fake\n$G(z)$", G_COLOUR, "white")
    _box(ax, 6.6, 1.8, 2.3, 1.4, "real $x$\n$\\sim p_{\\mathrm{data}}$", REAL_COLOUR, "white")
    _box(ax, 9.6, 3.7, 3.1, 1.4, "discriminator\n$D$", D_COLOUR, "#d3e5f5", size=13, weight="bold")
    _box(ax, 13.4, 3.7, 3.3, 1.4, "logit $\\ell$\n$D(\\cdot)=\\sigma(\\ell)$", "black", "white")

    _arrow(ax, (2.4, 6.3), (3.2, 6.3))
    _arrow(ax, (5.8, 6.3), (6.6, 6.3))
    _arrow(ax, (8.9, 6.1), (9.9, 5.05), colour=G_COLOUR)
    _arrow(ax, (8.9, 2.7), (9.9, 3.75), colour=REAL_COLOUR)
    _arrow(ax, (12.7, 4.4), (13.4, 4.4))

    # The two losses, each read from the logits, each updating one network.
    _box(ax, 10.6, 7.3, 6.1, 1.6,
         "generator loss (non-saturating)\n$\\mathcal{L}_G=\\mathrm{softplus}(-\\ell_{\\mathrm{fake}})$",
         G_COLOUR, "#fff4e8", size=11)
    _box(ax, 10.6, 0.15, 6.1, 1.7,
         "discriminator loss\n$\\mathcal{L}_D=\\mathrm{softplus}(-\\ell_{\\mathrm{real}})"
         "+\\mathrm{softplus}(\\ell_{\\mathrm{fake}})$", D_COLOUR, "#eef5fb", size=11)
    _arrow(ax, (15.6, 5.1), (15.6, 7.3), colour=G_COLOUR)
    _arrow(ax, (15.6, 3.7), (15.6, 1.85), colour=D_COLOUR)

    # Who gets updated: dashed arrows back to the network each loss trains.
    ax.plot([10.6, 4.5], [8.1, 8.1], color=G_COLOUR, lw=2.2, ls="--")
    _arrow(ax, (4.5, 8.1), (4.5, 7.05), colour=G_COLOUR, dashed=True, width=2.2)
    ax.text(7.5, 8.6, "updates $G$ only (through $D$; $D$ stays fixed)",
            ha="center", va="center", fontsize=10, color="saddlebrown")
    _arrow(ax, (11.15, 1.85), (11.15, 3.7), colour=D_COLOUR, dashed=True, width=2.2)
    ax.text(13.4, 2.75, "updates $D$ only\n(fakes held fixed)",
            ha="center", va="center", fontsize=10, color="navy")

    ax.text(0.1, 3.0, "$D$ wants $\\ell_{\\mathrm{real}}>0$ and $\\ell_{\\mathrm{fake}}<0$\n"
                      "$G$ wants $\\ell_{\\mathrm{fake}}>0$", fontsize=11, va="center")
    fig.tight_layout(pad=0.2)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def _gaussian(x, mean, std):
    import numpy as np

    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def optimal_discriminator(path: Path) -> None:
    """D* = p_data / (p_data + p_g) for a frozen generator N(0.5, 1.5^2), and a D trained alone."""
    import matplotlib.pyplot as plt
    import numpy as np
    from keras import ops

    from pgan import toy

    x = np.linspace(-5.0, 5.0, 1001)
    p_data, p_g = toy.real_density(x), _gaussian(x, 0.5, 1.5)
    fakes = np.random.default_rng(SEED).normal(0.5, 1.5, 20_000)
    lone_d = toy.train_toy_discriminator(fakes, steps=D_STEPS, seed=SEED)
    learned = ops.convert_to_numpy(ops.sigmoid(lone_d(x[:, None].astype(np.float32))))[:, 0]

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.6, 4.6), sharex=True)
    top.plot(x, p_data, color=REAL_COLOUR, label="$p_{\\mathrm{data}}$ (real)")
    top.plot(x, p_g, color=G_COLOUR, label="$p_g$ (frozen generator)")
    top.set_ylabel("density")
    top.legend(fontsize=10)
    bottom.plot(x, toy.optimal_discriminator(p_data, p_g), "k--", lw=2,
                label="$D^*=p_{\\mathrm{data}}/(p_{\\mathrm{data}}+p_g)$")
    bottom.plot(x, learned, color=D_COLOUR, label=f"$D$ trained alone, {D_STEPS:,} steps")
    bottom.axhline(0.5, color="grey", lw=0.6)
    bottom.set_ylabel("$D(x)$")
    bottom.set_xlabel("$x$")
    bottom.set_ylim(-0.05, 1.3)
    bottom.legend(fontsize=10, loc="upper center", ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def toy_gan(path: Path) -> None:
    """Snapshots of the 1-D GAN for a seed that covers both modes and for one that collapses."""
    import matplotlib.pyplot as plt
    import numpy as np

    from pgan import toy

    runs = [(f"seed {COVER_SEED}", toy.train_toy_gan(steps=TOY_STEPS, seed=COVER_SEED)),
            (f"seed {COLLAPSE_SEED}", toy.train_toy_gan(steps=TOY_STEPS, seed=COLLAPSE_SEED))]
    steps = sorted(runs[0][1].snapshots)
    low, high = -4.5, 4.5
    x = np.linspace(low, high, 400)
    fig, axes = plt.subplots(2, len(steps), figsize=(8.6, 3.9), sharex=True, sharey=True)
    for row, (name, run) in zip(axes, runs, strict=True):
        for ax, step in zip(row, steps, strict=True):
            samples = run.snapshots[step]
            ax.hist(np.clip(samples, low, high), bins=60, range=(low, high), density=True,
                    color=G_COLOUR, alpha=0.75)
            ax.plot(x, toy.real_density(x), color=REAL_COLOUR, lw=1.2)
            shares = toy.mode_coverage(samples)
            ax.set_title(f"step {step}\n{shares[0]:.0%} | {shares[1]:.0%}", fontsize=9)
            ax.set_yticks([])
            ax.set_xticks([-2, 0, 2])
            ax.set_ylim(0, 2.2)
        row[0].set_ylabel(name, fontsize=10)
    fig.suptitle("Generated samples (orange) over the real density (green); "
                 "titles: share near $-2$ | near $+2$", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


FIGURES = {"gan_game": gan_game, "optimal_discriminator": optimal_discriminator, "toy_gan": toy_gan}


def main(argv: list[str]) -> int:
    names = argv or list(FIGURES)
    unknown = sorted(set(names) - set(FIGURES))
    if unknown:
        print(f"unknown figure(s) {unknown}; choose from {sorted(FIGURES)}", file=sys.stderr)
        return 2
    if any(name != "gan_game" for name in names):
        from pgan import quiet_tensorflow, set_seed

        quiet_tensorflow()
        set_seed(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = OUT / f"{name}.png"
        FIGURES[name](path)
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
