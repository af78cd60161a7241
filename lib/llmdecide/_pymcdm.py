"""pymcdm without its plotting helpers.

``pymcdm/__init__`` imports ``pymcdm.visuals``, which imports ``matplotlib.pyplot`` — about 0.3 s
in every kernel, for plots the method never draws. A placeholder module stands in for
``pymcdm.visuals`` before pymcdm is first imported; the decision methods (TOPSIS, AHP) are the
library's own, unchanged. Import pymcdm's classes from here, not from pymcdm directly.
"""

from __future__ import annotations

import sys
import types

if "pymcdm" not in sys.modules:
    _stub = types.ModuleType("pymcdm.visuals")
    _stub.__doc__ = "placeholder set by llmdecide._pymcdm: pymcdm's plots are not used"
    sys.modules.setdefault("pymcdm.visuals", _stub)

from pymcdm.methods import TOPSIS
from pymcdm.weights.subjective import AHP

__all__ = ["AHP", "TOPSIS"]
