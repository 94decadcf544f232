"""The marks that make a figure stand out: the worst tenth of the county, never the norm."""

from backend.stats.schemas import AreaFigures, Mark, ProblemFigures
from backend.stats.service import worst_tenth


def _village(code: int, *, overdue: int = 0, farmer_reports: int = 1) -> AreaFigures:
    return AreaFigures(
        area_code=f"620422100{code:03d}",
        area_name=None,
        level="village",
        villages=1,
        farmer_reports=farmer_reports,
        uptake=float(farmer_reports),
        overdue_reports=overdue,
        problems=ProblemFigures(overdue=overdue),
    )


def test_only_the_worst_tenth_is_marked() -> None:
    rows = [_village(i, overdue=i % 3) for i in range(18)] + [
        _village(18, overdue=9),
        _village(19, overdue=7),
    ]
    marks = worst_tenth(rows)
    marked = sorted(code for code, m in marks.items() if Mark.overdue_reports in m)
    assert marked == ["620422100018", "620422100019"]  # 2 of 20


def test_a_figure_most_areas_share_is_not_an_exception() -> None:
    # 15 of 20 villages sent nothing: silence is the county's norm, so none is marked…
    rows = [_village(i, farmer_reports=0) for i in range(15)]
    rows += [_village(i, farmer_reports=3) for i in range(15, 20)]
    assert not any(Mark.silent in m for m in worst_tenth(rows).values())
    # …while one silent village among busy ones is.
    rows = [_village(0, farmer_reports=0)] + [_village(i, farmer_reports=3) for i in range(1, 20)]
    marks = worst_tenth(rows)
    assert [c for c, m in marks.items() if Mark.silent in m] == ["620422100000"]


def test_nothing_is_marked_when_nothing_is_bad() -> None:
    rows = [_village(i, overdue=0, farmer_reports=2) for i in range(12)]
    assert all(m == [] for m in worst_tenth(rows).values())


def test_a_rank_among_a_handful_marks_nothing() -> None:
    rows = [_village(0, overdue=5)] + [_village(i) for i in range(1, 4)]
    assert all(m == [] for m in worst_tenth(rows).values())
