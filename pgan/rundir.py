"""Run folders: written atomically, resumed only with the settings they started with.

Every training run in pgan (a GAN, a super-resolution or restoration model) keeps
its files in one folder and follows the same rules:

- a file is written under a temporary name and renamed into place
  (:func:`atomic_write`), so a kill never leaves a half-written file under its
  final name;
- ``config.json`` records the run's kind and settings on its first call; a later
  call on the same folder resumes, and is refused if a setting that must stay the
  same changed (:func:`start`);
- ``run.json`` records what was run, where and how long (:func:`write_json`).

Image-to-image runs written by older pgan keep their settings in ``settings.json``;
they are read as such and resume.

Taught in notebooks/05_training_on_gpu.ipynb.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

CONFIG = "config.json"
_OLD_IMAGE_TO_IMAGE_SETTINGS = "settings.json"
TEMPORARY_PREFIX = ".tmp_"  # what atomic_write's temporary files are called: never a user's file


def atomic_write(path, save: Callable[[Path], object]) -> Path:
    """Call ``save(tmp)`` to write a temporary file beside ``path``, then rename it to ``path``.

    The temporary name is hidden and keeps the suffix (``.tmp_model.keras``), which Keras'
    savers require. If ``save`` fails, the temporary file is removed and ``path``
    keeps its previous content.
    """
    path = Path(path)
    tmp = path.with_name(f"{TEMPORARY_PREFIX}{path.name}")
    try:
        save(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text))


def write_json(path, value) -> Path:
    """Write ``value`` as indented JSON to ``path`` atomically."""
    return atomic_write_text(path, json.dumps(value, indent=1) + "\n")


def writable_folder(folder, option: str = "--out") -> Path:
    """Create ``folder`` if needed and check that files can be written in it, before any work.

    Raises:
        ValueError: ``folder`` is a file, or it cannot be created or written to (read-only,
            no permission, disk full); the message names it and the reason.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{option} {folder} is a file; give a folder (it is created if missing).")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=TEMPORARY_PREFIX):
            pass
    except OSError as err:
        raise ValueError(
            f"{option} {folder}: cannot write there ({err.strerror or err}). Choose a folder you can write "
            "to, or free some space."
        ) from err
    return folder


def remove_temporaries(folder) -> list[Path]:
    """Delete the temporary files a killed process left in ``folder`` (and its subfolders)."""
    folder = Path(folder)
    stale = [p for p in folder.rglob(f"{TEMPORARY_PREFIX}*") if p.is_file()] if folder.is_dir() else []
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def read_json(path) -> dict:
    """Read a run file; a corrupt one gets an error that names it and says what to do."""
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(
            f"{path} is not valid JSON ({err}). Delete it to start that run afresh, or restore it "
            "from a backup."
        ) from err


def read_config(run_dir) -> dict | None:
    """The settings a run folder was started with, with their ``kind``; None for a new folder."""
    run_dir = Path(run_dir)
    if (run_dir / CONFIG).exists():
        saved = read_json(run_dir / CONFIG)
        saved.setdefault("kind", "gan")  # GAN runs of older pgan wrote no kind
        return saved
    if (run_dir / _OLD_IMAGE_TO_IMAGE_SETTINGS).exists():
        return {"kind": "image_to_image", **read_json(run_dir / _OLD_IMAGE_TO_IMAGE_SETTINGS)}
    return None


def start(run_dir, kind: str, settings: dict, keep: Iterable[str],
          normalize: Callable[[dict], dict] | None = None) -> Path:
    """Create or resume a run folder: check the saved settings, then record ``settings``.

    Args:
        run_dir: the run's folder (created if missing).
        kind: what trains in it ("gan", "image_to_image"); a folder of another kind is refused.
        settings: this call's settings (JSON-ready).
        keep: the settings a resumed run must not change.
        normalize: turns the saved settings into today's form before they are compared
            (settings an older pgan did not record, or spelled another way).

    A folder that already holds other files but no run is refused too, so that a
    mistyped path never fills someone's photo folder with checkpoints. Temporary
    files a killed run left behind are deleted.

    Raises:
        ValueError: ``run_dir`` is a file, cannot be written to, holds files but no
            run, holds another kind of run, or a run whose settings in ``keep`` differ
            (the message lists each change).
    """
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise ValueError(f"{run_dir} is a file; give a folder for the run (it is created if missing).")
    saved = read_config(run_dir) if run_dir.is_dir() else None
    if saved is None and run_dir.is_dir():
        others = sorted(p.name for p in run_dir.iterdir() if not p.name.startswith(TEMPORARY_PREFIX))
        if others:
            shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
            raise ValueError(
                f"{run_dir} already holds files ({shown}) but no pgan run. Pass a new or empty folder."
            )
    writable_folder(run_dir, "the run folder")
    remove_temporaries(run_dir)
    if saved is not None:
        if saved["kind"] != kind:
            raise ValueError(
                f"{run_dir} holds a run of another kind ({saved['kind']}, not {kind}). Pass a new folder."
            )
        if normalize is not None:
            saved = normalize(saved)
        changed = [k for k in keep if saved.get(k) != settings.get(k)]
        if changed:
            diffs = ", ".join(f"{k}: {saved.get(k)!r} -> {settings.get(k)!r}" for k in changed)
            raise ValueError(
                f"{run_dir} holds a run with different settings ({diffs}). Resume it with its "
                "original settings, or pass a new folder."
            )
    write_json(run_dir / CONFIG, {"kind": kind, **settings})
    return run_dir
