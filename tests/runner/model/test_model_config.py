"""Models from configs: ``init_cfg`` kept as config, the top-level ``data_preprocessor``
merged into ``model`` (as MMEngine's runner does), ``regwire check``, the digits example."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from container import Config, RegwireError, ValidationError
from runner import MODELS, Runner
from runner.app._checks import check_config
from runner.model import BaseModel, ImgDataPreprocessor

REPO = Path(__file__).resolve().parents[3]
DIGITS = REPO / "examples" / "digits" / "cnn.yaml"


class Net(BaseModel):
    """A model that takes MMEngine's two BaseModel arguments."""

    def __init__(self, data_preprocessor: Any = None, init_cfg: Any = None) -> None:
        super().__init__(data_preprocessor, init_cfg)
        self.fc = nn.Linear(2, 2)

    def forward(self, *inputs: Any, mode: str = "tensor", **kwargs: Any) -> Any:
        return inputs


class Plain(nn.Module):
    def __init__(self, width: int = 2) -> None:
        super().__init__()


INIT_CFG = [
    {
        "type": "Constant",
        "val": 2,
        "layer": ["Linear"],
        "override": {"name": "fc", "type": "Normal"},
    },
    {"type": "Kaiming", "layer": "Conv2d", "override": [{"name": "fc"}]},
]


def test_a_nested_init_cfg_stays_the_dict_it_is() -> None:
    model = MODELS.build_at("model", {"type": Net, "init_cfg": INIT_CFG})
    assert model.init_cfg == INIT_CFG
    assert type(model.init_cfg[0]["override"]) is dict


def test_a_nested_init_cfg_stays_a_dict_and_is_checked() -> None:
    """MMEngine's modules read their ``init_cfg`` as the dict it is: it is kept (it takes a
    config, see providers.config_params), checked by ``validate``, and applied by
    ``init_weights``, which names the initializer that failed."""
    cfg = {"type": Net, "init_cfg": {"type": "Kaiming", "mode": "fan"}}
    net = MODELS.build_at("model", cfg)
    assert net.init_cfg == {"type": "Kaiming", "mode": "fan"}
    (problem,) = MODELS.validate(cfg, path="model")
    assert problem.config_path == "model.init_cfg.mode"
    with pytest.raises(RegwireError, match=r"'init_cfg'.*'fan_in' or 'fan_out'"):
        net.init_weights()


def test_check_finds_init_cfg_mistakes_with_their_paths() -> None:
    cfg = {
        "type": Net,
        "init_cfg": [
            {"type": "Kaimin"},
            {"type": "Normal", "sd": 1, "override": {"type": "Constant", "val": 1}},
        ],
    }
    problems = MODELS.validate(cfg, path="model")
    assert [(p.config_path, "did you mean" in str(p)) for p in problems] == [
        ("model.init_cfg.0.type", True),
        ("model.init_cfg.1.sd", True),
        ("model.init_cfg.1.override", False),  # no 'name'
    ]
    assert "missing the required argument 'name'" in str(problems[2])


def test_the_top_level_data_preprocessor_goes_into_the_model() -> None:
    from runner.app._sections import build_model

    preprocessor = {"type": "ImgDataPreprocessor", "mean": [1.0], "std": [2.0]}
    model = build_model({"type": Net}, None, preprocessor)  # type: ignore[arg-type]
    assert isinstance(model.data_preprocessor, ImgDataPreprocessor)
    own = build_model(
        {"type": Net, "data_preprocessor": {"type": "BaseDataPreprocessor"}},
        None,
        preprocessor,  # type: ignore[arg-type]
    )
    assert not isinstance(own.data_preprocessor, ImgDataPreprocessor)  # the model's own wins
    with pytest.raises(ValidationError, match=r"'data_preprocessor\.men'.*did you mean 'mean'"):
        build_model({"type": Net}, None, {"type": "ImgDataPreprocessor", "men": [1]})  # type: ignore[arg-type]


