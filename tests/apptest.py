"""Running a page with Streamlit's AppTest, and reading what it shows."""
import json

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

TIMEOUT = 60


def run(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / page), default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def chart_texts(at: AppTest) -> list[str]:
    """Every text label drawn in the page's plotly charts."""
    texts = []
    for chart in at.get("plotly_chart"):
        for trace in json.loads(chart.proto.spec)["data"]:
            texts += trace.get("text") or []
    return texts
