"""regwire's bottom layer: providers for registered callables and the config compiler.

Depends on ``dependency_injector`` only; knows nothing of registries, files or torch.
"""

from ._compile import (
    RESERVED_KEYS,
    ConfigCompiler,
    Keys,
    NodeInfo,
    ProviderTree,
    Resolver,
    flag_error,
    key_error,
    no_type_error,
    node_call,
    type_error,
    with_defaults,
)
from ._config_params import config_params, keeps_config
from ._copying import copy_config, copy_plain
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
from ._lifetimes import (
    LIFETIMES,
    Lifetime,
    Managed,
    NotAResourceError,
    OnceResource,
    OnceSingleton,
    Overridden,
    check_lifetime,
    lifetime_of,
    managed,
)
from ._nodes import (
    RegisteredResource,
    RegisteredSingleton,
    provider_for,
    replacement_provider,
)
from ._scope_state import CURRENT as CURRENT_SCOPE
from ._scope_state import InScope
from ._tree import node_at

__all__ = [
    "CURRENT_SCOPE",
    "LIFETIMES",
    "PATH",
    "RESERVED_KEYS",
    "BuildError",
    "ConfigCompiler",
    "InScope",
    "Keys",
    "Lifetime",
    "Managed",
    "NodeInfo",
    "NotAResourceError",
    "OnceResource",
    "OnceSingleton",
    "Overridden",
    "ProviderTree",
    "RegisteredResource",
    "RegisteredSingleton",
    "RegwireError",
    "Resolver",
    "check_lifetime",
    "config_params",
    "copy_config",
    "copy_plain",
    "describe_path",
    "describe_target",
    "did_you_mean",
    "flag_error",
    "join_path",
    "keeps_config",
    "key_error",
    "lifetime_of",
    "managed",
    "nearest",
    "no_type_error",
    "node_at",
    "node_call",
    "provider_for",
    "replacement_provider",
    "suggestion",
    "type_error",
    "with_defaults",
    "with_section",
]