def test_check_validates_the_data_preprocessor_and_its_fit() -> None:
    bad = {"type": "ImgDataPreprocessor", "mean": [1.0], "std": [1.0], "bgr_to_rgb": "yes"}
    errors, warnings = check_config({"model": {"type": Net}, "data_preprocessor": bad})
    assert [e.config_path for e in errors] == ["data_preprocessor.bgr_to_rgb"]
    assert warnings == []  # not "not acted on" any more
    errors, _ = check_config(
        {"model": {"type": Plain}, "data_preprocessor": {"type": "BaseDataPreprocessor"}}
    )
    assert [e.config_path for e in errors] == ["data_preprocessor"]
    assert "Plain takes no data_preprocessor argument" in str(errors[0])
    untyped = {"num_classes": 10, "mean": [1.0]}  # a model completes it (MMPretrain's do)
    assert check_config({"model": {"type": Net}, "data_preprocessor": untyped}) == ([], [])


@pytest.fixture
def digits(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    pytest.importorskip("sklearn")
    monkeypatch.chdir(REPO)  # custom_imports: examples.digits.components
    from examples.digits.components import DigitsCNN

    class DigitsNet(DigitsCNN):
        """The example's CNN with MMEngine's BaseModel arguments; like MMPretrain's models, it
        gives its data preprocessor a default type."""

        def __init__(self, data_preprocessor: Any, init_cfg: Any, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.init_cfg = init_cfg
            self.data_preprocessor = MODELS.build(
                {"type": "ImgDataPreprocessor", **data_preprocessor}
            )

    cfg = Config.fromfile(DIGITS).to_dict()
    cfg["model"]["type"] = DigitsNet
    cfg["model"]["init_cfg"] = {"type": "Kaiming", "layer": "Conv2d", "mode": "fan_in"}
    cfg["data_preprocessor"] = {"mean": [0.5], "std": [0.25]}
    cfg["train_cfg"]["max_epochs"] = 2
    cfg["param_scheduler"] = []
    cfg["custom_hooks"] = []
    cfg["default_hooks"] = {"checkpoint": None}
    cfg["visualizer"] = {"type": "Visualizer", "vis_backends": []}
    cfg["work_dir"] = str(tmp_path)
    return cfg


def test_the_digits_example_trains_with_a_preprocessor_and_init_cfg(digits: dict[str, Any]) -> None:
    runner = Runner.from_cfg(digits)
    model = runner.model
    assert model.is_init
    assert model.params_init_info()["features.0.weight"].endswith(
        "mode=fan_in, nonlinearity=relu, distribution=normal, bias=0"
    )
    seen: list[torch.Tensor] = []
    model.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    runner.train()
    assert seen
    assert seen[0].min().item() == -2.0
    assert runner.val()["accuracy/top1"] > 85


class Toy(BaseModel):
    def __init__(self, init_cfg: Any = None, data_preprocessor: Any = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = nn.Linear(2, 2)
        self.head = nn.Linear(2, 2)

    def forward(self, *inputs: Any, mode: str = "tensor", **kwargs: Any) -> Any:
        return inputs


class Dynamic(Toy):
    def __init__(self, init_cfg: Any = None) -> None:
        super().__init__(init_cfg)
        for i in range(2):
            self.add_module(f"layer{i}", nn.Linear(2, 2))


@pytest.mark.parametrize(
    ("model", "path", "match"),
    [
        (
            {"type": Toy, "init_cfg": {"type": "Normal", "override": {"nam": "head"}}},
            "model.init_cfg.override.nam",
            "did you mean 'name'",
        ),
        (
            {"type": Toy, "init_cfg": [{"type": "Normal", "override": {"name": "haed"}}]},
            "model.init_cfg.0.override.name",
            "did you mean 'head'",
        ),
        (
            {"type": Toy, "init_cfg": {"type": "Pretrained", "checkpoint": "torchvision://r50"}},
            "model.init_cfg.checkpoint",
            "local files only",
        ),
        (
            {"type": Toy, "data_preprocessor": {"type": "ImgDataPreprocessor", "mean": [1, 2]}},
            "model.data_preprocessor.mean",
            "1 value",
        ),
    ],
)
def test_check_finds_what_init_weights_and_the_build_refuse(
    model: dict[str, Any], path: str, match: str
) -> None:
    errors, _ = check_config({"model": model})
    found = {str(e.config_path): str(e) for e in errors}
    assert path in found, found
    assert match in found[path]


def test_an_override_of_a_child_added_by_a_computed_name_is_not_refused() -> None:
    cfg = {"type": Dynamic, "init_cfg": {"type": "Normal", "override": {"name": "layer1"}}}
    errors, _ = check_config({"model": cfg})
    assert errors == []
    cfg["type"] = Toy
    assert check_config({"model": cfg})[0]
