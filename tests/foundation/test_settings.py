from pathlib import Path

import pytest

from callcontrol.settings import ConfigError, Secret, load_settings, settings_from_mapping

REPO = Path(__file__).resolve().parents[2]


def test_documented_example_loads() -> None:
    settings = load_settings(REPO / "config" / "callcontrol.toml", env={})
    assert settings.http.port == 8080
    assert settings.nodes[0].name == "pbx1"
    assert settings.embedded_database


def test_environment_overrides_file_values() -> None:
    env = {"CALLCONTROL_HTTP_PORT": "9090", "CALLCONTROL_NODES_PBX1_SECRET": "s3cret"}
    settings = load_settings(REPO / "config" / "callcontrol.toml", env=env)
    assert settings.http.port == 9090
    assert settings.nodes[0].secret == Secret("s3cret")


def test_secrets_never_show_in_repr() -> None:
    settings = settings_from_mapping(
        {"database": {"url": "postgresql://u:pw@h/db"}, "nodes": [{"name": "a", "secret": "xyz"}]},
        env={},
    )
    assert "pw@" not in repr(settings)
    assert "xyz" not in repr(settings)
    assert str(settings.nodes[0].secret) == "********"


@pytest.mark.parametrize(
    ("data", "env", "message"),
    [
        ({"http": {"port": "80a"}}, {}, "http.port: must be a whole number"),
        ({"http": {"port": 70000}}, {}, "http.port: must be a port number"),
        ({"http": {"prot": 1}}, {}, "http.prot: unknown setting"),
        ({"bogus": {}}, {}, "bogus: unknown section"),
        ({}, {"CALLCONTROL_CALLS_PRESTART_IDLE_TIMEOUT": "-5"}, "calls.prestart_idle_timeout"),
        ({"logging": {"format": "xml"}}, {}, "logging.format: must be json or console"),
        ({"nodes": [{"name": "a-b"}]}, {}, "nodes[0].name"),
        ({"nodes": [{"name": "a"}, {"name": "a"}]}, {}, "nodes: node names must be unique"),
        ({"nodes": [{"name": "a", "port": True}]}, {}, "nodes.a.port: must be a whole number"),
    ],
)
def test_invalid_values_name_the_key(data: dict, env: dict, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        settings_from_mapping(data, env=env)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_broken_toml_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[http\nport = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(path, env={})


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.toml", env={})
