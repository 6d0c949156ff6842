"""The sections every study gets (summary, verdicts): data steps on hand-made records, and the
texts each entry point shows, put together in one place."""

from __future__ import annotations

from figrecords import records
from test_table2 import _study

from dse.analysis.compression_claims import COMPRESSION_CLAIMS
from dse.analysis.figures import SECTIONS, study_note, study_summary, study_text
from dse.analysis.figures._summary import front_text, summary_html, summary_markdown, summary_text
from dse.analysis.figures._table2 import table2_info, table2_text
from dse.analysis.figures._verdicts import verdicts_html, verdicts_markdown, verdicts_text
from dse.analysis.study_verdicts import study_verdicts
from dse.analysis.verdicts import PAPER_CLAIMS


def test_a_study_is_judged_on_the_compression_claims_only_with_compressions() -> None:
    results, archs, comps = _study()
    plain = study_verdicts(records(results, archs))
    judged = study_verdicts(records(results, archs, compressions=comps))
    assert len(plain) == sum(len(c.metrics) for c in PAPER_CLAIMS)  # top-1 and top-5 each
    assert judged[:len(plain)] == plain
    # each compression claim on each metric and on each compressed network apart
    rest = [(v.claim, v.metric.value, v.network) for v in judged[len(plain):]]
    assert rest == [(c.id, m.value, n) for c in COMPRESSION_CLAIMS for m in c.metrics
                    for n in ("sr=0.25", "sr=0.75")]
    assert any(v.verdict != "not tested" for v in judged[len(plain):])


def test_sections_render_their_data_step_as_each_page_needs() -> None:
    results, archs, comps = _study()
    study = records(results, archs, compressions=comps)
    summary = SECTIONS["summary"].data(study)
    assert summary.summary == study_summary("s", results, archs) and summary.rows() == []
    assert SECTIONS["summary"].html(summary) == summary_html(summary.summary)
    assert SECTIONS["summary"].files == ("results.csv",)
    verdicts = SECTIONS["verdicts"].data(study)
    assert verdicts.verdicts == study_verdicts(study)
    assert verdicts.rows() == [v.to_dict() for v in verdicts.verdicts]
    assert SECTIONS["verdicts"].html(verdicts) == verdicts_html(verdicts.verdicts)
    assert "Table 2 claims" in verdicts.caption()
    assert "Table 2 claims" not in SECTIONS["verdicts"].data(records(results, archs)).caption()


def test_the_end_of_a_run_shows_summary_table2_and_verdicts_in_that_order() -> None:
    results, archs, comps = _study()
    judged = study_verdicts(records(results, archs, compressions=comps))
    summary = study_summary("s", results, archs)
    assert study_text(records(results, archs, compressions=comps), title="T") == "\n".join([
        summary_text(summary, title="T"), table2_text(table2_info(results, archs, comps)),
        verdicts_text(judged)])
    assert study_text(records(results, archs), title="F", front=True) == "\n".join([
        front_text(summary, title="F"), verdicts_text(study_verdicts(records(results, archs)))])


def test_the_dashboard_note_is_the_summary_then_the_verdicts() -> None:
    results, archs, comps = _study()
    study = records(results, archs, compressions=comps)
    figures = [("Figure", "its caption")]
    assert study_note(study, figures=figures) == \
        summary_markdown(study_summary("s", results, archs), figures=figures) + "\n" + \
        verdicts_markdown(study_verdicts(study))
