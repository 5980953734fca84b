import sys

from komae_kpi.cli import main

sys.exit(main())
