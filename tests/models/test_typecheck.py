"""mypy checks every model module against the scenario Protocols (models/_typecheck.py)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from joinery.models import SCENARIOS, load_model, registered_models

ROOT = Path(__file__).resolve().parents[2]
TYPECHECK = ROOT / "impls" / "joinery" / "models" / "_typecheck.py"
COVERS = {
    "complete": set(SCENARIOS),
    "load_dashboard": {"load_dashboard"},
    "run_scope": {"run_scope"},
    "fetch_all": {"fetch_all"},
    "run_shedded": {"run_shedded"},
    "spawn_around": {"wait_then_spawn", "spawn_then_wait"},
    "cause_of_cancel": {"cause_of_cancel"},
    "flusher": {"flusher"},
    "check_all": {"check_all"},
}


def _checked() -> dict[str, set[str]]:
    """Module name -> scenarios _typecheck.py passes it to mypy for."""
    out: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(TYPECHECK.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in COVERS
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Name)
        ):
            out.setdefault(node.args[0].id, set()).update(COVERS[node.func.id])
    return out


def test_every_registered_model_and_each_scenario_it_defines_is_type_checked():
    checked = _checked()
    for name in registered_models():
        model = load_model(name)
        short = model.module.__name__.rsplit(".", 1)[-1]
        defined = {s for s in SCENARIOS if s not in model.info.unsupported}
        assert checked.get(short, set()) >= defined, (name, defined - checked.get(short, set()))


def test_mypy_rejects_a_scenario_that_drifts_from_the_protocol(tmp_path):
    # The proof that the check can fail: a model whose T1 takes an int user id.
    (tmp_path / "drifted.py").write_text(
        "from joinery.models import Dashboard, DashboardAPI, ModelInfo\n"
        "MODEL = ModelInfo('drifted', 'D', ('asyncio',), 's')\n"
        "async def load_dashboard(api: DashboardAPI, user_id: int) -> Dashboard:\n"
        "    return Dashboard(1, 2, 3)\n"
    )
    (tmp_path / "check.py").write_text(
        "import drifted\nfrom joinery.models._typecheck import load_dashboard\n"
        "load_dashboard(drifted)\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--follow-imports=silent",
         "check.py", "drifted.py"],
        cwd=tmp_path, capture_output=True, text=True,
        env={"MYPYPATH": str(ROOT / "impls"), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'load_dashboard: expected "LoadDashboard"' in result.stdout
