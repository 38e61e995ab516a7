from poolmail.cli import main

raise SystemExit(main())
