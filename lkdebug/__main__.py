from lkdebug.cli import main

raise SystemExit(main())
