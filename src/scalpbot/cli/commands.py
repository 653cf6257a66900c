"""The top-level commands, as `name: "module:attribute"`; adding one touches one line.

Commands are imported only when used, so `scalpbot charges` does not pay for SQLAlchemy and
`scalpbot backtest` starts in a fraction of a second.
"""

from __future__ import annotations

COMMANDS: dict[str, str] = {
    "admin": "scalpbot.cli.admin:admin_command",
    "alerts": "scalpbot.cli.alerts:alerts_command",
    "backtest": "scalpbot.cli.backtest:backtest_command",
    "charges": "scalpbot.cli.charges:charges_command",
    "data": "scalpbot.cli.data:data_command",
    "db": "scalpbot.cli.db:db_command",
    "init": "scalpbot.cli.init:init_command",
    "login": "scalpbot.cli.login:login_command",
    "optimize": "scalpbot.cli.optimize:optimize_command",
    "run": "scalpbot.cli.run:run_command",
    "sandbox": "scalpbot.cli.sandbox:sandbox_command",
    "serve": "scalpbot.cli.serve:serve_command",
}
