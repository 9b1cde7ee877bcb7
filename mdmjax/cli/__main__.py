import sys

from mdmjax.cli import main

sys.exit(main())
