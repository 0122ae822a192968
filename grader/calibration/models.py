"""The candidate models of a teacher's grading, each a scikit-learn estimator saved as plain JSON.

- ``identity``: the rubric's score, unchanged (the safe default);
- ``monotone``: the rubric's score (or, on a key-element rubric, the number of
  key elements found) mapped to the teacher's levels by isotonic regression;
- ``ridge-correction``: a ridge regression of how far the teacher's score lies
  from the rubric's, given the evidence;
- ``ordinal-logistic``: a regularized proportional-odds model of the teacher's
  level from the evidence.

Every model follows scikit-learn's estimator contract; `to_dict` gives plain
data and `from_dict` validates it field by field (never pickle: a shared file
must not be able to run code).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import RidgeCV
from sklearn.utils.validation import check_array, check_is_fitted, check_X_y
from threadpoolctl import threadpool_limits

ALPHAS = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
LOGISTIC_ALPHA = 3.0


class _Spec(BaseModel):
    """How one kind of model is saved; reading it back validates every field."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    levels: list[float] = Field(min_length=1)

    @model_validator(mode="after")
    def _levels_increase(self) -> _Spec:
        if any(b <= a for a, b in zip(self.levels, self.levels[1:], strict=False)):
            raise ValueError("levels must be increasing")
        return self


def _in_range(column: int, n_features: int, what: str = "column") -> None:
    if not -n_features <= column < n_features:
        raise ValueError(f"{what} {column} is outside the {n_features} features")


