"""``python -m runner ...`` is the ``regwire`` command (and ``torchrun -m runner ...``)."""

import sys

from .app.cli import main

sys.exit(main())
