"""The shop's exchange rates, shared by its feed adapters and its demo data."""

from decimal import Decimal

#: The shop reports customer spend in one currency, EGP. Orders in other
#: currencies are converted at these fixed rates (demo values, not live ones);
#: the demo data prices its products with them too.
EGP_PER_UNIT = {"SAR": Decimal("13.20"), "AED": Decimal("13.50"), "USD": Decimal("49.50")}
