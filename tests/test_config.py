"""Every stage config: validated, documented, and round-tripped through JSON and TOML unchanged."""

from __future__ import annotations

from typing import ClassVar

import pytest

from valueshift.analysis import AnalysisConfig, ProfileOptions
from valueshift.config import StageConfig
from valueshift.errors import ConfigError
from valueshift.scoring import ProbeConfig
from valueshift.training import CorpusSettings, FinetuneConfig, LoraSettings, ObjectiveSettings, TrainConfig

EXAMPLES: list[StageConfig] = [
    ProbeConfig(model="google/mt5-small", probes="builtin-wvs", langs="de,fa", normalize="pmi", dtype="bfloat16"),
    TrainConfig(epochs=3, lr=1e-3, max_steps=50, lora=LoraSettings(r=4, target_modules=["q", "v"], merged=False)),
    CorpusSettings(spec="textdir:/data/bible", langs="fa", size=2000, draw_langs="fa,ko,hi,ru", max_chars=400),
    FinetuneConfig(model="m", corpus=CorpusSettings(spec="builtin:sample", langs="fa,ko", size=10)),
    LoraSettings(alpha=32),
    ObjectiveSettings(noise_density=0.2),
    AnalysisConfig(threshold=0.7, methods=("spearman",), profile=ProfileOptions(calibrate="center"), human=()),
]


@pytest.mark.parametrize("config", EXAMPLES, ids=lambda c: type(c).__name__)
def test_round_trip_json_and_toml(config: StageConfig) -> None:
    cls = type(config)
    assert cls.from_json(config.to_json()) == config
    assert cls.from_toml(config.to_toml()) == config


@pytest.mark.parametrize("cls", sorted({type(c) for c in EXAMPLES}, key=lambda c: c.__name__))
def test_every_field_is_documented(cls: type[StageConfig]) -> None:
    assert [name for name, f in cls.model_fields.items() if not f.description] == []


@pytest.mark.parametrize(
    ("cls", "fields", "message"),
    [
        (TrainConfig, {"lr": 5.0}, "lr=5.0"),
        (TrainConfig, {"epochs": 0}, r"epochs=0: Input should be greater than or equal to 1 \(passes over"),
        (TrainConfig, {"epoch": 3}, "epoch: unknown setting; known settings are"),
        (LoraSettings, {"r": 0}, "r=0"),
        (CorpusSettings, {"spec": "x", "langs": "fa", "size": 5, "min_chars": 9, "max_chars": 3}, "below min_chars"),
        (AnalysisConfig, {"alpha": 1.5}, "alpha=1.5"),
        (AnalysisConfig, {"finetune_langs": "fa, xx"}, r"unknown language code\(s\) \['xx'\]"),
        (ProbeConfig, {"model": " ", "probes": "builtin-wvs"}, "model=' ': Value error, must not be empty"),
        (ProbeConfig, {"model": "m", "probes": "p", "normalize": "bytes"}, "normalize='bytes'"),
    ],
)
def test_bad_values_name_field_value_and_rule(cls: type[StageConfig], fields: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        cls.build(**fields)


def test_spaces_in_language_lists_are_accepted() -> None:
    assert AnalysisConfig.build(finetune_langs="fa, ko").finetune_langs == ("fa", "ko")


def test_renamed_setting_names_the_new_one() -> None:
    class Renamed(StageConfig):
        renamed: ClassVar[dict[str, str]] = {"n_bootstrap": "n_boot"}
        n_boot: int = 1

    with pytest.raises(ConfigError, match="'n_bootstrap' was renamed to 'n_boot'"):
        Renamed.build(n_bootstrap=5)


def test_toml_errors_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        TrainConfig.from_toml("epochs = = 3")
