"""`python -m lmzoo ...` runs the `lmzoo` command."""

import sys

from lmzoo_cli import main

sys.exit(main())
