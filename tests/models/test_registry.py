from __future__ import annotations

import types

import pytest
from joinery.models import SCENARIOS, ModelInfo, Unsupported, load_model, registered_models
from joinery.models import _check_module as check_module


@pytest.mark.parametrize("name", registered_models())
def test_every_registered_model_loads_and_declares_each_scenario(name):
    model = load_model(name)
    for scenario in SCENARIOS:
        if scenario in model.info.unsupported:
            with pytest.raises(Unsupported):
                model.scenario(scenario)
        else:
            assert callable(model.scenario(scenario))


def _module(**attrs):
    mod = types.ModuleType("fake_model")
    for k, v in attrs.items():
        setattr(mod, k, v)
    return mod


async def _noop(*args):
    return None


def test_a_missing_scenario_is_named():
    info = ModelInfo("fake", "Fake", ("asyncio",), "x")
    mod = _module(MODEL=info, **{s: _noop for s in SCENARIOS if s != "fetch_all"})
    with pytest.raises(LookupError, match="defines no fetch_all"):
        check_module(mod, "fake_model")


def test_defined_and_declared_unsupported_is_refused():
    info = ModelInfo("fake", "Fake", ("asyncio",), "x", unsupported={"fetch_all": "why"})
    mod = _module(MODEL=info, **{s: _noop for s in SCENARIOS})
    with pytest.raises(LookupError, match="both defines fetch_all"):
        check_module(mod, "fake_model")


def test_a_bad_backend_is_named():
    info = ModelInfo("fake", "Fake", ("curio",), "x")  # type: ignore[arg-type]
    mod = _module(MODEL=info, **{s: _noop for s in SCENARIOS})
    with pytest.raises(LookupError, match="backends must be"):
        check_module(mod, "fake_model")


def test_a_module_without_model_info_is_named():
    with pytest.raises(LookupError, match="has no MODEL"):
        check_module(_module(), "fake_model")


def test_unknown_name_lists_the_registry():
    with pytest.raises(LookupError, match="not a registry name"):
        load_model("nope_not_a_model")


def test_unknown_scenario_name():
    with pytest.raises(KeyError, match="not a scenario"):
        load_model("taskgroup").scenario("fetch_everything")
