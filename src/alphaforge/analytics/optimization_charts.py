"""Charts of an optimization's trials: where in parameter space the good results are.

A heatmap of the score over two parameters shows whether the winner sits on a plateau (nearby
sets do about as well: the result is robust) or on a lone peak (a neighbour does much worse:
likely luck). Parallel coordinates show every parameter at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alphaforge.core.suggest import did_you_mean
from alphaforge.domain.errors import InvalidValueError

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["heatmap", "heatmap_grid", "parallel"]


def _need(table: pd.DataFrame, names: Sequence[str]) -> None:
    for name in names:
        if name not in table.columns:
            raise InvalidValueError(
                f"the trials have no column {name!r}{did_you_mean(name, list(table.columns))}"
            )


def heatmap_grid(table: pd.DataFrame, x: str, y: str, metric: str) -> pd.DataFrame:
    """The metric's mean over trials for each (y, x) pair: rows y values, columns x values."""
    _need(table, (x, y, metric))
    if table.empty:
        raise InvalidValueError("no trials to chart")
    values = table[[x, y, metric]].replace([np.inf, -np.inf], np.nan)
    return values.pivot_table(index=y, columns=x, values=metric, aggfunc="mean").sort_index()


def heatmap(table: pd.DataFrame, x: str, y: str, metric: str) -> go.Figure:
    """A heatmap of ``metric`` over parameters ``x`` and ``y`` (mean over other parameters)."""
    import plotly.graph_objects as go  # noqa: PLC0415  # plotting only on demand

    grid = heatmap_grid(table, x, y, metric)
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=[str(v) for v in grid.columns],
            y=[str(v) for v in grid.index],
            colorscale="RdBu",
            zmid=0.0,
            colorbar={"title": metric},
            hovertemplate=f"{x}=%{{x}}<br>{y}=%{{y}}<br>{metric}=%{{z:.3f}}<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"{metric} by {x} and {y}",
        xaxis_title=x,
        yaxis_title=y,
        template="plotly_white",
        height=480,
    )
    return fig


def parallel(table: pd.DataFrame, params: Sequence[str], metric: str) -> go.Figure:
    """Parallel coordinates of ``params`` and ``metric``, lines coloured by the metric."""
    import plotly.graph_objects as go  # noqa: PLC0415

    _need(table, (*params, metric))
    if table.empty:
        raise InvalidValueError("no trials to chart")
    score = table[metric].replace([np.inf, -np.inf], np.nan).astype(float)
    dims = []
    for name in params:
        column = table[name]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            dims.append({"label": name, "values": column.astype(float)})
        else:
            codes, labels = pd.factorize(column.astype(str))
            dims.append(
                {"label": name, "values": codes, "tickvals": list(range(len(labels))),
                 "ticktext": list(labels)}
            )  # fmt: skip
    dims.append({"label": metric, "values": score.fillna(score.min())})
    fig = go.Figure(
        go.Parcoords(
            line={"color": score.fillna(score.min()), "colorscale": "RdBu", "showscale": True},
            dimensions=dims,
        )
    )
    fig.update_layout(title=f"Trials by parameter ({metric})", template="plotly_white", height=480)
    return fig
