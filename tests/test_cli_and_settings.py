"""The `crimac` console script, run for real in subprocesses, and the CRIMAC_* settings it reads."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

STRONG_PASSWORD = "Blue-Tiger-Rides-42-Trains"
KEY = re.compile(r"cmk_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}")
DEMO_USERNAMES = ["admin", "analyst", "dl.nodal", "dl.sho", "as.nodal", "hr.sp", "jh.sho2"]


def base_env(data_dir: Path, database: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without any CRIMAC_* or Django setting, then ours."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("CRIMAC_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        {
            "CRIMAC_ENV": "test",
            "CRIMAC_DATA_DIR": str(data_dir),
            "CRIMAC_DATABASE_URL": f"sqlite:///{database}",
        }
    )
    env.update(extra)
    return env


@dataclass
class Cli:
    dir: Path
    database: Path

    def env(self, **extra: str) -> dict[str, str]:
        return base_env(self.dir, self.database, **extra)

    def run(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "crimac.cli", *args],
            env=env if env is not None else self.env(),
            cwd=self.dir,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = self.run(*args)
        assert result.returncode == 0, f"crimac {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result

    def query(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.database) as conn:
            return list(conn.execute(sql, params))


def fresh_cli(tmp: Path) -> Cli:
    return Cli(tmp, tmp / "x.sqlite3")


def refused(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """Assert the command failed and its error output names every word; return that output."""
    assert result.returncode != 0, f"expected a failure, got:\n{result.stdout}\n{result.stderr}"
    output = result.stderr + result.stdout
    for word in words:
        assert word in output, f"{word!r} not in the error output:\n{output}"
    return output


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    cli = fresh_cli(tmp_path_factory.mktemp("cli"))
    result = cli.ok("migrate", "--verbosity", "0")
    assert result.stderr == ""
    return cli


@pytest.fixture(scope="module")
def first_demo(migrated: Cli) -> subprocess.CompletedProcess[str]:
    """`crimac demo` on the freshly migrated database (run once for the module)."""
    return migrated.ok("demo")


@pytest.fixture(scope="module")
def cli(migrated: Cli, first_demo: subprocess.CompletedProcess[str]) -> Cli:
    """The module's database, migrated and with the demo directory loaded."""
    return migrated


# --- the command list -------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["help"], []])
def test_help_lists_the_commands(tmp_path: Path, args: list[str]) -> None:
    result = fresh_cli(tmp_path).ok(*args)

    assert result.stdout.startswith("usage: crimac <command>")
    listed = re.findall(r"^  (\S+)  ", result.stdout, re.M)
    for command in ["serve", "migrate", "demo", "createadmin", "apikey", "import-lgd"]:
        assert command in listed


def test_version(tmp_path: Path) -> None:
    result = fresh_cli(tmp_path).ok("--version")

    assert re.fullmatch(r"\d+\.\d+\.\d+\S*\n", result.stdout)


def test_a_command_describes_its_options(tmp_path: Path) -> None:
    result = fresh_cli(tmp_path).ok("demo", "--help")

    assert "--once" in result.stdout
    assert "--per-district" in result.stdout


def test_import_lgd_alias_reaches_the_command(tmp_path: Path) -> None:
    result = fresh_cli(tmp_path).ok("import-lgd", "--help")

    assert "--retire-missing" in result.stdout


def test_unknown_command_fails(tmp_path: Path) -> None:
    refused(fresh_cli(tmp_path).run("frobnicate"), "frobnicate")


# --- demo -------------------------------------------------------------------------------------


def test_demo_prints_the_log_ins_and_an_agency_count(
    cli: Cli, first_demo: subprocess.CompletedProcess[str]
) -> None:
    out = first_demo.stdout
    match = re.search(r"demo directory: (\d+) agencies, (\d+) police stations", out)
    assert match is not None, out
    agencies = cli.query("SELECT count(*) FROM directory_agency")[0][0]
    stations = cli.query("SELECT count(*) FROM directory_agency WHERE kind = 'police_station'")[0][0]
    assert int(match.group(1)) == agencies
    assert int(match.group(2)) == stations
    assert "password for all: crimac-demo" in out
    for username in DEMO_USERNAMES:
        assert re.search(rf"^  {re.escape(username)}\s+\S+\s+\S+$", out, re.M), username
    users = {row[0] for row in cli.query("SELECT username FROM directory_user")}
    assert set(DEMO_USERNAMES) <= users


