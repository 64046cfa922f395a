"""The package's own files and the library versions it shims (compat.py)."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from conftest import REPO_ROOT

import recbole_atjt.paths as paths
from recbole_atjt import compat
from recbole_atjt.cli import build_run_arguments
from recbole_atjt.config import ATJTConfig
from recbole_atjt.errors import ATJTError
from recbole_atjt.run_dir import code_version


def test_properties_and_dataset_are_inside_the_package():
    assert paths.PROPERTIES_DIR.parent == paths.PACKAGE_DIR
    assert (paths.PROPERTIES_DIR / "overall.yaml").is_file()
    assert "atjt-synth" in paths.bundled_datasets()
    # the checkout's top-level folders hold what the package under test carries (the same
    # files for a checkout, equal copies for an installed wheel)
    for checkout, packaged in (
        (REPO_ROOT / "properties", paths.PROPERTIES_DIR),
        (REPO_ROOT / "dataset" / "atjt-synth", paths.BUNDLED_DATA_DIR / "atjt-synth"),
    ):
        files = sorted(p.relative_to(checkout) for p in checkout.rglob("*") if p.is_file())
        assert files == sorted(p.relative_to(packaged) for p in packaged.rglob("*") if p.is_file())
        for name in files:
            assert (checkout / name).read_bytes() == (packaged / name).read_bytes()


def test_a_missing_properties_directory_is_one_line_naming_it(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "PROPERTIES_DIR", tmp_path / "properties")
    with pytest.raises(ATJTError) as err:
        ATJTConfig("SASRec", "atjt-synth", config_dict={"denoise": "atjt"})
    message = str(err.value)
    assert "properties are missing" in message and str(tmp_path) in message
    assert "denoise" not in message and "\n" not in message
    with pytest.raises(SystemExit) as exit_:
        build_run_arguments(["--model=SASRec"])  # the quick preset lives there too
    assert str(exit_.value).startswith("error: recbole_atjt's properties are missing")


def test_numpy_aliases_are_set_only_when_missing_and_once(monkeypatch):
    warnings.simplefilter("ignore", DeprecationWarning)  # NumPy 1 warns on np.bool8
    present = {name: getattr(np, name) for name in compat.NUMPY_ALIASES if hasattr(np, name)}
    assert compat.set_numpy_aliases() == []  # the package's import has set what was missing
    for name, value in present.items():
        assert getattr(np, name) is value  # an existing name is never replaced

    monkeypatch.delattr(np, "float_", raising=False)
    monkeypatch.delattr(np, "unicode_", raising=False)
    assert compat.set_numpy_aliases() == ["float_", "unicode_"]
    assert np.float_ is np.float64 and np.unicode_ is np.str_
    assert compat.set_numpy_aliases() == []


def test_recbole_config_reads_the_aliases():
    config = ATJTConfig("SASRec", "atjt-synth", config_dict={"denoise": "none"})
    assert config["denoise"] == "none"
    assert np.float is np.float64  # RecBole's own alias, built from np.float_


@pytest.mark.parametrize("version,refused", [("2.3.3", False), ("1.5.3", False), ("3.0.0", True)])
def test_pandas_3_is_refused_in_one_line(version, refused):
    if not refused:
        compat.check_pandas(version)
        return
    with pytest.raises(ImportError) as err:
        compat.check_pandas(version)
    assert "pandas 3.0.0" in str(err.value) and "pandas<3" in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("command", [["-m", "recbole_atjt"], ["run_recbole_atjt.py"]])
def test_module_and_script_share_the_command_line(command, tmp_path):
    script = [str(REPO_ROOT / c) if c.endswith(".py") else c for c in command]
    done = subprocess.run(
        [sys.executable, *script, "--help"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "--denoise" in done.stdout and "--preset" in done.stdout


def test_the_commit_is_recorded_for_a_checkout_and_not_for_an_installed_copy(tmp_path):
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True
    ).stdout.strip()
    if not head:
        pytest.skip("the tests do not sit in a git checkout")
    version = code_version(REPO_ROOT / "recbole_atjt")
    assert version["commit"] == head and isinstance(version["dirty"], bool)
    # a package outside any checkout, or in a subfolder of one (an installed copy)
    assert code_version(tmp_path / "recbole_atjt") is None
    assert code_version(REPO_ROOT / "tests" / "recbole_atjt") is None


def _python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_importing_the_package_loads_neither_torch_nor_recbole():
    code = "import sys, recbole_atjt.noise; print(sorted({'torch', 'recbole'} & set(sys.modules)))"
    assert _python(code) == "[]"
    assert _python("import recbole_atjt; print(recbole_atjt.run.__module__)") == (
        "recbole_atjt.quick_start"
    )


def test_no_model_is_built_with_recbole_s_anomaly_mode_on():
    """RecBole's sine.py switches autograd anomaly detection on when its models are imported
    (a severalfold slow-down): building a model through us switches it off, whoever imported
    RecBole's models first."""
    code = """
import torch, recbole.model.sequential_recommender
from recbole_atjt.pretrain import model_class
assert torch.is_anomaly_enabled()
model_class({"model": "SINE"})
print(torch.is_anomaly_enabled())
"""
    assert _python(code) == "False"
