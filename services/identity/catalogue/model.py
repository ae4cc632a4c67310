"""The staff catalogue as read from a file: care units, staff (HSA-id, name, profession,
validity) and their unit memberships (roles, validity). Validated here, whatever the format,
so every reader produces the same checked shape."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.events.contracts import Role, ServiceType

# HSA-ids: "SE", the organisation number of the issuer (10 digits), "-", a local part.
HSA_ID = r"^SE[0-9]{10}-[0-9A-Za-z]{1,40}$"

Profession = Literal[
    "doctor", "nurse", "assistant_nurse", "midwife", "psychologist", "psychotherapist",
    "physiotherapist", "occupational_therapist", "dietitian", "counsellor",
    "medical_secretary", "auditor", "administrator",
]


class CatalogueError(ValueError):
    """A catalogue file that cannot be imported; the message says where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Validity(_Strict):
    """Inclusive dates (Swedish local date); None = open-ended."""

    valid_from: date | None = None
    valid_to: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Validity:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self

    def covers(self, day: date) -> bool:
        return ((self.valid_from is None or self.valid_from <= day)
                and (self.valid_to is None or day <= self.valid_to))


class CatalogueUnit(_Strict):
    unit_id: str = Field(pattern=HSA_ID, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    region: str = Field(min_length=1, max_length=64)
    functional_email: str = Field(min_length=3, max_length=320)
    services: list[ServiceType]


class CatalogueMembership(Validity):
    unit_id: str = Field(pattern=HSA_ID, max_length=100)
    roles: list[Role] = Field(min_length=1)


class CatalogueStaff(Validity):
    hsa_id: str = Field(pattern=HSA_ID, max_length=64)
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    profession: Profession
    email: str | None = Field(default=None, max_length=320)
    memberships: list[CatalogueMembership] = []

    @model_validator(mode="after")
    def _one_membership_per_unit(self) -> CatalogueStaff:
        units = [m.unit_id for m in self.memberships]
        if len(set(units)) != len(units):
            raise ValueError("a unit is listed twice among the memberships")
        return self


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)  # seed files carry patients too
    care_units: list[CatalogueUnit] = []
    staff: list[CatalogueStaff] = []

    @model_validator(mode="after")
    def _unique(self) -> Catalogue:
        for what, ids in (("unit", [u.unit_id for u in self.care_units]),
                          ("HSA-id", [s.hsa_id for s in self.staff])):
            duplicates = sorted({i for i in ids if ids.count(i) > 1})
            if duplicates:
                raise ValueError(f"{what} listed more than once: {', '.join(duplicates)}")
        return self

    def merged(self, other: Catalogue) -> Catalogue:
        return Catalogue(care_units=[*self.care_units, *other.care_units],
                         staff=[*self.staff, *other.staff])