def test_second_demo_without_once_fails_clearly(cli: Cli) -> None:
    agencies = cli.query("SELECT count(*) FROM directory_agency")[0][0]

    result = cli.run("demo")

    output = refused(result, "already loaded", "--once")
    assert "Traceback" not in output
    assert cli.query("SELECT count(*) FROM directory_agency")[0][0] == agencies


def test_second_demo_with_once_succeeds_and_changes_nothing(cli: Cli) -> None:
    agencies = cli.query("SELECT count(*) FROM directory_agency")[0][0]

    result = cli.ok("demo", "--once")

    assert "demo data already loaded" in result.stdout
    assert "dl.sho" in result.stdout
    assert cli.query("SELECT count(*) FROM directory_agency")[0][0] == agencies


def test_demo_refuses_negative_station_count(cli: Cli) -> None:
    refused(cli.run("demo", "--stations", "-1"), "--stations")


def test_demo_with_one_station_per_district(tmp_path: Path) -> None:
    cli = fresh_cli(tmp_path)
    cli.ok("migrate", "--verbosity", "0")

    result = cli.run("demo", "--per-district", "1")

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "demo log-ins" in result.stdout
    users = {row[0] for row in cli.query("SELECT username FROM directory_user")}
    assert set(DEMO_USERNAMES) <= users


# --- createadmin ------------------------------------------------------------------------------


def test_createadmin(cli: Cli) -> None:
    result = cli.ok("createadmin", "--username", "ops", "--password", STRONG_PASSWORD)

    assert "administrator ops created in NCRB" in result.stdout
    rows = cli.query(
        "SELECT u.role, u.is_superuser, a.code FROM directory_user u "
        "JOIN directory_agency a ON a.id = u.agency_id WHERE u.username = ?",
        "ops",
    )
    assert rows == [("admin", 1, "NCRB")]
    check = cli.ok(
        "shell",
        "-c",
        "from django.contrib.auth import authenticate; "
        f"print('AUTH', authenticate(username='ops', password='{STRONG_PASSWORD}') is not None)",
    )
    assert "AUTH True" in check.stdout
    audit = cli.query("SELECT via FROM audit_auditevent WHERE action = 'user.create' AND object_repr = 'ops'")
    assert audit == [("cli",)]


def test_createadmin_in_another_agency(cli: Cli) -> None:
    cli.ok("createadmin", "--username", "ops.dl", "--agency", "dl-hq", "--password", STRONG_PASSWORD)

    rows = cli.query(
        "SELECT a.code FROM directory_user u JOIN directory_agency a ON a.id = u.agency_id "
        "WHERE u.username = 'ops.dl'"
    )
    assert rows == [("DL-HQ",)]


def test_createadmin_with_unknown_agency_names_the_option(cli: Cli) -> None:
    result = cli.run("createadmin", "--username", "ops2", "--password", STRONG_PASSWORD, "--agency", "NOPE")

    output = refused(result, "--agency", "NOPE")
    assert "Traceback" not in output
    assert cli.query("SELECT count(*) FROM directory_user WHERE username = 'ops2'")[0][0] == 0


def test_createadmin_refuses_a_weak_password(cli: Cli) -> None:
    result = cli.run("createadmin", "--username", "weakling", "--password", "12345")

    refused(result, "--password")
    assert cli.query("SELECT count(*) FROM directory_user WHERE username = 'weakling'")[0][0] == 0


def test_createadmin_refuses_a_taken_username(cli: Cli) -> None:
    result = cli.run("createadmin", "--username", "DL.SHO", "--password", STRONG_PASSWORD)

    refused(result, "--username", "already taken")


# --- apikey -----------------------------------------------------------------------------------


