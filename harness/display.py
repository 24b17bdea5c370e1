"""Display helpers shared by the notebooks and the report: escaping, tables, saved figures.

Every string that comes from a run's data or metadata goes through ``esc`` (or pandas'
``to_html(escape=True)``) before it reaches HTML.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from harness import results


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def load_frame(run_dir: Path) -> Any:
    """The tidy table, or an empty one with the tidy columns when the run has none yet."""
    import pandas as pd

    if not (Path(run_dir) / "tidy.csv").is_file():
        return pd.DataFrame(
            {column: pd.Series(dtype=results.TIDY_TYPES.get(column, "object")) for column in results.TIDY_COLUMNS}
        )
    return results.load_tidy(run_dir)


def setup_plots() -> None:
    """Readable defaults; never interpret ``$...$`` in labels that come from data."""
    import matplotlib

    matplotlib.rcParams.update(
        {
            "text.parse_math": False,
            "figure.dpi": 100,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "figure.autolayout": True,
            "svg.fonttype": "none",
        }
    )


def note(text: str) -> None:
    """A short sentence in the notebook output, HTML-escaped."""
    from IPython.display import HTML, display

    display(HTML(f"<p>{esc(text)}</p>"))


def show_table(frame: Any, index: bool = False, floatfmt: str = "{:,.4g}") -> None:
    """A pandas table, every cell HTML-escaped."""
    from IPython.display import HTML, display

    display(
        HTML(frame.to_html(escape=True, index=index, na_rep="—", float_format=lambda value: floatfmt.format(value)))
    )


def save_figure(fig: Any, run_dir: Any, name: str) -> None:
    """Save a figure as SVG and PNG into ``RUN_DIR/figures/``, show it inline, close it."""
    import matplotlib.pyplot as plt

    out = Path(run_dir) / "figures"
    out.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    fig.savefig(out / f"{safe}.svg")
    fig.savefig(out / f"{safe}.png", dpi=120)
    try:
        from IPython.display import display

        display(fig)
    except ImportError:
        pass
    plt.close(fig)


def link(href: str, text: str) -> str:
    """An HTML link to a relative file, escaped."""
    from urllib.parse import quote

    return f'<a href="{esc(quote(href))}">{esc(text)}</a>'


def bar_labeller(frame: Any) -> Any:
    """``label(interpreter, strategy)`` for bar charts: the strategy, with the interpreter added
    on a second line only when the run measured several interpreters."""
    several = frame["interpreter"].nunique() > 1

    def label(interpreter: Any, strategy: Any) -> str:
        return f"{strategy}\n{interpreter}" if several else str(strategy)

    return label
