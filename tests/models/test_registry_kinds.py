"""The registry: kinds, names, loading by path, import errors, per-backend unsupported."""

from __future__ import annotations

import textwrap
import types
from pathlib import Path

import pytest
from joinery.conformance import mutants
from joinery.models import (
    CONTROL_MODELS,
    REFERENCE_MODELS,
    REGISTRY,
    SCENARIOS,
    TASK_SCENARIOS,
    THIRD_PARTY_MODELS,
    ModelInfo,
    Unsupported,
    kind_of,
    load_model,
    registered_models,
)
from joinery.models import _check_module as check_module

HERE = Path(__file__).parent
LIMITED = HERE / "backend_limited_model.py"


async def _noop(*args):
    return None


def _module(name="fake_model", **attrs):
    mod = types.ModuleType(name)
    for k, v in attrs.items():
        setattr(mod, k, v)
    return mod


def test_every_registered_model_has_its_groups_kind():
    for kind, group in REGISTRY.items():
        for name in group:
            assert kind_of(name) == kind
            assert load_model(name).kind == kind
    assert kind_of("no_such_model") == "external"
    assert load_model("seed_given").control and not load_model("taskgroup").control


def test_groups_are_disjoint_and_listed_in_order():
    names = registered_models()
    assert len(names) == len(set(names))
    assert names == [*REFERENCE_MODELS, *THIRD_PARTY_MODELS, *CONTROL_MODELS]
    assert registered_models(controls=False) == list(REFERENCE_MODELS)
    assert registered_models(controls=False, third_party=True) == [
        *REFERENCE_MODELS,
        *THIRD_PARTY_MODELS,
    ]


def test_mutants_are_of_kind_mutant_and_controls():
    for mutant in mutants().values():
        assert mutant.kind == "mutant" and mutant.control


def test_the_task_scenario_map_is_the_one_list_of_scenarios():
    assert [s for ss in TASK_SCENARIOS.values() for s in ss] == list(SCENARIOS)
    from comparisons.sitegen._tasks import TASKS

    assert {t.id: t.scenarios for t in TASKS} == TASK_SCENARIOS


def test_a_registry_key_that_differs_from_model_name_is_refused(monkeypatch):
    # A copied model that keeps the original's name would report as the original.
    monkeypatch.setitem(REFERENCE_MODELS, "taskgroup_copy", "joinery.models.taskgroup")
    with pytest.raises(LookupError, match=r"ModelInfo.name is 'taskgroup'.*must match"):
        load_model("taskgroup_copy")


def test_an_external_model_may_not_take_a_registry_name(tmp_path):
    copy = tmp_path / "my_copy.py"
    copy.write_text((HERE.parents[1] / "impls/joinery/models/taskgroup.py").read_text())
    with pytest.raises(LookupError, match=r"registry's name for joinery\.models\.taskgroup"):
        load_model(str(copy))


def test_a_registry_model_named_by_its_module_path_is_that_model():
    model = load_model("joinery.models.taskgroup")
    assert model.name == "taskgroup" and model.kind == "reference"


def test_a_file_path_loads_a_model():
    model = load_model(str(LIMITED))
    assert model.name == "backend_limited" and model.kind == "external"
    assert set(model.info.backends) == {"asyncio", "trio"}


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(LookupError, match="no model file"):
        load_model(str(tmp_path / "nope.py"))


def test_an_import_failure_shows_the_real_error(tmp_path):
    broken = tmp_path / "needs_a_library.py"
    broken.write_text("import joinery_no_such_library\n")
    with pytest.raises(LookupError) as info:
        load_model(str(broken))
    message = str(info.value)
    assert "No module named 'joinery_no_such_library'" in message
    assert "must be installed in the environment" in message


