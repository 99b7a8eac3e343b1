"""``pgan bench``: the JSON it prints, for a model and for a training recipe (CPU, a few tiny steps).

Only what the numbers are made of is checked here; speed is measured by the benchmarks.
"""

import json

import pytest

from pgan import bench, cli
from pgan.config import TrainConfig


def _last_json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_bench_model_prints_the_issue_fields(capsys):
    assert cli.main(["bench", "--model", "workshop", "--batch-size", "16", "--steps", "2", "--json"]) == 0
    result = _last_json(capsys)
    assert result["model"] == "workshop" and result["batch_size"] == 16
    for key in ("train_img_per_s", "generate_img_per_s", "minimal_loop_img_per_s", "train_img_per_s_input_pipeline"):
        assert result[key] > 0, key
    assert result["fit_vs_minimal_loop"] == pytest.approx(
        result["train_img_per_s"] / result["minimal_loop_img_per_s"], abs=1e-3)


@pytest.mark.parametrize("recipe", ["workshop", "acgan"])
def test_bench_recipe_times_it_against_its_plain_model(recipe, capsys):
    assert cli.main(["bench", "--recipe", recipe, "--batch-size", "16", "--steps", "2", "--json"]) == 0
    result = _last_json(capsys)
    config = TrainConfig.from_recipe(recipe)
    assert (result["recipe"], result["model"], result["batch_size"]) == (recipe, config.preset, 16)
    assert result["train_img_per_s"] > 0 and result["plain_model_img_per_s"] > 0
    speed, plain = result["train_img_per_s"], result["plain_model_img_per_s"]
    # the ratio is of the unrounded speeds, rounded to 3 decimals; the speeds are rounded to 0.1 img/s
    rounding = 5e-4 + 0.05 * (1 + speed / plain) / plain
    assert result["vs_plain_model"] == pytest.approx(speed / plain, abs=rounding)
    assert result["generate_img_per_s"] > 0 and result["generate_one_ms"] > 0  # acgan: noise and labels
    assert result["extras"]["ema_decay"] == config.ema_decay


def test_recipe_extras_name_what_costs_time():
    extras = {k: v for k, v in bench._recipe_extras(TrainConfig.from_recipe("wgan_gp")).items() if v is not None}
    assert extras == {"loss": "wasserstein", "n_critic": 5, "gp_weight": 10.0, "dropout": 0.0}
    extras = {k: v for k, v in bench._recipe_extras(TrainConfig.from_recipe("tf_tutorial")).items() if v is not None}
    assert extras == {"update": "simultaneous"}


def test_bench_model_and_recipe_are_exclusive(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["bench", "--model", "dcgan", "--recipe", "stable"])
    assert stop.value.code == 2 and "not allowed with argument" in capsys.readouterr().err
