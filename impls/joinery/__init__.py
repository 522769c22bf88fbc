"""joinery: models of structured concurrency compared on the same work.

Subpackages:

* :mod:`joinery.models`: the model registry and the adapter protocol; one module per model.
* :mod:`joinery.harness`: the instrumented fake services and the virtual-clock runners that
  observe a model from outside.
* :mod:`joinery.conformance`: the property catalogue and the suite that judges every model.
"""

__version__ = "0.1.0"
