"""The fixed words of the generated documentation (headings, legends), in each language.

Everything a reader sees that is not the law's own words, a label from the
vocabulary or a generated condition comes from here, so a translation is
complete when every key has a value in every language (a test checks it).
"""

from __future__ import annotations

UI: dict[str, dict[str, str]] = {
    "en": {
        "site_title": "What the law allows: police and city data sharing",
        "intro": "Plain-language guide to the laws encoded in this law set: who may be given which "
                 "information, and when. Each rule below is written out from the encoded law "
                 "itself, next to the official text it rests on. The official text governs.",
        "generated": "Generated from the law set {digest} on the laws in force on {date}.",
        "jurisdictions": "Jurisdictions",
        "laws": "Laws",
        "law": "Law",
        "who_receives": "Who may receive what",
        "who_receives_in": "Who may receive what in {place}",
        "holder_line": "The table assumes the information is held by {holder} in {place}, on "
                       "{date}, and that the request states the purpose shown. Each cell is the "
                       "engine's own decision on that request; facts not listed are unknown.",
        "purpose_heading": "Purpose: {purpose}",
        "purpose_unknown": "not stated",
        "data": "Information",
        "requester": "Requested by",
        "permitted": "permitted",
        "prohibited": "prohibited",
        "undetermined": "depends on",
        "not_covered": "not covered",
        "depends_on": "{facts}",
        "depends_on_at_most": ("{facts} (some of these may not matter: the search stopped at "
                               "its budget)"),
        "legend": "Legend: “permitted” means no encoded rule prohibits it; “prohibited” means a "
                  "rule that applies forbids it; “depends on” names the facts that decide; links "
                  "lead to the rules behind each answer.",
        "applies_here": "Laws that apply here",
        "version": "Version",
        "source": "Official source",
        "source_mirror": "Source (mirror, not the official publisher)",
        "in_force": "In force",
        "in_force_from": "from {start}",
        "in_force_between": "from {start} until {end}",
        "binds": "Applies to",
        "where": "Where",
        "notes": "Read before relying on this",
        "gaps": "Known gaps: text that could not be found verbatim and is not encoded",
        "no_gaps": "No known gaps.",
        "rules": "Rules",
        "sections": "Sections quoted",
        "official_text": "Official text",
        "official_text_note": "Official text (English), quoted verbatim",
        "effect_prohibit": "Not allowed",
        "effect_permit": "Allowed",
        "effect_require": "Duty",
        "effect_warn": "How the law reads a request",
        "binds_when": "only where {condition}",
        "caveat": "caveat",
        "definitions": "Definitions the laws share",
        "caveats_heading": ("Caveats: what the numbered cells rest on that the encoding cannot "
                            "vouch for"),
        "effect_defeats": "Cancels the rule above",
        "exception": "Exception",
        "exceptions": "Exceptions",
        "shared_exceptions": "Exceptions that cancel several rules",
        "cancels": "Cancels",
        "contents": "Contents",
        "search_label": "Search all the laws (citations, rule names, quoted text)",
        "search_button": "Search",
        "search_found": "{n} found.",
        "search_some": "{n} found; the first {shown} are shown.",
        "search_none": "Nothing found.",
        "about": "Covers: {data}",
        "when": "When",
        "upon_receipt": "This duty applies on receiving the request, even if it is refused.",
        "cites": "Rests on",
        "back_to_index": "All laws and places",
        "language_name": "English",
        "other_language": "Español",
        "skip": "Skip to content",
        "state": "State",
        "county": "County",
        "city": "City",
        "level_state": "the State of {name}",
        "level_county": "{name} County",
        "level_consolidated": "the City and County of {name}",
        "outside_local": " (in a county with no law of its own here, such as {county} County)",
        "level_city": "the City of {name}",
        "not_encoded": "not encoded",
        "rule_id": "rule",
    },
    "es": {
        "site_title": "Lo que permite la ley: intercambio de datos de la policía y la ciudad",
        "intro": "Guía en lenguaje sencillo de las leyes codificadas en este conjunto: a quién se "
                 "le puede dar qué información, y cuándo. Cada regla está escrita a partir de la "
                 "ley codificada misma, junto al texto oficial en que se basa. Prevalece el texto "
                 "oficial.",
        "generated": "Generado a partir del conjunto de leyes {digest} con las leyes vigentes el "
                     "{date}.",
        "jurisdictions": "Jurisdicciones",
        "laws": "Leyes",
        "law": "Ley",
        "who_receives": "Quién puede recibir qué",
        "who_receives_in": "Quién puede recibir qué en {place}",
        "holder_line": "La tabla supone que la información la tiene {holder} en {place}, el "
                       "{date}, y que la solicitud declara la finalidad indicada. Cada celda es la "
                       "decisión del propio motor sobre esa solicitud; los hechos no indicados se "
                       "desconocen.",
        "purpose_heading": "Finalidad: {purpose}",
        "purpose_unknown": "no declarada",
        "data": "Información",
        "requester": "Solicitada por",
        "permitted": "permitido",
        "prohibited": "prohibido",
        "undetermined": "depende de",
        "not_covered": "no cubierto",
        "depends_on": "{facts}",
        "depends_on_at_most": ("{facts} (puede que algunos no importen: la búsqueda se detuvo "
                               "en su límite)"),
        "legend": "Leyenda: «permitido» significa que ninguna regla codificada lo prohíbe; "
                  "«prohibido» significa que una regla aplicable lo impide; «depende de» nombra "
                  "los hechos que deciden; los enlaces llevan a las reglas de cada respuesta.",
        "applies_here": "Leyes que se aplican aquí",
        "version": "Versión",
        "source": "Fuente oficial",
        "source_mirror": "Fuente (copia no oficial)",
        "in_force": "Vigencia",
        "in_force_from": "desde el {start}",
        "in_force_between": "desde el {start} hasta el {end}",
        "binds": "Se aplica a",
        "where": "Dónde",
        "notes": "Lea esto antes de basarse en esta ley",
        "gaps": "Vacíos conocidos: texto que no se encontró literalmente y no está codificado",
        "no_gaps": "No hay vacíos conocidos.",
        "rules": "Reglas",
        "sections": "Secciones citadas",
        "official_text": "Texto oficial",
        "official_text_note": "Texto oficial (en inglés), citado literalmente",
        "effect_prohibit": "No se permite",
        "effect_permit": "Se permite",
        "effect_require": "Obligación",
        "effect_warn": "Cómo lee la ley una solicitud",
        "binds_when": "solo cuando {condition}",
        "caveat": "advertencia",
        "definitions": "Definiciones que comparten las leyes",
        "caveats_heading": ("Advertencias: lo que la codificación no puede garantizar en las "
                            "celdas numeradas"),
        "effect_defeats": "Anula la regla anterior",
        "exception": "Excepción",
        "exceptions": "Excepciones",
        "shared_exceptions": "Excepciones que anulan varias reglas",
        "cancels": "Anula",
        "contents": "Índice",
        "search_label": "Buscar en todas las leyes (citas, nombres de reglas, texto citado)",
        "search_button": "Buscar",
        "search_found": "{n} resultados.",
        "search_some": "{n} resultados; se muestran los {shown} primeros.",
        "search_none": "No se encontró nada.",
        "about": "Abarca: {data}",
        "when": "Cuando",
        "upon_receipt": "Esta obligación se aplica al recibir la solicitud, aunque se rechace.",
        "cites": "Se basa en",
        "back_to_index": "Todas las leyes y lugares",
        "language_name": "Español",
        "other_language": "English",
        "skip": "Saltar al contenido",
        "state": "Estado",
        "county": "Condado",
        "city": "Ciudad",
        "level_state": "el Estado de {name}",
        "level_county": "el Condado de {name}",
        "level_consolidated": "la Ciudad y Condado de {name}",
        "outside_local": " (en un condado sin ley propia aquí, como el Condado de {county})",
        "level_city": "la Ciudad de {name}",
        "not_encoded": "no codificado",
        "rule_id": "regla",
    },
}
"""Fixed words of the documentation site, by language."""

LANGUAGES = tuple(UI)
"""The languages documentation is generated in."""