class _LevelModel(RegressorMixin, BaseEstimator):
    """What the candidates share: predictions are score levels the teacher used."""

    kind: ClassVar[str]
    spec: ClassVar[type[_Spec]]

    def _start_fit(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        X, y = check_X_y(X, y, dtype=float, y_numeric=True)
        self.n_features_in_ = X.shape[1]
        self.levels_ = np.unique(y).astype(float)
        return X, y

    def _checked(self, X: Any) -> np.ndarray:
        check_is_fitted(self, ["levels_", "n_features_in_"])
        X = check_array(X, dtype=float)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features; the model was fitted with {self.n_features_in_}")
        return X

    def _snap(self, estimate: np.ndarray) -> np.ndarray:
        nearest = np.abs(estimate[:, None] - self.levels_[None, :]).argmin(axis=1)
        return self.levels_[nearest]

    def to_dict(self) -> dict[str, Any]:
        check_is_fitted(self, ["levels_", "n_features_in_"])
        return {"kind": self.kind, **self._dict(), "levels": self.levels_.tolist()}

    def _dict(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        """Rebuild a fitted model from `to_dict`'s plain data; ValueError naming the bad field."""
        if not isinstance(data, dict) or data.get("kind") != cls.kind:
            kind = data.get("kind") if isinstance(data, dict) else None
            raise ValueError(f"model kind {kind!r} is not {cls.kind!r}")
        body = {k: v for k, v in data.items() if k != "kind"}
        try:
            spec = cls.spec.model_validate(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            msg = first["msg"].removeprefix("Value error, ")
            raise ValueError(f"model.{where}: {msg}" if where else f"model: {msg}") from None
        est = cls._from_spec(spec)
        est.levels_ = np.asarray(spec.levels, dtype=float)
        return est

    @classmethod
    def _from_spec(cls, spec: Any) -> Any:
        raise NotImplementedError


# identity ---------------------------------------------------------------------------


class _IdentitySpec(_Spec):
    raw_column: int
    n_features: int = Field(ge=1)

    @model_validator(mode="after")
    def _column_fits(self) -> _IdentitySpec:
        _in_range(self.raw_column, self.n_features, "raw_column")
        return self


class IdentityCalibrator(_LevelModel):
    """The rubric's own score, unchanged: what every other candidate must clearly beat.

    Parameters
    ----------
    raw_column : int
        Index of the rubric's own score among the features.
    """

    kind = "identity"
    spec = _IdentitySpec

    def __init__(self, raw_column: int = -1):
        self.raw_column = raw_column

    def fit(self, X: Any, y: Any) -> IdentityCalibrator:
        X, _ = self._start_fit(X, y)
        _in_range(self.raw_column, X.shape[1], "raw_column")
        return self

    def predict(self, X: Any) -> np.ndarray:
        return self._checked(X)[:, self.raw_column].copy()

    def _dict(self) -> dict[str, Any]:
        return {"raw_column": self.raw_column, "n_features": self.n_features_in_}

    @classmethod
    def _from_spec(cls, spec: _IdentitySpec) -> IdentityCalibrator:
        est = cls(raw_column=spec.raw_column)
        est.n_features_in_ = spec.n_features
        return est


# monotone mapping ---------------------------------------------------------------------


class _MonotoneSpec(_Spec):
    column: int
    n_features: int = Field(ge=1)
    x: list[float] = Field(min_length=1)
    y: list[float] = Field(min_length=1)

    @model_validator(mode="after")
    def _a_monotone_map(self) -> _MonotoneSpec:
        _in_range(self.column, self.n_features)
        if len(self.x) != len(self.y):
            raise ValueError(f"x has {len(self.x)} numbers and y {len(self.y)}; they go in pairs")
        for name, values in (("x", self.x), ("y", self.y)):
            if any(b < a for a, b in zip(values, values[1:], strict=False)):
                raise ValueError(f"{name} must not decrease")
        return self


class MonotoneCalibrator(_LevelModel):
    """A non-decreasing map from one feature to the teacher's levels.

    Isotonic regression of the teacher's score on the feature in ``column``
    (the rubric's score, or the number of key elements found), interpolated
    between the values seen, flat beyond them, and snapped to the nearest
    level the teacher used. It captures a teacher who grades more leniently
    or more strictly than the rubric, or by other thresholds on its scale.
    Saved as the (x, y) breakpoints.

    Parameters
    ----------
    column : int
        Index of the feature to map.
    """

    kind = "monotone"
    spec = _MonotoneSpec

    def __init__(self, column: int = -1):
        self.column = column

    def fit(self, X: Any, y: Any) -> MonotoneCalibrator:
        X, y = self._start_fit(X, y)
        _in_range(self.column, X.shape[1])
        iso = IsotonicRegression(out_of_bounds="clip").fit(X[:, self.column], y)
        self.x_ = np.asarray(iso.X_thresholds_, dtype=float)
        self.y_ = np.asarray(iso.y_thresholds_, dtype=float)
        return self

    def predict(self, X: Any) -> np.ndarray:
        X = self._checked(X)
        return self._snap(np.interp(X[:, self.column], self.x_, self.y_))

    def _dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "n_features": self.n_features_in_,
            "x": self.x_.tolist(),
            "y": self.y_.tolist(),
        }

    @classmethod
    def _from_spec(cls, spec: _MonotoneSpec) -> MonotoneCalibrator:
        est = cls(column=spec.column)
        est.n_features_in_ = spec.n_features
        est.x_ = np.asarray(spec.x, dtype=float)
        est.y_ = np.asarray(spec.y, dtype=float)
        return est


# ridge correction ---------------------------------------------------------------------


class _RidgeSpec(_Spec):
    alphas: list[float] = Field(min_length=1)
    alpha: float = Field(ge=0)
    raw_column: int
    coef: list[float] = Field(min_length=1)

    @model_validator(mode="after")
    def _column_fits(self) -> _RidgeSpec:
        _in_range(self.raw_column, len(self.coef), "raw_column")
        return self


class ScoreCalibrator(_LevelModel):
    """A regularized correction of the rubric's score toward one teacher's scores.

    Ridge regression learns how far the teacher's score lies from the rubric's
    score (the column ``raw_column`` of X), given the evidence; the
    regularization strength is chosen by leave-one-out cross-validation from
    ``alphas``. The prediction is the rubric's score plus that correction,
    snapped to the nearest score level the teacher used. The correction has no
    intercept, so an answer with no evidence keeps its score (an empty answer
    stays 0), and with little data it shrinks toward zero: the rubric's own
    scoring is the fallback, not the average score.

    Parameters
    ----------
    alphas : tuple of float
        Candidate ridge penalties.
    raw_column : int
        Index of the rubric's own score among the features.
    """

    kind = "ridge-correction"
    spec = _RidgeSpec

    def __init__(self, alphas: tuple[float, ...] = ALPHAS, raw_column: int = -1):
        self.alphas = alphas
        self.raw_column = raw_column

    def fit(self, X: Any, y: Any) -> ScoreCalibrator:
        X, y = self._start_fit(X, y)
        _in_range(self.raw_column, X.shape[1], "raw_column")
        model = RidgeCV(alphas=list(self.alphas), fit_intercept=False)
        model.fit(X, y - X[:, self.raw_column])
        self.alpha_ = float(model.alpha_)
        self.coef_ = np.asarray(model.coef_, dtype=float)
        return self

    def correction(self, X: Any) -> np.ndarray:
        """How many points the teacher would add to (or take from) the rubric's score."""
        return self._checked(X) @ self.coef_

    def predict(self, X: Any) -> np.ndarray:
        X = self._checked(X)
        return self._snap(X[:, self.raw_column] + X @ self.coef_)

    def _dict(self) -> dict[str, Any]:
        return {
            "alphas": [float(a) for a in self.alphas],
            "alpha": self.alpha_,
            "raw_column": self.raw_column,
            "coef": self.coef_.tolist(),
        }

    @classmethod
    def _from_spec(cls, spec: _RidgeSpec) -> ScoreCalibrator:
        est = cls(alphas=tuple(spec.alphas), raw_column=spec.raw_column)
        est.alpha_ = spec.alpha
        est.coef_ = np.asarray(spec.coef, dtype=float)
        est.n_features_in_ = len(est.coef_)
        return est


# ordinal logistic ---------------------------------------------------------------------


class _OrdinalSpec(_Spec):
    alpha: float = Field(ge=0)
    coef: list[float] = Field(min_length=1)
    thresholds: list[float]

    @model_validator(mode="after")
    def _thresholds_fit(self) -> _OrdinalSpec:
        if len(self.thresholds) != len(self.levels) - 1:
            raise ValueError(
                f"{len(self.levels)} levels need {len(self.levels) - 1} thresholds, "
                f"not {len(self.thresholds)}"
            )
        if any(b < a for a, b in zip(self.thresholds, self.thresholds[1:], strict=False)):
            raise ValueError("thresholds must not decrease")
        return self


class OrdinalLogistic(_LevelModel):
    """A regularized proportional-odds (ordinal logistic) model of the teacher's level.

    The teacher's level is modelled from a weighted sum of the evidence,
    ``eta = X @ coef_``, with P(level <= k) = sigmoid(thresholds_[k] - eta); the
    weights carry an L2 penalty ``alpha`` on standardized features. It predicts
    the median level: the number of thresholds below eta picks it. One weight
    per feature and one threshold per level, so it learns from a few dozen
    answers how a teacher weighs each point. Saved as the weights and
    thresholds on the raw features.

    Parameters
    ----------
    alpha : float
        L2 penalty on the weights of the standardized features.
    max_iter : int
        Iterations of the optimizer (L-BFGS).
    """

    kind = "ordinal-logistic"
    spec = _OrdinalSpec

    def __init__(self, alpha: float = LOGISTIC_ALPHA, max_iter: int = 500):
        self.alpha = alpha
        self.max_iter = max_iter

    def fit(self, X: Any, y: Any) -> OrdinalLogistic:
        X, y = self._start_fit(X, y)
        n, p = X.shape
        k = len(self.levels_)
        mean = X.mean(axis=0)
        scale = X.std(axis=0)
        scale[scale == 0] = 1.0
        Z = (X - mean) / scale
        cls = np.searchsorted(self.levels_, y)
        if k == 1:
            w, theta = np.zeros(p), np.zeros(0)
        else:
            cum = np.cumsum(np.bincount(cls, minlength=k))[:-1] / n
            start = np.log(cum / (1 - cum))
            steps = np.log(np.maximum(np.diff(start), 1e-3))
            x0 = np.concatenate([np.zeros(p), start[:1], steps])
            # tiny problems: BLAS threads only wait on each other (tens of times slower on 2 cores)
            with threadpool_limits(limits=1, user_api="blas"):
                result = minimize(
                    _ordinal_loss,
                    x0,
                    args=(Z, cls, k, float(self.alpha)),
                    jac=True,
                    method="L-BFGS-B",
                    options={"maxiter": self.max_iter},
                )
            w, theta = _unpack(result.x, p)
        # back to the raw features: eta = X @ (w / scale) - sum(w * mean / scale)
        self.coef_ = w / scale
        self.thresholds_ = theta + float(np.sum(w * mean / scale))
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """The weighted evidence eta; the level is the number of thresholds below it."""
        return self._checked(X) @ self.coef_

    def predict(self, X: Any) -> np.ndarray:
        eta = self.decision_function(X)
        return self.levels_[np.searchsorted(self.thresholds_, eta, side="left")]

    def _dict(self) -> dict[str, Any]:
        return {
            "alpha": float(self.alpha),
            "coef": self.coef_.tolist(),
            "thresholds": self.thresholds_.tolist(),
        }

    @classmethod
    def _from_spec(cls, spec: _OrdinalSpec) -> OrdinalLogistic:
        est = cls(alpha=spec.alpha)
        est.coef_ = np.asarray(spec.coef, dtype=float)
        est.thresholds_ = np.asarray(spec.thresholds, dtype=float)
        est.n_features_in_ = len(est.coef_)
        return est


def _unpack(params: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights, and thresholds kept increasing: the first, then positive steps (as logs)."""
    w = params[:p]
    theta = params[p] + np.concatenate([[0.0], np.cumsum(np.exp(np.clip(params[p + 1 :], -30, 30)))])
    return w, theta


def _ordinal_loss(
    params: np.ndarray, Z: np.ndarray, cls: np.ndarray, k: int, alpha: float
) -> tuple[float, np.ndarray]:
    """Penalized negative log-likelihood of the proportional-odds model, and its gradient."""
    p = Z.shape[1]
    w, theta = _unpack(params, p)
    eta = Z @ w
    edges = np.concatenate([[-np.inf], theta, [np.inf]])
    upper, lower = edges[cls + 1] - eta, edges[cls] - eta
    f_up, f_low = expit(upper), expit(lower)
    prob = np.maximum(f_up - f_low, 1e-12)
    d_up, d_low = f_up * (1 - f_up), f_low * (1 - f_low)
    loss = -float(np.sum(np.log(prob))) + 0.5 * alpha * float(w @ w)
    g_eta = (d_up - d_low) / prob
    g_w = Z.T @ g_eta + alpha * w
    g_edges = np.zeros(k + 1)
    np.add.at(g_edges, cls + 1, -d_up / prob)
    np.add.at(g_edges, cls, d_low / prob)
    g_theta = g_edges[1:-1]
    tail = np.cumsum(g_theta[::-1])[::-1]  # d loss / d theta_j summed over j >= m
    g_steps = np.exp(np.clip(params[p + 1 :], -30, 30)) * tail[1:]
    return loss, np.concatenate([g_w, [g_theta.sum()], g_steps])


CalibrationModel = IdentityCalibrator | MonotoneCalibrator | ScoreCalibrator | OrdinalLogistic
MODEL_KINDS: dict[str, type[_LevelModel]] = {
    m.kind: m for m in (IdentityCalibrator, MonotoneCalibrator, ScoreCalibrator, OrdinalLogistic)
}


def model_from_dict(data: Any) -> CalibrationModel:
    """Any saved model, by its kind; ValueError naming what is wrong."""
    if not isinstance(data, dict):
        raise ValueError("model: not an object")
    kind = data.get("kind")
    if kind not in MODEL_KINDS:
        raise ValueError(f"model.kind: unknown model kind {kind!r} (known: {', '.join(MODEL_KINDS)})")
    model: CalibrationModel = MODEL_KINDS[kind].from_dict(data)
    return model
