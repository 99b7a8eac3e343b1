"""`make data`: Fashion-MNIST found where it is, fetched when missing, or one message saying how."""

import shutil

from pgan import data, get_data


def _no_data_here(monkeypatch, tmp_path):
    empty = tmp_path / "nothing"
    monkeypatch.setattr(data, "candidate_dirs", lambda: [("an empty test folder", empty)])
    return empty


def test_data_already_here_is_found_without_fetching(monkeypatch, capsys):
    monkeypatch.setattr(get_data, "_apt_install", lambda: (_ for _ in ()).throw(AssertionError("fetched")))
    assert get_data.main() == 0
    assert "Fashion-MNIST is in" in capsys.readouterr().out


def test_without_apt_or_internet_one_message_gives_both_commands(monkeypatch, tmp_path, capsys):
    _no_data_here(monkeypatch, tmp_path)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(get_data, "_keras_download", lambda: "URLError: no route to host")
    assert get_data.main() == 1
    err = capsys.readouterr().err
    assert "Debian package: no apt-get on this machine" in err
    assert "Keras download: URLError: no route to host" in err
    assert "apt-get install dataset-fashion-mnist" in err and "fashion_mnist.load_data()" in err


def test_the_keras_download_is_used_when_apt_cannot_be(monkeypatch, tmp_path, capsys):
    source = data.find_fashion_mnist()  # the tests' own copy stands in for the download
    empty = _no_data_here(monkeypatch, tmp_path)
    monkeypatch.setattr(get_data, "_apt_install", lambda: "not root (run: sudo apt-get install -y ...)")

    def download():
        shutil.copytree(source, empty)
        return None

    monkeypatch.setattr(get_data, "_keras_download", download)
    assert get_data.main() == 0
    assert f"Fashion-MNIST is in {empty}" in capsys.readouterr().out
