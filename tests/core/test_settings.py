from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from qinqing.env import env_bool, env_int, env_list, env_str, generated_secret


def test_env_str_reads_file_variant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "key"
    secret.write_text("s3cret-from-file\n", encoding="utf-8")
    monkeypatch.delenv("QQ_X", raising=False)
    monkeypatch.setenv("QQ_X_FILE", str(secret))
    assert env_str("QQ_X") == "s3cret-from-file"
    monkeypatch.setenv("QQ_X", "direct")
    assert env_str("QQ_X") == "direct"


def test_env_bool_int_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QQ_B", "yes")
    monkeypatch.setenv("QQ_I", "42")
    monkeypatch.setenv("QQ_L", "a.example, b.example,")
    assert env_bool("QQ_B") is True
    assert env_int("QQ_I", 1) == 42
    assert env_list("QQ_L") == ["a.example", "b.example"]
    monkeypatch.setenv("QQ_B", "maybe")
    with pytest.raises(ImproperlyConfigured, match="QQ_B must be a boolean"):
        env_bool("QQ_B")
    monkeypatch.setenv("QQ_I", "x")
    with pytest.raises(ImproperlyConfigured, match="QQ_I must be an integer"):
        env_int("QQ_I", 1)


def test_generated_secret_is_stable_and_private(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret_key"
    first = generated_secret(path)
    assert len(first) >= 50
    assert generated_secret(path) == first
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def _run_qinqing(env_extra: dict[str, str], *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "QINQING_", "DEBUG"))}
    env.pop("DATABASE_URL", None)
    env.update({"QINQING_VAR_DIR": str(tmp_path), **env_extra})
    return subprocess.run(
        [sys.executable, "-m", "qinqing.cli", *args], env=env, capture_output=True, text=True, check=False
    )


def test_production_settings_pass_check_deploy(tmp_path: Path) -> None:
    result = _run_qinqing(
        {
            "SECRET_KEY": "k" * 20 + "-Zq8#pX!v2@Lr6$Tn9^Wb4&Hs1*Jd7(Fm3)Gc5-Ky0+",
            "ALLOWED_HOSTS": "qinqing.example.gov.cn",
            "SECURE_SSL_REDIRECT": "1",
            "BEHIND_PROXY": "1",
        },
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_with_debug_on(tmp_path: Path) -> None:
    result = _run_qinqing(
        {"SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "a.example", "DEBUG": "1"},
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        tmp_path=tmp_path,
    )
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout


def test_defaults_are_safe(tmp_path: Path) -> None:
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.ALLOWED_HOSTS, s.SESSION_COOKIE_SECURE, s.TIME_ZONE, s.LANGUAGE_CODE, "
        "s.DATABASES['default']['ENGINE'], str(s.DATABASES['default']['NAME']).endswith('var/qinqing.sqlite3') "
        "or str(s.DATABASES['default']['NAME']).endswith('qinqing.sqlite3'), s.ADMIN_TOTP_REQUIRED); "
        "from django.db import connection as c; cur = c.cursor(); cur.execute('PRAGMA journal_mode'); "
        "print(cur.fetchone()[0], c.settings_dict['OPTIONS']['timeout'])"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "QINQING_", "DEBUG"))}
    env.pop("DATABASE_URL", None)
    env.update({"QINQING_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "qinqing.settings"})
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [
        "False",
        "[]",
        "True",
        "Asia/Shanghai",
        "zh-hans",
        "django.db.backends.sqlite3",
        "True",
        "True",
        "wal",
        "20",
    ]
    assert (tmp_path / "secret_key").exists()


def test_collectstatic_with_the_production_manifest_storage(tmp_path: Path) -> None:
    static_root = tmp_path / "static"
    result = _run_qinqing(
        {"SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "a.example", "STATIC_ROOT": str(static_root)},
        "collectstatic",
        "--noinput",
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    manifest = (static_root / "staticfiles.json").read_text(encoding="utf-8")
    assert "vendor/bootstrap/bootstrap.min.css" in manifest
    assert "vendor/echarts/echarts.min.js" in manifest
    assert (static_root / "vendor" / "htmx" / "htmx.min.js.gz").exists()  # WhiteNoise compression


def _db_options(env_extra: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "QINQING_", "DATABASE_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "qinqing.settings", **env_extra})
    code = "from django.conf import settings; print(sorted(settings.DATABASES['default'].get('OPTIONS', {}).items()))"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_postgresql_statements_are_prepared_unless_switched_off() -> None:
    url = {"DATABASE_URL": "postgres://qinqing@db.example/qinqing"}
    assert _db_options(url) == "[('prepare_threshold', 5), ('server_side_binding', True)]"
    assert _db_options({**url, "DATABASE_PREPARED_STATEMENTS": "0"}) == "[]"
    assert "server_side_binding" not in _db_options({})  # SQLite: its own options only
