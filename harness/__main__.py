from harness.cli import main  # harness/cli.py imports only the standard library first

raise SystemExit(main())
