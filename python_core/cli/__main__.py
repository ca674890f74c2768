import sys

from python_core.cli.main import main

sys.exit(main())
