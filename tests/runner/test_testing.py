"""runner.testing: the pytest plugin's fixtures restore after passing and failing tests, the
training-container fixture trains in tmp_path, RunnerTestCase trains and cleans up, and
importing the plugin stays light."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import unittest
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from dependency_injector import providers
from torch.utils.data import DataLoader

import regwire_pytest
import runner.testing
from container import Config, ConfigError, Registry, RegistryError
from runner import MODELS, REGISTRIES, Runner
from runner.testing import (
    AppFactory,
    Overrides,
    RunnerTestCase,
    ToyDataset,
    ToyModel,
    epoch_based_cfg,
)

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
INNER = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")
"""Options of the inner pytest runs: hypothesis's plugin would import hypothesis in each."""

# -- the plugin: installed, and light -------------------------------------------------------


def test_importing_the_plugin_imports_nothing_of_regwire() -> None:
    code = (
        "import sys, regwire_pytest, runner.testing\n"
        "heavy = ('torch', 'container', 'providers', 'runner.app._container', 'runner.engine',"
        " 'runner.testing._toys')\n"
        "print([name for name in heavy if name in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_the_plugin_is_the_pytest11_entry_point(pytestconfig: pytest.Config) -> None:
    entry_points = importlib.metadata.entry_points(group="pytest11")
    assert [ep.value for ep in entry_points if ep.name == "regwire"] == ["regwire_pytest"]
    assert pytestconfig.pluginmanager.get_plugin("regwire") is regwire_pytest


def test_a_project_with_packages_of_regwires_names_still_runs_pytest(
    pytester: pytest.Pytester,
) -> None:
    """pytest loads the plugin in every project; one with its own ``container`` and ``runner``
    (common names) must start as before."""
    pytester.mkpydir("container").joinpath("__init__.py").write_text("WIDGET = 1\n")
    pytester.mkpydir("runner").joinpath("__init__.py").write_text("GADGET = 2\n")
    pytester.makeini("[pytest]\npythonpath = .\n")
    pytester.makepyfile(
        test_own="import container, runner\n\n"
        "def test_own_packages():\n    assert (container.WIDGET, runner.GADGET) == (1, 2)\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:hypothesispytest")
    result.assert_outcomes(passed=1)


# -- overriding names and providers for one test --------------------------------------------

OVERRIDE_NAMES = """
from container import Registry

THINGS = Registry("thing", scope="inner_things")


@THINGS.register_module()
class Real:
    def __init__(self, size=1):
        self.size = size


class Fake(Real):
    pass


def test_1_the_override_is_active(regwire_override):
    assert regwire_override(THINGS, "Real", Fake) is Fake
    assert type(THINGS.build({"type": "Real", "size": 2})) is Fake


def test_2_fails_with_overrides_active(regwire_override, regwire_override_provider):
    regwire_override(THINGS, "Real", Fake)
    regwire_override(THINGS, "Real", Fake(3))  # nested: a ready object
    regwire_override_provider(THINGS.providers["Real"], Real(4))  # the same provider
    assert THINGS.build({"type": "Real"}).size == 4
    raise AssertionError("an intended failure")


def test_3_the_next_test_sees_the_registered_class():
    assert type(THINGS.build({"type": "Real"})) is Real
    assert not THINGS.providers["Real"].overridden
"""

OVERRIDE_PROVIDERS = """
from dependency_injector import providers

FACTORY = providers.Factory(dict, value=1)


def test_1_a_value(regwire_override_provider):
    regwire_override_provider(FACTORY, {"value": 2})
    assert FACTORY() == {"value": 2}


def test_2_fails_with_a_provider_and_an_override_of_its_own(regwire_override_provider):
    regwire_override_provider(FACTORY, providers.Factory(dict, value=3))
    FACTORY.override(providers.Object({"value": 4}))  # made by the test, left behind
    assert FACTORY() == {"value": 4}
    raise AssertionError("an intended failure")


def test_3_the_next_test_sees_the_provider_as_it_was():
    assert FACTORY() == {"value": 1}
    assert not FACTORY.overridden
"""


@pytest.mark.parametrize("source", [OVERRIDE_NAMES, OVERRIDE_PROVIDERS], ids=["names", "providers"])
def test_overrides_are_undone_after_a_passing_and_a_failing_test(
    pytester: pytest.Pytester, source: str
) -> None:
    pytester.makepyfile(test_inner=source)
    result = pytester.runpytest(*INNER)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*test_2_*", "*AssertionError: an intended failure*"])


def test_overriding_an_unknown_name_says_what_is_there(regwire_override: Any) -> None:
    things = Registry("thing", scope="test_testing_unknown")
    things.register_module(module=dict, name="Known")
    with pytest.raises(RegistryError, match=r"'Knwon' is not registered .*did you mean 'Known'"):
        regwire_override(things, "Knwon", list)


def test_overrides_outside_pytest_are_undone_last_first() -> None:
    factory = providers.Factory(dict, value=1)
    things = Registry("thing", scope="test_testing_stack")
    things.register_module(module=dict, name="Real")
    with Overrides() as override:
        override.name(things, "Real", list)
        override.provider(things.providers["Real"], providers.Object("object"))
        override.provider(factory, {"value": 2})
        assert (things.build({"type": "Real"}), factory()) == ("object", {"value": 2})
    assert things.build({"type": "Real", "value": 3}) == {"value": 3}
    assert factory() == {"value": 1}


def test_a_container_override_is_undone_with_the_others() -> None:
    from dependency_injector import containers

    things = Registry("thing", scope="test_testing_container")
    things.register_module(module=dict, name="Real")
    fakes = containers.DynamicContainer()
    fakes.Real = providers.Object("fake")
    with Overrides() as override:
        assert override.container(things, fakes) is fakes
        assert things.build({"type": "Real"}) == "fake"
    assert things.build({"type": "Real"}) == {}
    assert things.overridden == ()


# -- a training container for one test ------------------------------------------------------


def test_the_app_trains_a_dict_config_in_tmp_path(regwire_app: AppFactory, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    cfg = epoch_based_cfg(str(elsewhere))
    before = Config(cfg)
    app = regwire_app(cfg, cfg_options=["train_cfg.max_epochs=1"])
    assert app.config.work_dir() == str(tmp_path / "work_dir")
    runner = app.runner()
    runner.train()
    assert runner.epoch == 1
    assert (tmp_path / "work_dir" / "epoch_1.pth").is_file()
    assert not elsewhere.exists()
    assert Config(cfg) == before  # the given config is not changed


def test_the_app_takes_components_and_config_values(regwire_app: AppFactory) -> None:
    model = ToyModel()
    overrides = {"model": model, "config.train_cfg.max_epochs": 1}
    runner = regwire_app(epoch_based_cfg("x"), overrides=overrides).runner()
    assert runner.model is model
    assert runner.optim_wrapper.optimizer.param_groups[0]["params"][0] is model.linear1.weight
    runner.train()
    assert runner.epoch == 1


def test_the_app_names_an_unknown_component(regwire_app: AppFactory) -> None:
    with pytest.raises(KeyError, match=r"'modle' is not a provider of .*did you mean 'model'"):
        regwire_app(epoch_based_cfg("x"), overrides={"modle": ToyModel()})


def test_the_app_rejects_a_typo_in_cfg_options(regwire_app: AppFactory) -> None:
    with pytest.raises(ConfigError, match=r"train_cfg.max_epoch.*did you mean"):
        regwire_app(epoch_based_cfg("x"), cfg_options=["train_cfg.max_epoch=1"])


def test_each_app_gets_its_own_work_dir(regwire_app: AppFactory, tmp_path: Path) -> None:
    dirs = [regwire_app(epoch_based_cfg("x")).config.work_dir() for _ in range(2)]
    named = regwire_app(epoch_based_cfg("x"), work_dir="run").config.work_dir()
    assert [*dirs, named] == [str(tmp_path / n) for n in ("work_dir", "work_dir_1", "run")]


YAML_APP = """\
model: {type: NotRegisteredAnywhere}
train_dataloader: {batch_size: 3, dataset: {type: NotRegisteredEither}}
train_cfg: {by_epoch: true, max_epochs: 3}
optim_wrapper: {optimizer: {type: SGD, lr: 0.1}}
randomness: {seed: 0}
work_dir: /nonexistent/work_dirs/app
"""


def test_the_runner_of_a_config_file_with_parts_replaced(
    regwire_runner: Any, tmp_path: Path
) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(YAML_APP, encoding="utf-8")
    data = DataLoader(ToyDataset(), batch_size=3)
    runner = regwire_runner(
        path,
        overrides={"model": ToyModel(), "train_dataloader": data},
        cfg_options=["train_cfg.max_epochs=1"],
    )
    assert isinstance(runner, Runner)
    runner.train()
    assert (runner.epoch, runner.iter) == (1, 4)
    assert (tmp_path / "work_dir" / "epoch_1.pth").is_file()


def test_the_runner_error_names_the_file_and_line(regwire_runner: Any, tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(YAML_APP, encoding="utf-8")
    with pytest.raises(RegistryError, match="NotRegisteredAnywhere") as caught:
        regwire_runner(path)
    assert caught.value.source is not None
    assert caught.value.source.endswith("app.yaml:1")


GLOBAL_STATE = """
import os
import torch
from runner.testing import epoch_based_cfg


def test_1_fails_with_a_deterministic_run(regwire_app):
    cfg = epoch_based_cfg("x")
    cfg["randomness"] = {"seed": 7, "deterministic": True}
    regwire_app(cfg).randomness()
    assert torch.are_deterministic_algorithms_enabled()
    assert os.environ["PYTHONHASHSEED"] == "7"
    raise AssertionError("an intended failure")


def test_2_the_next_test_is_not_deterministic():
    assert not torch.are_deterministic_algorithms_enabled()
    assert os.environ.get("PYTHONHASHSEED") != "7"
"""


@pytest.fixture
def not_deterministic() -> Iterator[None]:
    """torch's deterministic mode off for the test (another test may have left it on), and
    as it was after."""
    before = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(False)
    yield
    torch.use_deterministic_algorithms(before)


@pytest.mark.usefixtures("not_deterministic")
def test_the_app_restores_global_state_after_a_failing_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=GLOBAL_STATE)
    result = pytester.runpytest(*INNER)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*AssertionError: an intended failure*"])


# -- RunnerTestCase -------------------------------------------------------------------------


class TestRunnerTestCase(RunnerTestCase):
    """RunnerTestCase itself, as a user's test collected by pytest."""

    def test_the_epoch_based_cfg_trains_validates_and_tests(self) -> None:
        runner = self.build_runner(self.epoch_based_cfg)
        before = runner.val()["mae"]
        runner.train()
        assert (runner.epoch, runner.iter) == (2, 8)
        assert runner.val()["mae"] < before
        assert runner.test()["acc"] == 1
        work_dir = Path(self.temp_dir.name)
        assert {"epoch_1.pth", "epoch_2.pth"} <= {path.name for path in work_dir.iterdir()}

    def test_the_iter_based_cfg_trains(self) -> None:
        runner = self.build_runner(self.iter_based_cfg)
        runner.train()
        assert runner.iter == 12
        assert (Path(self.temp_dir.name) / "iter_12.pth").is_file()

    def test_the_cfgs_are_dicts_a_test_changes(self) -> None:
        assert isinstance(self.epoch_based_cfg, dict)
        self.epoch_based_cfg.train_cfg.max_epochs = 1
        self.epoch_based_cfg.val_evaluator = [
            {"type": runner.testing.ToyMetric, "dummy_metrics": {"acc": 0.5}}
        ]
        assert self.iter_based_cfg.train_cfg == {"by_epoch": False, "max_iters": 12}
        built = self.build_runner(self.epoch_based_cfg)
        built.train()
        assert built.epoch == 1
        assert built.val()["acc"] == 0.5

    def test_clear_work_dir_allows_a_fresh_run(self) -> None:
        self.build_runner(self.epoch_based_cfg).train()
        self.clear_work_dir()
        assert list(Path(self.temp_dir.name).iterdir()) == []
        self.build_runner(self.epoch_based_cfg).train()

    def test_experiment_names_are_unique(self) -> None:
        first, second = self.experiment_name, self.experiment_name
        assert first.startswith("test_experiment_names_are_unique_")
        assert first != second


def _run(case: unittest.TestCase) -> unittest.TestResult:
    result = unittest.TestResult()
    case.run(result)
    return result


def _registries() -> dict[str, dict[str, Any]]:
    MODELS.get("no such name")  # imports what registers into the registries, first
    return {name: dict(registry.module_dict) for name, registry in REGISTRIES.items()}


@pytest.mark.usefixtures("not_deterministic")
@pytest.mark.parametrize("fails", [False, True], ids=["passing", "failing"])
def test_runner_test_case_cleans_up_after_a_test(fails: bool) -> None:
    things = Registry("thing", scope=f"test_testing_case_{fails}")
    things.register_module(module=dict, name="Real")
    factory = providers.Factory(dict, value=1)
    registries = _registries()
    seen: dict[str, Any] = {}

    class Case(RunnerTestCase):
        def test_it(self) -> None:
            seen["work_dir"] = Path(self.temp_dir.name)
            self.override(things, "Real", list)
            self.override_provider(factory, {"value": 2})
            self.setup_dist_env()
            self.epoch_based_cfg.randomness = {"seed": 3, "deterministic": True}
            self.build_runner(self.epoch_based_cfg).train()
            assert torch.are_deterministic_algorithms_enabled()
            assert os.environ["MASTER_ADDR"] == "127.0.0.1"
            if fails:
                self.fail("an intended failure")

    master_addr = os.environ.get("MASTER_ADDR")
    result = _run(Case("test_it"))
    assert (len(result.failures), result.errors) == (int(fails), [])
    assert result.testsRun == 1
    assert not seen["work_dir"].exists()
    assert things.build({"type": "Real", "a": 1}) == {"a": 1}
    assert factory() == {"value": 1}
    assert not torch.are_deterministic_algorithms_enabled()
    assert os.environ.get("MASTER_ADDR") == master_addr
    assert _registries() == registries  # nothing registered, nothing left


def test_the_toys_are_registered_nowhere() -> None:
    for name in ("ToyModel", "ToyDataset", "ToyMetric"):
        assert all(name not in registry for registry in REGISTRIES.values())
