"""Running a page with Streamlit's AppTest, and reading what it shows."""
import json

import pandas as pd
import pyarrow as pa
from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.testing.v1 import AppTest, app_test, local_script_runner

from impact.domain.access import Actor
from impact.ui.session import ACTOR
from tests.conftest import ROOT

TIMEOUT = 60


STAFF = Actor("staff", "staff@example.org")


class Components:
    """The installed components Streamlit found, for every AppTest of the test process: a server scans every
    installed package for them once, at its start, and AppTest would scan again for each new session (0.1 s)."""

    found = None


# Each page's code compiled once for every AppTest of the test process, as a server keeps it: AppTest would make a
# new cache at each run and compile the page again, with Streamlit's "magic" (2 to 13 ms a page here; about 7% of
# a test process's time in the page tests, in a profile).
COMPILED = ScriptCache()
app_test.ScriptCache = local_script_runner.ScriptCache = lambda: COMPILED


def run(page: str, actor: Actor = STAFF, **params: str) -> AppTest:
    """Run a page as `actor` (by default staff, who may open every page) with these link parameters."""
    at = AppTest.from_file(str(ROOT / page), default_timeout=TIMEOUT)
    at._bidi_component_manager = Components.found  # AppTest's own slot for them; None makes it scan
    at.session_state[ACTOR] = actor
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    Components.found = at._bidi_component_manager
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def chart_texts(at: AppTest) -> list[str]:
    """Every text label drawn in the page's plotly charts."""
    texts = []
    for chart in at.get("plotly_chart"):
        for trace in json.loads(chart.proto.spec)["data"]:
            texts += trace.get("text") or trace.get("node", {}).get("label") or []
    return texts


def shown(at: AppTest, index: int = 0) -> pd.DataFrame:
    """The page's `index`th table as the visitor reads it: every cell's text (what impact.ui.tables wrote)."""
    return pa.ipc.open_stream(at.dataframe[index].proto.arrow_data.styler.display_values).read_pandas()