def test_apikey_create_list_revoke(cli: Cli) -> None:
    created = cli.ok("apikey", "create", "--agency", "DL-HQ", "--name", "x")

    raw = created.stdout.strip()
    assert created.stdout == raw + "\n", "stdout holds the key and nothing else"
    assert KEY.fullmatch(raw), raw
    match = re.search(r"key (\d+) for DL-HQ \(x\)", created.stderr)
    assert match is not None, created.stderr
    key_id = match.group(1)
    prefix = raw.split("_")[1]
    stored = cli.query("SELECT prefix, key_hash, revoked_at FROM directory_apikey WHERE id = ?", int(key_id))
    assert stored[0][0] == prefix
    assert raw not in stored[0][1]
    assert stored[0][2] is None

    listed = cli.ok("apikey", "list")
    line = next((ln for ln in listed.stdout.splitlines() if ln.split()[:1] == [key_id]), None)
    assert line is not None, listed.stdout
    assert "DL-HQ" in line and prefix in line and "active" in line and line.endswith(" x")
    assert raw not in listed.stdout

    revoked = cli.ok("apikey", "revoke", key_id)
    assert f"revoked key {key_id} (DL-HQ: x)" in revoked.stdout
    assert cli.query("SELECT revoked_at FROM directory_apikey WHERE id = ?", int(key_id))[0][0] is not None

    active_only = cli.ok("apikey", "list")
    assert not any(ln.split()[:1] == [key_id] for ln in active_only.stdout.splitlines())
    everything = cli.ok("apikey", "list", "--all")
    line = next(ln for ln in everything.stdout.splitlines() if ln.split()[:1] == [key_id])
    assert "revoked" in line
    actions = [
        row[0]
        for row in cli.query(
            "SELECT action FROM audit_auditevent WHERE object_type = 'directory.apikey' AND object_id = ? "
            "ORDER BY id",
            key_id,
        )
    ]
    assert actions == ["apikey.create", "apikey.revoke"]


def test_apikey_list_by_agency(cli: Cli) -> None:
    cli.ok("apikey", "create", "--agency", "AS-HQ", "--name", "assam-only")

    listed = cli.ok("apikey", "list", "--agency", "AS-HQ")

    rows = listed.stdout.splitlines()[1:]
    assert rows
    assert all(" AS-HQ " in row for row in rows)
    assert any(row.endswith(" assam-only") for row in rows)


def test_apikey_create_for_unknown_agency_fails_clearly(cli: Cli) -> None:
    keys = cli.query("SELECT count(*) FROM directory_apikey")[0][0]

    result = cli.run("apikey", "create", "--agency", "NOPE", "--name", "x")

    output = refused(result, "--agency", "NOPE")
    assert "Traceback" not in output
    assert result.stdout == ""
    assert cli.query("SELECT count(*) FROM directory_apikey")[0][0] == keys


def test_apikey_create_with_blank_name_fails_clearly(cli: Cli) -> None:
    refused(cli.run("apikey", "create", "--agency", "DL-HQ", "--name", "  "), "--name")


def test_apikey_revoke_unknown_id_fails_clearly(cli: Cli) -> None:
    refused(cli.run("apikey", "revoke", "999999"), "no API key with id 999999")


def test_apikey_without_an_action_fails(cli: Cli) -> None:
    assert cli.run("apikey").returncode != 0


# --- settings ---------------------------------------------------------------------------------

GOOD_KEY = "k" * 20 + "Q7" + "x9" * 14  # 50 characters, not the embedded prefix


def production(cli: Cli, **extra: str) -> dict[str, str]:
    return cli.env(CRIMAC_ENV="production", **extra)


def test_production_without_secret_key_fails_check(tmp_path: Path) -> None:
    cli = fresh_cli(tmp_path)

    result = cli.run("check", env=production(cli, CRIMAC_ALLOWED_HOSTS="example.org"))

    output = refused(result, "CRIMAC_SECRET_KEY", "CRIMAC_ENV=production")
    assert "CRIMAC_ALLOWED_HOSTS" not in output
    # Production never falls back to writing an embedded key of its own.
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    "key",
    ["too-short-key", "insecure-embedded-" + "a" * 48],
    ids=["short", "embedded"],
)
def test_production_refuses_weak_secret_keys(tmp_path: Path, key: str) -> None:
    cli = fresh_cli(tmp_path)

    result = cli.run("check", env=production(cli, CRIMAC_SECRET_KEY=key, CRIMAC_ALLOWED_HOSTS="example.org"))

    refused(result, "CRIMAC_SECRET_KEY")


