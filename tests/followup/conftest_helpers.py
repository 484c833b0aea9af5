"""Identities for the store tests (importable from worker processes too)."""
from followup.identity import Grant, Identity


def person(email: str, *grants: tuple[str, str | None], source: str = "oidc") -> Identity:
    return Identity(email=email, name=email.split("@")[0].replace(".", " ").title(),
                    grants=frozenset(Grant(r, c) for r, c in grants), source=source)


ADMIN = person("admin@stad.se", ("admin", None))
SECRETARY = person("sekreterare@stad.se", ("secretary", None))
READER = person("lasare@stad.se")
REPORTER_A = person("rapportor.a@stad.se", ("reporter", "SKARHOLMEN"))
CHAIR_A = person("ordforande.a@stad.se", ("chair", "SKARHOLMEN"))
ANALYST_A = person("analytiker.a@stad.se", ("analyst", "SKARHOLMEN"))
ANALYST_CITY = person("analytiker@stad.se", ("analyst", None))