def test_an_import_failure_inside_a_module_path_shows_the_real_error(tmp_path, monkeypatch):
    pkg = tmp_path / "joinery_user_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "model.py").write_text("import joinery_no_such_library\n")
    (pkg / "syntax.py").write_text("def broken(:\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(LookupError, match="No module named 'joinery_no_such_library'"):
        load_model("joinery_user_pkg.model")
    with pytest.raises(LookupError, match="failed to import: SyntaxError"):
        load_model("joinery_user_pkg.syntax")
    with pytest.raises(LookupError, match="not an importable module"):
        load_model("joinery_user_pkg.absent")


def test_per_backend_unsupported_is_checked():
    fns = {s: _noop for s in SCENARIOS}
    ok = ModelInfo("fake", "F", ("asyncio", "trio"), "x", unsupported={"flusher": {"trio": "why"}})
    assert check_module(_module(MODEL=ok, **fns), "fake").info is ok
    assert ok.unsupported_on("trio") == {"flusher": "why"} and ok.unsupported_on("asyncio") == {}
    # Unsupported on every backend it runs on: then it must not be defined.
    everywhere = ModelInfo("fake", "F", ("trio",), "x", unsupported={"flusher": {"trio": "why"}})
    with pytest.raises(LookupError, match="both defines flusher"):
        check_module(_module(MODEL=everywhere, **fns), "fake")
    # A backend the model does not run on, or an empty reason, is a mistake.
    stray = ModelInfo("fake", "F", ("asyncio",), "x", unsupported={"flusher": {"trio": "why"}})
    with pytest.raises(LookupError, match="must map backends it runs on"):
        check_module(_module(MODEL=stray, **fns), "fake")
    empty = ModelInfo("fake", "F", ("asyncio", "trio"), "x", unsupported={"flusher": {"trio": ""}})
    with pytest.raises(LookupError, match="must map backends"):
        check_module(_module(MODEL=empty, **fns), "fake")


def test_a_bound_model_applies_its_backends_declarations():
    model = load_model(str(LIMITED))
    assert callable(model.on("asyncio").scenario("flusher"))
    with pytest.raises(Unsupported, match="declared: this test model"):
        model.on("trio").scenario("flusher")
    with pytest.raises(ValueError, match="runs on asyncio, not trio"):
        load_model("taskgroup").on("trio")


async def _raises_unsupported():
    raise Unsupported("not here")


def test_a_bound_model_notes_unsupported_raised_at_run_time():
    import asyncio

    fns = {s: _noop for s in SCENARIOS}
    fns["check_all"] = lambda checks: _raises_unsupported()
    info = ModelInfo("fake", "F", ("asyncio",), "x")
    bound = check_module(_module(MODEL=info, **fns), "fake").on("asyncio")
    with pytest.raises(Unsupported):
        asyncio.run(bound.scenario("check_all")([]))
    assert bound.raised_unsupported == ["not here"]
    assert load_model("taskgroup").on("asyncio").raised_unsupported == []


def test_third_party_adapters_say_what_they_add():
    from joinery.conformance import load_catalogue

    catalogue = load_catalogue()
    for name in THIRD_PARTY_MODELS:
        model = load_model(name)
        assert set(model.info.assisted) <= set(catalogue), name
        for what in model.info.assisted.values():
            assert "adapter" in what, (name, what)


def test_module_text_for_a_user_model_documents_itself():
    # The test model is a plain module a user could write: no harness import.
    text = textwrap.dedent(LIMITED.read_text())
    assert "joinery.harness" not in text and "joinery.conformance" not in text


def test_the_catalogue_may_not_contradict_the_task_scenario_map(tmp_path):
    import re
    import tomllib

    from joinery.conformance import load_catalogue
    from joinery.conformance._suite import HERE

    text = (HERE / "properties.toml").read_text()
    first = next(iter(tomllib.loads(text).values()))
    allowed = {s for t in first["tasks"] for s in TASK_SCENARIOS[t]}
    foreign = next(s for s in SCENARIOS if s not in allowed)
    stray = tmp_path / "stray.toml"
    stray.write_text(re.sub(r"(?m)^scenarios = .*$", f'scenarios = ["{foreign}"]', text, count=1))
    with pytest.raises(ValueError, match=rf"drives scenarios \['{foreign}'\]"):
        load_catalogue(stray)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text(re.sub(r"(?m)^tasks = .*$", 'tasks = ["T42"]', text, count=1))
    with pytest.raises(ValueError, match=r"unknown tasks \['T42'\]"):
        load_catalogue(unknown)
