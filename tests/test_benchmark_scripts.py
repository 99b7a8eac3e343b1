"""The benchmark scripts that explain a study result run and report what they claim (CPU, tiny)."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from pgan import runs

ROOT = Path(__file__).resolve().parent.parent


def load_script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_discriminator_overfit_scores_seen_unseen_and_fake_images(fashion_mnist, tmp_path):
    overfit = load_script("discriminator_overfit")
    run_dir = tmp_path / "run"
    runs.train_gan(runs.TrainConfig.quick(epochs=1, batch_size=32, subset=96), run_dir, verbose=0)
    result = overfit.score_run(run_dir)
    assert result["epochs"] == 1 and result["subset"] == 96
    for key in ("seen_real", "unseen_real", "test_real", "fake"):
        assert result[key]["n"] == 96  # as many of each as the run trained on
        assert 0.0 <= result[key]["mean_d"] <= 1.0 and -1.0 <= result[key]["r_sign"] <= 1.0
    assert result["seen_minus_unseen_mean_d"] == pytest.approx(
        result["seen_real"]["mean_d"] - result["unseen_real"]["mean_d"], abs=1e-4)
    # D is scored in inference mode on fixed images and noise: the same numbers twice
    again = overfit.score_run(run_dir)
    assert again == result
    out = tmp_path / "overfit.json"
    overfit.main([str(run_dir), "--json", str(out)])
    assert json.loads(out.read_text())["runs"] == [result]


def test_discriminator_overfit_refuses_folders_it_cannot_score(tmp_path):
    overfit = load_script("discriminator_overfit")
    with pytest.raises(SystemExit, match="no config.json"):
        overfit.score_run(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"preset": "workshop", "subset": 64}))
    with pytest.raises(SystemExit, match="no checkpoint"):
        overfit.score_run(tmp_path)


def test_d_scores_arithmetic():
    overfit = load_script("discriminator_overfit")

    class FixedD:
        def discriminator(self, images, training=False):
            return np.array([[0.0], [2.0], [-2.0], [4.0]], dtype="float32")[: len(images)]

    scores = overfit.d_scores(FixedD(), np.zeros((4, 28, 28, 1), "float32"))
    sigmoid = 1 / (1 + np.exp(-np.array([0.0, 2.0, -2.0, 4.0])))
    assert scores == {"mean_d": round(float(sigmoid.mean()), 4), "r_sign": 0.25, "n": 4}


def test_truncated_normal_redraws_only_outside_the_threshold():
    truncation = load_script("conditional_truncation")
    plain = truncation.truncated_normal(200, 16, seed=3, threshold=None)
    cut = truncation.truncated_normal(200, 16, seed=3, threshold=1.0)
    assert plain.dtype == cut.dtype == np.float32 and cut.shape == (200, 16)
    assert np.abs(cut).max() <= 1.0 and np.abs(plain).max() > 2.0
    inside = np.abs(plain) <= 1.0
    np.testing.assert_array_equal(cut[inside], plain[inside])  # entries inside t are kept as drawn
    with pytest.raises(ValueError, match="threshold must be > 0"):
        truncation.truncated_normal(4, 4, seed=0, threshold=0.0)


def test_conditional_truncation_rows_are_shares_and_refuse_unconditional():
    truncation = load_script("conditional_truncation")
    from pgan import metrics, models, sampling

    judge = metrics.load_judge()
    path = ROOT / "data" / "pretrained" / "conditional_generator.keras"
    rows = truncation.judged_classes(sampling.load_generator(path), judge, num_per_class=20, seed=0,
                                     threshold=1.5)
    assert len(rows) == 10 and all(len(row) == 10 for row in rows)
    assert all(sum(row) == pytest.approx(1.0, abs=1e-3) for row in rows)
    assert np.mean([row[c] for c, row in enumerate(rows)]) > 0.5  # the shipped model draws its classes
    with pytest.raises(SystemExit, match="unconditional"):
        truncation.judged_classes(models.build_generator(latent_dim=8, width=4), judge, 4, 0, None)


def _study_rows(means, std=0.01, seeds=(0, 1, 2)):
    """A gan_augmentation summary row per variant: mean test accuracies with one spread."""
    return [{"variant": v, "mean": m, "std": std if len(seeds) > 1 else None, "num_images": 600,
             "seeds": list(seeds)} for v, m in means.items()]


def test_the_small_data_finding_follows_the_numbers():
    study = load_script("gan_augmentation")
    cas = {"generated": {"accuracy": 0.85}, "real": {"accuracy": 0.88}}
    one_seed = {"1%": _study_rows({"subset": 0.8, "gan": 0.9}, seeds=(0,))}
    assert "no conclusion about GAN samples is drawn" in study.finding(cas, one_seed)
    helps = {"1%": _study_rows({"subset": 0.80, "classical": 0.81, "gan": 0.85})}
    text = study.finding(cas, helps, 500)
    assert "helped at 1%" in text and "3.0 points below" in text and "Classical augmentation fell" not in text
    leak = {"1%": _study_rows({"subset": 0.80, "classical": 0.70, "gan": 0.80, "shipped_gan": 0.84}),
            "10%": _study_rows({"subset": 0.85, "classical": 0.77, "gan": 0.83, "shipped_gan": 0.86})}
    text = study.finding(cas, leak, 500)
    assert "did not help at these sizes, while the shipped GAN's" in text and "did at 1% and 10%" in text
    assert "Classical augmentation fell behind the subset alone at every size: with the same 500 steps" in text
    assert "the subset GAN's samples fell behind the subset alone (83.0% vs 85.0%" in text
