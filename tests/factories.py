"""factory_boy factories. Organizations and posts are created through the services, like every other write."""

from __future__ import annotations

import datetime as dt

import factory

from core import crypto
from core.idnumber import make_id_number, parse_id_number
from members.models import Person
from organizations.models import Organization, Post
from organizations.services import organization_create, post_create


def id_number_for(n: int, *, male: bool | None = None, region: str = "410102") -> str:
    """The n-th valid, distinct ID number (birth dates spread over 1960–1989)."""
    birth = dt.date(1960 + n % 30, 1 + (n // 30) % 12, 1 + (n // 360) % 28)
    return make_id_number(region, birth, n % 100, male if male is not None else n % 2 == 0)


class PersonFactory(factory.django.DjangoModelFactory):
    """A person with a valid ID number; pass `id_number=` to choose it (it is stored encrypted, as the app does)."""

    class Meta:
        model = Person

    class Params:
        id_number = factory.Sequence(id_number_for)

    name = factory.Sequence(lambda n: f"测试人员{n}")
    id_number_digest = factory.LazyAttribute(lambda o: crypto.digest(o.id_number))
    id_number_encrypted = factory.LazyAttribute(lambda o: crypto.encrypt(o.id_number))
    id_number_masked = factory.LazyAttribute(lambda o: crypto.mask_id_number(o.id_number))
    gender = factory.LazyAttribute(lambda o: parse_id_number(o.id_number).gender)
    birth_date = factory.LazyAttribute(lambda o: parse_id_number(o.id_number).birth_date)


class OrganizationFactory(factory.django.DjangoModelFactory):
    """A branch (by default) created by organization_create with the system as actor; `parent=None` makes a root."""

    class Meta:
        model = Organization

    code = factory.Sequence(lambda n: f"F{n:05d}")
    name = factory.Sequence(lambda n: f"测试党支部{n}")
    kind = "党支部"
    domain = "农村"
    parent = None

    @classmethod
    def _create(cls, model_class, *args, parent=None, **kwargs):
        return organization_create(actor=None, parent=parent, **kwargs)


class PostFactory(factory.django.DjangoModelFactory):
    """A post recorded by post_create with the system as actor."""

    class Meta:
        model = Post

    organization = factory.SubFactory(OrganizationFactory)
    person = factory.SubFactory(PersonFactory)
    title = "书记"
    start_on = dt.date(2021, 1, 1)
    end_on = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return post_create(actor=None, **kwargs)
