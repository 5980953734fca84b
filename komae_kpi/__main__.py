import sys

try:
    from komae_kpi.cli import main
except KeyboardInterrupt:  # Ctrl-C while the command's modules are still loading
    print("中断しました", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
