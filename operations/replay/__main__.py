import sys

from operations.replay.cli import main

sys.exit(main())
