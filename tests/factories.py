"""factory-boy factories for the test shop."""

from datetime import timezone
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from tests.testapp.models import Basket, BasketLine, Member


class MemberFactory(DjangoModelFactory):
    class Meta:
        model = Member

    email = factory.Sequence(lambda n: f"member{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    phone = factory.Faker("numerify", text="010########")
    gender_code = factory.Iterator(["m", "f", "x", ""])
    created = factory.Faker(
        "date_time_between", start_date="-3y", end_date="-1d", tzinfo=timezone.utc
    )


class BasketFactory(DjangoModelFactory):
    class Meta:
        model = Basket

    member = factory.SubFactory(MemberFactory)
    created = factory.Faker(
        "date_time_between", start_date="-1y", end_date="-1d", tzinfo=timezone.utc
    )
    subtotal = factory.Faker("pydecimal", left_digits=4, right_digits=2, positive=True)
    tax = Decimal("0.00")
    discount = Decimal("0.00")
    total = factory.LazyAttribute(lambda o: o.subtotal + (o.tax or 0) - o.discount)
    currency = "EGP"
    country = "EG"
    status = "paid"
    phone = factory.Faker("numerify", text="011########")
    locale = "ar"
    email = factory.LazyAttribute(lambda o: o.member.email)


class BasketLineFactory(DjangoModelFactory):
    class Meta:
        model = BasketLine

    basket = factory.SubFactory(BasketFactory)
    sku = factory.Sequence(lambda n: 1000 + n)
    quantity = factory.Faker("pyint", min_value=1, max_value=5)
    unit_price = factory.Faker("pydecimal", left_digits=3, right_digits=2, positive=True)
