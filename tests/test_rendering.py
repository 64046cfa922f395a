"""Numbers as text, Markdown tables and figure files, against hand-written expectations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recbole_atjt.rendering import markdown_table, mean_std, number, pyplot, save_figure, spread


def test_number_is_none_and_nan_safe():
    assert number(None) == "n/a"
    assert number(float("nan")) == "n/a"
    assert number(np.float32("nan"), missing="-") == "-"
    assert number(0.123456) == "0.1235"
    assert number(np.float64(2.5), digits=2) == "2.50"
    assert number(0.25, digits=2, signed=True) == "+0.25"
    assert number(-0.25, digits=2, signed=True) == "-0.25"


def test_number_writes_integers_as_they_are():
    assert number(3690) == "3690"
    assert number(np.int64(7), signed=True) == "+7"


def test_mean_std_of_a_hand_example():
    # mean 2; deviations -1, 0, 1 -> sample variance 2 / 2 = 1
    assert mean_std([1.0, 2.0, 3.0]) == "2.0000 ± 1.0000"
    assert mean_std([0.01, 0.03], digits=2, signed=True, unit="%") == "+0.02% ± 0.01%"
    assert mean_std([0.5]) == "0.5000 ± 0.0000"  # one value: no spread
    assert mean_std([]) == "n/a"
    assert mean_std([0.1, None], missing="-") == "-"
    assert mean_std([0.1, math.nan]) == "n/a"
    assert spread([1.0, 2.0, 3.0]) == 1.0 and spread([4.0]) == 0.0


def test_markdown_table_lines():
    assert markdown_table(["", "a", "b"], [["x", 1, number(None)], ["y", "", 0.5]]) == [
        "| | a | b |",
        "|---|---|---|",
        "| x | 1 | n/a |",
        "| y | | 0.5 |",
    ]
    assert markdown_table(["only"], []) == ["| only |", "|---|"]
    assert markdown_table(["row", "mean", "n"], [], align="lr")[1] == "|---|---:|---|"
    with pytest.raises(ValueError, match="align: got 'x'"):
        markdown_table(["a"], [], align="x")


def test_save_figure_writes_a_png_and_frees_the_figure(tmp_path):
    plt = pyplot()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    path = tmp_path / "line.png"
    save_figure(fig, str(path), dpi=50)
    assert path.read_bytes().startswith(b"\x89PNG")
    assert not plt.fignum_exists(fig.number)
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0], label="a line")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))  # outside the axes
    cropped = tmp_path / "cropped.png"
    save_figure(fig, str(cropped), dpi=50, crop=True)
    assert plt.imread(str(cropped)).shape != plt.imread(str(path)).shape
    default_left = plt.rcParams["figure.subplot.left"]
    for layout in (True, False):
        fig, _ = plt.subplots()
        save_figure(fig, str(tmp_path / f"{layout}.png"), dpi=50, layout=layout)
        assert (fig.subplotpars.left == default_left) is not layout  # tight_layout moved it


def test_the_metrics_table_marks_missing_metrics():
    from recbole_atjt.run_dir import metrics_table

    lines = metrics_table({"valid": {"gauc": 0.91234}, "test": {"hit@5": math.nan}}).splitlines()
    assert lines[1].split() == ["valid", "0.9123", "-", "-", "-", "-"]
    assert lines[2].split() == ["test", "-", "-", "-", "-", "-"]
