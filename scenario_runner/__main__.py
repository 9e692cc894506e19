"""`python -m scenario_runner --scenario NAME [...]`: see scenario_runner.run for the options."""

import sys

from scenario_runner.run import main

sys.exit(main())
