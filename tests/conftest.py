"""What every test shares: the ``regwire`` logger's records reach pytest's log capture."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


class _ToRootHandlers(logging.Handler):
    """Hands each record to the root logger's handlers of the moment, where pytest's
    ``caplog`` and its report sections listen: the ``regwire`` logger does not propagate
    (a script's own root handlers must not print its lines twice).

    pytest attaches its handlers to the loggers that do not propagate when a test phase
    starts; this covers a phase during which the first run switched propagation off, and
    skips handlers pytest attached to ``regwire`` itself (no record twice)."""

    def emit(self, record: logging.LogRecord) -> None:
        regwire = logging.getLogger("regwire")
        if regwire.propagate:  # no run made yet: the records reach the root by themselves
            return
        for handler in logging.getLogger().handlers:
            if handler not in regwire.handlers and record.levelno >= handler.level:
                handler.handle(record)


@pytest.fixture(autouse=True, scope="session")
def regwire_records_to_caplog() -> Iterator[None]:
    logger = logging.getLogger("regwire")
    handler = _ToRootHandlers()
    logger.addHandler(handler)
    yield
    logger.removeHandler(handler)
