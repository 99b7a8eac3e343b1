import sys

from pgan.cli import main

sys.exit(main())
