from privastream_desktop.cli import main

raise SystemExit(main())
