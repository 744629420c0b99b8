"""How lakehouse.local.terraform runs Terraform: the provider source and where state lives."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from lakehouse.local import terraform
from lakehouse.settings import Settings


def test_state_and_cli_config_are_absolute_whatever_the_state_dir(tmp_path, monkeypatch):
    """Terraform runs in terraform/envs/local: a relative path (the default `.lakehouse`) would point
    elsewhere there, and init would fall back to the registry."""
    mirror = tmp_path / "mirror"
    (mirror / terraform.PROVIDER).mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LAKEHOUSE_STATE_DIR", ".lakehouse")
    monkeypatch.setenv("LAKEHOUSE_TF_PROVIDER_MIRROR", str(mirror))
    monkeypatch.setenv("LAKEHOUSE_TERRAFORM", "/bin/true")
    tc = terraform.toolchain()
    config = Path(tc.env["TF_CLI_CONFIG_FILE"])
    assert config.is_absolute() and config == tmp_path / ".lakehouse" / "terraform" / "mirror.tfrc"
    text = config.read_text()
    assert f'path    = "{mirror}"' in text and 'exclude = ["registry.terraform.io/hashicorp/aws"]' in text
    env = terraform.LocalEnvironment(
        Settings(project="lhunit", endpoint_url="http://127.0.0.1:4599"), Path("g"), tc
    )
    assert env.work == tmp_path / ".lakehouse" / "terraform" / "lhunit-127.0.0.1-4599"
    assert Path(env.env["TF_DATA_DIR"]).is_absolute()


def test_without_a_mirror_the_registry_serves_the_provider(tmp_path, monkeypatch):
    monkeypatch.setenv("LAKEHOUSE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("LAKEHOUSE_TF_PROVIDER_MIRROR", str(tmp_path / "none"))
    monkeypatch.setenv("LAKEHOUSE_TERRAFORM", "/bin/true")
    assert terraform.toolchain().env == {}


def test_no_terraform_is_one_clear_error(monkeypatch):
    monkeypatch.delenv("LAKEHOUSE_TERRAFORM", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(terraform.TerraformError, match="terraform is not installed"):
        terraform.toolchain()


def test_summary_is_terraforms_own_line():
    out = "module.x: Creating...\n\nApply complete! Resources: 3 added, 0 changed, 0 destroyed.\n\nOutputs:\n"
    assert terraform.summary(out) == "Apply complete! Resources: 3 added, 0 changed, 0 destroyed."


def test_a_terraform_failure_without_output_still_says_how_it_ended():
    import subprocess

    from lakehouse.local.terraform import _errors

    assert "exit status 1" in _errors(subprocess.CompletedProcess(["terraform"], 1, "", ""))
    assert "killed by signal 9" in _errors(subprocess.CompletedProcess(["terraform"], -9, "", ""))
    shown = _errors(
        subprocess.CompletedProcess(["terraform"], 1, "", "noise\n│ Error: bucket exists\n│ detail\n")
    )
    assert shown.splitlines()[0].endswith("Error: bucket exists")


APPLIED = "Apply complete! Resources: 216 added, 0 changed, 0 destroyed.\n"
CONFLICT = (
    "terraform apply failed:\nError: creating Glue Catalog Table (dim_users): operation error Glue: "
    "CreateTable, https response error StatusCode: 400, AlreadyExistsException: Table already exists."
)


@pytest.mark.parametrize(
    ("state", "new", "errors", "outcome"),
    [
        (None, True, [CONFLICT], "retried"),  # a first apply on a new endpoint: reset and apply again
        ('{"resources": []}', True, [CONFLICT], "retried"),
        ('{"resources": [{"type": "aws_s3_bucket"}]}', True, [CONFLICT], "raised"),  # applied before
        (None, False, [CONFLICT], "raised"),  # the endpoint held something (or is not ours)
        (None, True, ["terraform apply failed:\nError: AccessDenied"], "raised"),  # any other failure
        (None, True, [CONFLICT, "terraform apply failed:\nError: again"], "raised after reset"),
    ],
)
def test_a_first_apply_that_meets_its_own_table_resets_a_new_endpoint_once(
    tmp_path, monkeypatch, state, new, errors, outcome
):
    monkeypatch.setenv("LAKEHOUSE_STATE_DIR", str(tmp_path))
    settings = Settings(project="lhunit", endpoint_url="http://127.0.0.1:4599")
    env = terraform.LocalEnvironment(settings, Path("g"), None)
    env.work.mkdir(parents=True)
    if state is not None:
        (env.work / "terraform.tfstate").write_text(state)
    applies, resets = [], []

    def operate(*command):
        applies.append(command)
        if len(applies) <= len(errors):
            raise terraform.TerraformError(errors[len(applies) - 1])
        return subprocess.CompletedProcess(command, 0, APPLIED, "")

    monkeypatch.setattr(env, "stage_inputs", lambda: None)
    monkeypatch.setattr(env, "init", lambda: None)
    monkeypatch.setattr(env, "discard_stale_state", lambda: False)
    monkeypatch.setattr(env, "_operate", operate)
    monkeypatch.setattr(env, "_new_endpoint", lambda: new and not applies)  # asked before the apply
    monkeypatch.setattr(terraform.endpoint, "reset", resets.append)
    if outcome == "retried":
        assert env.apply() == APPLIED.strip()
        assert resets == ["http://127.0.0.1:4599"] and len(applies) == 2
        assert not (env.work / "terraform.tfstate").exists()
    elif outcome == "raised":
        with pytest.raises(terraform.TerraformError, match="failed"):
            env.apply()
        assert resets == [] and len(applies) == 1
    else:
        with pytest.raises(terraform.TerraformError, match=r"(?s)after resetting the new endpoint, .*again"):
            env.apply()
        assert len(resets) == 1 and len(applies) == 2


class _Listing:
    def __init__(self, held: dict[str, list]):
        self.held = held

    def __getattr__(self, name):
        return lambda **_: {key: self.held.get(key, []) for key in _KEYS}


_KEYS = ("Buckets", "DatabaseList", "QueueUrls", "Topics", "Functions", "Roles", "Keys", "Rules")


@pytest.mark.parametrize(
    ("url", "ours", "held", "new"),
    [
        ("http://127.0.0.1:4599", True, {}, True),
        ("http://127.0.0.1:4599", True, {"Buckets": [{"Name": "lakehouse-local-local-raw"}]}, False),
        ("http://127.0.0.1:4599", True, {"Roles": [{"RoleName": "another-project"}]}, False),
        ("http://127.0.0.1:4599", False, {}, False),  # a server `lakehouse up` did not start
        ("http://localhost:4599", True, {}, False),
    ],
)
def test_only_an_empty_endpoint_lakehouse_up_started_counts_as_new(monkeypatch, url, ours, held, new):
    env = terraform.LocalEnvironment(Settings(project="lhunit", endpoint_url=url), Path("g"), None)
    monkeypatch.setattr(terraform.endpoint, "ours_alive", lambda port: 4242 if ours else None)
    monkeypatch.setattr(terraform.aws, "client", lambda service, settings: _Listing(held))
    assert env._new_endpoint() is new
