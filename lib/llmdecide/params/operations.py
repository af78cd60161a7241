"""``operations`` and ``quotes``: self-hosted staff and availability, and the client's own prices."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    model_validator,
)

from llmdecide.params.fields import (
    Integer,
    Iso3,
    Name,
    _custom,
    _no_bool,
    _Section,
    _show,
)

COMMITMENT_MONTHS = {"on_demand": 0, "1y": 12, "3y": 36}
QUOTE_KINDS = ("cloud_gpu_hour", "server", "electricity", "api_discount")
QUOTE_FIELDS = {
    "cloud_gpu_hour": ("gpu", "price"),
    "server": ("gpu", "price_per_gpu"),
    "electricity": ("price_per_kwh",),
    "api_discount": ("discount",),
}
QUOTE_ALLOWED = {
    "cloud_gpu_hour": {"gpu", "region", "commitment", "price"},
    "server": {"gpu", "price_per_gpu"},
    "electricity": {"region", "price_per_kwh"},
    "api_discount": {"model", "discount"},
}


def _sites(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and value < 1:
        raise _custom(
            f"expected 1 site or more (1: one site; 2: a second site running the whole fleet), "
            f"got {value}; write 1 for a single site"
        )
    return value


def _price(unit: str) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool) and value <= 0:
            raise _custom(
                f"a price is a positive number ({unit}, client currency), got {_show(value)}; "
                "write the price the client was quoted"
            )
        return value

    return BeforeValidator(check)


class Availability(_Section):
    """Spare replicas (N + k) and sites (each site runs the whole fleet)."""

    sites: Annotated[int, BeforeValidator(_sites), BeforeValidator(_no_bool)] = Field(
        1, ge=1, le=10, description="sites that each run the whole fleet (2: a second site)"
    )
    spare_replicas: Integer = Field(
        0, ge=0, le=100, description="replicas kept beyond the sizing at each site (N + k)"
    )


StaffFte = Annotated[float, Field(ge=0, le=100), BeforeValidator(_no_bool)]


class StaffByHosting(_Section):
    """People running the service, per hosting type (default: the catalog's assumption)."""

    api: StaffFte | None = Field(None, description="FTE for an API configuration")
    cloud: StaffFte | None = Field(None, description="FTE for a cloud configuration")
    on_premise: StaffFte | None = Field(None, description="FTE for an on-premise configuration")


def _staff_shape(value: Any) -> Any:
    """A single number applies to the self-hosted types (the API keeps its own share)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not 0 <= value <= 100:
            raise _custom(f"expected a number of people >= 0 and <= 100, got {_show(value)}")
        return {"cloud": value, "on_premise": value}
    return value


class Operations(_Section):
    """Self-hosted total cost of ownership: staff and availability."""

    staff_fte: Annotated[StaffByHosting, BeforeValidator(_staff_shape)] = Field(
        default_factory=lambda: StaffByHosting.model_validate({}),
        description="people running the service: one number (cloud and on premise) or "
        "{api, cloud, on_premise} (default: catalog assumption by hosting)",
    )
    staff_cost_per_fte_month: (
        Annotated[float, Field(gt=0, le=1e7), BeforeValidator(_no_bool)] | None
    ) = Field(None, description="loaded monthly cost of one FTE (client currency)")
    availability: Availability = Field(
        default_factory=lambda: Availability.model_validate({}),
        description="spare replicas and sites of the self-hosted fleet",
    )


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


class Quote(_Section):
    """A client's own price; it overrides the catalog's and the report labels it "client quote".
    Prices are in the client currency."""

    kind: Literal["cloud_gpu_hour", "server", "electricity", "api_discount"] = Field(
        description="what is quoted"
    )
    gpu: Name | None = Field(None, description="GPU (cloud_gpu_hour, server)")
    region: Iso3 | None = Field(
        None, description="ISO-3 region (cloud_gpu_hour, electricity; default: every region)"
    )
    commitment: Literal["on_demand", "1y", "3y"] = Field(
        "on_demand", description="commitment the cloud price is for"
    )
    model: Name | None = Field(None, description="API model (api_discount; default: every one)")
    price: (
        Annotated[float, Field(gt=0, le=1e4), _price("per GPU-hour"), BeforeValidator(_no_bool)]
        | None
    ) = Field(None, description="price per GPU-hour (cloud_gpu_hour), client currency")
    price_per_gpu: (
        Annotated[float, Field(gt=0, le=1e7), _price("per GPU"), BeforeValidator(_no_bool)] | None
    ) = Field(None, description="server price per GPU, its server share included (server)")
    price_per_kwh: (
        Annotated[float, Field(gt=0, le=10), _price("per kWh"), BeforeValidator(_no_bool)] | None
    ) = Field(None, description="electricity price per kWh (electricity)")
    discount: Annotated[float, Field(ge=0, lt=1), BeforeValidator(_no_bool)] | None = Field(
        None, description="share taken off the API price list (api_discount): 0.2 for 20 %"
    )
    note: str | None = Field(None, max_length=2000, description="who quoted it, when")

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Quote:
        for name in QUOTE_FIELDS[self.kind]:
            if getattr(self, name) is None:
                raise _custom(f"{_article(self.kind)} {self.kind} quote needs {name}; add it", name)
        allowed = QUOTE_ALLOWED[self.kind] | {"kind", "note"}
        for name in ("gpu", "region", "model", "price", "price_per_gpu", "price_per_kwh"):
            if getattr(self, name) is not None and name not in allowed:
                raise _custom(
                    f"{name} does not apply to {_article(self.kind)} {self.kind} quote (it takes "
                    f"{', '.join(sorted(QUOTE_ALLOWED[self.kind]))}); remove it",
                    name,
                )
        if self.kind != "cloud_gpu_hour" and "commitment" in self.model_fields_set:
            raise _custom(
                "commitment applies to cloud_gpu_hour quotes only; remove it", "commitment"
            )
        return self

    @property
    def target(self) -> tuple[Any, ...]:
        """What the quote prices (two quotes may not price the same thing)."""
        return (self.kind, self.gpu, self.region, self.commitment, self.model)
