"""The error family: where a problem is lives in fields, and the message is rendered from them."""

from __future__ import annotations

import pickle

import pytest

from container import ConfigError, RegistryError
from providers import PATH, BuildError, RegwireError, with_section


def test_the_path_leads_and_the_source_follows() -> None:
    error = RegwireError("must be an int", config_path="model.depth", source="a.yaml:4")
    assert str(error) == "'model.depth': must be an int [a.yaml:4]"
    assert error.message == "'model.depth': must be an int"


def test_a_sentence_names_its_path_where_it_says_so() -> None:
    error = ConfigError(f"cannot train without {PATH}", config_path="optim_wrapper")
    assert str(error) == "cannot train without 'optim_wrapper'"
    assert str(BuildError(f"could not build {PATH}", config_path="")) == "could not build '<root>'"


def test_without_a_path_the_message_stands_alone() -> None:
    assert str(RegwireError("no registry 'hok'")) == "no registry 'hok'"
    assert (
        str(RegistryError("'x' is not registered")) == "'x' is not registered"
    )  # no KeyError repr


def test_source_first_is_a_compilers_layout() -> None:
    error = ConfigError("cannot read it", config_path="a.b", source="c.yaml:2", source_first=True)
    assert str(error) == "c.yaml:2: a.b: cannot read it"
    assert str(ConfigError("bad", source="--cfg-options x", source_first=True)) == (
        "--cfg-options x: bad"
    )


def test_with_section_moves_the_path_and_the_message_follows() -> None:
    inner = RegistryError("'SDG' is not registered", config_path="optimizer.type")
    same = with_section(inner, "optim_wrapper")
    assert same is inner
    assert same.config_path == "optim_wrapper.optimizer.type"
    assert str(same) == "'optim_wrapper.optimizer.type': 'SDG' is not registered"
    in_sentence = with_section(BuildError(f"could not build {PATH}", config_path="norm"), "model")
    assert str(in_sentence) == "could not build 'model.norm'"
    assert with_section(RegwireError("whole section"), "hooks").config_path == "hooks"
    assert with_section(RegwireError("the root", config_path=""), "model").config_path == "model"


@pytest.mark.parametrize(
    "error",
    [
        RegwireError("plain"),
        ConfigError(f"{PATH} is wrong", config_path="a.b", source="f.yaml:3"),
        RegistryError("'x' is unknown", config_path="type"),
        ConfigError("bad", config_path="k", source="f.py:1", source_first=True),
    ],
)
def test_errors_survive_pickling(error: RegwireError) -> None:
    """Errors cross process boundaries (dataloader workers, torch.multiprocessing)."""
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert (copy.config_path, copy.source) == (error.config_path, error.source)
