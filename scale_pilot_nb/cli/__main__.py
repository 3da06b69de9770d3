"""``python -m scale_pilot_nb.cli``: the same as the ``scale-compose`` command."""

import sys

from scale_pilot_nb.cli import main

sys.exit(main())
