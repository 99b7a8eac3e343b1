"""Get Fashion-MNIST onto this machine if it is not here: ``make data`` (``python -m pgan.get_data``).

In order: already here (any place :func:`pgan.data.find_fashion_mnist` looks) -> done; Debian's
``dataset-fashion-mnist`` package where apt-get and root are available (it needs only the
distribution's mirror); Keras' download where the internet is reachable. Otherwise one message
says both ways and exits with status 1. ``make lab`` and ``make test`` run this first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from pgan import data

DEBIAN_PACKAGE = "dataset-fashion-mnist"


def _apt_install() -> str | None:
    """Install the Debian package; None when it worked, else why not."""
    if not shutil.which("apt-get"):
        return "no apt-get on this machine"
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        return f"not root (run: sudo apt-get install -y {DEBIAN_PACKAGE})"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", DEBIAN_PACKAGE]
    if subprocess.run(install, env=env, capture_output=True).returncode == 0:
        return None
    subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)  # an old package list
    done = subprocess.run(install, env=env, capture_output=True, text=True)
    return None if done.returncode == 0 else f"apt-get failed: {done.stderr.strip()[-300:]}"


def _keras_download() -> str | None:
    """Download through Keras; None when it worked, else why not."""
    from pgan import runtime

    runtime.quiet_tensorflow()  # TensorFlow's start-up lines would bury the message below
    try:
        import keras

        keras.datasets.fashion_mnist.load_data()
    except Exception as err:  # no network, a proxy, SSL...: each means the same to the user
        return f"{type(err).__name__}: {err}"
    return None


def ensure_fashion_mnist() -> tuple[str, list[str]]:
    """Find Fashion-MNIST, or get it: returns (the folder, or "" when it failed; what was tried)."""
    tried = []
    for name, attempt in (("already here", None), ("Debian package", _apt_install), ("Keras download", _keras_download)):
        if attempt is not None:
            print(f"Fashion-MNIST: trying the {name}...", flush=True)
            why = attempt()
            if why is not None:
                tried.append(f"  - {name}: {why}")
                continue
        try:
            return str(data.find_fashion_mnist()), tried
        except data.DataNotFoundError:
            if attempt is not None:
                tried.append(f"  - {name}: it ran, but the files are still in none of the places pgan looks")
    return "", tried


def main() -> int:
    folder, tried = ensure_fashion_mnist()
    if folder:
        print(f"Fashion-MNIST is in {folder}")
        return 0
    print("Fashion-MNIST is not on this machine and could not be fetched:\n" + "\n".join(tried) + "\n"
          + data.HOW_TO_GET_DATA, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
