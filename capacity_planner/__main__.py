"""`python -m capacity_planner --env ENV [...]`: see capacity_planner.cli for the options."""

import sys

from capacity_planner.cli import main

sys.exit(main())
