"""Check a config against the registries before anything is built, and report every problem.

:func:`validate_with` walks a config the way the compiler in ``providers`` builds it: every
mapping with a ``type`` key is a node, at any depth inside dicts, lists and tuples, except
under a node with ``_recursive_: false``, whose values are passed as they are. For each node
it checks, without calling anything:

* that ``type`` resolves (the registry's own message, nearest names suggested);
* that every key is a keyword the callable accepts (unless it takes ``**kwargs``);
* that no required argument is missing (``_partial_`` nodes get theirs later);
* that each value fits the parameter's annotation, where that can be decided
  (:mod:`container._typematch`), a nested node by what it builds;
* that attrs validators accept the value, where they can run on the value alone.

A problem is a :class:`RegwireError` whose ``config_path`` says where it is and whose message
never says it; it is reported, never raised, so one pass finds them all.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Protocol

from providers import (
    PATH,
    RESERVED_KEYS,
    BuildError,
    Keys,
    RegwireError,
    Resolver,
    config_params,
    describe_target,
    did_you_mean,
    flag_error,
    join_path,
    keeps_config,
    key_error,
    lifetime_of,
    no_type_error,
    type_error,
    with_defaults,
)

from ._errors import ConfigError
from ._signature import Signature, analyse, validator_message
from ._typematch import NodeResult, mismatch_message

SourceOf = Callable[[str], object]
"""``source_of(dotted_path)``: where the value at that path was written, or None."""

# Values that never hold a node; checked first because most arguments are one.
_ATOMS = frozenset({str, int, float, bool, type(None), bytes, complex})
_TYPE, _PARTIAL, _RECURSIVE, _SCOPE, _LIFETIME = (str(key) for key in Keys)


class ValidationError(RegwireError):
    """The problems found in a config, all of them; ``str()`` gives one line for each.

    Raised by :func:`check`; ``problems`` holds the errors themselves, each with its config
    path and source.
    """

    def __init__(self, problems: Sequence[RegwireError]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the config")
        self.problems = list(problems)

    @property
    def message(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


class Validates(Protocol):
    """What :func:`validate` needs of a registry."""

    def validate(
        self,
        cfg: Any,
        *,
        path: str = "",
        source_of: SourceOf | None = None,
        default_args: Mapping[str, Any] | None = None,
        given: Collection[str] = (),
    ) -> list[RegwireError]: ...


def validate(
    cfg: Any,
    registry: Validates,
    *,
    path: str = "",
    source_of: SourceOf | None = None,
    default_args: Mapping[str, Any] | None = None,
    given: Collection[str] = (),
) -> list[RegwireError]:
    """Return every problem that building ``cfg`` with ``registry`` would meet; see
    :meth:`container.Registry.validate`."""
    return registry.validate(
        cfg, path=path, source_of=source_of, default_args=default_args, given=given
    )


def check(
    cfg: Any,
    registry: Validates,
    *,
    path: str = "",
    source_of: SourceOf | None = None,
    default_args: Mapping[str, Any] | None = None,
    given: Collection[str] = (),
) -> None:
    """:func:`validate` ``cfg``, and raise when it finds anything.

    Raises:
        ValidationError: Every problem found, one line each.
    """
    problems = validate(
        cfg, registry, path=path, source_of=source_of, default_args=default_args, given=given
    )
    if problems:
        raise ValidationError(problems)


def validate_with(
    resolve: Resolver,
    cfg: Any,
    *,
    path: str = "",
    source_of: SourceOf | None = None,
    default_args: Mapping[str, Any] | None = None,
    given: Collection[str] = (),
    scope: str | None = None,
) -> list[RegwireError]:
    """Check ``cfg`` as a registry whose lookups are ``resolve`` would build it.

    Args:
        resolve: The registry's lookup, as the compiler gets it.
        cfg: The config; anything but a mapping has nothing to check.
        path: Where ``cfg`` stands in a larger config; problems name paths under it.
        source_of: Where the value at a dotted path was written; when given, each problem's
            ``source`` is that of its path or of the nearest ancestor that has one.
        default_args: What the build would be given for keys ``cfg`` lacks (live values,
            passed as they are: checked against the signature, not walked).
        given: The names of arguments the caller passes itself when it builds ``cfg`` (a
            dataloader's ``dataset``): counted as present, not checked.
        scope: The scope names are resolved in first (the default scope).

    Returns:
        The problems, in the order of the config; empty when there are none.
    """
    if not isinstance(cfg, Mapping):
        return []
    walk = _Walk(resolve)
    walk.node(cfg, path, scope, default_args, frozenset(given))
    if source_of is not None:
        for problem in walk.problems:
            locate(problem, source_of)
    return walk.problems


def locate(problem: RegwireError, source_of: SourceOf) -> RegwireError:
    """Fill in ``problem.source`` from the nearest path, walking up, that has a source."""
    if problem.source is not None or problem.config_path is None:
        return problem
    path = problem.config_path
    while path:
        try:
            found = source_of(path)
        except (RegwireError, KeyError, ValueError, TypeError):
            found = None
        if found is not None:
            problem.source = str(found)
            break
        path = path.rpartition(".")[0]
    return problem


STRICT_CONFIGS = frozenset({"pipeline", "transforms", "init_cfg"})
"""Configs whose entries their callable builds as written (a dataset's pipeline through
``Compose``, a module's ``init_cfg`` through its initializers): checked fully."""


def _sure(problem: RegwireError) -> bool:
    """Inside a config its callable builds itself, what the reader may supply or take (a
    missing argument, an argument no parameter is near) is no sure mistake; a near miss is."""
    text = str(problem)
    if "missing the required argument" in text:
        return False
    return "takes no argument" not in text or "did you mean" in text


def _kept(target: Any, key: str) -> bool:
    """Whether the build passes ``key``'s config as written (``providers.config_params``)."""
    return target is not None and keeps_config(config_params(target), key)


class _Walk:
    """One pass over a config: the nodes it finds, checked, and the problems, collected."""

    __slots__ = ("_resolve", "_soft", "problems")

    def __init__(self, resolve: Resolver, *, soft: bool = False) -> None:
        self._resolve = resolve
        self._soft = soft  # inside a config the callable builds itself (see _kept)
        self.problems: list[RegwireError] = []

    def node(
        self,
        cfg: Mapping[Any, Any],
        path: str,
        scope: str | None,
        default_args: Mapping[str, Any] | None = None,
        given: frozenset[str] = frozenset(),
    ) -> NodeResult:
        """Check one node and what it holds; return what it builds, for the caller's check."""
        cfg, constants = with_defaults(cfg, default_args)
        partial = self._flag(cfg, Keys.PARTIAL, path, default=False)
        recursive = self._flag(cfg, Keys.RECURSIVE, path, default=True)
        if _LIFETIME in cfg:
            try:
                lifetime_of(cfg[_LIFETIME], path)
            except BuildError as exc:
                self.problems.append(exc)
        scope = cfg.get(_SCOPE, scope)
        target, name = self._target(cfg, scope, path)
        signature = analyse(target) if target is not None else None
        arguments = _Arguments(self.problems, signature, name, target)
        if not partial:  # a partial node's missing arguments come when it is called
            arguments.missing(
                path, given=lambda key: key in cfg or key in constants or key in given
            )
        for key, value in cfg.items():
            if key in RESERVED_KEYS:
                continue
            if not isinstance(key, str):
                self.problems.append(key_error(key, path))
                continue
            key_path = join_path(path, key)
            if value.__class__ not in _ATOMS and recursive:
                if _kept(target, key):
                    self._check_kept(value, key_path, scope, strict=key in STRICT_CONFIGS)
                else:
                    value = self.value(value, key_path, scope)
            arguments.check(key, value, key_path)
        for key, value in constants.items():
            arguments.check(key, value, join_path(path, key))
        if partial:
            return NodeResult(name, target, functools.partial, partial=True)
        return NodeResult(name, target, signature.result if signature else None)

    def value(self, value: Any, path: str, scope: str | None) -> Any:
        """Check the nodes in a value; return it with each node replaced by what it builds."""
        if value.__class__ in _ATOMS:
            return value
        if isinstance(value, Mapping):
            if _TYPE in value:
                return self.node(value, path, scope)
            return {
                key: self.value(item, join_path(path, key), scope) for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            items = [
                self.value(item, join_path(path, index), scope) for index, item in enumerate(value)
            ]
            return items if isinstance(value, list) else tuple(items)
        return value

    def _check_kept(self, value: Any, path: str, scope: str | None, *, strict: bool) -> None:
        """Check the nodes of a config the callable builds itself, softly: a ``type`` no
        registry here knows, and that is near no name it knows, may be the callable's own
        (a ``norm_cfg``'s ``BN``); a near one is taken for a typo. ``strict`` (a pipeline,
        an ``init_cfg``: each entry built as written) checks their arguments fully."""
        inner = _Walk(self._resolve, soft=not strict)
        inner.value(value, path, scope)
        self.problems.extend(p for p in inner.problems if strict or _sure(p))

    def _target(
        self, cfg: Mapping[Any, Any], scope: str | None, path: str
    ) -> tuple[Callable[..., Any] | None, str]:
        """The callable a node's ``type`` names and the name messages use for it."""
        if _TYPE not in cfg:
            self.problems.append(no_type_error(cfg, path))
            return None, ""
        type_ = cfg[_TYPE]
        if type_.__class__ is str:
            try:
                provider = self._resolve(type_, scope, path)
            except RegwireError as exc:
                if not self._soft or "did you mean" in str(exc):
                    self.problems.append(exc)
                return None, type_
            return getattr(provider, "provides", None), type_
        if callable(type_):
            return type_, describe_target(type_)
        self.problems.append(type_error(type_, path))
        return None, repr(type_)

    def _flag(self, cfg: Mapping[Any, Any], key: Keys, path: str, *, default: bool) -> bool:
        if key not in cfg:
            return default
        value = cfg[key]
        if isinstance(value, bool):
            return value
        self.problems.append(flag_error(key, value, path))
        return default


class _Arguments:
    """Checks the arguments a node gives its callable against the callable's signature."""

    __slots__ = ("_name", "_problems", "_signature", "_target")

    def __init__(
        self, problems: list[RegwireError], signature: Signature | None, name: str, target: object
    ) -> None:
        self._problems = problems
        self._signature = signature
        self._name = name
        self._target = target

    @property
    def _described(self) -> str:
        """The callable as the build's errors name it: ``'Norm' (pkg.Norm)``."""
        return f"{self._name!r} ({describe_target(self._target)})"

    def missing(self, path: str, given: Callable[[str], bool]) -> None:
        """Report the required arguments that are not ``given``."""
        signature = self._signature
        if signature is None or not signature.known:
            return
        for name in signature.required:
            if name in RESERVED_KEYS or not given(name):
                self._problems.append(
                    BuildError(
                        f"{self._described} is missing the required argument {name!r}",
                        config_path=path,
                    )
                )
        for name in signature.positional:
            self._problems.append(
                BuildError(
                    f"{self._described} takes {name!r} only by position, so a config "
                    "cannot give it; register a callable that takes it by keyword",
                    config_path=path,
                )
            )

    def check(self, key: str, value: Any, key_path: str) -> None:
        """Report ``key`` if the callable does not take it, or ``value`` if it does not fit."""
        signature = self._signature
        if signature is None or not signature.known:
            return
        if key in signature.keywords:
            self._value(signature, key, value, key_path)
            return
        if signature.var_keyword:
            return
        accepted = signature.accepted
        self._problems.append(
            BuildError(
                f"{self._described} takes no argument {key!r}"
                f"{did_you_mean(key, accepted)} (its arguments: {', '.join(accepted)})",
                config_path=key_path,
            )
        )

    def _value(self, signature: Signature, key: str, value: Any, key_path: str) -> None:
        checker = signature.checkers.get(key)
        if checker is not None and not (value is None and key in signature.none_default):
            found = checker(value, key_path)
            for where, hint, got in found:
                self._problems.append(
                    ConfigError(f"{PATH} {mismatch_message(hint, got)}", config_path=where)
                )
            if found:
                return
        field = signature.validators.get(key)
        if field is not None and _plain(value):
            text = validator_message(field, value)
            if text:
                self._problems.append(
                    ConfigError(
                        f"{PATH} is rejected by {self._described}: {text}", config_path=key_path
                    )
                )


def _plain(value: Any) -> bool:
    """Whether a value holds no config node (a validator would see built objects)."""
    if isinstance(value, NodeResult):
        return False
    if isinstance(value, Mapping):
        return all(_plain(item) for item in value.values())
    if isinstance(value, list | tuple):
        return all(_plain(item) for item in value)
    return True
