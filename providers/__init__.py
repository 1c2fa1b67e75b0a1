"""regwire's bottom layer: providers for registered callables and the config compiler.

Depends on ``dependency_injector`` only; knows nothing of registries, files or torch.
"""

from ._compile import (
    RESERVED_KEYS,
    ConfigCompiler,
    Keys,
    NodeInfo,
    Resolver,
    copy_plain,
    node_at,
)
from ._errors import (
    PATH,
    BuildError,
    RegwireError,
    describe_path,
    describe_target,
    did_you_mean,
    join_path,
    nearest,
    suggestion,
    with_section,
)
from ._nodes import provider_for, replacement_provider

__all__ = [
    "PATH",
    "RESERVED_KEYS",
    "BuildError",
    "ConfigCompiler",
    "Keys",
    "NodeInfo",
    "RegwireError",
    "Resolver",
    "copy_plain",
    "describe_path",
    "describe_target",
    "did_you_mean",
    "join_path",
    "nearest",
    "node_at",
    "provider_for",
    "replacement_provider",
    "suggestion",
    "with_section",
]
