"""The reports' words in Swedish (default) and English. One table; a missing key is an error."""
from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "title.committee": ("Tertialrapport – it-uppföljning", "Tertial report – IT follow-up"),
    "title.city": ("Stadens tertialrapport – it-uppföljning", "City tertial report – IT follow-up"),
    "label.period": ("Period", "Period"),
    "label.data_version": ("Dataversion", "Data version"),
    "label.published_at": ("Publicerad", "Published"),
    "label.page": ("Sida", "Page"),
    "label.committee": ("Nämnd", "Committee"),
    "label.peer_group": ("Jämförelsegrupp", "Peer group"),
    "label.overall": ("Sammanvägt resultat", "Overall score"),
    "label.score": ("Poäng", "Score"),
    "label.perspective": ("Perspektiv", "Perspective"),
    "label.measure": ("Mätetal", "Measure"),
    "label.value": ("Värde", "Value"),
    "label.target": ("Mål", "Target"),
    "label.status": ("Status", "Status"),
    "label.peer_median": ("Median jämförelsegrupp", "Peer median"),
    "label.peer_median_2l": ("Median\njämf.grupp", "Peer\nmedian"),
    "label.city_value": ("Staden", "City"),
    "label.trend": ("Trend", "Trend"),
    "label.change": ("Förändring", "Change"),
    "label.red_threshold": ("Röd gräns", "Red threshold"),
    "label.unit": ("Enhet", "Unit"),
    "label.formula": ("Beräkning", "Formula"),
    "label.source": ("Källa", "Source"),
    "label.description": ("Beskrivning", "Description"),
    "label.analysis": ("Analys", "Analysis"),
    "label.assessment": ("Bedömning", "Assessment"),
    "label.author": ("Skriven av", "Written by"),
    "label.actions": ("Åtgärder", "Actions"),
    "label.action": ("Åtgärd", "Action"),
    "label.responsible": ("Ansvarig", "Responsible"),
    "label.due": ("Klart senast", "Due"),
    "label.action_status": ("Status", "Status"),
    "label.since": ("Beslutad", "Decided"),
    "label.approval": ("Godkännande", "Approval"),
    "label.workflow_state": ("Rapportens status", "Report status"),
    "label.approved_by": ("Godkänd av", "Approved by"),
    "label.submitted_by": ("Inskickad av", "Submitted by"),
    "label.returned_by": ("Återremitterad av", "Returned by"),
    "label.comment": ("Kommentar", "Comment"),
    "label.closed": ("Perioden stängd (bokslut)", "Period closed"),
    "label.preliminary": ("PRELIMINÄR – perioden är inte stängd", "PRELIMINARY – the period is not closed"),
    "label.sources": ("Källor (inlästa leveranser)", "Sources (loaded batches)"),
    "label.batch": ("Leverans", "Batch"),
    "label.file": ("Fil", "File"),
    "label.rows": ("Rader", "Rows"),
    "label.loaded_at": ("Inläst", "Loaded"),
    "label.periods": ("Perioder", "Periods"),
    "label.about": ("Om rapporten", "About the report"),
    "label.overall_short": ("Samman-vägt", "Overall"),
    "label.n_red_short": ("Röda", "Red"),
    "label.report_short": ("Rapport", "Report"),
    "label.n_red": ("Röda mätetal", "Red measures"),
    "label.red_unexplained": ("Röda utan analys", "Red without analysis"),
    "label.committee_summary": ("Nämndernas resultat", "Committee results"),
    "label.generated_for": ("Uppgifterna avser", "Figures for"),
    "section.perspectives": ("De fem perspektiven", "The five perspectives"),
    "section.measures": ("Mätetalen", "The measures"),
    "section.committee_analysis": ("Nämndens samlade analys", "The committee's overall analysis"),
    "section.analyses": ("Analyser och åtgärder", "Analyses and actions"),
    "section.approval": ("Godkännande", "Approval"),
    "section.definitions": ("Bilaga: definitioner", "Appendix: definitions"),
    "section.overview": ("Stadsöversikt", "City overview"),
    "section.committees": ("Nämndernas sammanfattningar", "Committee summaries"),
    "chart.perspectives": ("Perspektivpoäng mot jämförelsegruppens median", "Perspective scores against the peer median"),
    "status.green": ("Grön", "Green"),
    "status.yellow": ("Gul", "Yellow"),
    "status.red": ("Röd", "Red"),
    "status.grey": ("Grå", "Grey"),
    "status.insufficient": ("Otillräckligt underlag", "Insufficient data"),
    "assessment.on_track": ("Enligt plan", "On track"),
    "assessment.at_risk": ("Risk", "At risk"),
    "assessment.off_track": ("Ej enligt plan", "Off track"),
    "action.planned": ("Planerad", "Planned"),
    "action.in_progress": ("Pågår", "In progress"),
    "action.done": ("Klar", "Done"),
    "state.draft": ("Utkast", "Draft"),
    "state.submitted": ("Inskickad", "Submitted"),
    "state.approved": ("Godkänd", "Approved"),
    "state.returned": ("Återremitterad", "Returned"),
    "state.not_started": ("Ej påbörjad", "Not started"),
    "perspective.external": ("Externt nyttoperspektiv", "External benefit"),
    "perspective.internal": ("Internt nyttoperspektiv", "Internal benefit"),
    "perspective.maturity": ("It-mognadsperspektiv", "IT maturity"),
    "perspective.cost": ("It-kostnadsperspektiv", "IT cost"),
    "perspective.quality": ("It-kvalitetsperspektiv", "IT quality"),
    "perspective_short.external": ("Extern nytta", "External benefit"),
    "perspective_short.internal": ("Intern nytta", "Internal benefit"),
    "perspective_short.maturity": ("It-mognad", "IT maturity"),
    "perspective_short.cost": ("It-kostnad", "IT cost"),
    "perspective_short.quality": ("It-kvalitet", "IT quality"),
    "peer_group.district_councils": ("Stadsdelsnämnder", "District councils"),
    "peer_group.specialist_committees": ("Facknämnder", "Specialist committees"),
    "peer_group.companies": ("Bolag", "Companies"),
    "note.value_period": ("Värdet avser {period}", "The value is for {period}"),
    "note.no_analysis": ("Ingen analys skriven.", "No analysis written."),
    "note.no_actions": ("Inga åtgärder.", "No actions."),
    "note.not_approved": ("Rapporten är inte godkänd.", "The report has not been approved."),
    "note.band": ("{low}–{high}", "{low}–{high}"),
    "note.higher": ("högre är bättre", "higher is better"),
    "note.lower": ("lägre är bättre", "lower is better"),
    "note.within": ("inom intervall", "within range"),
    "note.insufficient": ("För få observationer ({n} av minst {min_n})", "Too few observations ({n}, at least {min_n})"),
    "note.trend": ("Trend: de senaste {n} tertialen, förändring mot föregående tertial.",
                   "Trend: the last {n} tertials, change against the previous tertial."),
    "sheet.measures": ("Mätetal", "Measures"),
    "sheet.perspectives": ("Perspektiv", "Perspectives"),
    "sheet.analyses": ("Analyser", "Analyses"),
    "sheet.actions": ("Åtgärder", "Actions"),
    "sheet.about": ("Om rapporten", "About"),
    "label.measure_id": ("Id", "Id"),
    "label.subject": ("Avser", "Subject"),
    "label.written_at": ("Skriven", "Written"),
    "subject.committee": ("Hela nämnden", "The whole committee"),
}


def translator(lang: str):
    index = 0 if lang == "sv" else 1

    def t(key: str, **kw) -> str:
        text = TEXTS[key][index]
        return text.format(**kw) if kw else text
    return t


def status_word(status: str, lang: str, insufficient: bool = False) -> str:
    t = translator(lang)
    s = status if status in ("green", "yellow", "red", "grey") else "grey"
    return t("status.insufficient") if (s == "grey" and insufficient) else t(f"status.{s}")


ICONS = {"green": "✔", "yellow": "▲", "red": "✖", "grey": "○"}


def status_label(status: str, lang: str, insufficient: bool = False) -> str:
    """'✖ Röd' — icon and word, never colour alone."""
    s = status if status in ICONS else "grey"
    return f"{ICONS[s]} {status_word(s, lang, insufficient)}"
