"""`python -m python_core ...` is `booklore-sync ...`: how the plugin starts the core
from its bundle, where no console script is installed."""

import sys

from python_core.cli import main

sys.exit(main())
