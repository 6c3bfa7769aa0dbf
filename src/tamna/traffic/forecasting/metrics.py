"""Forecast errors as the traffic-forecasting papers compute them.

Missing targets (NaN) never count. Zeros are masked too, as DCRNN and Graph WaveNet do (``masked_mae`` and friends
with ``null_val=0``): in loop-detector data a zero speed is a missing reading, not a jam. Los-loop has no zeros, so
there the masked figures equal T-GCN's unmasked ones.

>>> import numpy as np
>>> y = np.array([[10.0, 0.0], [20.0, 40.0]])
>>> p = np.array([[12.0, 5.0], [18.0, 30.0]])
>>> score(y, p).mae  # (2 + 2 + 10) / 3: the zero target is masked
4.666666666666667
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Scores:
    """Errors over the unmasked entries, in the unit of the data (``mape`` in percent)."""

    mae: float
    rmse: float
    mape: float
    #: T-GCN's accuracy, 1 - ||Y - Ŷ||_F / ||Y||_F
    accuracy: float
    #: how many entries counted
    values: int

    def as_dict(self) -> dict[str, float | int]:
        """A JSON-ready mapping."""
        return asdict(self)


def mask(y_true: np.ndarray, *, mask_zeros: bool = True) -> np.ndarray:
    """Entries that count: finite targets, and non-zero ones when ``mask_zeros``."""
    keep: np.ndarray = np.isfinite(y_true)
    if mask_zeros:
        keep &= y_true != 0
    return keep


def score(y_true: np.ndarray, y_pred: np.ndarray, *, mask_zeros: bool = True) -> Scores:
    """MAE, RMSE, MAPE and accuracy of ``y_pred`` against ``y_true`` (any equal shapes).

    With nothing left to count, every figure is NaN and ``values`` is 0.
    """
    if y_true.shape != y_pred.shape:
        raise ValueError(f"targets {y_true.shape} and predictions {y_pred.shape} differ in shape")
    keep = mask(y_true, mask_zeros=mask_zeros)
    y = y_true[keep].astype(np.float64)
    p = y_pred[keep].astype(np.float64)
    if y.size == 0:
        nan = float("nan")
        return Scores(mae=nan, rmse=nan, mape=nan, accuracy=nan, values=0)
    err = p - y
    norm = float(np.linalg.norm(y))
    # a zero target has no percentage error, whether or not zeros are masked for the other figures
    nonzero = y != 0
    mape = float(np.mean(np.abs(err[nonzero]) / np.abs(y[nonzero])) * 100.0) if nonzero.any() else float("nan")
    return Scores(
        mae=float(np.mean(np.abs(err))),
        rmse=float(np.sqrt(np.mean(err**2))),
        mape=mape,
        accuracy=1.0 - float(np.linalg.norm(err)) / norm if norm else float("nan"),
        values=int(y.size),
    )