@pytest.mark.parametrize(
    ("extra", "word"),
    [({"CRIMAC_DEBUG": "1"}, "CRIMAC_DEBUG"), ({"CRIMAC_ALLOWED_HOSTS": "*"}, "CRIMAC_ALLOWED_HOSTS")],
)
def test_production_refuses_debug_and_any_host(tmp_path: Path, extra: dict[str, str], word: str) -> None:
    cli = fresh_cli(tmp_path)
    env = production(cli, CRIMAC_SECRET_KEY=GOOD_KEY, CRIMAC_ALLOWED_HOSTS="example.org")
    env.update(extra)

    output = refused(cli.run("check", env=env), word)
    assert "CRIMAC_SECRET_KEY" not in output


def test_production_without_allowed_hosts_fails(tmp_path: Path) -> None:
    cli = fresh_cli(tmp_path)

    refused(cli.run("check", env=production(cli, CRIMAC_SECRET_KEY=GOOD_KEY)), "CRIMAC_ALLOWED_HOSTS")


def test_production_with_safe_settings_passes_check(tmp_path: Path) -> None:
    cli = fresh_cli(tmp_path)

    result = cli.run(
        "check", env=production(cli, CRIMAC_SECRET_KEY=GOOD_KEY, CRIMAC_ALLOWED_HOSTS="example.org")
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_demo_is_refused_in_production(cli: Cli) -> None:
    users = cli.query("SELECT count(*) FROM directory_user")[0][0]
    env = production(cli, CRIMAC_SECRET_KEY=GOOD_KEY, CRIMAC_ALLOWED_HOSTS="example.org")

    for args in (["demo"], ["demo", "--once"]):
        result = cli.run(*args, env=env)
        output = refused(result, "refused when CRIMAC_ENV=production")
        assert "Traceback" not in output
        assert "crimac-demo" not in result.stdout
    assert cli.query("SELECT count(*) FROM directory_user")[0][0] == users


def test_demo_is_refused_in_production_on_an_empty_database(tmp_path: Path) -> None:
    cli = fresh_cli(tmp_path)
    cli.ok("migrate", "--verbosity", "0")
    env = production(cli, CRIMAC_SECRET_KEY=GOOD_KEY, CRIMAC_ALLOWED_HOSTS="example.org")

    refused(cli.run("demo", env=env), "refused when CRIMAC_ENV=production")

    assert cli.query("SELECT count(*) FROM directory_agency WHERE code = 'DL-HQ'")[0][0] == 0
    assert cli.query("SELECT count(*) FROM directory_user")[0][0] == 0


@pytest.mark.parametrize("value", ["maybe", "2", "enabled"])
def test_bad_boolean_names_the_variable(tmp_path: Path, value: str) -> None:
    cli = fresh_cli(tmp_path)

    result = cli.run("check", env=cli.env(CRIMAC_DEBUG=value))

    refused(result, "CRIMAC_DEBUG", repr(value))


@pytest.mark.parametrize("value", ["on", "TRUE", " yes ", "0", "off", ""])
def test_good_booleans_are_accepted(tmp_path: Path, value: str) -> None:
    cli = fresh_cli(tmp_path)

    result = cli.run("check", env=cli.env(CRIMAC_DEBUG=value))

    assert result.returncode == 0, result.stderr


def test_bad_whole_number_names_the_variable(tmp_path: Path) -> None:
    cli = fresh_cli(tmp_path)

    refused(cli.run("check", env=cli.env(CRIMAC_SESSION_HOURS="twelve")), "CRIMAC_SESSION_HOURS", "'twelve'")


def test_unknown_environment_name_is_refused(tmp_path: Path) -> None:
    cli = fresh_cli(tmp_path)

    refused(cli.run("check", env=cli.env(CRIMAC_ENV="staging")), "CRIMAC_ENV")


def test_embedded_mode_keeps_its_secret_key_beside_the_data(tmp_path: Path) -> None:
    cli = fresh_cli(tmp_path)

    cli.ok("check")

    key_file = tmp_path / "secret_key"
    assert key_file.exists()
    assert key_file.stat().st_mode & 0o077 == 0, "the key file is readable by its owner only"
    first = key_file.read_text()
    cli.ok("check")
    assert key_file.read_text() == first, "the key survives a restart"
