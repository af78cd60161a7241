"""Risks and compliance (issue 15, item 6): the questions a CISO, a DPO and legal would ask about a
recommended design, from the catalog and the client's params. Questions to answer, not advice.

Each question is ``{"topic", "audience": [ciso | dpo | legal], "facts": {...}}``; the report
words it from ``risks.<topic>`` in its message catalog with the facts as fields. A fact the
catalog does not hold is ``None`` and the report says "to confirm with the provider": no
provider's data residency, retention or deprecation policy is guessed.

The EU AI Act category is never decided here: the use-case description is free text. The
questions that decide it follow Regulation (EU) 2024/1689 — Article 5 (prohibited practices),
Article 6(2) with Annex III (the eight high-risk areas), Article 6(3) (the derogation for an
Annex III system that poses no significant risk, never when it profiles natural persons) and
Article 50(1) (a system that interacts with natural persons tells them they are talking to an
AI). Source: :data:`AI_ACT_SOURCE`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmdecide.estimators import api as api_estimators

AI_ACT_SOURCE = (
    "Regulation (EU) 2024/1689 (Artificial Intelligence Act), OJ L 2024/1689, "
    "https://eur-lex.europa.eu/eli/reg/2024/1689/oj: Art. 5, Art. 6(2)-(3), Annex III, Art. 50(1)"
)
AI_ACT_RETRIEVED = "2026-12-01"
ANNEX_III_AREAS: tuple[str, ...] = (
    "biometrics",
    "critical_infrastructure",
    "education",
    "employment",
    "essential_services",
    "law_enforcement",
    "migration",
    "justice_democracy",
)
"""The eight areas of Annex III, points 1 to 8 (their wording is in the message catalogs)."""
CISO, DPO, LEGAL = "ciso", "dpo", "legal"


def _question(topic: str, audience: list[str], **facts: Any) -> dict[str, Any]:
    return {"topic": topic, "audience": audience, "facts": facts}


def licence_question(design: Mapping[str, Any], catalog: Any) -> dict[str, Any]:
    """Open model: its catalog ``licence`` and source; API model: the provider's terms (not in
    the catalog: to confirm)."""
    model = design.get("model")
    if design.get("hosting") == "api":
        api = catalog.api_models.get(model)
        return _question("api_terms", [LEGAL], model=model, provider=getattr(api, "provider", None))
    record = catalog.open_models.get(model)
    return _question(
        "licence",
        [LEGAL],
        model=model,
        licence=getattr(record, "licence", None),
        source=getattr(record, "hf_id", None),
    )


def location_question(design: Mapping[str, Any], catalog: Any) -> dict[str, Any]:
    """Where the data is processed: the region and the catalog's cloud providers of that GPU
    there (cloud), the client's own site (on premise), or the API provider and the EcoLogits
    electricity zone of its data centres (the footprint's assumption, not a residency promise)."""
    hosting = design.get("hosting")
    if hosting == "api":
        api = catalog.api_models.get(design.get("model"))
        provider = getattr(api, "provider", None)
        zone = None
        if api is not None:
            zone = api_estimators.ecologits_datacenter_zone(api.ecologits_provider)
        return _question("location_api", [CISO, DPO], provider=provider, zone=zone)
    region = design.get("region")
    if hosting == "cloud":
        offers = catalog.offers_for(design.get("gpu"), region) if region else []
        providers = ", ".join(sorted({o.provider for o in offers})) or None
        return _question("location_cloud", [CISO, DPO], region=region, providers=providers)
    return _question("location_on_premise", [CISO], region=region)


def risk_questions(
    design: Mapping[str, Any],
    catalog: Any,
    *,
    rag_documents_gb: float | None,
    user_uploads: bool,
    confidential_data: bool,
) -> list[dict[str, Any]]:
    """Every question for one design (``recommendation``-shaped: hosting, region, gpu, model,
    rag), in a fixed order: licence or API terms, where data is processed, dependency and
    deprecation (API), confidential data sent to a third party (API), personal data in the
    retrieval documents (rag), user uploads, then the EU AI Act questions."""
    hosting = design.get("hosting")
    out = [licence_question(design, catalog), location_question(design, catalog)]
    if hosting == "api":
        api = catalog.api_models.get(design.get("model"))
        out.append(
            _question(
                "deprecation",
                [CISO, LEGAL],
                model=design.get("model"),
                provider=getattr(api, "provider", None),
            )
        )
        out.append(_question("third_party", [CISO, DPO], confidential=confidential_data))
    else:
        out.append(_question("self_hosted_security", [CISO], model=design.get("model")))
    if design.get("rag") == "rag":
        out.append(_question("rag_personal_data", [DPO], documents_gb=rag_documents_gb))
    if user_uploads:
        out.append(_question("user_uploads", [CISO, DPO]))
    out.append(_question("ai_act_prohibited", [LEGAL]))
    out.append(_question("ai_act_high_risk", [LEGAL], areas=list(ANNEX_III_AREAS)))
    out.append(_question("ai_act_derogation", [LEGAL]))
    out.append(_question("ai_act_transparency", [LEGAL]))
    return out


def risks(
    designs: Mapping[str, Mapping[str, Any] | None],
    catalog: Any,
    client: Any,
) -> dict[str, Any]:
    """``results.json`` ``risks``: ``{"designs": [{"role", "label", "hosting", "model",
    "questions"}], "ai_act_source", "ai_act_retrieved"}`` for each role → design (recommendation,
    runner-up; a ``None`` design is left out). ``client``: the validated params."""
    options = client.options
    rag_gb = getattr(options, "documents_gb", None)
    out = []
    for role, design in designs.items():
        if not design:
            continue
        out.append(
            {
                "role": role,
                "label": design.get("label"),
                "hosting": design.get("hosting"),
                "model": design.get("model"),
                "questions": risk_questions(
                    design,
                    catalog,
                    rag_documents_gb=None if rag_gb is None else float(rag_gb),
                    user_uploads=bool(getattr(options, "user_uploads", False)),
                    confidential_data=bool(client.constraints.confidential_data),
                ),
            }
        )
    return {
        "designs": out,
        "ai_act_source": AI_ACT_SOURCE,
        "ai_act_retrieved": AI_ACT_RETRIEVED,
    }
