"""`make plan` for dev, staging and prod with the real hashicorp/aws provider, against the local endpoint.

The provider comes from the machine's mirror (5.100 here and in CI) or the registry; state lives in an
S3 backend on the endpoint, made by `make tf-bootstrap`. A project name whose derived IAM role name
is over 64 characters fails the plan, naming the role and its length, and nothing is created.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import boto3
import pytest

pytestmark = pytest.mark.endpoint

ROOT = Path(__file__).resolve().parents[2]
COPIED = (
    "terraform",
    "domains",
    "glue/jobs",
    "lambda",
    "scripts",
    "Makefile",
    "pyproject.toml",
    "constraints.txt",
)
STATE_BUCKET = "lhtest-tfstate"


@pytest.fixture(scope="module")
def repo(tmp_path_factory, endpoint_url) -> Path:
    """A copy of the repository's inputs with the real .venv, and the state bucket on the endpoint."""
    root = tmp_path_factory.mktemp("repo")
    for rel in COPIED:
        src, dst = ROOT / rel, root / rel
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".terraform", "tfplan", "__pycache__"))
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    (root / ".venv").symlink_to(ROOT / ".venv")
    out = make(root, endpoint_url, "tf-bootstrap", f"TF_STATE_BUCKET={STATE_BUCKET}")
    assert out.returncode == 0, out.stdout + out.stderr
    return root


def make(root: Path, endpoint_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }
    out = subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    ansi = re.compile("\x1b\\[[0-9;]*m")  # make plan keeps Terraform's colours for people
    out.stdout, out.stderr = ansi.sub("", out.stdout), ansi.sub("", out.stderr)
    return out


def plan(root: Path, endpoint_url: str, env: str, project: str) -> subprocess.CompletedProcess:
    return make(
        root,
        endpoint_url,
        "plan",
        f"ENV={env}",
        f"PROJECT={project}",
        f"TF_STATE_BUCKET={STATE_BUCKET}",
        "TF_INIT_ARGS=-backend-config=use_path_style=true",
    )


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_environment_plans_cleanly_with_the_real_provider(repo, endpoint_url, env):
    out = plan(repo, endpoint_url, env, "lhtest")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "Warning" not in out.stdout + out.stderr
    added = re.search(r"Plan: (\d+) to add, 0 to change, 0 to destroy\.", out.stdout)
    assert added, out.stdout[-2000:]
    # staging and prod add Redshift Serverless (namespace, workgroup, two statements, a terraform_data)
    assert int(added.group(1)) >= 160
    assert (repo / "terraform" / "envs" / env / "tfplan").is_file()
    # every contract and model gets its tables and jobs from the manifest, with no Terraform edit
    for key in (
        "gold.dim_user",
        "gold.fact_user_activity",
        "gold.dim_item",
        "gold.dim_category",
        "gold.fact_events",
        "gold.customer_features",
        "silver.user_activity",
        "raw.retail_events",
        "activity-build_model",
        "retail-build_model",
        "customer_features-build_model",
        "category_tree-raw_to_silver",
    ):
        assert f'["{key}"] will be created' in out.stdout, key


def test_a_role_name_over_64_characters_fails_the_plan_and_names_it(repo, endpoint_url):
    out = plan(repo, endpoint_url, "staging", "acme-lakehouse-analytics")
    assert out.returncode != 0
    text = " ".join((out.stdout + out.stderr).replace("│", " ").split())
    assert "IAM role names must be at most 64 characters" in text
    assert '"acme-lakehouse-analytics-staging-job-fiscal-calendar-raw-to-silver" has 66' in text
    s3 = boto3.client("s3", endpoint_url=endpoint_url, region_name="eu-west-1")
    assert not [b for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("acme-")]


def test_plan_without_a_project_is_one_clear_line(repo, endpoint_url):
    out = make(repo, endpoint_url, "plan", "ENV=dev", f"TF_STATE_BUCKET={STATE_BUCKET}")
    assert out.returncode == 2
    assert "error: set PROJECT=<your project>" in out.stdout + out.stderr
