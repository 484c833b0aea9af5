"""Shared page setup and guard. Every page file calls `setup_page(<key>)` first.

With `st.navigation` a deep link can run a page file without app.py having run in that
session, so the setup (page config, language, period, warehouse guard, login hook) lives
here and not in app.py.

    ctx = setup_page("committee_scorecard")
    ctx.t("label.measure")                        # translated label
    ctx.fmt.percent(97.3)                          # "97,3 %" in Swedish
    ctx.q(query.scorecard, code, ctx.grain, ctx.period)   # cached on wh.version()

Page headings: `nav.<page_key>` in the translation table (core.yaml holds nav titles for all
pages, including the council pages); setup_page renders it as the page title.
Session state shared between pages: "_lang", "_grain", "_period", "_committee"; all of it is also
kept in the URL (ui/state.py): a page opened from a shared link shows what the sender saw."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import streamlit as st

from periods import GRAINS
from ui import state
from ui.formatting import Formatter
from ui.i18n import DEFAULT_LANG, LANGS, name_col, translate, translation_table, translator


# One narrow-screen rule for every page: containers keyed "wide_only_*" (heatmaps, wide charts)
# give way on a phone to what is keyed "narrow_only_*" (cards and lists), and the other way round.
# The page heading shrinks with a phone's width (Streamlit's 2.75rem broke "Applikationsportfölj" as
# "Applikationsportf/ölj" at 390 px): at 9vw the longest one-word heading fits whole down to 320 px.
LAYOUT_CSS = """<style>
@media (max-width: 640px){ [class*="st-key-wide_only"]{display:none !important} }
@media (max-width: 640px){ [data-testid="stMain"] h1{font-size:clamp(1.75rem, 9vw, 2.75rem) !important} }
@media (min-width: 641px){ [class*="st-key-narrow_only"]{display:none !important} }
</style>"""
DEFAULT_GRAIN = "tertial"


@dataclass
class PageContext:
    page_key: str
    lang: str
    t: Callable[..., str]
    wh: Any
    grain: str
    period: str
    fmt: Formatter
    periods: list[str] = field(default_factory=list)

    @property
    def name_col(self) -> str:
        return name_col(self.lang)

    def q(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        """Cached query-layer call: fn(wh, *args, **kwargs), keyed on the warehouse version."""
        from ui.data import cached

        return cached(self.wh, fn, *args, **kwargs)

    def key(self, name: str) -> str:
        """Widget key per language: the browser keeps a widget's option labels while its id stays
        the same, so a language switch needs a new widget (see `initial` for carrying the value)."""
        return f"{name}_{self.lang}"

    def initial(self, name: str, default: Any) -> Any:
        """Starting value for the widget `name` in this language: the value the user had chosen in
        the other language, else `default`. (Pages pass it as index/default; writing the widget's
        session state instead would clash with that default.)"""
        for other in LANGS:
            ok = f"{name}_{other}"
            if other != self.lang and ok in st.session_state:
                return st.session_state[ok]
        return default

    def link(self, page: str, **params: Any) -> str:
        """href of another page (or this one) carrying language, grain and period (ui/state.py)."""
        return state.link(page, self, **params)

    def choice(self, param: str, label: str, options: list, default: Any = None, *, container: Any = None,
               kind: str = "selectbox", format_func: Callable = str, session_key: str | None = None,
               url: bool = True, key: str | None = None, **kw: Any) -> Any:
        """A widget whose value lives in the URL (?param=) and in the session: a link's value wins
        on arrival, the user's choice is written back on every change (ui/state.py)."""
        container = container or st
        skey = session_key or f"_{param}"
        if not options:
            return None
        if default not in options:
            default = options[0]
        value = state.resolve(param, options, skey, default) if url else (
            st.session_state.get(skey) if st.session_state.get(skey) in options else default)
        wkey = self.key(key) if key else f"w_{self.page_key}_{param}_{self.lang}"
        if wkey in st.session_state and st.session_state[wkey] != value:
            del st.session_state[wkey]

        def _sync() -> None:
            st.session_state[skey] = st.session_state[wkey]

        widget = getattr(container, kind)
        if kind == "selectbox":
            kw.setdefault("placeholder", self.t("label.choose"))
        value = widget(label, options, index=options.index(value), key=wkey, on_change=_sync,
                       format_func=format_func, **kw)
        st.session_state[skey] = value
        if url:
            state.write(**{param: value})
        return value

    def shared(self) -> dict[str, str]:
        """lang/grain/period for st.switch_page(query_params=...)."""
        return state.shared_params(self)

    def export_meta(self, title: str, filters: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
        """The header block of an export: what it is, period and grain, data version, filters."""
        import datetime as _dt

        t = self.t
        try:
            meta = self.q(_meta)
        except Exception:
            meta = {}
        rows = [(t("export.title"), title)]
        if self.period:
            rows += [(t("label.period"), self.fmt.period(self.period)), (t("label.grain"), t(f"grain.{self.grain}"))]
        rows += [(t("export.data_version"), str(meta.get("version", ""))[:19] or "–"),
                 (t("export.published"), self.fmt.date(meta.get("published_at"), with_time=True))]
        rows += [(t("export.filters"), "; ".join(f"{a}: {b}" for a, b in filters) if filters else t("export.none"))]
        rows += [(t("export.exported"), self.fmt.date(_dt.datetime.now(), with_time=True)),
                 (t("export.source"), t("app.title"))]
        return rows

    def fig(self, builder: Callable, *args: Any, **kwargs: Any) -> Any:
        """A figure from ui.figures, built once per distinct input (see ui.data.cached_figure)."""
        from ui.data import cached_figure

        return cached_figure(builder, *args, **kwargs)

    def name(self, row: Any) -> str:
        """Display name from a row/dict with name_sv / name_en."""
        try:
            v = row[self.name_col]
        except (KeyError, IndexError, TypeError):
            v = None
        if v is None or (isinstance(v, float) and v != v) or v == "":
            try:
                v = row["name_sv"]
            except (KeyError, IndexError, TypeError):
                v = ""
        return str(v)


# Hook for a later login guard: each guard gets the context and may st.stop().
GUARDS: list[Callable[[PageContext], None]] = []


def register_guard(fn: Callable[[PageContext], None]) -> None:
    if fn not in GUARDS:
        GUARDS.append(fn)


def current_lang() -> str:
    """Language: ?lang= from a link, else this session's choice, else Swedish."""
    return state.resolve("lang", LANGS, "_lang", DEFAULT_LANG)


def _persisted_radio_or_select(kind: str, label: str, options: list, state_key: str, page_key: str,
                               default: Any, format_func: Callable = str, container: Any = None, **kw: Any) -> Any:
    """A widget whose value survives page switches (widget state is per page; the canonical
    value lives in st.session_state[state_key])."""
    container = container or st.sidebar
    # per-language widget key (labels change with the language), except the language switch itself
    wkey = f"w_{page_key}_{state_key}" + ("" if state_key == "_lang" else f"_{current_lang()}")
    current = st.session_state.get(state_key, default)
    if current not in options:
        current = default if default in options else (options[0] if options else None)
    if wkey in st.session_state and (st.session_state[wkey] not in options or st.session_state[wkey] != current):
        del st.session_state[wkey]  # the value changed elsewhere (a link, another page): show the new one

    def _sync() -> None:
        st.session_state[state_key] = st.session_state[wkey]

    index = options.index(current) if current in options else 0
    widget = container.radio if kind == "radio" else container.selectbox
    if kind != "radio":
        kw.setdefault("placeholder", translate("label.choose", current_lang()))
    value = widget(label, options, index=index, key=wkey, on_change=_sync, format_func=format_func, **kw)
    st.session_state[state_key] = value
    return value


def _warehouse():
    """A snapshot of the newest published version: the whole page run reads this one version."""
    from metrics.warehouse import get_warehouse, warehouse_path

    return get_warehouse().pin(), warehouse_path


def setup_page(page_key: str, show_title: bool = True, needs_period: bool = True) -> PageContext:
    from ui.warmup import wait as wait_for_warmup

    wait_for_warmup()  # a deep link run without app.py right after `make run` (serve.py): see app.py
    lang = current_lang()
    t = translator(lang)
    _ensure_navigation(lang)
    title = t(f"nav.{page_key}") if f"nav.{page_key}" in translation_table() else page_key
    try:
        st.set_page_config(page_title=f"{title} · {t('app.title')}", page_icon="📊", layout="wide")
    except Exception:  # already configured in this run by the entry point – harmless
        pass

    # language switch (top of the sidebar)
    lang = _persisted_radio_or_select(
        "radio", "Språk / Language", list(LANGS), "_lang", page_key, lang,
        format_func=lambda l: {"sv": "Svenska", "en": "English"}[l], horizontal=True,
    )
    t = translator(lang)
    fmt = Formatter(lang)
    from ui.tables import TABLE_CSS

    st.html(LAYOUT_CSS + TABLE_CSS)  # once per page, not once per table
    if show_title:
        st.title(t(f"nav.{page_key}") if f"nav.{page_key}" in translation_table() else title)

    # warehouse guard
    try:
        wh, warehouse_path = _warehouse()
        version = wh.version()
    except Exception as exc:  # the warehouse module itself failed
        st.error(t("guard.warehouse_error", error=str(exc)))
        st.stop()
    if not version:
        st.warning(t("guard.no_warehouse", path=str(warehouse_path())))
        st.code("make run\n# eller / or\npython -m etl demo", language="bash")
        st.stop()

    ctx = PageContext(page_key=page_key, lang=lang, t=t, wh=wh, grain=DEFAULT_GRAIN, period="", fmt=fmt)

    # who is using the app (login / demo login); stops the page when nobody is (ui/auth.py)
    from ui.auth import login_guard

    login_guard(ctx)

    # period selector: grain, then a period of that grain (URL → session → latest complete period)
    if needs_period:
        state.resolve("grain", GRAINS, "_grain", st.session_state.get("_grain") or DEFAULT_GRAIN)
        grain = _persisted_radio_or_select(
            "select", t("label.grain"), list(GRAINS), "_grain", page_key, DEFAULT_GRAIN,
            format_func=lambda g: t(f"grain.{g}"),
        )
        try:
            periods, default_period = period_choices(ctx.q, grain)
        except Exception as exc:
            st.error(t("guard.query_error", error=str(exc)))
            st.stop()
        if not periods:
            st.warning(t("guard.no_data"))
            st.stop()
        if default_period not in periods:
            default_period = periods[0]
        if st.session_state.get("_period") not in periods:  # grain changed: the period of that grain
            st.session_state["_period"] = _same_time(st.session_state.get("_period"), grain, periods, default_period)
        state.resolve("period", periods, "_period", default_period)
        period = _persisted_radio_or_select(
            "select", t("label.period"), periods, "_period", page_key + "_" + grain, default_period,
            format_func=fmt.period,
        )
        ctx.grain, ctx.period, ctx.periods = grain, period, periods
        state.write(lang=lang, grain=grain, period=period)
    else:
        state.write(lang=lang)

    # warehouse version / published time
    try:
        meta = ctx.q(_meta)
    except Exception:
        meta = {}
    st.sidebar.caption(t("label.warehouse_published", published=fmt.date(meta.get("published_at"), with_time=True),
                         version=str(meta.get("version", ""))[:19]))

    for guard in list(GUARDS):
        guard(ctx)
    return ctx


def period_choices(q: Callable, grain: str) -> tuple[list[str], str | None]:
    """The periods of a grain (newest first) and the default one (the latest complete period), through
    the cached query call `q` (PageContext.q; the server's warm-up makes the same calls, ui/warmup.py)."""
    from metrics import query

    periods = list(q(query.periods, grain))
    return periods, (q(query.latest_complete_period, grain) if periods else None)


def _same_time(previous_period: Any, grain: str, periods: list[str], default: str) -> str:
    """After a change of grain: the period of the new grain holding the previous period's last
    month (T2 2026 → 2026 or 2026-08), when the warehouse has it; else the default."""
    from metrics import periods as P

    try:
        p = P.period_of(P.last_month(str(previous_period)), grain)
    except Exception:
        return default
    return p if p in periods else default


def _ensure_navigation(lang: str) -> None:
    """When a page runs without app.py (deep link right after the server started), register the
    app's navigation from here so the sidebar shows the real sections and titles."""
    from ui.nav import IN_APP, navigation

    if IN_APP.get():
        return
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        if get_script_run_ctx() is None:
            return
        navigation(lang)
    except Exception:  # never let navigation trouble hide the page itself
        pass


def _meta(wh: Any) -> dict:
    return wh.meta()


def status_legend(ctx: PageContext) -> None:
    from ui import status

    st.caption(" · ".join(f"{status.icon(s)} {status.word(s, ctx.lang)}" for s in status.STATUSES)
               + f" · {status.RED_FLAG} {ctx.t('label.red_flag')}")


__all__ = ["PageContext", "setup_page", "register_guard", "GUARDS", "current_lang", "translate", "status_legend"]
