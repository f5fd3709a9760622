"""The `crimac` console script.

`crimac <command>` runs the project's commands (listed by `crimac --help`); any other Django
management command works too (`crimac check`, `crimac shell`, `crimac makemigrations`).
"""

from __future__ import annotations

import os
import sys

COMMANDS = {
    "serve": "serve the web app and API (uvicorn; HTTP and WebSocket)",
    "worker": "send e-mail, SMS and webhooks from the outbox; escalate and remind (runs in serve too)",
    "migrate": "create or update the database tables",
    "demo": "load a realistic demo directory and demo log-ins (not in production)",
    "createadmin": "create an administrator account",
    "apikey": "create, list and revoke agencies' API keys",
    "import-lgd": "apply a newer LGD States or Districts export",
    "expire-alerts": "mark published alerts past their expiry as expired (run from a timer)",
    "escalate": "escalate overdue flash/immediate deliveries and send hit reminders (the worker does too)",
    "eval-matching": "score person matching on a labelled JSONL file against two baselines",
    "gen-names": "write a labelled JSONL file of realistic Indian name variants for eval-matching",
    "report": "participation, timeliness and compliance reports (json, csv, html, pdf)",
    "digest": "send the weekly digest of silent stations and unacknowledged alerts",
    "oversight-tally": "recount oversight's kept figures from the alerts; --check compares only",
    "search-reindex": "rebuild the full-text search index; forget searches older than 72 hours",
    "matching-backfill": "correlate alerts whose correlation was lost (a crash); --all rebuilds every key",
}
ALIASES = {
    "import-lgd": "import_lgd",
    "expire-alerts": "expire_alerts",
    "eval-matching": "eval_matching",
    "gen-names": "gen_names",
    "matching-backfill": "matching_backfill",
    "oversight-tally": "oversight_tally",
    "search-reindex": "search_reindex",
}


def usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = ["usage: crimac <command> [options]", "", "commands:"]
    lines += [f"  {name.ljust(width)}  {text}" for name, text in COMMANDS.items()]
    lines += [
        "",
        "`crimac <command> --help` describes a command's options.",
        "Settings come from CRIMAC_* environment variables (docs/operator-guide.md).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(usage())
        return 0
    if args[0] == "--version":
        from crimac import __version__

        print(__version__)
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crimac.settings")
    from django.core.management import execute_from_command_line

    command = ALIASES.get(args[0], args[0])
    execute_from_command_line(["crimac", command, *args[1:]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
