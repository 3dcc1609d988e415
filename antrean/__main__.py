"""`python -m antrean`: the same as the `antrean` command."""

import sys

from antrean.cli import main

sys.exit(main())
